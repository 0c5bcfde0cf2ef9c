"""The document store: a document's bytes as a file named by their SHA-256, outside the database.

A file is written (and synced) before the row that names it is committed, so a committed row
always has its file; a crash in between leaves at most a file no row names, which is harmless
(the same bytes would get the same name). Files are never changed: `put` of bytes already stored
is a no-op. Rows written before the store keep their bytes in `document.content`; `read` serves
both. `audit verify` rehashes every file (engine.services.document_integrity).

Layout: ROOT/ab/cd/abcd…(64 hex digits), so no directory grows past 65,536 entries.
"""

from __future__ import annotations

import hashlib
import os
import re
import tempfile
from pathlib import Path

HEX = re.compile(r"^[0-9a-f]{64}$")


class MissingDocument(Exception):
    """The store has no file for a hash a row names."""


class DocumentStore:
    """Files under `root`, named by the SHA-256 of their bytes."""

    def __init__(self, root: Path) -> None:
        self.root = root

    def path(self, sha256: str) -> Path:
        if not HEX.match(sha256):
            raise ValueError(f"bukan hash SHA-256: {sha256!r}")
        return self.root / sha256[:2] / sha256[2:4] / sha256

    def put(self, content: bytes) -> str:
        """Store `content` durably and return its SHA-256 (the file's name)."""
        digest = hashlib.sha256(content).hexdigest()
        target = self.path(digest)
        if target.is_file() and target.stat().st_size == len(content):
            return digest
        target.parent.mkdir(parents=True, exist_ok=True)
        handle, temporary = tempfile.mkstemp(dir=target.parent, prefix=".tmp-")
        try:
            with os.fdopen(handle, "wb") as file:
                file.write(content)
                file.flush()
                os.fsync(file.fileno())
            os.chmod(temporary, 0o440)
            os.replace(temporary, target)
        except BaseException:
            Path(temporary).unlink(missing_ok=True)
            raise
        _sync_directory(target.parent)
        return digest

    def get(self, sha256: str) -> bytes:
        """The bytes stored under `sha256`, as they are on disk (the caller checks them when it must)."""
        try:
            return self.path(sha256).read_bytes()
        except FileNotFoundError:
            raise MissingDocument(sha256) from None

    def has(self, sha256: str) -> bool:
        return self.path(sha256).is_file()


def _sync_directory(directory: Path) -> None:
    """Make the new name itself durable (a rename is in the directory, not the file)."""
    descriptor = os.open(directory, os.O_RDONLY)
    try:
        os.fsync(descriptor)
    finally:
        os.close(descriptor)


def read(store: DocumentStore, sha256: str, content: bytes | None) -> bytes:
    """A document's bytes: those its row kept (written before the store), else its file."""
    return content if content is not None else store.get(sha256)
