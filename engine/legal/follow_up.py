"""R12: a mediation that ends with an issued agreement is followed up, and a recurrence is acted on.

Whatever the diagram says, the engine owes every case that ends with an agreement its follow-up:
the step that ends such a case writes a `follow_up` row beside it (engine.casework.record), and
the engine starts one case of the follow-up process for it (engine.services.follow_ups), on the
date the agreement set or DEFAULT_DAYS after the case ended. In that follow-up, a recorded
recurrence of violence can only end by the safety path: `gaps` names what the guard
(engine.legal.guard) still requires before the case may close, whatever its diagram does.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date, timedelta
from typing import Any

from engine.legal import screening
from engine.letters.dates import parse_date

PROCESS = "pemantauan_kesepakatan"
DEFAULT_DAYS = 30  # calendar days after the case ended, when the agreement sets no date
LONGEST = timedelta(days=365)  # the latest a follow-up date may lie after the mediation
SCHEDULED = "follow_up_scheduled"  # the event on the ended case's chain that owes the follow-up
STARTED = "follow_up_started"  # the follow-up case's first event names the case it follows up
RECURRED = "violence_recurred"  # the follow-up's outcome when violence recurred: the safety path
MIN_PLAN = screening.MIN_SAFETY_PLAN


def due_on(record: Mapping[str, Any] | None, ended_on: date) -> date | None:
    """The date a case ending on `ended_on` is followed up on, or None: it issued no agreement."""
    if screening.agreement_block(record):
        return None
    agreed = parse_date(((record or {}).get("agreement") or {}).get("follow_up_on"))
    return agreed or ended_on + timedelta(days=DEFAULT_DAYS)


def date_errors(data: Mapping[str, Any]) -> dict[str, str]:
    """The agreement's follow-up date: after the mediation, within a year of it."""
    value = data.get("tanggal_pemantauan")
    if value is None:
        return {}
    day = parse_date(value) if isinstance(value, str) else None
    if day is None:
        return {"tanggal_pemantauan": "Isi tanggal berbentuk TTTT-BB-HH."}
    held = parse_date(data.get("tanggal_pelaksanaan"))
    if held is not None and not held < day <= held + LONGEST:
        return {"tanggal_pemantauan": "Tanggal pemantauan harus sesudah tanggal mediasi, paling lambat satu tahun."}
    return {}


def recurrence_errors(data: Mapping[str, Any]) -> dict[str, str]:
    """A recurrence reported is described; a safety follow-up names its referral and its plan."""
    errors = {}
    if data.get("kekerasan_berulang") is True and not _filled(data.get("uraian_kekerasan_berulang"), 10):
        errors["uraian_kekerasan_berulang"] = "Uraikan kekerasan yang berulang (minimal 10 karakter)."
    if "rencana_keselamatan" in data:
        errors |= _safety_gaps(screening.safety_of(data))
        if data.get("pendampingan") is True and not _filled(data.get("pendamping")):
            errors["pendamping"] = "Sebutkan pendamping korban (nama dan lembaga)."
    return errors


def gaps(record: Mapping[str, Any] | None, outcome: str | None) -> dict[str, str]:
    """What a follow-up that recorded a recurrence still lacks before it may end with `outcome`."""
    if outcome is None or (record or {}).get("recurrence") is not True:
        return {}
    if outcome != RECURRED:
        return {
            "kekerasan_berulang": (
                "Kekerasan berulang tercatat: pemantauan hanya dapat ditutup melalui tindak lanjut keselamatan "
                "oleh Ketua LP-PAR."
            )
        }
    return _safety_gaps((record or {}).get("safety") or {})


def _safety_gaps(safety: Mapping[str, Any]) -> dict[str, str]:
    found = {}
    if not safety.get("institutions"):
        found["lembaga_rujukan"] = "Rujukan keselamatan korban belum tercatat."
    if safety.get("plan") is not True:
        found["rencana_keselamatan"] = f"Rencana keselamatan korban belum tercatat (minimal {MIN_PLAN} karakter)."
    return found


def _filled(value: Any, least: int = 1) -> bool:
    return isinstance(value, str) and len(value.strip()) >= least
