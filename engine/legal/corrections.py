"""Four eyes on screening corrections: the confirmation form, and the correction as people read it.

A submission that would make a case more mediable (engine.legal.screening.changes) is held with
its reason; the case does not move until a second person, holding the Kepala Dinas role and not
the one who submitted it, confirms or refuses it in a task of the engine's own
(engine.bpmn.catalog.CONFIRM_CORRECTION). The service is engine.services.corrections.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from engine.legal.rules import CORRECTION_CODES, describe
from engine.legal.screening import LABELS, SCREENING_FIELDS, answers, blocks

CONFIRM_FORM_NAME = "konfirmasi_koreksi_skrining.json"
CONFIRMED, REFUSED, PENDING, LAPSED = "dikonfirmasi", "ditolak", "menunggu", "gugur"
CONFIRM_FORM: dict[str, Any] = {
    "$schema": "https://json-schema.org/draft/2020-12/schema",
    "title": "Konfirmasi Koreksi Skrining",
    "description": (
        "Periksa jawaban semula, koreksinya dan alasannya. Dikonfirmasi: koreksi masuk ke catatan skrining "
        "dan tugas pengaju diselesaikan dengan jawaban barunya. Ditolak: tugas kembali kepada pengaju dengan "
        "jawaban semula tetap tercatat."
    ),
    "type": "object",
    "properties": {
        "keputusan_koreksi": {
            "type": "string",
            "title": "Keputusan atas koreksi",
            "enum": [CONFIRMED, REFUSED],
            "x-enumTitles": {CONFIRMED: "Dikonfirmasi", REFUSED: "Ditolak"},
        },
        "catatan_konfirmasi": {
            "type": "string",
            "title": "Catatan keputusan",
            "description": "Jelaskan dasar keputusan Anda, misalnya hasil klarifikasi langsung dengan korban.",
            "minLength": 10,
            "maxLength": 2000,
        },
    },
    "required": ["keputusan_koreksi", "catatan_konfirmasi"],
    "additionalProperties": False,
}
ENGINE_FORMS = {CONFIRM_FORM_NAME: CONFIRM_FORM}


def pending_of(record: Mapping[str, Any] | None) -> dict[str, Any] | None:
    """The correction a record waits on (its request's seq, held task, confirmation task, requester), if any."""
    found = (record or {}).get("pending")
    return dict(found) if found else None


def settle(record: dict[str, Any], seq: int, status: str, by: str | None, at: str, note: str | None) -> None:
    """Mark the correction requested at `seq` as decided (or lapsed) in `record`."""
    for correction in record.get("corrections", []):
        if correction.get("seq") == seq:
            correction.update(status=status, decided_by=by, decided_at=at, note=note)


@dataclass(frozen=True)
class ChangeView:
    """One corrected answer: the field's title, the answer before and the one asked for."""

    field: str
    title: str
    before: str
    after: str


@dataclass(frozen=True)
class CorrectionView:
    """A correction as the case page and the confirmation task show it."""

    seq: int
    element: str
    requested_by: str
    requested_at: datetime
    code: str
    code_title: str
    reason: str
    changes: list[ChangeView]
    status: str  # menunggu, dikonfirmasi, ditolak, gugur
    decided_by: str | None = None
    decided_at: datetime | None = None
    note: str | None = None
    confirm_task_id: str | None = None
    element_title: str = ""


def change_views(changes: list[Mapping[str, Any]], titles: Mapping[str, Mapping[str, str]]) -> list[ChangeView]:
    """Corrected answers in words: enum values by their form titles."""

    def words(field: str, value: Any) -> str:
        names = titles.get(field, {})
        if isinstance(value, list):
            return ", ".join(names.get(str(v), str(v)) for v in value) or "-"
        if isinstance(value, str):
            return names.get(value, describe(field, value))
        return describe(field, value)

    return [
        ChangeView(
            c["field"],
            LABELS.get(c["field"], c["field"]),
            words(c["field"], c["before"]),
            words(c["field"], c["after"]),
        )
        for c in changes
    ]


def correction_views(record: Mapping[str, Any] | None, titles: Mapping[str, Mapping[str, str]]) -> list[CorrectionView]:
    """Every correction a case's record holds, oldest first."""
    return [
        CorrectionView(
            seq=int(c["seq"]),
            element=str(c["element"]),
            requested_by=str(c["by"]),
            requested_at=datetime.fromisoformat(str(c["at"])),
            code=str(c["code"]),
            code_title=CORRECTION_CODES.get(str(c["code"]), str(c["code"])),
            reason=str(c["reason"]),
            changes=change_views(c["changes"], titles),
            status=str(c["status"]),
            decided_by=c.get("decided_by"),
            decided_at=datetime.fromisoformat(c["decided_at"]) if c.get("decided_at") else None,
            note=c.get("note"),
            confirm_task_id=c.get("confirm_task_id"),
            element_title=str(c.get("element_title") or c["element"]),
        )
        for c in (record or {}).get("corrections", [])
    ]


@dataclass(frozen=True)
class ScreeningView:
    """A case's legal screening as staff read it: the answers held, what forbids mediation, the corrections."""

    answers: list[tuple[str, str]]  # (title, answer in words)
    blocks: list[str]  # why mediation is impossible now (empty: nothing stands in the way)
    corrections: list[CorrectionView]


def screening_view(record: Mapping[str, Any] | None, titles: Mapping[str, Mapping[str, str]]) -> ScreeningView:
    """The view of a record; enum values by their form titles."""
    held = answers(record)
    shown = [
        (LABELS[field], view.after)
        for field in SCREENING_FIELDS
        if field in held
        for view in change_views([{"field": field, "before": None, "after": held[field]}], titles)
    ]
    return ScreeningView(shown, [b.message for b in blocks(record)], correction_views(record, titles))
