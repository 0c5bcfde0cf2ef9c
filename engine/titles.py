"""What users read for a case's status and outcome, shared by the pages, the dashboard and the exports."""

from __future__ import annotations

from engine.status import CaseStatus

STATUS_TITLES = {CaseStatus.OPEN: "Berjalan", CaseStatus.COMPLETED: "Selesai", CaseStatus.CANCELLED: "Dibatalkan"}
OUTCOME_TITLES = {
    "mediated": "Mediasi dilaksanakan",
    "rejected": "Ditolak",
    "parties_declined": "Mediasi tidak dapat dilaksanakan",
    "referred": "Dirujuk",
    "withdrawn": "Dihentikan",
    "resolved": "Pengaduan selesai",
    "unresolved": "Pengaduan tidak terselesaikan",
}
