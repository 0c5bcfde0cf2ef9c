"""The case facts a task page shows, as labelled, readable values."""

from __future__ import annotations

from typing import Any

from engine.services.tasks import TaskDetail

HIDDEN = {"penghentian"}  # recorded for the audit trail, shown on the case page's timeline instead


def case_facts(detail: TaskDetail) -> list[tuple[str, str]]:
    """(label, value) of the variables this task shows: its own list, or every one for staff tasks."""
    names = list(detail.facts) if detail.facts else [n for n in detail.data if n not in HIDDEN]
    return [
        (detail.labels.get(name, _humanize(name)), _text(detail.value_titles.get(name, {}), detail.data[name]))
        for name in names
        if name in detail.data
    ]


def _humanize(name: str) -> str:
    return name.replace("_", " ").capitalize()


def _text(titles: dict[str, str], value: Any) -> str:
    if isinstance(value, bool):
        return "Ya" if value else "Tidak"
    if isinstance(value, list):
        return "; ".join(_text(titles, item) for item in value) or "-"
    if isinstance(value, dict):
        return ", ".join(f"{_humanize(k)}: {_text({}, v)}" for k, v in value.items())
    if value is None:
        return "-"
    return titles.get(str(value), str(value))
