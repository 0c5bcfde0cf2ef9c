"""The letter outbox: a step numbers its letters and writes a job for each in its own transaction.

Rendering a PDF takes tens of milliseconds, so it never sits inside a step's write transaction.
The step (engine.casework.record.save) calls `reserve`, which takes the letters' numbers from their
series and inserts one `letter_job` row per letter, beside the step's own rows: the step and its
reservations commit together or not at all. A worker renders the jobs afterwards
(engine.services.letter_jobs) and appends each letter's `document_issued` event to the case's
chain.
"""

from __future__ import annotations

import json
import threading
import uuid
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import event, insert
from sqlalchemy.orm import Session

from engine.letters.dates import local_date
from engine.letters.issue import DueLetter, take_letter_numbers
from engine.persistence.case_store import CaseRecord
from engine.persistence.models import LetterJob

# Set once a transaction that wrote jobs has committed: the letter worker of this process stops
# waiting for its next poll (jobs written by other processes are found by that poll).
DUE = threading.Event()


@dataclass(frozen=True)
class PlannedLetters:
    """The letters one step calls for, as the step computed them (no database yet)."""

    letters: list[DueLetter]
    actor: str
    now: datetime
    definition_id: int


def reserve(session: Session, case: CaseRecord, planned: PlannedLetters) -> list[str]:
    """Number the step's letters and write their jobs; nothing (an empty list) when letters are off."""
    numbers = take_letter_numbers(session, planned.letters, local_date(planned.now))
    if numbers is None:
        return []
    rows = [
        {
            "id": uuid.uuid4(),
            "case_id": case.id,
            "task_id": letter.task_id,
            "element": letter.element,
            "kind": letter.kind.name,
            "number": number,
            "definition_id": planned.definition_id,
            "data": json.dumps(letter.data, sort_keys=True, default=str),
            "actor": planned.actor,
            "created_at": planned.now,
            "position": position,
            "attempts": 0,
        }
        for position, (letter, number) in enumerate(zip(planned.letters, numbers, strict=True))
    ]
    session.execute(insert(LetterJob), rows)
    event.listen(session, "after_commit", _wake_worker, once=True)
    return numbers


def _wake_worker(_session: Session) -> None:
    DUE.set()
