"""The image at the head of every letter: the city's coat of arms, set by the admin.

The bytes go into the content-addressed document store before the row that names them (as for
documents); the row `letter_asset` "logo" names the current image by SHA-256. Setting and removing
it are events on the system chain. A letter embeds the logo current when it is rendered: the PDF,
whose hash its `document_issued` event records, then carries it for good.

An image is read by Pillow before it is accepted: PNG or JPEG by its content, at most
`MAX_BYTES`, at most `MAX_SIDE` pixels a side (so a decompression bomb is refused, not rendered).
"""

from __future__ import annotations

import base64
import hashlib
import io
import warnings
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.orm import Session

from engine.actors import Actor
from engine.context import EngineContext
from engine.errors import InvalidInput, NotFound, ProcessFailed
from engine.events import SYSTEM_CHAIN, append_chain_event
from engine.persistence.models import LetterAsset
from engine.services.signatories import require_admin

LOGO = "logo"
MAX_BYTES = 2 * 1024 * 1024
MAX_SIDE = 4000
FORMATS = {"PNG": "image/png", "JPEG": "image/jpeg"}


@dataclass(frozen=True)
class Logo:
    """The current logo: what names it, and its bytes."""

    sha256: str
    media_type: str
    size: int
    filename: str
    updated_by: str
    updated_at: datetime
    content: bytes

    def data_uri(self) -> str:
        """The image as a `data:` URI, the only kind of resource a letter may load."""
        return f"data:{self.media_type};base64,{base64.b64encode(self.content).decode('ascii')}"


def image_type(content: bytes) -> tuple[str, int, int]:
    """The media type, width and height of an acceptable logo image, or InvalidInput."""
    from PIL import Image

    if not content or len(content) > MAX_BYTES:
        raise InvalidInput(f"Ukuran gambar lambang harus antara 1 bita dan {MAX_BYTES // 1024 // 1024} MB.")
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(io.BytesIO(content)) as image:
                kind, (width, height) = image.format, image.size
                if kind in FORMATS and max(width, height) <= MAX_SIDE:
                    # Read every chunk (a truncated file or a bad checksum is refused here): WeasyPrint
                    # sets Pillow to load truncated images, so decoding alone would pass them.
                    image.verify()
            if kind in FORMATS and max(width, height) <= MAX_SIDE:
                with Image.open(io.BytesIO(content)) as image:
                    image.load()  # and decode it whole
    except (OSError, SyntaxError, ValueError, Image.DecompressionBombWarning, Image.DecompressionBombError):
        raise InvalidInput("Berkas lambang bukan gambar PNG atau JPEG yang utuh.") from None
    if kind not in FORMATS:
        raise InvalidInput("Gambar lambang harus PNG atau JPEG.")
    if max(width, height) > MAX_SIDE:
        raise InvalidInput(f"Gambar lambang paling besar {MAX_SIDE} piksel per sisi (ini {width}×{height}).")
    return FORMATS[kind], width, height


def set_logo(ctx: EngineContext, *, actor: Actor, filename: str, content: bytes) -> Logo:
    """Make `content` the logo of letters rendered from now on.

    :raises PermissionDenied: unless `actor` is an admin (or the operator).
    :raises InvalidInput: for anything but a whole PNG or JPEG within the limits.
    """
    require_admin(actor)
    media_type, width, height = image_type(content)
    name = " ".join(filename.split())[:255] or "lambang"
    sha256 = ctx.documents.put(content)  # the bytes before the row that names them
    now = ctx.clock.now()
    with ctx.unit_of_work() as uow:
        session = uow.session
        row = session.get(LetterAsset, LOGO)
        if row is None:
            row = LetterAsset(name=LOGO)
            session.add(row)
        row.sha256, row.media_type, row.size, row.filename = sha256, media_type, len(content), name
        row.updated_by, row.updated_at = actor.username, now
        payload = {"sha256": sha256, "media_type": media_type, "size": len(content), "filename": name}
        append_chain_event(
            session,
            SYSTEM_CHAIN,
            type="letter_logo_set",
            actor=actor.username,
            at=now,
            payload={**payload, "width": width, "height": height},
        )
    return Logo(sha256, media_type, len(content), name, actor.username, now, content)


def remove_logo(ctx: EngineContext, *, actor: Actor) -> None:
    """Letters rendered from now on carry no logo.

    :raises PermissionDenied: unless `actor` is an admin. :raises NotFound: when none is set.
    """
    require_admin(actor)
    now = ctx.clock.now()
    with ctx.unit_of_work() as uow:
        row = uow.session.get(LetterAsset, LOGO)
        if row is None:
            raise NotFound("Belum ada lambang surat yang dipasang.")
        uow.session.delete(row)
        append_chain_event(
            uow.session,
            SYSTEM_CHAIN,
            type="letter_logo_removed",
            actor=actor.username,
            at=now,
            payload={"sha256": row.sha256},
        )


def get_logo(ctx: EngineContext) -> Logo | None:
    """The current logo with its bytes, or None."""
    with ctx.unit_of_work(write=False) as uow:
        return load_logo(ctx, uow.session)


def load_logo(ctx: EngineContext, session: Session) -> Logo | None:
    """The current logo in `session`'s transaction, its bytes read from the store (checked against its name)."""
    row = session.get(LetterAsset, LOGO)
    if row is None:
        return None
    content = ctx.documents.get(row.sha256)
    if hashlib.sha256(content).hexdigest() != row.sha256:
        raise ProcessFailed(f"Berkas lambang surat {row.sha256[:12]}… rusak; administrator memasangnya lagi.")
    return Logo(row.sha256, row.media_type, row.size, row.filename, row.updated_by, row.updated_at, content)
