"""A fingerprint of everything in the database, to prove that a refused request changed nothing."""

from __future__ import annotations

import hashlib

from sqlalchemy import select, text

from engine.context import EngineContext
from engine.persistence.models import Base


def snapshot(ctx: EngineContext) -> dict[str, str]:
    """A digest of every row of every table."""
    result = {}
    with ctx.database.engine.connect() as connection:
        for table in Base.metadata.sorted_tables:
            rows = connection.execute(select(table).order_by(*table.primary_key.columns)).all()
            result[table.name] = hashlib.sha256(repr(rows).encode()).hexdigest()
        connection.execute(text("select 1"))
    return result
