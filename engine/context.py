"""The engine's collaborators, assembled once per process and handed to every service."""

from __future__ import annotations

from dataclasses import dataclass, field

from engine.clock import Clock, SystemClock
from engine.definitions import DefinitionCache
from engine.persistence.db import Database, UnitOfWork
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

    @classmethod
    def create(cls, settings: Settings, clock: Clock | None = None) -> EngineContext:
        """Connect to the configured database."""
        database = Database(settings.database_url, busy_timeout_ms=settings.sqlite_busy_timeout_ms)
        return cls(settings=settings, database=database, clock=clock or SystemClock())

    def unit_of_work(self, *, write: bool = True) -> UnitOfWork:
        """One transaction; writes take SQLite's write lock up front."""
        return UnitOfWork(self.database, write=write)

    def close(self) -> None:
        """Release database connections."""
        self.database.dispose()
