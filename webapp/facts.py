"""The case facts a task page shows, as labelled, readable values."""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from engine.letters.dates import long_date, parse_date
from engine.services.tasks import TaskDetail

HIDDEN = {"penghentian"}  # recorded for the audit trail, shown on the case page's timeline instead
ISO_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")  # a form's "format": "date" answer


def case_facts(detail: TaskDetail) -> list[tuple[str, str | list[str]]]:
    """(label, value) of the variables this task shows: its own list, or every one for staff tasks.

    A value of several items (an agreement's clauses) stays a list, for the page to show one per line.
    """
    names = list(detail.facts) if detail.facts else [n for n in detail.data if n not in HIDDEN]
    words = Words(detail.labels, detail.value_titles)
    return [(words.label(name), words.items(name, detail.data[name])) for name in names if name in detail.data]


class Words:
    """Field titles and enum value titles of a version's forms, by dotted path (korban.jenis_kelamin)."""

    def __init__(self, labels: Mapping[str, str], values: Mapping[str, Mapping[str, str]]) -> None:
        self.labels = labels
        self.values = values

    def label(self, path: str) -> str:
        """The field's title; a field no form names reads as words."""
        return self.labels.get(path) or _humanize(path.rsplit(".", 1)[-1])

    def items(self, path: str, value: Any) -> str | list[str]:
        """A value in words, a list of several items as one text per item."""
        if isinstance(value, list) and len(value) > 1:
            return [self.text(path, item) for item in value]
        return self.text(path, value)

    def text(self, path: str, value: Any) -> str:
        """A value in words: enum values by their titles, dates as "16 April 2026", groups as "Title: value" pairs."""
        if isinstance(value, str) and ISO_DATE.fullmatch(value) and (day := parse_date(value)):
            return long_date(day)  # one shaped like a date but none (2026-02-30) stays as written
        if isinstance(value, bool):
            return "Ya" if value else "Tidak"
        if isinstance(value, list):
            return "; ".join(self.text(path, item) for item in value) or "-"
        if isinstance(value, dict):
            return ", ".join(f"{self.label(f'{path}.{k}')}: {self.text(f'{path}.{k}', v)}" for k, v in value.items())
        if value is None:
            return "-"
        return self.values.get(path, {}).get(str(value), str(value))


def _humanize(name: str) -> str:
    return name.replace("_", " ").capitalize()
