"""Uploads for tests, on the tasks whose forms have a file field (uploads go nowhere else)."""

from __future__ import annotations

import uuid
from typing import Any

from engine.actors import Actor
from engine.context import EngineContext
from engine.services import queries as case_queries
from engine.services import tasks as task_service
from tests.builders import ACCEPTED_TO_END, FORMS, TO_DECISION, ready_task, steps, walk

KUASA = b"%PDF-1.4 surat kuasa"
INCOMPLETE = {"berkas_lengkap": False, "catatan_kelengkapan": "Lampirkan surat kuasa."}


def resubmit_with_file(ctx: EngineContext, people: dict[str, Actor], case_id: Any) -> tuple[uuid.UUID, uuid.UUID]:
    """Rina sends the request back; Ani uploads kuasa.pdf to "Lengkapi berkas" and resubmits with it.

    Returns the completeness check, ready for Rina again, and the id of Ani's upload.
    """
    check = ready_task(ctx, case_id, "Task_periksa_kelengkapan")
    task_service.complete_task(ctx, actor=people["rina"], task_id=check, data=INCOMPLETE)
    task_id = ready_task(ctx, case_id, "Task_lengkapi_berkas")
    document_id = task_service.attach_document(
        ctx, actor=people["ani"], task_id=task_id, filename="kuasa.pdf", content=KUASA
    )
    data = {**FORMS["Task_lengkapi_berkas"], "lampiran_tambahan": str(document_id)}
    task_service.complete_task(ctx, actor=people["ani"], task_id=task_id, data=data)
    return ready_task(ctx, case_id, "Task_periksa_kelengkapan"), document_id


def staff_upload(ctx: EngineContext, people: dict[str, Actor], case_id: Any) -> uuid.UUID:
    """Walk the case to the Tim Teknis' "Siapkan dokumen" and let Sari upload kuasa.pdf there."""
    case = case_queries.get_case(ctx, str(case_id))
    walk(lambda: ctx, people, case, steps(*TO_DECISION, *ACCEPTED_TO_END[:4]))
    task_id = ready_task(ctx, case_id, "Task_siapkan_dokumen")
    return task_service.attach_document(ctx, actor=people["sari"], task_id=task_id, filename="kuasa.pdf", content=KUASA)
