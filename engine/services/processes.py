"""Reading deployed process versions."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import func, select

from engine.context import EngineContext
from engine.errors import NotFound
from engine.persistence.models import ProcessDefinition
from engine.services.queries import Page, check_paging


@dataclass(frozen=True)
class ProcessView:
    """One deployed version of a process."""

    key: str
    version: int
    name: str
    deployed_at: datetime
    deployed_by: str
    start_form: dict[str, Any] | None = None


def list_processes(ctx: EngineContext, *, page: int = 1, per_page: int = 20) -> Page[ProcessView]:
    """The latest version of every process, by key."""
    page, per_page = check_paging(page, per_page)
    latest = (
        select(ProcessDefinition.key, func.max(ProcessDefinition.version).label("version"))
        .group_by(ProcessDefinition.key)
        .subquery()
    )
    query = select(ProcessDefinition).join(
        latest, (latest.c.key == ProcessDefinition.key) & (latest.c.version == ProcessDefinition.version)
    )
    with ctx.unit_of_work(write=False) as uow:
        total = uow.session.scalar(select(func.count()).select_from(latest)) or 0
        rows = uow.session.scalars(query.order_by(ProcessDefinition.key).limit(per_page).offset((page - 1) * per_page))
        return Page([_view(row) for row in rows], int(total), page, per_page)


def get_process(ctx: EngineContext, key: str) -> ProcessView:
    """The latest version of process `key`, with the JSON Schema of its start form."""
    with ctx.unit_of_work(write=False) as uow:
        row = uow.session.scalar(
            select(ProcessDefinition)
            .where(ProcessDefinition.key == key)
            .order_by(ProcessDefinition.version.desc())
            .limit(1)
        )
        if row is None:
            raise NotFound(f"Proses {key!r} tidak ditemukan.")
        start_form = row.catalog.get("start_form")
        return _view(row, row.forms.get(start_form) if start_form else None)


def _view(row: ProcessDefinition, start_form: dict[str, Any] | None = None) -> ProcessView:
    return ProcessView(
        key=row.key,
        version=row.version,
        name=row.name,
        deployed_at=row.deployed_at,
        deployed_by=row.deployed_by,
        start_form=start_form,
    )


def task_titles(ctx: EngineContext) -> list[tuple[str, str]]:
    """(element, title) of every user task of every deployed version, newest title first, by title."""
    titles: dict[str, str] = {}
    with ctx.unit_of_work(write=False) as uow:
        catalogs: Iterable[dict[str, Any]] = uow.session.scalars(
            select(ProcessDefinition.catalog).order_by(ProcessDefinition.key, ProcessDefinition.version.desc())
        )
        for catalog in catalogs:
            for element, info in catalog.get("tasks", {}).items():
                titles.setdefault(element, info["title"])
    return sorted(titles.items(), key=lambda item: (item[1], item[0]))
