"""What every submission must satisfy, whatever form it comes from: checked before the step runs.

Each rule reads variables by their legal names (engine.legal.screening) in the submitted data and
in the case's screening record, and answers field by field in Indonesian. A form that lacks a
field a rule asks for cannot pass that rule, which is why deploy refuses such forms
(`missing_companions`).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from engine.legal import follow_up, screening
from engine.legal.agreement import check_clauses, clauses_of
from engine.legal.screening import ATTESTATION_FIELDS, DISCIPLINES, LABELS

CORRECTION_CODE, CORRECTION_REASON = "kode_alasan_koreksi", "alasan_koreksi"
CORRECTION_CODES = {
    "salah_isi_permohonan": "Salah isi pada permohonan",
    "informasi_baru": "Informasi baru dari korban atau pihak lain",
    "klarifikasi_korban": "Klarifikasi langsung dengan korban",
    "asesmen_ulang": "Hasil asesmen ulang",
    "lainnya": "Lainnya",
}
DISSENT_REASON = "alasan_menyimpang_pendapat"
R13_ACK, R13_ACK_REASON = "r13_peringatan_ditinjau", "alasan_peringatan_r13"
HARD_REFERRALS = {
    "seksual": "kekerasan_seksual",
    "perdagangan_orang": "perdagangan_orang",
    "eksploitasi": "eksploitasi",
}
MIN_REASON = 10
# What each person states for themselves: a form never starts from someone else's answer to these.
PERSONAL_FIELDS = frozenset({*ATTESTATION_FIELDS, R13_ACK, R13_ACK_REASON, CORRECTION_CODE, CORRECTION_REASON})
# A form that asks the key asks these too; otherwise the rule could never be satisfied.
COMPANIONS: dict[str, tuple[str, ...]] = {
    "rekomendasi_ketua": (DISSENT_REASON,),
    "alasan_rujukan": ("lembaga_rujukan", "pendampingan", "pendamping", "pelaku_anak_diversi"),
    "laporan_dibuat": ("nomor_laporan_polisi", "alasan_tanpa_laporan"),
    "hasil_mediasi": ("klausul_kesepakatan",),  # an agreement reached is written as clauses
    "klausul_kesepakatan": (*ATTESTATION_FIELDS, R13_ACK, R13_ACK_REASON),
    "kesepakatan_disetujui": (*ATTESTATION_FIELDS, R13_ACK, R13_ACK_REASON),
    "pengecualian_disetujui": ("perkara_perdata_terkait", "penilaian_kepentingan_terbaik_anak"),
    "kekerasan_berulang": ("uraian_kekerasan_berulang",),
    "rencana_keselamatan": ("lembaga_rujukan", "pendampingan", "pendamping"),
}


def _filled(value: Any, least: int = 1) -> bool:
    return isinstance(value, str) and len(value.strip()) >= least


def check_submission(
    record: Mapping[str, Any] | None, data: Mapping[str, Any], *, first: bool = False
) -> dict[str, str]:
    """Field errors of `data` against the legal rules (empty: it may go ahead). `first`: the request itself."""
    errors: dict[str, str] = {}
    for rule in (
        _assessment_consistent,
        _dissent_explained,
        _child_exception,
        _referral,
        _police_report,
        _agreement,
        _follow_up,
    ):
        for field, message in rule(record, data).items():
            errors.setdefault(field, message)
    if not first:
        for field, message in correction_errors(record, data).items():
            errors.setdefault(field, message)
    return errors


def correction_errors(record: Mapping[str, Any] | None, data: Mapping[str, Any]) -> dict[str, str]:
    """A correction toward "more mediable" needs a reason code and a reason; without them, say where."""
    found = screening.changes(record, data)
    if not found:
        return {}
    errors = {}
    code, reason = data.get(CORRECTION_CODE), data.get(CORRECTION_REASON)
    if code not in CORRECTION_CODES:
        errors[CORRECTION_CODE] = "Wajib dipilih: jawaban skrining dikoreksi sehingga kasus lebih dapat dimediasi."
    if not _filled(reason, MIN_REASON):
        errors[CORRECTION_REASON] = f"Wajib diisi (minimal {MIN_REASON} karakter): jelaskan dasar koreksi skrining."
    if errors:
        for change in found:
            errors.setdefault(
                change.field,
                f"Koreksi dari \u201c{describe(change.field, change.before)}\u201d memerlukan kode alasan, uraian, "
                "dan konfirmasi Kepala Dinas.",
            )
    return errors


def describe(field: str, value: Any) -> str:
    """A recorded answer as a person reads it (record values: people as child/adult)."""
    if field in ("korban", "terlapor"):
        return {True: "ada anak (di bawah 18 tahun)", False: "dewasa", None: "-"}[value]
    if isinstance(value, bool):
        return "ya" if value else "tidak"
    if isinstance(value, list):
        return ", ".join(str(v) for v in value) or "-"
    return "-" if value is None else str(value).replace("_", " ")


def _assessment_consistent(record: Mapping[str, Any] | None, data: Mapping[str, Any]) -> dict[str, str]:
    """R7: the assessment cannot say eligible while its own answers say otherwise."""
    if data.get("memenuhi_syarat_mediasi") is not True:
        return {}
    held = screening.answers(record)

    def answer(field: str) -> Any:
        return data[field] if field in data else held.get(field)

    against = [f for f in ("kapasitas_korban", "tanpa_paksaan", "pilihan_korban_sendiri") if answer(f) is False]
    if answer("risiko_kekerasan_berulang") == "tinggi":
        against.append("risiko_kekerasan_berulang")
    if not against:
        return {}
    listed = "; ".join(LABELS[f].removeprefix("Asesmen: ") for f in against)
    errors = {
        "memenuhi_syarat_mediasi": "Tidak dapat menyatakan memenuhi syarat mediasi bila asesmen sendiri mencatat "
        f"sebaliknya ({listed}) (R7)."
    }
    for field in against:
        errors[field] = "Bertentangan dengan \u201cmemenuhi syarat mediasi: ya\u201d (R7)."
    return errors


def _dissent_explained(record: Mapping[str, Any] | None, data: Mapping[str, Any]) -> dict[str, str]:
    """R7: recommending mediation against a discipline's "tidak layak" needs a recorded reason."""
    if data.get("rekomendasi_ketua") != "terima":
        return {}
    held = screening.answers(record)
    against = [d for d in DISCIPLINES if held.get(f"rekomendasi_{d}") == "tidak_layak"]
    if held.get("memenuhi_syarat_mediasi") is False:
        against.insert(0, "psikologis")
    if not against or _filled(data.get(DISSENT_REASON), MIN_REASON):
        return {}
    return {
        DISSENT_REASON: f"Pendapat {', '.join(against)} menyatakan tidak layak: rekomendasi menerima wajib disertai "
        f"alasan (minimal {MIN_REASON} karakter) (R7)."
    }


