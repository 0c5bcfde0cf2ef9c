"""Domain errors. Messages are Indonesian because people read them; no HTTP status here."""

from __future__ import annotations

import uuid
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


class AlreadyFiled(Conflict):
    """The form was sent before by the same person and filed the case `number`; nothing new was filed."""

    def __init__(self, case_id: uuid.UUID, number: str) -> None:
        self.case_id = case_id
        self.number = number
        super().__init__(f"Formulir ini sudah dikirim dan tercatat sebagai {number}; tidak ada kasus baru yang dibuat.")


class FormSpent(Conflict):
    """The form's one-time token was used by someone else; the case it filed is not named."""


@dataclass(frozen=True)
class EarlierCase:
    """A case filed recently for the same victim: its id and number when the filer may read it, else None."""

    id: uuid.UUID | None
    number: str | None


class DuplicateSuspected(Conflict):
    """A case for the same victim (name and phone) was filed recently; filing again needs a confirmation."""

    def __init__(self, earlier: Sequence[EarlierCase], days: int) -> None:
        self.earlier = list(earlier)
        named = ", ".join(c.number or "kasus lain" for c in self.earlier)
        super().__init__(
            f"Dalam {days} hari terakhir sudah ada permohonan untuk korban dengan nama dan telepon yang sama: "
            f"{named}. Periksa dahulu; bila memang permohonan baru, nyatakan sudah memeriksa lalu ajukan tetap."
        )
