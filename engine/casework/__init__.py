"""Casework: one step of one case, the layer between the use cases and the engine's parts.

Every use case that moves a case (engine.services: filing, completing a task, a timer, a withdrawal,
a cancellation, a migration, a claim, an upload, a rendered letter) goes through `CaseStep`
(engine.casework.step): open the case with its version, run the engine, add events sealed once, in
their final order, and commit once. `record` turns what the engine did into rows; `views` is the
case as a step leaves it. This layer sits above engine.persistence and engine.runtime and below
engine.services (an import-linter layers contract in pyproject.toml keeps it so).
"""

from engine.casework.step import (
    ATTEMPTS,
    CaseStep,
    append_events,
    commit,
    judge,
    keep,
    open_case,
    open_task,
    perform,
    start,
)

__all__ = [
    "ATTEMPTS",
    "CaseStep",
    "append_events",
    "commit",
    "judge",
    "keep",
    "open_case",
    "open_task",
    "perform",
    "start",
]
