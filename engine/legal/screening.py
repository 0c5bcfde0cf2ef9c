"""A case's screening record: every screening answer ever given, folded so that none is silently softened.

The record is built from the data exactly as submitted: the request, then every completed task,
in order. Each answer is merged with what the record already holds, keeping the *less* mediable
of the two: a violence type once recorded stays, danger only rises, a "no" to consent stays "no",
a negative assessment stays negative. An answer that would make the case more mediable (a type
removed, danger lowered, consent set true, a category changed to an eligible one, a negative
assessment or opinion turned positive, a child found adult) is a *correction*: it needs a reason,
and only a different person's confirmation (the Kepala Dinas) lets it into the record
(engine.services.corrections). Scripts cannot write the record: it reads submissions, not the
workflow's variables.

`blocks` says what in a record makes mediation impossible; engine.legal.guard refuses every step
that would issue a mediation letter or end a case "mediated" while any block stands.
"""

from __future__ import annotations

import copy
import hashlib
import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from engine.legal.agreement import clauses_of

RECORD_VERSION = 1
ELIGIBLE_CATEGORIES = ("perdata_keluarga", "ketenagakerjaan", "delik_aduan")
DANGER_ORDER = {"rendah": 0, "sedang": 1, "tinggi": 2}
DISCIPLINES = ("hukum", "medis", "sosial")
ADULT_AGE = 18
# Assessment answers (pendapat psikologis, R7): variable -> record key.
ASSESSMENT = {
    "memenuhi_syarat_mediasi": "eligible",
    "kapasitas_korban": "capacity",
    "tanpa_paksaan": "no_coercion",
    "pilihan_korban_sendiri": "own_choice",
}
# Every variable the record reads as a screening answer; a form asking one of them after the
# request must also carry the correction fields (engine.legal.rules.CORRECTION_FIELDS).
SCREENING_FIELDS = (
    "jenis_kekerasan",
    "tingkat_bahaya",
    "persetujuan_korban",
    "kategori_perkara",
    "korban",
    "terlapor",
    *ASSESSMENT,
    "risiko_kekerasan_berulang",
    *(f"rekomendasi_{d}" for d in DISCIPLINES),
)
LABELS = {
    "jenis_kekerasan": "Jenis kekerasan",
    "tingkat_bahaya": "Tingkat bahaya",
    "persetujuan_korban": "Persetujuan korban sendiri",
    "kategori_perkara": "Kategori perkara",
    "korban": "Korban (umur)",
    "terlapor": "Terlapor (umur)",
    "memenuhi_syarat_mediasi": "Asesmen: memenuhi syarat mediasi",
    "kapasitas_korban": "Asesmen: korban mampu memutuskan sendiri",
    "tanpa_paksaan": "Asesmen: tanpa paksaan",
    "pilihan_korban_sendiri": "Asesmen: pilihan korban sendiri",
    "risiko_kekerasan_berulang": "Asesmen: risiko kekerasan berulang",
    "rekomendasi_hukum": "Pendapat hukum",
    "rekomendasi_medis": "Pendapat medis",
    "rekomendasi_sosial": "Pendapat sosial",
}


@dataclass(frozen=True)
class Change:
    """One answer a submission would soften: the field, what the record holds, what was submitted."""

    field: str
    before: Any
    after: Any

    def as_json(self) -> dict[str, Any]:
        return {"field": self.field, "before": self.before, "after": self.after}


@dataclass(frozen=True)
class Block:
    """One reason mediation is impossible: the rule, the field it rests on, and the sentence people read."""

    rule: str
    field: str
    message: str


def empty() -> dict[str, Any]:
    """A record with nothing recorded yet."""
    return {"v": RECORD_VERSION, "answers": {}, "corrections": []}


def answers(record: Mapping[str, Any] | None) -> dict[str, Any]:
    """The screening answers a record holds, by variable."""
    return dict((record or {}).get("answers", {}))


def _child(people: Any) -> bool | None:
    """Whether a list of people (korban, terlapor) has anyone under 18; None when no age is given."""
    given = [p.get("umur") for p in people if isinstance(p, dict)] if isinstance(people, list) else []
    ages = [a for a in given if isinstance(a, int) and not isinstance(a, bool)]
    return any(a < ADULT_AGE for a in ages) if ages else None


def _value(field: str, submitted: Any) -> Any:
    """What the record keeps of a submitted answer (for people: whether any is a child)."""
    if field in ("korban", "terlapor"):
        return _child(submitted)
    if field == "jenis_kekerasan":
        return [str(v) for v in submitted] if isinstance(submitted, list) else None
    return submitted


