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


@dataclass(frozen=True)
class Catalog:
    """The user-facing facts of one process version."""

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

    def to_json(self) -> dict[str, Any]:
        """Return a JSON-ready dict."""
        data = asdict(self)
        data["tasks"] = {k: asdict(v) for k, v in self.tasks.items()}
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