def _child_exception(record: Mapping[str, Any] | None, data: Mapping[str, Any]) -> dict[str, str]:
    """R4: a child victim's exception covers only a related family civil matter, in the child's best interests."""
    held = screening.answers(record)
    if data.get("pengecualian_disetujui") is not True or held.get("korban") is not True:
        return {}
    errors = {}
    if held.get("kategori_perkara") != "perdata_keluarga":
        errors["pengecualian_disetujui"] = (
            "Korban anak: kekerasannya sendiri tidak pernah dimediasi; pengecualian hanya untuk perkara perdata "
            "keluarga terkait (hak asuh, nafkah) (R4)."
        )
    for field, what in (
        ("perkara_perdata_terkait", "perkara perdata yang dimediasi"),
        ("penilaian_kepentingan_terbaik_anak", "penilaian kepentingan terbaik bagi anak"),
    ):
        if not _filled(data.get(field)):
            errors[field] = f"Wajib diisi untuk korban anak: {what} (R4)."
    return errors


def hard_referral_types(record: Mapping[str, Any] | None) -> list[str]:
    """The recorded violence types that must leave by a referral to law enforcement."""
    return [t for t in screening.answers(record).get("jenis_kekerasan") or [] if t in HARD_REFERRALS]


def _referral(record: Mapping[str, Any] | None, data: Mapping[str, Any]) -> dict[str, str]:
    """R2, R3, trafficking, exploitation: the referral names the police, a companion and (R3) the diversion."""
    if "alasan_rujukan" not in data:
        return {}
    errors = {}
    if data.get("pendampingan") is True and not _filled(data.get("pendamping")):
        errors["pendamping"] = "Sebutkan pendamping korban (nama dan lembaga)."
    hard = hard_referral_types(record)
    if hard:
        if "kepolisian" not in (data.get("lembaga_rujukan") or []):
            errors["lembaga_rujukan"] = "Rujukan wajib ke kepolisian (aparat penegak hukum) untuk perkara ini."
        if data.get("pendampingan") is not True:
            errors["pendampingan"] = "Korban wajib didampingi dalam rujukan ke aparat penegak hukum (R2)."
        missing = [HARD_REFERRALS[t] for t in hard if HARD_REFERRALS[t] not in (data.get("alasan_rujukan") or [])]
        if missing:
            errors["alasan_rujukan"] = f"Alasan rujukan wajib memuat: {', '.join(missing).replace('_', ' ')}."
        child_perpetrator = "seksual" in hard and screening.answers(record).get("terlapor") is True
        if child_perpetrator and data.get("pelaku_anak_diversi") is not True:
            errors["pelaku_anak_diversi"] = (
                "Terlapor anak atas kekerasan seksual: catat rujukan untuk diversi oleh aparat penegak hukum (R3)."
            )
    return errors


