"""Benchmarks of the engine (`make bench`)."""
