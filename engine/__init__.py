"""Mediasi's engine: BPMN definitions, the sandboxed runtime, persistence and use cases.

Framework-free by design: the web app and the CLI both drive `engine.services`.
"""
