"""Notifications: a bell with an unread count, and email.

Only escalations are stored (`notification` rows, written by the timer engine through `notify`).
New tasks and issued letters are read from `case_task` and `document` as they are, so that
completing a task, a benchmarked hot path, writes nothing for them.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from datetime import datetime

from sqlalchemy import insert
from sqlalchemy.orm import Session

from engine.persistence.models import Notification

TEXT_LIMIT = 300


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
    """Store one notification per role and per user, in the caller's transaction.

    `text` is what the reader sees: a case number and a task or letter title, never a name, the
    violence type or form data.
    """
    common = {"case_id": case_id, "task_id": task_id, "kind": kind, "text": text[:TEXT_LIMIT], "created_at": at}
    rows = [{**common, "role": role, "user_id": None} for role in dict.fromkeys(roles)]
    rows += [{**common, "role": None, "user_id": user_id} for user_id in dict.fromkeys(user_ids)]
    if rows:
        session.execute(insert(Notification), rows)
