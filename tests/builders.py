"""Small builders: valid form data, and a driver that walks a case step by step."""

from __future__ import annotations

import copy
import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from sqlalchemy import select

from engine.actors import Actor
from engine.calendar import OFFICE_ZONE, WorkingCalendar
from engine.casework.views import CaseView
from engine.context import EngineContext
from engine.letters import outbox
from engine.persistence.models import Event, EventPayload
from engine.services import letter_jobs
from engine.services import queries as case_queries
from engine.services import tasks as task_service


def application(**overrides: Any) -> dict[str, Any]:
    """A complete, eligible request (start form), with fields replaced by `overrides`."""
    data: dict[str, Any] = {
        "hubungan_pemohon_dengan_korban": "korban_sendiri",
        "korban": [{"nama": "Siti Aminah", "umur": 34, "jenis_kelamin": "perempuan"}],
        "terlapor": [{"nama": "Bambang", "umur": 38, "jenis_kelamin": "laki_laki"}],
        "hubungan_korban_terlapor": "mantan_suami_istri",
        "tempat_kejadian": "Kelurahan Podosugih, Pekalongan Barat",
        "kronologi": "Sejak bercerai, terlapor berhenti memberi nafkah anak dan menekan korban lewat pesan.",
        "permasalahan_yang_dimediasi": "Nafkah dan hak asuh anak",
        "jenis_kekerasan": ["psikis", "ekonomi"],
        "tingkat_bahaya": "rendah",
        "kategori_perkara": "perdata_keluarga",
        "persetujuan_korban": True,
    }
    data.update(overrides)
    return data


def screening(**overrides: Any) -> dict[str, Any]:
    """The Ketua's review, confirming the applicant's screening unless overridden."""
    data: dict[str, Any] = {
        "jenis_kekerasan": ["psikis", "ekonomi"],
        "tingkat_bahaya": "rendah",
        "kategori_perkara": "perdata_keluarga",
        "persetujuan_korban": True,
        "catatan_persetujuan": "Dikonfirmasi langsung dengan korban di ruang konseling.",
        "catatan_telaah": "Sengketa nafkah anak; tidak ada unsur kekerasan seksual.",
    }
    data.update(overrides)
    return data


def opinion(discipline: str, **overrides: Any) -> dict[str, Any]:
    """A Tim Teknis opinion for one discipline."""
    if discipline == "psikologis":
        data: dict[str, Any] = {
            "memenuhi_syarat_mediasi": True,
            "kapasitas_korban": True,
            "tanpa_paksaan": True,
            "risiko_kekerasan_berulang": "rendah",
            "pilihan_korban_sendiri": True,
            "uraian_psikologis": "Korban stabil dan memilih mediasi atas kehendak sendiri.",
        }
    else:
        data = {f"rekomendasi_{discipline}": "layak", f"uraian_{discipline}": f"Layak dari sisi {discipline}."}
    data.update(overrides)
    return data


# An agreement's terms, and the three R13 prohibitions attested by whoever drafts or reviews it.
CLAUSES = [
    "Terlapor membayar nafkah anak sebesar Rp1.500.000 setiap bulan paling lambat tanggal 10.",
    "Para pihak membicarakan keperluan anak melalui pesan tertulis.",
]
ATTESTED = {"r13_tanpa_janji_tidak_melapor": True, "r13_tanpa_perkawinan": True, "r13_tanpa_uang_tutup_mulut": True}

