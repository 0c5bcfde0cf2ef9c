"""The engine keeps non-staff roles out of staff lanes even when a stored version names them.

Deploy refuses such lane maps (tests/engine/test_deploy.py); these tests cover a version stored
before it did, or written to the database by other means: its task rows never let a pemohon,
auditor, dpo, admin or process owner work or list a task.
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

import pytest

from engine.actors import Actor
from engine.persistence.case_store import CaseRecord, TaskRecord
from engine.policy import lane_roles_of, may_work, pad_roles, task_roles

NOW = datetime(2026, 3, 2, 9, tzinfo=UTC)


def task(roles: str) -> TaskRecord:
    return TaskRecord(uuid.uuid4(), uuid.uuid4(), "Task_telaah_permohonan", roles, False, "ready", None, NOW)


def case() -> CaseRecord:
    return CaseRecord(uuid.uuid4(), "MED-2026-0001", 1, "open", None, 99, 1, 1, b"", NOW, NOW)


def test_only_staff_roles_are_stored_on_a_task() -> None:
    assert pad_roles(["pemohon", "auditor", "dpo", "admin", "process_owner", "ketua_lppar"]) == " ketua_lppar "
    assert pad_roles(["pemohon"]) == " "


@pytest.mark.parametrize("role", ["pemohon", "auditor", "dpo", "admin", "process_owner"])
def test_a_stored_non_staff_role_never_works_a_task(role: str) -> None:
    legacy = task(f" ketua_lppar {role} ")
    assert task_roles(legacy) == {"ketua_lppar"}
    assert not may_work(Actor(role, frozenset({role}), user_id=7), legacy, case())
    assert lane_roles_of(Actor(role, frozenset({role, "ketua_lppar"}), user_id=7)) == ["ketua_lppar"]
    assert may_work(Actor("rina", frozenset({"ketua_lppar"}), user_id=8), legacy, case())
