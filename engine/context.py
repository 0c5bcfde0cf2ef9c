"""The engine's collaborators, assembled once per process and handed to every service."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from engine import script_worker
from engine.calendar import Override, WorkingCalendar
from engine.clock import Clock, SystemClock
from engine.definitions import DefinitionCache
from engine.documents import DocumentStore
from engine.persistence.db import Database, UnitOfWork
from engine.persistence.models import CalendarOverride
from engine.settings import Settings
from engine.workflows import WorkflowCache


@dataclass
class EngineContext:
    """Settings, database, definition cache and clock: what a use case needs to run."""

    settings: Settings
    database: Database
    clock: Clock = field(default_factory=SystemClock)
    definitions: DefinitionCache = field(default_factory=DefinitionCache)
    workflows: WorkflowCache = field(default_factory=WorkflowCache)
    # The calendar last built, with the override table's (rows, removed rows) it was built from.
    _calendar: tuple[tuple[int, int], WorkingCalendar] | None = field(default=None, init=False, repr=False)

    @classmethod
    def create(cls, settings: Settings, clock: Clock | None = None) -> EngineContext:
        """Connect to the configured database."""
        database = Database(settings.database_url, busy_timeout_ms=settings.sqlite_busy_timeout_ms)
        script_worker.configure(
            script_worker.Limits(settings.script_cpu_seconds, settings.script_memory_mb, settings.script_wall_seconds)
        )
        return cls(settings=settings, database=database, clock=clock or SystemClock())

    @property
    def documents(self) -> DocumentStore:
        """The store of documents' bytes (engine.documents)."""
        return DocumentStore(self.settings.document_dir)

    def unit_of_work(self, *, write: bool = True) -> UnitOfWork:
        """One transaction; writes take SQLite's write lock up front."""
        return UnitOfWork(self.database, write=write)

    def calendar(self, session: Session | None = None, stamp: tuple[int, int] | None = None) -> WorkingCalendar:
        """The working-day calendar with the overrides in force now, in `session` or a short read.

        Rebuilt only when the override table changed, here or on another server: it only grows
        (a removal marks its row), so its count of rows and of removed rows moves with every change.
        A step passes the `stamp` (those two counts) it read with its case, saving the count query.
        """
        if session is None:
            with self.unit_of_work(write=False) as uow:
                return self.calendar(uow.session, stamp)
        if stamp is None:
            rows, removed = session.execute(select(func.count(), func.count(CalendarOverride.removed_at))).one()
            stamp = (rows, removed)
        cached = self._calendar
        if cached is not None and cached[0] == stamp:
            return cached[1]
        active = session.scalars(select(CalendarOverride).where(CalendarOverride.removed_at.is_(None)))
        calendar = WorkingCalendar(
            overrides=[Override(o.day, o.working, o.reference) for o in active],
            cuti_bersama_working=self.settings.cuti_bersama_working,
        )
        self._calendar = (stamp, calendar)
        return calendar

    def calendar_history(self, session: Session) -> Callable[[datetime], WorkingCalendar]:
        """The calendar as it stood at any moment: the overrides added by then and not yet removed.

        Replay uses it, so that a timer started before an override was added comes out as it did.
        """
        rows = [
            (o.created_at, o.removed_at, Override(o.day, o.working, o.reference))
            for o in session.scalars(select(CalendarOverride))
        ]
        built: dict[frozenset[Override], WorkingCalendar] = {}

        def as_of(moment: datetime) -> WorkingCalendar:
            active = frozenset(
                o for added, removed, o in rows if added <= moment and (removed is None or removed > moment)
            )
            if active not in built:
                built[active] = WorkingCalendar(
                    overrides=active, cuti_bersama_working=self.settings.cuti_bersama_working
                )
            return built[active]

        return as_of

    def close(self) -> None:
        """Release database connections."""
        self.database.dispose()
