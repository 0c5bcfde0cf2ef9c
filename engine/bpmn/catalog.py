"""What the engine needs to know about a deployed version without loading its workflow.

The catalog is stored with each version (JSON), so inboxes, forms and permissions never parse
the diagram.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import asdict, dataclass, field
from typing import Any


@dataclass(frozen=True)
class TaskInfo:
    """A user task: where it sits, who may work it, which form it shows."""

    element: str
    title: str
    lane: str
    roles: tuple[str, ...]
    for_applicant: bool
    form: str
    documentation: str = ""
    facts: tuple[str, ...] = ()  # process variables the task shows; empty: all (for staff)
    assignee: str = ""  # camunda:assignee: the task starts claimed by this user name (if the account exists)
    # Service levels (engine.sla): clocks the task starts when it opens ("respons:5 penyelesaian:14"),
    # clocks its completion stops, and its own due rule ("kelengkapan" or "72h").
    sla_start: str = ""
    sla_stop: tuple[str, ...] = ()
    sla_due: str = ""


# A task of the engine's own, in every version's catalog, never in a diagram: the second person's
# confirmation of a screening correction (engine.services.corrections). Its form is engine code too
# (engine.legal.corrections.CONFIRM_FORM).
CONFIRM_CORRECTION = "konfirmasi_koreksi_skrining"
ENGINE_TASKS: dict[str, TaskInfo] = {
    CONFIRM_CORRECTION: TaskInfo(
        element=CONFIRM_CORRECTION,
        title="Konfirmasi koreksi skrining",
        lane="Kepala Dinas",
        roles=("kepala_dinas",),
        for_applicant=False,
        form="konfirmasi_koreksi_skrining.json",
        documentation=(
            "Sebuah jawaban skrining dikoreksi sehingga kasus menjadi lebih dapat dimediasi. Kasus tidak "
            "berlanjut sampai Anda, orang kedua yang bukan pengaju koreksi, mengonfirmasi atau menolaknya."
        ),
    )
}


@dataclass(frozen=True)
class Catalog:
    """The user-facing facts of one process version (with the engine's own tasks after the diagram's)."""

    key: str
    name: str
    case_prefix: str
    start_element: str
    start_form: str | None
    tasks: Mapping[str, TaskInfo] = field(default_factory=dict)
    outcomes: Mapping[str, str] = field(default_factory=dict)
    signals: tuple[str, ...] = ()
    letters: Mapping[str, tuple[str, ...]] = field(default_factory=dict)  # element -> letter kinds it issues
    notices: Mapping[str, tuple[str, ...]] = field(default_factory=dict)  # element -> roles told when passed

    def __post_init__(self) -> None:
        tasks = {k: v for k, v in self.tasks.items() if k not in ENGINE_TASKS}
        object.__setattr__(self, "tasks", {**tasks, **ENGINE_TASKS})

    @property
    def diagram_tasks(self) -> dict[str, TaskInfo]:
        """The user tasks the diagram itself has."""
        return {k: v for k, v in self.tasks.items() if k not in ENGINE_TASKS}

    def to_json(self) -> dict[str, Any]:
        """Return a JSON-ready dict (the diagram's tasks only: the engine's come from the code)."""
        data = asdict(self)
        data["tasks"] = {k: asdict(v) for k, v in self.diagram_tasks.items()}
        return data

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> Catalog:
        """Rebuild a catalog stored by `to_json`."""
        tasks = {
            k: TaskInfo(
                **{
                    **v,
                    "roles": tuple(v["roles"]),
                    "facts": tuple(v.get("facts", ())),
                    "sla_stop": tuple(v.get("sla_stop", ())),
                }
            )
            for k, v in data["tasks"].items()
        }
        return cls(
            key=data["key"],
            name=data["name"],
            case_prefix=data["case_prefix"],
            start_element=data["start_element"],
            start_form=data["start_form"],
            tasks=tasks,
            outcomes=dict(data["outcomes"]),
            signals=tuple(data["signals"]),
            letters={k: tuple(v) for k, v in data.get("letters", {}).items()},
            notices={k: tuple(v) for k, v in data.get("notices", {}).items()},
        )
