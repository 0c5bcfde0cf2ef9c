"""The notifications a step calls for, stored in the step's own transaction.

A notification's `text` is what its reader sees: a case number and a task or letter title, never a
name, the violence type or form data. Reading them (the bell, email) is engine.services.notifications.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import insert
from sqlalchemy.orm import Session

from engine.persistence.models import Notification

TEXT_LIMIT = 300


@dataclass(frozen=True)
class Notice:
    """A notification a step calls for, stored with the step (`store`)."""

    at: datetime
    kind: str
    text: str
    case_id: uuid.UUID | None = None
    roles: tuple[str, ...] = ()


def store(session: Session, notice: Notice) -> None:
    """Store a step's notice in the step's transaction."""
    notify(session, at=notice.at, kind=notice.kind, text=notice.text, case_id=notice.case_id, roles=notice.roles)


def notify(
    session: Session,
    *,
    at: datetime,
    kind: str,
    text: str,
    case_id: uuid.UUID | None = None,
    task_id: uuid.UUID | None = None,
    roles: Iterable[str] = (),
    user_ids: Iterable[int] = (),
) -> None:
    """Store one notification per role and per user, in the caller's transaction."""
    common: dict[str, Any] = {"case_id": case_id, "task_id": task_id, "kind": kind, "created_at": at}
    common["text"] = text[:TEXT_LIMIT]
    rows = [{**common, "role": role, "user_id": None} for role in dict.fromkeys(roles)]
    rows += [{**common, "role": None, "user_id": user_id} for user_id in dict.fromkeys(user_ids)]
    if rows:
        session.execute(insert(Notification), rows)