def _merge(field: str, old: Any, new: Any) -> Any:
    """The less mediable of two answers to `field` (`old` None: nothing recorded yet)."""
    if old is None or new is None:
        return new if old is None else old
    if field == "jenis_kekerasan":
        return [*old, *(t for t in new if t not in old)]
    if field in ("tingkat_bahaya", "risiko_kekerasan_berulang"):
        return max(old, new, key=lambda v: DANGER_ORDER.get(v, 3))
    if field in ("korban", "terlapor"):
        return bool(old or new)
    if field == "kategori_perkara":
        return new if new == old or new not in ELIGIBLE_CATEGORIES else old
    if field.startswith("rekomendasi_"):
        return "tidak_layak" if "tidak_layak" in (old, new) else new
    if field == "persetujuan_korban" or field in ASSESSMENT:
        return False if old is False or new is False else new
    return new


def changes(record: Mapping[str, Any] | None, data: Mapping[str, Any]) -> list[Change]:
    """The answers in `data` that would make the case more mediable than the record says: corrections."""
    held = answers(record)
    found = []
    for field in SCREENING_FIELDS:
        if field not in data:
            continue
        new = _value(field, data[field])
        old = held.get(field)
        if old is not None and new is not None and _differs(field, _merge(field, old, new), new):
            found.append(Change(field, old, new))
    return found


def _differs(field: str, merged: Any, new: Any) -> bool:
    if field == "jenis_kekerasan":
        return set(merged) != set(new)
    return bool(merged != new)


def fold(
    record: Mapping[str, Any] | None,
    data: Mapping[str, Any],
    *,
    actor: str = "",
    ketua: bool = False,
    confirmed: Iterable[str] = (),
) -> dict[str, Any]:
    """The record after one submission; the fields in `confirmed` take the submitted answer as it is.

    Besides the screening answers it keeps what the other rules need: the child-related civil
    matter (R4), the referral (R2, R3), the latest safety re-screen (R9) and the agreement's
    clauses with who attested them (R13).
    """
    result = copy.deepcopy(dict(record or empty()))
    held = result.setdefault("answers", {})
    corrected = set(confirmed)
    for field in SCREENING_FIELDS:
        if field in data and (new := _value(field, data[field])) is not None:
            held[field] = new if field in corrected else _merge(field, held.get(field), new)
    _fold_child_civil(result, data)
    _fold_referral(result, data)
    if isinstance(data.get("skrining_ulang_aman"), bool):
        result["rescreen_safe"] = data["skrining_ulang_aman"]
    _fold_agreement(result, data, actor=actor, ketua=ketua)
    _fold_follow_up(result, data)
    return result


def _filled(value: Any) -> bool:
    return isinstance(value, str) and bool(value.strip())


def _fold_child_civil(record: dict[str, Any], data: Mapping[str, Any]) -> None:
    """R4: an approved exception that names the related civil matter and the child's best interests."""
    if data.get("pengecualian_disetujui") is True:
        record["child_civil"] = {
            "matter": _filled(data.get("perkara_perdata_terkait")),
            "best_interests": _filled(data.get("penilaian_kepentingan_terbaik_anak")),
        }
    elif data.get("pengecualian_disetujui") is False:
        record.pop("child_civil", None)


def _fold_referral(record: dict[str, Any], data: Mapping[str, Any]) -> None:
    """R2, R3: where the case was referred, the companion, the diversion, the police report."""
    referral = record.setdefault("referral", {})
    if isinstance(data.get("lembaga_rujukan"), list):
        referral["institutions"] = [str(v) for v in data["lembaga_rujukan"]]
    if isinstance(data.get("alasan_rujukan"), list):
        referral["reasons"] = [str(v) for v in data["alasan_rujukan"]]
    if isinstance(data.get("pendampingan"), bool):
        referral["companion"] = data["pendampingan"] and _filled(data.get("pendamping"))
    if isinstance(data.get("pelaku_anak_diversi"), bool):
        referral["diversion"] = data["pelaku_anak_diversi"]
    if isinstance(data.get("laporan_dibuat"), bool):
        made = data["laporan_dibuat"]
        referral["police"] = (
            _filled(data.get("nomor_laporan_polisi")) if made else _filled(data.get("alasan_tanpa_laporan"))
        )
    if not referral:
        record.pop("referral")


MIN_SAFETY_PLAN = 10


def _fold_follow_up(record: dict[str, Any], data: Mapping[str, Any]) -> None:
    """R12: whether the follow-up found violence recurred, and what its safety follow-up recorded."""
    if isinstance(data.get("kekerasan_berulang"), bool):
        record["recurrence"] = data["kekerasan_berulang"]
    if "rencana_keselamatan" in data:
        record["safety"] = safety_of(data)


