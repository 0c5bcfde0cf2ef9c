"""The stored form of a finished case: packed, deflated with a preset dictionary, and readable as before."""

from __future__ import annotations

import json
import zlib

from engine import runtime

RECORD = {
    "data": {"berkas_lengkap": True, "keputusan": "diterima", "korban": [{"nama": "Sari", "umur": 30}]},
    "tasks": [
        ["Start", "COMPLETED"],
        ["Task_periksa_kelengkapan", "COMPLETED"],
        ["BoundaryEvent_keputusan_1", "CANCELLED"],
    ],
}


def test_a_final_record_reads_back_as_written() -> None:
    stored = runtime.encode_final(RECORD)
    assert stored[:1] == b"\x01"  # the dictionary format's marker
    assert runtime.load_final(stored) == RECORD


def test_the_dictionary_makes_the_record_smaller_than_plain_deflate() -> None:
    plain = zlib.compress(json.dumps(RECORD, separators=(",", ":")).encode(), 9)
    assert len(runtime.encode_final(RECORD)) < len(plain)


def test_records_written_before_the_dictionary_still_load() -> None:
    old = zlib.compress(json.dumps(RECORD, separators=(",", ":")).encode(), 9)  # format final-1 as first shipped
    assert runtime.load_final(old) == RECORD


def test_a_task_name_with_a_comma_is_kept_as_a_list() -> None:
    odd = {"data": {}, "tasks": [["a,b", "COMPLETED"], ["c", "READY"]]}
    stored = runtime.encode_final(odd)
    assert runtime.load_final(stored) == odd
    unpacker = zlib.decompressobj(-15, zdict=runtime._FINAL_DICTIONARY)
    assert "names" not in json.loads(unpacker.decompress(stored[1:]) + unpacker.flush())
