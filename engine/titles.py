"""What users read for a case's status and outcome, shared by the pages, the dashboard and the exports."""

from __future__ import annotations

from engine.status import CaseOutcome, CaseStatus

STATUS_TITLES = {CaseStatus.OPEN: "Berjalan", CaseStatus.COMPLETED: "Selesai", CaseStatus.CANCELLED: "Dibatalkan"}
OUTCOME_TITLES = {
    "mediated": "Mediasi dilaksanakan",
    "rejected": "Ditolak",
    "parties_declined": "Mediasi tidak dapat dilaksanakan",
    "referred": "Dirujuk",
    "withdrawn": "Dihentikan",
    "resolved": "Pengaduan selesai",
    "unresolved": "Pengaduan tidak terselesaikan",
    "agreement_kept": "Kesepakatan dipatuhi",
    "agreement_not_kept": "Kesepakatan tidak dipatuhi",
    "violence_recurred": "Kekerasan berulang: dirujuk demi keselamatan",
    CaseOutcome.DUPLICATE: "Duplikat",
}


def status_title(code: str) -> str:
    """What people read for a case's status."""
    return STATUS_TITLES.get(code, code)


def outcome_title(code: str | None) -> str:
    """What people read for a case's outcome ("-" while it has none); a code no table names reads as words."""
    if not code:
        return "-"
    return OUTCOME_TITLES.get(code) or code.replace("_", " ").capitalize()
