"""Deploying a package: one ZIP holding a diagram, its forms and its lane map.

A package is self-contained: the forms the diagram names are taken from the ZIP, never from the
server's forms folder, so the version deployed is exactly what was sent. The ZIP is read with
limits (entries, sizes, names) before anything is parsed; a corrupt or unreadable ZIP is an invalid
package, never a crash. Under the two-person rule a package is submitted, like any other deploy.
"""

from __future__ import annotations

import io
import zipfile
import zlib
from pathlib import PurePosixPath

from engine.actors import Actor
from engine.context import EngineContext
from engine.errors import DeploymentInvalid, Problem
from engine.forms import check_form_name
from engine.services.deploy import LANES_SUFFIX, Deployment, Submission, deploy_or_submit, parse_lane_roles

MAX_ENTRIES = 200
MAX_ENTRY_BYTES = 2 * 1024 * 1024
MAX_TOTAL_BYTES = 10 * 1024 * 1024
LANES_NAMES = ("lanes.json",)
# What zipfile raises on damaged bytes (a bad CRC, a broken deflate stream, a cut-off file, a
# nonsensical offset or name), and on entries it cannot read (encrypted, an unknown method).
_CORRUPT = (zipfile.BadZipFile, zlib.error, EOFError, ValueError, OSError)
_UNSUPPORTED = (NotImplementedError, RuntimeError)


def deploy_package(ctx: EngineContext, *, actor: Actor, content: bytes, filename: str) -> Deployment | Submission:
    """Deploy the diagram in a ZIP with the forms and lane map beside it (submit it, under the two-person rule).

    The ZIP holds exactly one `.bpmn` file; forms are `*.json` files at its root or in `forms/`;
    the lane map is `<diagram>.lanes.json` or `lanes.json` (without one, as for a plain deploy, the
    previous version's map is reused, else the default map for the standard lane names).

    :raises DeploymentInvalid, PermissionDenied:
    """
    files = _read_zip(content, filename)
    diagrams = [name for name in files if name.endswith(".bpmn")]
    if len(diagrams) != 1:
        found = ", ".join(diagrams) or "tidak ada"
        raise _invalid(filename, f"paket harus memuat tepat satu berkas .bpmn (ditemukan: {found})")
    diagram = diagrams[0]
    lanes_name = next(
        (n for n in (PurePosixPath(diagram).stem + LANES_SUFFIX, *LANES_NAMES) if n in files),
        None,
    )
    lane_roles = parse_lane_roles(files[lanes_name], f"{filename}:{lanes_name}") if lanes_name else None
    forms = {
        PurePosixPath(name).name: data
        for name, data in files.items()
        if name.endswith(".json") and name != lanes_name and not name.endswith(LANES_SUFFIX)
    }

    def form_source(name: str) -> bytes | None:
        return forms.get(check_form_name(name))

    return deploy_or_submit(
        ctx,
        actor=actor,
        xml=files[diagram],
        filename=f"{filename}:{diagram}",
        lane_roles=lane_roles,
        forms=form_source,
    )


def _read_zip(content: bytes, filename: str) -> dict[str, bytes]:
    try:
        archive = zipfile.ZipFile(io.BytesIO(content))
    except (*_CORRUPT, *_UNSUPPORTED):
        raise _invalid(filename, "bukan berkas ZIP yang sah") from None
    entries = [info for info in archive.infolist() if not info.is_dir()]
    if len(entries) > MAX_ENTRIES:
        raise _invalid(filename, f"paket memuat lebih dari {MAX_ENTRIES} berkas")
    if sum(info.file_size for info in entries) > MAX_TOTAL_BYTES:
        raise _invalid(filename, f"isi paket melebihi {MAX_TOTAL_BYTES // 1024 // 1024} MB")
    files: dict[str, bytes] = {}
    for info in entries:
        name = _entry_name(info.filename, filename)
        if info.file_size > MAX_ENTRY_BYTES:
            raise _invalid(filename, f"berkas {name} melebihi {MAX_ENTRY_BYTES // 1024 // 1024} MB")
        data = _read_entry(archive, info, name, filename)
        if len(data) > MAX_ENTRY_BYTES:
            raise _invalid(filename, f"berkas {name} melebihi {MAX_ENTRY_BYTES // 1024 // 1024} MB")
        files[name] = data
    return files


def _read_entry(archive: zipfile.ZipFile, info: zipfile.ZipInfo, name: str, filename: str) -> bytes:
    """An entry's bytes, checked against its CRC; never more than MAX_ENTRY_BYTES + 1 (the header's size can lie)."""
    try:
        with archive.open(info) as entry:
            return entry.read(MAX_ENTRY_BYTES + 1)
    except _CORRUPT:
        raise _invalid(
            filename, f"berkas {name} di dalam paket rusak (isi atau CRC-nya tidak cocok); buat ulang paketnya"
        ) from None
    except _UNSUPPORTED:
        raise _invalid(
            filename, f"berkas {name} terenkripsi atau dimampatkan dengan metode yang tidak didukung; gunakan ZIP biasa"
        ) from None


def _entry_name(raw: str, filename: str) -> str:
    """A ZIP entry's path: at the root or in forms/, nothing else (no traversal, no absolute paths)."""
    path = PurePosixPath(raw.replace("\\", "/"))
    allowed = len(path.parts) == 1 or (len(path.parts) == 2 and path.parts[0] == "forms")
    if path.is_absolute() or ".." in path.parts or not allowed:
        raise _invalid(filename, f"nama berkas tidak diizinkan di dalam paket: {raw!r} (hanya akar dan forms/)")
    return str(path)


def _invalid(filename: str, message: str) -> DeploymentInvalid:
    return DeploymentInvalid([Problem(filename, None, message)])