def safety_of(data: Mapping[str, Any]) -> dict[str, Any]:
    """A safety follow-up as the record keeps it: where the victim was referred, a companion, a plan."""
    institutions = data.get("lembaga_rujukan")
    plan = data.get("rencana_keselamatan")
    return {
        "institutions": [str(v) for v in institutions] if isinstance(institutions, list) else [],
        "companion": data.get("pendampingan") is True and _filled(data.get("pendamping")),
        "plan": isinstance(plan, str) and len(plan.strip()) >= MIN_SAFETY_PLAN,
    }


def clauses_hash(clauses: list[str]) -> str:
    """The identity of an agreement's wording, which its attestations are bound to."""
    return hashlib.sha256(json.dumps(clauses, ensure_ascii=False).encode()).hexdigest()


ATTESTATION_FIELDS = {
    "r13_tanpa_janji_tidak_melapor": "tidak ada janji untuk tidak melapor atau mencabut laporan",
    "r13_tanpa_perkawinan": "tidak ada perkawinan antara korban dan pelaku",
    "r13_tanpa_uang_tutup_mulut": "tidak ada pembayaran agar korban diam",
}


def _fold_agreement(record: dict[str, Any], data: Mapping[str, Any], *, actor: str, ketua: bool) -> None:
    """R13: new clauses start a new wording (earlier attestations lapse); each full attestation is kept."""
    clauses = clauses_of(dict(data))
    agreement = record.get("agreement")
    if clauses:
        digest = clauses_hash(clauses)
        if agreement is None or agreement.get("hash") != digest:
            agreed = {"follow_up_on": agreement["follow_up_on"]} if agreement and "follow_up_on" in agreement else {}
            agreement = {"hash": digest, "clauses": clauses, "by": actor, "attested": [], **agreed}
            record["agreement"] = agreement
    if agreement is not None and isinstance(data.get("tanggal_pemantauan"), str):
        agreement["follow_up_on"] = data["tanggal_pemantauan"]  # R12: when its keeping is followed up
    if agreement is not None and all(data.get(f) is True for f in ATTESTATION_FIELDS):
        attested = agreement.setdefault("attested", [])
        if actor and not any(a["by"] == actor for a in attested):
            attested.append({"by": actor, "ketua": ketua})


def blocks(record: Mapping[str, Any] | None) -> list[Block]:
    """Every reason the record makes mediation impossible (empty: mediation may go ahead)."""
    held = answers(record)
    found: list[Block] = []
    found += _violence_blocks(held)
    found += _screening_blocks(held, record or {})
    found += _assessment_blocks(held)
    return found


def _violence_blocks(held: Mapping[str, Any]) -> list[Block]:
    types = held.get("jenis_kekerasan")
    if not types:
        return [Block("R1", "jenis_kekerasan", "Jenis kekerasan belum tercatat; skrining wajib sebelum mediasi (R1).")]
    found = []
    if "seksual" in types:
        found.append(
            Block(
                "R2",
                "jenis_kekerasan",
                "Kasus ini pernah tercatat memuat kekerasan seksual (UU 12/2022 tentang TPKS Pasal 4, termasuk "
                "pemaksaan perkawinan dan perkawinan anak): menurut Pasal 23 tidak dapat diselesaikan di luar "
                "peradilan, jadi tidak dapat dimediasi; rujuk ke aparat penegak hukum dengan pendampingan.",
            )
        )
        if held.get("terlapor") is True:
            found.append(
                Block(
                    "R3",
                    "terlapor",
                    "Terlapor anak atas kekerasan seksual tetap tidak dimediasi di sini: catat rujukan untuk "
                    "diversi oleh aparat penegak hukum (UU 11/2012 Pasal 7).",
                )
            )
    if "perdagangan_orang" in types:
        found.append(
            Block(
                "TPPO",
                "jenis_kekerasan",
                "Kasus ini pernah tercatat memuat perdagangan orang (UU 21/2007): tidak dapat dimediasi dan "
                "wajib dirujuk ke aparat penegak hukum.",
            )
        )
    if "eksploitasi" in types:
        found.append(
            Block(
                "EKSPLOITASI",
                "jenis_kekerasan",
                "Kasus ini pernah tercatat memuat eksploitasi: tidak dapat dimediasi dan wajib dirujuk ke aparat "
                "penegak hukum.",
            )
        )
    return found


