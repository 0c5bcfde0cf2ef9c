"""What an attacker with write access to the database does, for the tests that must catch it."""

from __future__ import annotations

from collections.abc import Callable

from sqlalchemy import text

from engine.context import EngineContext
from engine.persistence.models import pack_text, unpack_text


def rewrite_payload(ctx: EngineContext, event_id: int, change: Callable[[str], str]) -> None:
    """Replace an event's stored payload (in its packed form, as the application stores it)."""
    with ctx.database.engine.begin() as connection:
        stored = connection.execute(
            text("select data from event_payload where event_id = :i"), {"i": event_id}
        ).scalar_one()
        new = pack_text(change(unpack_text(bytes(stored))))
        connection.execute(text("update event_payload set data = :d where event_id = :i"), {"d": new, "i": event_id})


def set_payload(ctx: EngineContext, event_id: int, payload: str) -> None:
    """Overwrite an event's stored payload with `payload`."""
    rewrite_payload(ctx, event_id, lambda _old: payload)
