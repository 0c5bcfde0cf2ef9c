"""The states a case and an inbox task are in: the values of `case.status` and `case_task.state`.

Every module compares against these names, none spells them out; the API documents the same values.
"""

from __future__ import annotations

from typing import Final


class CaseStatus:
    """`case.status`: running, ended by its diagram (with an outcome), or cancelled (filed in error)."""

    OPEN: Final = "open"
    COMPLETED: Final = "completed"
    CANCELLED: Final = "cancelled"
    ALL: Final = (OPEN, COMPLETED, CANCELLED)


class CaseOutcome:
    """Outcomes the engine gives itself; the diagram's end events name the others (engine.bpmn.catalog)."""

    # Closed by the Ketua LP-PAR as a duplicate of another case (status CANCELLED); never in the figures.
    DUPLICATE: Final = "duplikat"


class TaskStatus:
    """`case_task.state`. A HELD task waits for the screening correction it submitted to be confirmed
    by a second person (engine.services.corrections); nobody can work it."""

    READY: Final = "ready"
    COMPLETED: Final = "completed"
    CANCELLED: Final = "cancelled"
    HELD: Final = "held"
    ALL: Final = (READY, COMPLETED, CANCELLED, HELD)
