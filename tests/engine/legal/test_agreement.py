"""R13's detector on Indonesian phrasings: what must warn, and what an ordinary agreement says."""

from __future__ import annotations

import pytest

from engine.legal.agreement import MARRIAGE, REPORT, SILENCE_MONEY, check_clauses, clauses_of, normalise

FORBIDDEN = [
    ("Laporan polisi akan dicabut oleh pihak pertama.", REPORT),
    ("Pihak pertama tidak jadi lapor ke polisi.", REPORT),
    ("Pihak pertama mencabut LP di Polres Pekalongan Kota.", REPORT),
    ("Pihak pertama berjanji tidak akan melaporkan kejadian ini ke polisi.", REPORT),
    ("Pengaduan di Polsek akan ditarik kembali.", REPORT),
    ("Pihak pertama tidak melanjutkan proses hukum di kepolisian.", REPORT),
    ("Pihak pertama tidak akan menuntut pihak kedua secara pidana.", REPORT),
    ("Pencabutan laporan dilakukan paling lambat tanggal 5.", REPORT),
    ("Pihak pertama bersedia menjadi istri pihak kedua.", MARRIAGE),
    ("Pihak kedua akan menikahi pihak pertama bulan depan.", MARRIAGE),
    ("Para pihak sepakat melangsungkan pernikahan.", MARRIAGE),
    ("Korban dinikahkan dengan terlapor setelah perceraian orang tuanya.", MARRIAGE),
    ("Para pihak rujuk kembali.", MARRIAGE),
    ("Pihak kedua akan mengawini pihak pertama secara siri.", MARRIAGE),
    (
        "Pihak kedua memberi Rp5.000.000 kepada pihak pertama dan pihak pertama tidak akan cerita kepada siapa pun.",
        SILENCE_MONEY,
    ),
    ("Pihak kedua membayar uang damai Rp10.000.000.", SILENCE_MONEY),
    ("Pihak kedua memberikan uang tutup mulut kepada keluarga korban.", SILENCE_MONEY),
    ("Pihak pertama menerima kompensasi sebesar Rp 2 juta dan merahasiakan kejadian tersebut.", SILENCE_MONEY),
    ("Setelah menerima Rp 3.000.000, pihak pertama tidak akan membicarakan masalah ini lagi.", SILENCE_MONEY),
    ("Pembayaran Rp1.000.000 diberikan supaya pihak pertama diam.", SILENCE_MONEY),
]

ALLOWED = [
    "Pihak kedua membayar nafkah anak sebesar Rp1.500.000 setiap bulan paling lambat tanggal 10.",
    "Hak asuh anak berada pada pihak pertama.",
    "Pihak kedua tidak akan mendatangi rumah pihak pertama tanpa izin.",
    "Harta bersama selama perkawinan dibagi dua sama besar.",
    "Kesepakatan ini tidak menghapus hak pihak pertama untuk melapor kepada polisi.",
    "Pihak pertama tetap berhak melaporkan setiap kekerasan baru kepada kepolisian.",
    "Pihak kedua menyerahkan salinan akta nikah dan akta kelahiran anak.",
    "Pihak kedua menafkahi mantan istri selama masa iddah.",
    "Para pihak menjaga kerahasiaan data pribadi anak.",
    "Pihak kedua mengembalikan uang tabungan anak sebesar Rp4.000.000.",
    "Pihak kedua meminta maaf secara tertulis kepada pihak pertama.",
    "Pihak pertama tidak diwajibkan mencabut laporan yang telah dibuat.",
    "Para pihak mengikuti konseling keluarga di UPTD PPA Kota Pekalongan.",
    "Pihak kedua tidak akan menghubungi pihak pertama melalui media sosial.",
    "Pihak kedua membayar ganti rugi biaya pengobatan Rp750.000.",
    "Perceraian diajukan ke Pengadilan Agama Pekalongan.",
    "Pihak kedua bersedia menjalani pemeriksaan di kepolisian bila diminta.",
    "Pihak kedua tidak akan mengulangi kekerasan dan bersedia dilaporkan kembali bila melanggar.",
    "Pihak pertama tidak akan mencabut laporan di Polres.",
    "Pihak kedua tidak akan menikahi siapa pun selama proses ini.",
]


@pytest.mark.parametrize(("clause", "rule"), FORBIDDEN)
def test_forbidden_phrasings_warn(clause: str, rule: str) -> None:
    findings = check_clauses(["Hak asuh anak pada pihak pertama.", clause], complaint_offence=False)
    assert [(f.clause, f.rule) for f in findings] == [(1, rule)]
    assert findings[0].words and findings[0].words in normalise(clause)
    assert findings[0].message().startswith("Peringatan R13")


@pytest.mark.parametrize("clause", ALLOWED)
def test_ordinary_clauses_pass(clause: str) -> None:
    assert check_clauses([clause], complaint_offence=False) == []


def test_the_lists_are_long_enough_and_balanced() -> None:
    assert len(FORBIDDEN) + len(ALLOWED) >= 30
    assert len(ALLOWED) >= len(FORBIDDEN)


def test_a_complaint_offence_may_be_withdrawn_but_nothing_else() -> None:
    assert check_clauses(["Pihak pertama mencabut pengaduan di Polsek."], complaint_offence=True) == []
    assert [f.rule for f in check_clauses(["Pihak pertama mencabut pengaduan."], complaint_offence=False)] == [REPORT]
    married = check_clauses(["Pihak kedua akan menikahi pihak pertama."], complaint_offence=True)
    assert [f.rule for f in married] == [MARRIAGE]


def test_normalise_writes_money_and_accents_one_way() -> None:
    assert normalise("Rp5.000.000,-") == normalise("rp 5000000") == "rp 5000000"
    assert normalise("Cabut  LAPORAN") == "cabut laporan"
    assert normalise("naïve") == "naive"


def test_clauses_come_from_the_list_or_the_older_text() -> None:
    assert clauses_of({"klausul_kesepakatan": ["a", "b"]}) == ["a", "b"]
    assert clauses_of({"isi_kesepakatan": "satu teks"}) == ["satu teks"]
    assert clauses_of({}) == []
