"""Drafts: form data a person keeps for later, private to them and to one task."""

from __future__ import annotations

import json
import uuid
from typing import Any

from sqlalchemy import delete, select

from engine.actors import Actor
from engine.context import EngineContext
from engine.errors import InvalidInput
from engine.persistence.models import TaskDraft
from engine.services import tasks as task_service
from engine.services.cases import json_copy

MAX_DRAFT_BYTES = 256 * 1024


def save_draft(ctx: EngineContext, *, actor: Actor, task_id: uuid.UUID, data: Any) -> None:
    """Keep `data` for a ready task that `actor` may work (replacing their earlier draft)."""
    task_service.get_task(ctx, actor=actor, task_id=task_id, with_data=False)  # raises unless actor may work it
    text = json.dumps(json_copy(data), ensure_ascii=False)
    if len(text.encode()) > MAX_DRAFT_BYTES:
        raise InvalidInput("Draf terlalu besar.")
    with ctx.unit_of_work() as uow:
        uow.session.execute(delete(TaskDraft).where(TaskDraft.task_id == task_id, TaskDraft.user_id == actor.user_id))
        uow.session.add(TaskDraft(task_id=task_id, user_id=actor.user_id, data=text, saved_at=ctx.clock.now()))


def get_draft(ctx: EngineContext, *, actor: Actor, task_id: uuid.UUID) -> dict[str, Any] | None:
    """`actor`'s draft of a task, if any."""
    with ctx.unit_of_work(write=False) as uow:
        text = uow.session.scalar(
            select(TaskDraft.data).where(TaskDraft.task_id == task_id, TaskDraft.user_id == actor.user_id)
        )
    return json.loads(text) if text is not None else None


def discard_draft(ctx: EngineContext, *, actor: Actor, task_id: uuid.UUID) -> None:
    """Forget `actor`'s draft of a task (after completing it)."""
    with ctx.unit_of_work() as uow:
        uow.session.execute(delete(TaskDraft).where(TaskDraft.task_id == task_id, TaskDraft.user_id == actor.user_id))
