"""Domain errors. Messages are Indonesian because people read them; no HTTP status here."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass


class MediasiError(Exception):
    """Base of every error the engine reports to a person."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class ConfigurationError(MediasiError):
    """The environment holds a value the engine cannot use."""


class NotFound(MediasiError):
    """A case, task, user or process does not exist (or is not visible)."""


class PermissionDenied(MediasiError):
    """The actor may not do this."""


class NotInLane(PermissionDenied):
    """The actor does not work the lane of this task."""


class Conflict(MediasiError):
    """The request collides with the current state; reload and decide again."""


class TaskNotReady(Conflict):
    """The task is completed, cancelled or not yet reached."""


class ConcurrentUpdate(Conflict):
    """Someone else changed the case first, or the database was busy."""


class InvalidInput(MediasiError):
    """The input is not acceptable; nothing was changed."""


class FormInvalid(InvalidInput):
    """Form data failed validation; `errors` maps a field path to its message."""

    def __init__(self, errors: Mapping[str, str]) -> None:
        self.errors = dict(errors)
        detail = "; ".join(f"{field}: {msg}" for field, msg in self.errors.items())
        super().__init__(f"Data formulir tidak valid: {detail}")


@dataclass(frozen=True)
class Problem:
    """One finding of the deploy validator, located in its file."""

    file: str
    line: int | None
    message: str
    element: str | None = None

    def __str__(self) -> str:
        where = f"{self.file}:{self.line}" if self.line else self.file
        return f"{where}: {self.message}"


class DeploymentInvalid(InvalidInput):
    """A BPMN diagram (or its forms or lane mapping) cannot be deployed."""

    def __init__(self, problems: Sequence[Problem]) -> None:
        self.problems = list(problems)
        listed = "; ".join(str(p) for p in self.problems) or "tidak diketahui"
        super().__init__(f"Diagram tidak dapat diterapkan: {listed}")


class ProcessFailed(MediasiError):
    """A script or condition in the diagram failed at run time; the step was not applied."""


class Unauthenticated(MediasiError):
    """No valid credentials were presented."""
