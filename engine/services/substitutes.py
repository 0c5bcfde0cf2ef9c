"""Substitutes: while a person is away, another of their lanes' people works the tasks they claimed.

A person names one substitute, an active user who holds at least one of their lane roles, and
optionally the moment their absence ends (`away_until`). Until then the substitute may complete or
release the tasks the away person claimed, in the lanes the substitute works themselves (the lane
and need-to-know rules are never widened: those tasks are already in the substitute's inbox, and
their cases already readable). One level only: a substitute's own substitute covers nothing of the
first person. Setting and clearing are events on the system chain.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import and_, or_, select
from sqlalchemy.orm import Session

from engine.actors import Actor
from engine.context import EngineContext
from engine.errors import Conflict, FormInvalid, PermissionDenied
from engine.events import SYSTEM_CHAIN, append_chain_event
from engine.persistence.models import RoleMembership, User
from engine.policy import lane_roles_of

SET_EVENT = "substitute_set"
CLEARED_EVENT = "substitute_cleared"


@dataclass(frozen=True)
class Person:
    """An account as a picker lists it."""

    username: str
    full_name: str


@dataclass(frozen=True)
class Substitution:
    """Who works a person's claimed tasks while they are away, and until when (None: until cleared)."""

    substitute: Person
    away_until: datetime | None
    in_force: bool  # False once `away_until` has passed


def away_now(now: datetime) -> Any:
    """A SQL condition on `User`: the account has a substitute in force at `now`."""
    return and_(User.substitute_id.is_not(None), or_(User.away_until.is_(None), User.away_until > now))


def covers(session: Session, substitute_id: int, person_id: int, now: datetime) -> bool:
    """Whether `substitute_id` is, at `now`, the substitute of the away person `person_id`."""
    found = session.scalar(
        select(User.id).where(User.id == person_id, User.substitute_id == substitute_id, away_now(now))
    )
    return found is not None


def covered_people(ctx: EngineContext, *, actor: Actor) -> frozenset[str]:
    """The user names of the people away whose substitute `actor` is now."""
    if actor.user_id is None:
        return frozenset()
    with ctx.unit_of_work(write=False) as uow:
        query = select(User.username).where(User.substitute_id == actor.user_id, away_now(ctx.clock.now()))
        return frozenset(uow.session.scalars(query))


def current(ctx: EngineContext, *, actor: Actor) -> Substitution | None:
    """The substitute `actor` has named, if any (also once its end has passed: the page says so)."""
    with ctx.unit_of_work(write=False) as uow:
        me = _me(uow.session, actor)
        if me.substitute_id is None:
            return None
        other = uow.session.get_one(User, me.substitute_id)
        in_force = me.away_until is None or me.away_until > ctx.clock.now()
        return Substitution(Person(other.username, other.full_name), me.away_until, in_force)


def choices(ctx: EngineContext, *, actor: Actor) -> list[Person]:
    """The active accounts `actor` may name: those holding at least one of the actor's lane roles."""
    roles = _lane_roles(actor)
    with ctx.unit_of_work(write=False) as uow:
        shares = select(RoleMembership.user_id).where(RoleMembership.role.in_(roles))
        rows = uow.session.execute(
            select(User.username, User.full_name)
            .where(User.id.in_(shares), User.active.is_(True), User.id != actor.user_id)
            .order_by(User.full_name, User.username)
        ).all()
        return [Person(row.username, row.full_name) for row in rows]


def set_substitute(
    ctx: EngineContext, *, actor: Actor, substitute: str, away_until: datetime | None = None
) -> Substitution:
    """Name `substitute` to work `actor`'s claimed tasks while away, until `away_until` (None: until cleared).

    :raises PermissionDenied: `actor` works no lane. :raises FormInvalid: on the fields `substitute`, `away_until`.
    """
    roles = _lane_roles(actor)
    now = ctx.clock.now()
    name = substitute.strip()
    if away_until is not None and away_until <= now:
        raise FormInvalid({"away_until": "Akhir masa tidak di tempat harus setelah saat ini."})
    away_until = away_until.astimezone(UTC) if away_until is not None else None
    with ctx.unit_of_work() as uow:
        other = _substitute(uow.session, actor, name, roles)
        me = _me(uow.session, actor)
        me.substitute_id, me.away_until = other.id, away_until
        append_chain_event(
            uow.session,
            SYSTEM_CHAIN,
            type=SET_EVENT,
            actor=actor.username,
            at=now,
            payload={
                "username": actor.username,
                "substitute": other.username,
                "away_until": away_until.isoformat() if away_until else None,
            },
        )
        return Substitution(Person(other.username, other.full_name), away_until, True)


def clear_substitute(ctx: EngineContext, *, actor: Actor) -> None:
    """Stop a substitution: `actor` is back.

    :raises Conflict: `actor` has named no substitute.
    """
    with ctx.unit_of_work() as uow:
        me = _me(uow.session, actor)
        if me.substitute_id is None:
            raise Conflict("Anda belum menunjuk pengganti.")
        previous = uow.session.get_one(User, me.substitute_id).username
        me.substitute_id, me.away_until = None, None
        append_chain_event(
            uow.session,
            SYSTEM_CHAIN,
            type=CLEARED_EVENT,
            actor=actor.username,
            at=ctx.clock.now(),
            payload={"username": actor.username, "substitute": previous},
        )


def _lane_roles(actor: Actor) -> list[str]:
    roles = lane_roles_of(actor)
    if actor.user_id is None or not roles:
        raise PermissionDenied("Hanya petugas yang mengerjakan lajur yang dapat menunjuk pengganti.")
    return roles


def _me(session: Session, actor: Actor) -> User:
    me = session.get(User, actor.user_id)
    if me is None:
        raise PermissionDenied("Akun Anda tidak ditemukan.")
    return me


def _substitute(session: Session, actor: Actor, name: str, roles: list[str]) -> User:
    """The account `name`, if `actor` may name it (FormInvalid on `substitute` otherwise)."""
    if not name:
        raise FormInvalid({"substitute": "Pilih pengganti."})
    if name == actor.username:
        raise FormInvalid({"substitute": "Anda tidak dapat menjadi pengganti diri sendiri."})
    other = session.scalar(select(User).where(User.username == name, User.active.is_(True)))
    if other is None:
        raise FormInvalid({"substitute": f"Pengguna {name!r} tidak ditemukan atau tidak aktif."})
    if other.role_names.isdisjoint(roles):
        raise FormInvalid({"substitute": f"{other.full_name} tidak memegang satu pun peran lajur Anda."})
    return other
