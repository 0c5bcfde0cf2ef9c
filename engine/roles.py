"""The roles a user account can hold, and the lane token for a case's own applicant."""

from __future__ import annotations

from enum import StrEnum


class Role(StrEnum):
    """Roles, named as the Dinas names them."""

    PEMOHON = "pemohon"
    FULLTIMER = "fulltimer"
    KETUA_LPPAR = "ketua_lppar"
    TIM_TEKNIS = "tim_teknis"
    SEKRETARIS = "sekretaris"
    KEPALA_DINAS = "kepala_dinas"
    PROCESS_OWNER = "process_owner"
    AUDITOR = "auditor"
    DPO = "dpo"
    ADMIN = "admin"


ROLE_NAMES: frozenset[str] = frozenset(r.value for r in Role)

# In a lane mapping, this token means "the case's own applicant" (or the fulltimer acting for a
# walk-in applicant): a relation to the case, not a role that any account holds.
APPLICANT = "applicant"

ROLE_TITLES: dict[str, str] = {
    "pemohon": "Pemohon",
    "fulltimer": "Fulltimer (Divisi Penerimaan Pengaduan)",
    "ketua_lppar": "Ketua LP-PAR",
    "tim_teknis": "Tim Teknis",
    "sekretaris": "Sekretaris Tim Teknis",
    "kepala_dinas": "Kepala Dinas",
    "process_owner": "Pemilik Proses",
    "auditor": "Auditor",
    "dpo": "Pejabat Pelindungan Data",
    "admin": "Administrator",
}
