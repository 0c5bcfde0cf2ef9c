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

# The roles that may work a staff lane. Pemohon accounts reach a case only as its applicant, and the
# oversight roles (auditor, dpo) and the administrators (admin, process_owner) read or govern cases
# but never work their tasks: a lane map naming them is refused at deploy.
STAFF_LANE_ROLES: frozenset[str] = frozenset(
    {Role.FULLTIMER, Role.KETUA_LPPAR, Role.TIM_TEKNIS, Role.SEKRETARIS, Role.KEPALA_DINAS}
)

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
