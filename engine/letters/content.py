"""What each kind of letter says: its values for the template and to whom it is addressed.

Builders read the case's facts and the data of the step that issues the letter. The letters to
third parties (undangan_koordinasi) read nothing about the victim: no name, no violence type, no
account of what happened (R14); their builder is given only what it prints.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import date
from typing import Any

from engine.legal.agreement import clauses_of
from engine.letters.dates import clock_time, day_and_date, long_date, parse_date, parse_time
from engine.letters.render import Html, escape, paragraphs

Titles = Mapping[str, Mapping[str, str]]  # variable -> enum value -> title, from the version's forms
CONTACT_LATER = "akan diberitahukan kemudian"


@dataclass(frozen=True)
class CaseFacts:
    """What letters say about the case itself."""

    number: str
    applicant: str
    applicant_address: str
    filed_on: date
    actor_name: str


@dataclass(frozen=True)
class Heading:
    """The number block of a surat dinas: subject, addressee and where the addressee is."""

    hal: str
    tujuan: Html
    tempat_tujuan: str = "Tempat"
    lampiran: str = "-"


@dataclass(frozen=True)
class Content:
    """A letter's own values, its heading (None for a decree or a record) and its addressee."""

    values: dict[str, Any]
    addressee: str
    heading: Heading | None = None


Builder = Callable[[CaseFacts, Mapping[str, Any], Titles], Content]


def _title(titles: Titles, variable: str, value: Any) -> str:
    return titles.get(variable, {}).get(str(value), str(value).replace("_", " "))


def _names(people: Any) -> str:
    names = [str(p.get("nama", "")).strip() for p in people or [] if isinstance(p, dict)]
    names = [n for n in names if n]
    if len(names) > 1:
        return ", ".join(names[:-1]) + " dan " + names[-1]
    return names[0] if names else "-"


def _to_applicant(facts: CaseFacts, hal: str) -> Heading:
    return Heading(hal=hal, tujuan=escape(facts.applicant), tempat_tujuan=facts.applicant_address or "Tempat")


def _when(data: Mapping[str, Any]) -> dict[str, str]:
    day, at = parse_date(data.get("tanggal_mediasi")), parse_time(data.get("jam_mediasi"))
    return {
        "hari_tanggal": day_and_date(day) if day else CONTACT_LATER,
        "pukul": clock_time(at) if at else CONTACT_LATER,
        "tempat": str(data.get("tempat_mediasi") or CONTACT_LATER),
    }


def surat_keputusan(facts: CaseFacts, data: Mapping[str, Any], titles: Titles) -> Content:
    accepted = data.get("keputusan") == "diterima"
    follow_up = (
        "Pelaksanaan mediasi diberitahukan kepada pemohon dengan Surat Undangan Mediasi."
        if accepted
        else "Keputusan ini diberitahukan kepada pemohon dengan surat pemberitahuan."
    )
    values = {
        "pemohon": facts.applicant,
        "tanggal_permohonan": long_date(facts.filed_on),
        "amar": "DITERIMA untuk difasilitasi mediasi" if accepted else "DITOLAK",
        "kategori_alasan": _title(titles, "kode_alasan_keputusan", data.get("kode_alasan_keputusan", "-")),
        "alasan": paragraphs(str(data.get("alasan_keputusan", ""))),
        "tindak_lanjut": follow_up,
    }
    return Content(values, addressee=facts.applicant)


def surat_undangan_mediasi(facts: CaseFacts, data: Mapping[str, Any], titles: Titles) -> Content:
    companion = str(data.get("pendamping_korban") or "").strip()
    values = {
        **_when(data),
        "bentuk_sesi": "dalam sesi bersama para pihak" if data.get("sesi_bersama") else "dalam ruang terpisah",
        "pendamping": f"Dalam mediasi ini korban didampingi oleh {companion}."
        if companion
        else "Saudara dapat didampingi oleh pendamping pilihan Saudara.",
    }
    return Content(values, addressee=facts.applicant, heading=_to_applicant(facts, "Undangan Mediasi"))


def surat_pemberitahuan_penolakan(facts: CaseFacts, data: Mapping[str, Any], titles: Titles) -> Content:
    values = {
        "kategori_alasan": _title(titles, "kode_alasan_keputusan", data.get("kode_alasan_keputusan", "-")),
        "alasan": paragraphs(str(data.get("alasan_keputusan", ""))),
    }
    return Content(values, addressee=facts.applicant, heading=_to_applicant(facts, "Pemberitahuan"))


DECLINED = {
    "menolak": "menolak untuk dimediasi",
    "tidak_kooperatif": "tidak kooperatif",
    "tidak_dapat_dihubungi": "tidak dapat dihubungi",
}