def _screening_blocks(held: Mapping[str, Any], record: Mapping[str, Any]) -> list[Block]:
    found = []
    danger = held.get("tingkat_bahaya")
    if danger not in DANGER_ORDER or danger == "tinggi":
        found.append(
            Block(
                "R9",
                "tingkat_bahaya",
                "Tingkat bahaya tinggi (atau belum dinilai): mediasi ditolak demi keselamatan korban; tawarkan "
                "pelindungan (kepolisian, perintah pelindungan, rumah aman).",
            )
        )
    if record.get("rescreen_safe") is False:
        found.append(
            Block(
                "R9",
                "skrining_ulang_aman",
                "Skrining keselamatan ulang menyatakan korban tidak aman: mediasi tidak dapat dilaksanakan; "
                "hentikan kasus demi keselamatan.",
            )
        )
    if held.get("persetujuan_korban") is not True:
        found.append(
            Block(
                "R8",
                "persetujuan_korban",
                "Persetujuan korban sendiri tidak tercatat (atau pernah dinyatakan tidak ada): tanpa persetujuan "
                "korban sendiri mediasi tidak dapat diberikan (UU 27/2022 Pasal 20\u201324).",
            )
        )
    category = held.get("kategori_perkara")
    if category not in ELIGIBLE_CATEGORIES:
        found.append(
            Block(
                "R6",
                "kategori_perkara",
                "Kategori perkara tidak termasuk yang dapat dimediasi "
                "(perdata keluarga, ketenagakerjaan, delik aduan).",
            )
        )
    if held.get("korban") is None or held.get("terlapor") is None:
        found.append(Block("R1", "korban", "Umur korban dan terlapor wajib tercatat sebelum mediasi (R1)."))
    if held.get("korban") is True:
        civil = record.get("child_civil") or {}
        if category != "perdata_keluarga" or not (civil.get("matter") and civil.get("best_interests")):
            found.append(
                Block(
                    "R4",
                    "korban",
                    "Korban anak: kekerasannya sendiri tidak pernah dimediasi (UU 35/2014); hanya perkara perdata "
                    "keluarga terkait, dengan pengecualian yang mencatat perkara perdata itu dan penilaian "
                    "kepentingan terbaik anak.",
                )
            )
    return found


def _assessment_blocks(held: Mapping[str, Any]) -> list[Block]:
    found = []
    if held.get("memenuhi_syarat_mediasi") is not True:
        found.append(
            Block(
                "R7",
                "memenuhi_syarat_mediasi",
                "Asesmen psikologis Tim Teknis belum menyatakan korban memenuhi syarat mediasi (R7).",
            )
        )
    for field in ("kapasitas_korban", "tanpa_paksaan", "pilihan_korban_sendiri"):
        if held.get(field) is False:
            found.append(Block("R7", field, f"Asesmen psikologis mencatat \u201c{LABELS[field]}\u201d: tidak (R7)."))
    if held.get("risiko_kekerasan_berulang") == "tinggi":
        found.append(
            Block(
                "R7", "risiko_kekerasan_berulang", "Asesmen psikologis mencatat risiko kekerasan berulang tinggi (R7)."
            )
        )
    return found


def settled_blocks(record: Mapping[str, Any] | None) -> list[Block]:
    """The blocks that rest on an answer actually given (not on one still to come, like a later assessment)."""
    held = answers(record)
    undecided_exception = held.get("kategori_perkara") == "perdata_keluarga" and "child_civil" not in (record or {})
    return [
        b
        for b in blocks(record)
        if (b.field not in SCREENING_FIELDS or held.get(b.field) is not None)
        and not (b.rule == "R4" and undecided_exception)
    ]


def agreement_block(record: Mapping[str, Any] | None) -> list[Block]:
    """R13: what still stands between an agreement and its issue: clauses and two people's attestations."""
    agreement = (record or {}).get("agreement")
    if not agreement or not agreement.get("clauses"):
        return [Block("R13", "klausul_kesepakatan", "Kesepakatan belum memuat butir-butir kesepakatan.")]
    attested = agreement.get("attested", [])
    drafter = agreement.get("by")
    people = {a["by"] for a in attested}
    ketua = any(a.get("ketua") and a["by"] != drafter for a in attested)
    if drafter not in people or not ketua:
        return [
            Block(
                "R13",
                "r13_tanpa_janji_tidak_melapor",
                "Sebelum kesepakatan diterbitkan, dua orang (mediator dan Ketua LP-PAR) masing-masing harus "
                "menyatakan ketiga larangan R13 atas butir kesepakatan yang sama "
                f"(baru {len(people)} orang yang menyatakannya).",
            )
        ]
    return []