def _police_report(_record: Mapping[str, Any] | None, data: Mapping[str, Any]) -> dict[str, str]:
    """The police report: its number when it was made, or why none was made."""
    if data.get("laporan_dibuat") is True and not _filled(data.get("nomor_laporan_polisi")):
        return {"nomor_laporan_polisi": "Wajib diisi bila laporan telah disampaikan."}
    if data.get("laporan_dibuat") is False and not _filled(data.get("alasan_tanpa_laporan"), MIN_REASON):
        return {"alasan_tanpa_laporan": f"Jelaskan mengapa laporan tidak dibuat (minimal {MIN_REASON} karakter)."}
    return {}


def _follow_up(_record: Mapping[str, Any] | None, data: Mapping[str, Any]) -> dict[str, str]:
    """R12: the agreement's follow-up date; a recurrence described; a safety follow-up complete."""
    return follow_up.date_errors(data) | follow_up.recurrence_errors(data)


def _agreement(record: Mapping[str, Any] | None, data: Mapping[str, Any]) -> dict[str, str]:
    """R13: whoever records or approves an agreement attests the three prohibitions, after its warnings."""
    attesting = (
        data.get("hasil_mediasi") == "sepakat"
        or data.get("kesepakatan_disetujui") is True
        or "klausul_kesepakatan" in data  # reworded clauses are attested afresh
    )
    if not attesting:
        return {}
    errors = {
        field: f"Wajib dinyatakan sebelum kesepakatan diterbitkan (R13): {what}."
        for field, what in ATTESTATION_FIELDS.items()
        if data.get(field) is not True
    }
    given = clauses_of(dict(data))
    clauses = given or list(((record or {}).get("agreement") or {}).get("clauses", []))
    complaint = screening.answers(record).get("kategori_perkara") == "delik_aduan"
    findings = check_clauses(clauses, complaint_offence=complaint)
    acknowledged = data.get(R13_ACK) is True and _filled(data.get(R13_ACK_REASON), MIN_REASON)
    if findings and not acknowledged:
        field = "klausul_kesepakatan" if "klausul_kesepakatan" in data else "isi_kesepakatan"
        for finding in findings:
            key = f"{field}.{finding.clause}" if given and field == "klausul_kesepakatan" else field
            errors.setdefault(key, finding.message())
        errors[R13_ACK] = (
            "Periksa peringatan R13 pada butir kesepakatan. Bila butir itu memang tidak melanggar, centang "
            f"pernyataan ini dan jelaskan alasannya (minimal {MIN_REASON} karakter)."
        )
    return errors


def missing_companions(properties: Mapping[str, Any]) -> dict[str, list[str]]:
    """For a form's fields: the fields a legal rule needs beside them that the form lacks."""
    missing = {}
    for key, companions in COMPANIONS.items():
        if key in properties:
            absent = [c for c in companions if c not in properties]
            if absent:
                missing[key] = absent
    return missing