FORMS: dict[str, dict[str, Any]] = {
    "Task_periksa_kelengkapan": {"berkas_lengkap": True},
    "Task_lengkapi_berkas": {"keterangan_tambahan": "Fotokopi KTP dan akta cerai sudah saya serahkan."},
    "Task_telaah_permohonan": screening(),
    "Task_tinjau_pengecualian": {
        "pengecualian_disetujui": True,
        "alasan_pengecualian": "Hanya nafkah anak yang dimediasi; korban didampingi.",
        "perkara_perdata_terkait": "Nafkah anak",
    },
    "Task_catat_rujukan": {
        "alasan_rujukan": ["kekerasan_seksual"],
        "lembaga_rujukan": ["kepolisian", "uptd_ppa"],
        "pendampingan": True,
        "pendamping": "Wati Lestari, pendamping UPTD PPA",
        "catatan_rujukan": "Didampingi ke Unit PPA Polres.",
    },
    "Task_laporan_polisi": {
        "laporan_dibuat": True,
        "nomor_laporan_polisi": "LP/B/12/III/2026/Polres",
        "kesatuan": "Unit PPA Satreskrim Polres Pekalongan Kota",
        "korban_didampingi": True,
    },
    "Task_pendapat_psikologis": opinion("psikologis"),
    "Task_pendapat_hukum": opinion("hukum"),
    "Task_pendapat_medis": opinion("medis"),
    "Task_pendapat_sosial": opinion("sosial"),
    "Task_rekomendasi_ketua": {
        "rekomendasi_ketua": "terima",
        "kode_alasan_rekomendasi": "memenuhi_syarat",
        "alasan_rekomendasi": "Seluruh bidang menyatakan layak.",
    },
    "Task_keputusan_kadin": {
        "keputusan": "diterima",
        "kode_alasan_keputusan": "memenuhi_syarat",
        "alasan_keputusan": "Sesuai rekomendasi Ketua LP-PAR.",
    },
    "Task_tetapkan_penolakan": {
        "keputusan": "ditolak",
        "kode_alasan_keputusan": "tidak_memenuhi_syarat",
        "alasan_keputusan": "Asesmen psikologis: belum memenuhi syarat mediasi.",
    },
    "Task_undangan_mediasi": {
        "tanggal_mediasi": "2026-03-26",
        "jam_mediasi": "09:30",
        "tempat_mediasi": "Ruang Mediasi DPMPPA",
        "sesi_bersama": False,
        "sesi_bersama_dipilih_korban": False,
    },
    "Task_tinjau_sesi_bersama": {
        "sesi_bersama_disetujui": False,
        "alasan_sesi_bersama": "Korban belum siap bertemu terlapor; sesi terpisah.",
    },
    "Task_koordinasi": {
        "pihak_terkait": ["kelurahan", "keluarga"],
        "pihak_terkait_bersedia": True,
        "hasil_koordinasi": "Kelurahan dan keluarga bersedia hadir.",
    },
    "Task_arahan_sekretaris": {"arahan": "Siapkan ruang terpisah dan format berita acara."},
    "Task_siapkan_dokumen": {"dokumen_disiapkan": ["surat_undangan", "format_berita_acara", "ruang_terpisah"]},
    "Task_laksanakan_mediasi": {
        "tanggal_pelaksanaan": "2026-03-17",  # START's day; `walk` moves it to the clock's (`dated`)
        "skrining_ulang_aman": True,
        "bentuk_sesi": "terpisah",
        "hasil_mediasi": "sepakat",
        "berita_acara": "Mediasi berjalan dalam ruang terpisah.",
        "klausul_kesepakatan": CLAUSES,
        **ATTESTED,
    },
    "Task_tinjau_kesepakatan": {"kesepakatan_disetujui": True, **ATTESTED},
    "Task_perbaiki_kesepakatan": {"klausul_kesepakatan": CLAUSES, **ATTESTED},
    "Task_dokumentasi": {
        "ringkasan_kegiatan": "Mediasi selesai dengan kesepakatan nafkah.",
        "rencana_pemantauan": "Pemantauan bulanan selama enam bulan.",
    },
}

# Who does each step in the scenarios.
WORKER: dict[str, str] = {
    "Task_periksa_kelengkapan": "rina",
    "Task_lengkapi_berkas": "ani",
    "Task_telaah_permohonan": "rina",
    "Task_tinjau_pengecualian": "rina",
    "Task_catat_rujukan": "rina",
    "Task_laporan_polisi": "rina",
    "Task_pendapat_psikologis": "tono",
    "Task_pendapat_hukum": "tono",
    "Task_pendapat_medis": "sari",
    "Task_pendapat_sosial": "tono",
    "Task_rekomendasi_ketua": "rina",
    "Task_keputusan_kadin": "kadin",
    "Task_tetapkan_penolakan": "kadin",
    "Task_undangan_mediasi": "kadin",
    "Task_tinjau_sesi_bersama": "rina",
    "Task_koordinasi": "rina",
    "Task_arahan_sekretaris": "rina",
    "Task_siapkan_dokumen": "sari",
    "Task_laksanakan_mediasi": "tono",
    "Task_tinjau_kesepakatan": "rina",
    "Task_perbaiki_kesepakatan": "tono",
    "Task_dokumentasi": "sari",
}