def surat_pemberitahuan_tidak_dapat_dilaksanakan(facts: CaseFacts, data: Mapping[str, Any], titles: Titles) -> Content:
    code = str(data.get("kode_alasan_tidak_bersedia") or "")
    reason = DECLINED.get(code) or _title(titles, "kode_alasan_tidak_bersedia", code or "tidak bersedia").lower()
    heading = _to_applicant(facts, "Pemberitahuan Mediasi Tidak Dapat Dilaksanakan")
    return Content({"alasan": reason}, addressee=facts.applicant, heading=heading)


def surat_pemberitahuan_rujukan(facts: CaseFacts, data: Mapping[str, Any], titles: Titles) -> Content:
    # Neutral on purpose (R2): the letter may be read by others in the household, so it names
    # neither the reason nor the institutions the case is referred to.
    companion = (
        "Petugas kami akan mendampingi Saudara dalam mengakses layanan lanjutan yang sesuai."
        if data.get("pendampingan")
        else "Petugas kami akan menghubungi Saudara mengenai layanan lanjutan yang sesuai."
    )
    return Content(
        {"pendampingan": companion}, addressee=facts.applicant, heading=_to_applicant(facts, "Pemberitahuan")
    )


PARTY_TITLES = {
    "kelurahan": "Lurah setempat",
    "babinkamtibmas": "Bhabinkamtibmas setempat",
    "rt_rw": "Ketua RT/RW setempat",
    "keluarga": "Keluarga pihak terkait",
    "lainnya": "Pihak terkait lainnya",
}


def undangan_koordinasi(facts: CaseFacts, data: Mapping[str, Any], titles: Titles) -> Content:
    parties = [PARTY_TITLES.get(str(p)) or _title(titles, "pihak_terkait", p) for p in data.get("pihak_terkait") or []]
    parties = parties or ["Pihak terkait"]
    addressees = Html("<ol>" + "".join(f"<li>{escape(p)}</li>" for p in parties) + "</ol>")
    heading = Heading(hal="Undangan Koordinasi", tujuan=addressees)
    return Content(_when(data), addressee=", ".join(parties), heading=heading)


def _mediation_record(facts: CaseFacts, data: Mapping[str, Any], titles: Titles) -> dict[str, Any]:
    day = parse_date(data.get("tanggal_pelaksanaan"))
    return {
        "hari_tanggal": day_and_date(day) if day else "-",
        "tempat": str(data.get("tempat_mediasi") or "Kantor Dinas"),
        "pemohon": facts.applicant,
        "pihak_pertama": _names(data.get("korban")),
        "pihak_kedua": _names(data.get("terlapor")),
        "mediator": facts.actor_name,
    }


def berita_acara_mediasi(facts: CaseFacts, data: Mapping[str, Any], titles: Titles) -> Content:
    values = {
        **_mediation_record(facts, data, titles),
        "permasalahan": str(data.get("permasalahan_yang_dimediasi") or "-"),
        "bentuk_sesi": _title(titles, "bentuk_sesi", data.get("bentuk_sesi", "-")),
        "hasil": _title(titles, "hasil_mediasi", data.get("hasil_mediasi", "-")),
        "berita_acara": paragraphs(str(data.get("berita_acara", ""))),
    }
    return Content(values, addressee=facts.applicant)


def kesepakatan(facts: CaseFacts, data: Mapping[str, Any], titles: Titles) -> Content:
    clauses = clauses_of(dict(data))
    values = {
        **_mediation_record(facts, data, titles),
        "isi_kesepakatan": paragraphs("\n\n".join(clauses)),  # template v1: the agreement as one text
        "butir_kesepakatan": Html("".join(f"<li>{escape(c)}</li>" for c in clauses)),
    }
    return Content(values, addressee=f"{values['pihak_pertama']} dan {values['pihak_kedua']}")


BUILDERS: dict[str, Builder] = {
    "surat_keputusan": surat_keputusan,
    "surat_undangan_mediasi": surat_undangan_mediasi,
    "surat_pemberitahuan_penolakan": surat_pemberitahuan_penolakan,
    "surat_pemberitahuan_tidak_dapat_dilaksanakan": surat_pemberitahuan_tidak_dapat_dilaksanakan,
    "surat_pemberitahuan_rujukan": surat_pemberitahuan_rujukan,
    "undangan_koordinasi": undangan_koordinasi,
    "berita_acara_mediasi": berita_acara_mediasi,
    "kesepakatan": kesepakatan,
}


def build(kind: str, facts: CaseFacts, data: Mapping[str, Any], titles: Titles) -> Content:
    """The content of a letter of `kind`."""
    return BUILDERS[kind](facts, data, titles)
