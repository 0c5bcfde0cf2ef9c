"""The check at every step: what the step is about to do, against the case's screening record.

Whatever the diagram says, a step that would issue a mediation letter (the invitation, the berita
acara, the agreement) or end the case "mediated" is refused while the record forbids mediation,
and a step that would end it "referred" is refused while a referral that R2 or R3 demands is
incomplete. A refusal is a FormInvalid naming the fields at fault, raised before anything is
written, so the case stays as it was. Every path that moves a case (a task, a timer, a signal, a
migration, a simulation at deploy) passes through `check_step`.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from SpiffWorkflow.bpmn.workflow import BpmnWorkflow
from SpiffWorkflow.util.task import TaskState

from engine import runtime
from engine.bpmn.catalog import Catalog
from engine.errors import FormInvalid
from engine.legal import follow_up, screening
from engine.legal.rules import HARD_REFERRALS, hard_referral_types
from engine.letters.kinds import KINDS

MEDIATION_LETTERS = ("surat_undangan_mediasi", "berita_acara_mediasi", "kesepakatan")
MEDIATED, REFERRED = "mediated", "referred"


class LegalRefusal(FormInvalid):
    """The engine refuses a step the law forbids; `errors` names the fields, `_form` says why."""


def step_effects(
    catalog: Catalog, workflow: BpmnWorkflow, completed_before: Iterable[Any]
) -> tuple[list[str], str | None]:
    """The letters a step issues (every kind whose element it passed, if its data calls for it) and its outcome."""
    before = set(completed_before)

    def passed(tasks: Iterable[Any]) -> list[Any]:
        return [
            t
            for t in tasks
            if t.state == TaskState.COMPLETED and t.id not in before and catalog.letters.get(t.task_spec.name)
        ]

    found = passed(runtime.every_task(workflow))  # a cheap pass; the tree's order only when it matters
    if len(found) > 1:
        found = passed(workflow.get_tasks(state=TaskState.COMPLETED))
    letters = []
    for task in found:
        letters += [k for k in catalog.letters[task.task_spec.name] if k in KINDS and KINDS[k].when(task.data)]
    return letters, runtime.finished_outcome(workflow, catalog.outcomes)


def check_step(record: Mapping[str, Any] | None, *, letters: Sequence[str], outcome: str | None) -> None:
    """Refuse (LegalRefusal) a step whose letters or outcome the record forbids."""
    mediating = [k for k in letters if k in MEDIATION_LETTERS]
    errors: dict[str, str] = {}
    if mediating or outcome == MEDIATED:
        for block in screening.blocks(record):
            errors.setdefault(block.field, block.message)
        if "kesepakatan" in mediating:
            for block in screening.agreement_block(record):
                errors.setdefault(block.field, block.message)
    if outcome == REFERRED:
        errors |= referral_gaps(record)
    recurrence = follow_up.gaps(record, outcome)
    if recurrence and not errors:
        raise LegalRefusal(recurrence | {"_form": _RECURRENCE_SUMMARY})
    errors |= recurrence
    if errors:
        errors["_form"] = _summary(mediating, outcome)
        raise LegalRefusal(errors)


_RECURRENCE_SUMMARY = (
    "Mesin menolak langkah ini: pemantauan mencatat kekerasan berulang, dan pemantauan itu hanya dapat "
    "ditutup setelah rujukan dan rencana keselamatan korban tercatat (R12). Kasus tidak berubah."
)


def _summary(mediating: Sequence[str], outcome: str | None) -> str:
    if mediating or outcome == MEDIATED:
        what = ", ".join(KINDS[k].title for k in mediating) or "hasil \u201cmediasi dilaksanakan\u201d"
        return (
            f"Mesin menolak langkah ini: langkah ini akan menghasilkan {what}, tetapi aturan hukum melarang "
            "mediasi untuk kasus ini (lihat isian yang ditandai). Kasus tidak berubah. Ketua LP-PAR dapat "
            "merujuk kasus atau menghentikannya demi keselamatan; jawaban skrining yang keliru hanya dapat "
            "dikoreksi dengan konfirmasi Kepala Dinas."
        )
    return (
        "Mesin menolak langkah ini: kasus akan ditutup sebagai rujukan, tetapi rujukan belum lengkap "
        "(lihat isian yang ditandai). Kasus tidak berubah."
    )


def referral_gaps(record: Mapping[str, Any] | None) -> dict[str, str]:
    """What a referral R2, R3, trafficking or exploitation demands that the record does not hold."""
    hard = hard_referral_types(record)
    if not hard:
        return {}
    referral = (record or {}).get("referral") or {}
    gaps = {}
    if "kepolisian" not in referral.get("institutions", []):
        gaps["lembaga_rujukan"] = "Rujukan ke kepolisian belum tercatat."
    if referral.get("companion") is not True:
        gaps["pendamping"] = "Pendamping korban dalam rujukan belum tercatat."
    missing = [HARD_REFERRALS[t] for t in hard if HARD_REFERRALS[t] not in referral.get("reasons", [])]
    if missing:
        gaps["alasan_rujukan"] = f"Alasan rujukan belum memuat: {', '.join(missing).replace('_', ' ')}."
    if referral.get("police") is not True:
        gaps["laporan_dibuat"] = "Laporan kepolisian (nomornya, atau alasan laporan tidak dibuat) belum tercatat."
    if (
        "seksual" in hard
        and screening.answers(record).get("terlapor") is True
        and referral.get("diversion") is not True
    ):
        gaps["pelaku_anak_diversi"] = (
            "Rujukan terlapor anak untuk diversi oleh aparat penegak hukum belum tercatat (R3)."
        )
    return gaps
