"""Slowing down password guessing and mass registration, shared by every process through the database.

A key is one (address, account name), so an attacker guessing one account slows only that pair:
a colleague behind the same proxy signing in to her own account is not held up. After FREE_TRIES
failures each further try waits twice as long as the one before, up to MAX_DELAY; nothing locks
out. The table stays small: rows older than WINDOW are pruned, and one address keeps at most
ROWS_PER_ADDRESS rows (its oldest go first), so cycling user names cannot grow it.
"""

from __future__ import annotations

import hashlib
import math
from datetime import datetime, timedelta

from sqlalchemy import delete, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from engine.context import EngineContext
from engine.persistence.models import SigninAttempt

FREE_TRIES = 5
MAX_DELAY = timedelta(minutes=15)
WINDOW = timedelta(hours=1)
ROWS_PER_ADDRESS = 50
REGISTRATION = "\x00pendaftaran"  # the account name registrations of an address are counted under
FREE_REGISTRATIONS = 3


def attempt_key(address: str, account: str) -> str:
    """The stored key of an (address, account name) pair; the name itself is not kept."""
    return hashlib.sha256(f"{address}\x00{account.strip().lower()}".encode()).hexdigest()


def delay_after(failures: int, free: int = FREE_TRIES) -> timedelta:
    """How long the next try waits after `failures` recent failures: 0, then 1 s, 2 s, 4 s ... MAX_DELAY."""
    if failures < free:
        return timedelta(0)
    return min(timedelta(seconds=2 ** min(failures - free, 20)), MAX_DELAY)


def wait_seconds(ctx: EngineContext, *, address: str, account: str, free: int = FREE_TRIES) -> int:
    """Whole seconds this pair must still wait before its next try (0: it may try now)."""
    now = ctx.clock.now()
    with ctx.unit_of_work(write=False) as uow:
        row = uow.session.get(SigninAttempt, attempt_key(address, account))
        if row is None or row.last_at <= now - WINDOW:
            return 0
        remaining = (row.last_at + delay_after(row.failures, free) - now).total_seconds()
    return max(0, math.ceil(remaining))


def record_failure(ctx: EngineContext, *, address: str, account: str) -> None:
    """Count one failed try of this pair, and prune the table."""
    now = ctx.clock.now()
    key = attempt_key(address, account)
    with ctx.unit_of_work() as uow:
        session = uow.session
        session.execute(delete(SigninAttempt).where(SigninAttempt.last_at <= now - WINDOW))
        _upsert(session, key, address[:64], now)
        _cap_address(session, address[:64])


def record_success(ctx: EngineContext, *, address: str, account: str) -> None:
    """Forget this pair's failures after a successful sign-in."""
    with ctx.unit_of_work() as uow:
        uow.session.execute(delete(SigninAttempt).where(SigninAttempt.key == attempt_key(address, account)))


def registration_wait(ctx: EngineContext, *, address: str) -> int:
    """Seconds this address must wait before registering another account."""
    return wait_seconds(ctx, address=address, account=REGISTRATION, free=FREE_REGISTRATIONS)


def record_registration(ctx: EngineContext, *, address: str) -> None:
    """Count one registration attempt from this address."""
    record_failure(ctx, address=address, account=REGISTRATION)


def _upsert(session: Session, key: str, address: str, now: datetime) -> None:
    # An atomic upsert, so two processes counting the same pair never collide on the key.
    insert = postgresql.insert if session.get_bind().dialect.name == "postgresql" else sqlite.insert
    statement = insert(SigninAttempt).values(key=key, address=address, failures=1, last_at=now)
    statement = statement.on_conflict_do_update(
        index_elements=["key"], set_={"failures": SigninAttempt.failures + 1, "last_at": now}
    )
    session.execute(statement)


def _cap_address(session: Session, address: str) -> None:
    keep = (
        select(SigninAttempt.key)
        .where(SigninAttempt.address == address)
        .order_by(SigninAttempt.last_at.desc())
        .limit(ROWS_PER_ADDRESS)
    )
    session.execute(
        delete(SigninAttempt).where(SigninAttempt.address == address, SigninAttempt.key.not_in(keep.scalar_subquery()))
    )
