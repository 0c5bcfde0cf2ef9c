"""Workflows this process saved last, so the next step of a case here skips deserializing it.

Safe because every save moves the case's version counter: an entry is used only when its version
is the one in the database, and it is taken out while in use, so no two requests share it.
"""

from __future__ import annotations

import threading
import uuid
from collections import OrderedDict

from SpiffWorkflow.bpmn.workflow import BpmnWorkflow


class WorkflowCache:
    """Recently saved workflows by case id, each tagged with the case version it was saved as."""

    def __init__(self, capacity: int = 256) -> None:
        self._entries: OrderedDict[uuid.UUID, tuple[int, BpmnWorkflow]] = OrderedDict()
        self._capacity = capacity
        self._lock = threading.Lock()

    def take(self, case_id: uuid.UUID, version: int) -> BpmnWorkflow | None:
        """Remove and return the workflow saved as `version`, if this process has it."""
        with self._lock:
            entry = self._entries.pop(case_id, None)
        return entry[1] if entry is not None and entry[0] == version else None

    def keep(self, case_id: uuid.UUID, version: int, workflow: BpmnWorkflow) -> None:
        """Remember a workflow whose state was committed as `version`."""
        with self._lock:
            self._entries[case_id] = (version, workflow)
            self._entries.move_to_end(case_id)
            while len(self._entries) > self._capacity:
                self._entries.popitem(last=False)

    def advance(self, case_id: uuid.UUID, version: int, to: int) -> None:
        """The case moved from `version` to `to` without its workflow changing (a letter's event)."""
        with self._lock:
            entry = self._entries.get(case_id)
            if entry is not None and entry[0] == version:
                self._entries[case_id] = (to, entry[1])

    def clear(self) -> None:
        """Forget every workflow."""
        with self._lock:
            self._entries.clear()