TIM = ["Task_pendapat_psikologis", "Task_pendapat_hukum", "Task_pendapat_medis", "Task_pendapat_sosial"]
TO_DECISION = ["Task_periksa_kelengkapan", "Task_telaah_permohonan", *TIM, "Task_rekomendasi_ketua"]
ACCEPTED_TO_END = [
    "Task_keputusan_kadin",
    "Task_undangan_mediasi",
    "Task_koordinasi",
    "Task_arahan_sekretaris",
    "Task_siapkan_dokumen",
    "Task_laksanakan_mediasi",
    "Task_tinjau_kesepakatan",
    "Task_dokumentasi",
]


@dataclass
class Step:
    """Complete the ready task `element` with its default form data, changed by `data`."""

    element: str
    data: dict[str, Any] = field(default_factory=dict)
    user: str | None = None

    def payload(self, now: datetime | None = None) -> dict[str, Any]:
        """The step's data; with `now`, its default dates moved to where that clock stands (`dated`)."""
        merged = copy.deepcopy(FORMS[self.element])
        if now is not None:
            merged.update(dated(merged, now))
        merged.update(self.data)
        return {k: v for k, v in merged.items() if v is not None}


def dated(defaults: dict[str, Any], now: datetime) -> dict[str, Any]:
    """Default dates that hold at `now`: a mediation held that day, an invitation not for an earlier day.

    The engine refuses a mediation held after today or before its invitation, and letter dates before
    the case was filed (engine.legal.chronology), so a scenario run later than START moves them along.
    """
    today = now.astimezone(OFFICE_ZONE).date()
    moved: dict[str, Any] = {}
    if "tanggal_pelaksanaan" in defaults:
        moved["tanggal_pelaksanaan"] = today.isoformat()
    invited = defaults.get("tanggal_mediasi")
    if isinstance(invited, str) and date.fromisoformat(invited) < today:
        moved["tanggal_mediasi"] = WorkingCalendar().add_working_days(today, 1).isoformat()
    return moved


def steps(*elements: str | Step) -> list[Step]:
    """Turn element names into Steps."""
    return [e if isinstance(e, Step) else Step(e) for e in elements]


def ready_task(ctx: EngineContext, case_id: Any, element: str) -> Any:
    """The id of the ready task `element` of a case, or fail with what is ready instead."""
    view = case_queries.get_case(ctx, str(case_id))
    for task in view.tasks:
        if task.element == element:
            return task.id
    raise AssertionError(f"{element} is not ready; ready: {[t.element for t in view.tasks]}")


def walk(
    contexts: Callable[[], EngineContext], people: dict[str, Actor], case: CaseView, path: Sequence[Step]
) -> CaseView:
    """Complete `path` in order, asking `contexts` for the engine context of every step."""
    view = case
    for step in path:
        ctx = contexts()
        task_id = ready_task(ctx, case.id, step.element)
        actor = people[step.user or WORKER[step.element]]
        view = task_service.complete_task(ctx, actor=actor, task_id=task_id, data=step.payload(ctx.clock.now()))
        render_letters(ctx)
    return view


def render_letters(ctx: EngineContext) -> list[letter_jobs.Outcome]:
    """What the letter worker does within a second of a step that called for letters."""
    if not outbox.DUE.is_set():
        return []
    outbox.DUE.clear()
    return letter_jobs.render_pending(ctx)


TEXT_LISTS = {"klausul_kesepakatan"}  # lists of free text: one input per item, not checkboxes


def as_form(data: dict[str, Any], prefix: str = "") -> dict[str, Any]:
    """JSON data as the fields of the rendered HTML form (names like korban.0.nama)."""
    fields: dict[str, Any] = {}
    for key, value in data.items():
        name = f"{prefix}{key}"
        if isinstance(value, list) and value and isinstance(value[0], dict):
            for i, item in enumerate(value):
                fields |= as_form(item, f"{name}.{i}.")
        elif isinstance(value, list) and key in TEXT_LISTS:
            fields |= {f"{name}.{i}": str(v) for i, v in enumerate(value)}
        elif isinstance(value, list):
            fields[name] = [str(v) for v in value]
        elif isinstance(value, bool):
            fields[name] = "true" if value else "false"
        else:
            fields[name] = str(value)
    return fields


def payloads(ctx: EngineContext, case_id: object, type: str) -> list[Any]:
    """The payloads of a case's events of one type, in chain order."""
    with ctx.unit_of_work(write=False) as uow:
        rows = uow.session.scalars(
            select(EventPayload.data)
            .join(Event, Event.id == EventPayload.event_id)
            .where(Event.case_id == case_id, Event.type == type)
            .order_by(Event.seq)
        )
        return [json.loads(r) for r in rows]
