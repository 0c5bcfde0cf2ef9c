"""Who acted, as people read it: the audit trail stores usernames; pages show full names.

Events, tasks and versions name their actor by username (`tim_teknis`), or by a prefixed name
when no account acted (engine.actors): the operator at the terminal (`cli:root`) and the engine
itself (`sistem:penjadwal`) read as "Sistem", with the operator kept for the auditor.
"""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy import select
from sqlalchemy.orm import Session

from engine.actors import CLI_PREFIX, REGISTRATION_PREFIX, SYSTEM_PREFIX
from engine.context import EngineContext
from engine.persistence.models import User

SYSTEM = "Sistem"


def display_names(ctx: EngineContext, actors: Iterable[str | None]) -> dict[str, str]:
    """Each actor name as people read it, looked up in one query; unknown names read as given."""
    wanted = {a for a in actors if a}
    if not wanted:
        return {}
    with ctx.unit_of_work(write=False) as uow:
        return names_in(uow.session, wanted)


def names_in(session: Session, actors: Iterable[str]) -> dict[str, str]:
    """`display_names` inside a transaction the caller already holds."""
    wanted = set(actors)
    accounts = {name for name in map(_account, wanted) if name is not None}
    query = select(User.username, User.full_name).where(User.username.in_(accounts))
    full: dict[str, str] = {username: name for username, name in session.execute(query)} if accounts else {}
    return {a: _name(a, full) for a in wanted}


def system_name(actor: str) -> str | None:
    """What an actor that is no account reads as ("Sistem (CLI: root)", "Sistem (penjadwal)"), else None."""
    if actor.startswith(CLI_PREFIX):
        return f"{SYSTEM} (CLI: {actor.removeprefix(CLI_PREFIX)})"
    if actor.startswith(SYSTEM_PREFIX):
        return f"{SYSTEM} ({actor.removeprefix(SYSTEM_PREFIX)})"
    return None


def _account(actor: str) -> str | None:
    """The username whose full name the actor's display needs, if any."""
    if system_name(actor) is not None:
        return None
    return actor.removeprefix(REGISTRATION_PREFIX)


def _name(actor: str, full: dict[str, str]) -> str:
    system = system_name(actor)
    if system is not None:
        return system
    if actor.startswith(REGISTRATION_PREFIX):
        username = actor.removeprefix(REGISTRATION_PREFIX)
        return f"{full.get(username, username)} (pendaftaran mandiri)"
    return full.get(actor) or actor
