"""The screening record, the submission rules and the step guard, as pure functions."""

from __future__ import annotations

from typing import Any

import pytest

from engine.legal import guard, rules, screening
from tests.builders import ATTESTED, CLAUSES, application, opinion

ELIGIBLE_OPINIONS = [opinion("psikologis"), opinion("hukum"), opinion("medis"), opinion("sosial")]


def record_of(*submissions: dict[str, Any]) -> dict[str, Any]:
    record = screening.empty()
    for data in submissions:
        record = screening.fold(record, data, actor="x")
    return record


def eligible() -> dict[str, Any]:
    return record_of(application(), *ELIGIBLE_OPINIONS)


def test_an_eligible_record_has_no_block() -> None:
    assert screening.blocks(eligible()) == []


@pytest.mark.parametrize(
    ("submission", "rule"),
    [
        ({"jenis_kekerasan": ["seksual"]}, "R2"),
        ({"jenis_kekerasan": ["perdagangan_orang"]}, "TPPO"),
        ({"jenis_kekerasan": ["eksploitasi"]}, "EKSPLOITASI"),
        ({"tingkat_bahaya": "tinggi"}, "R9"),
        ({"persetujuan_korban": False}, "R8"),
        ({"kategori_perkara": "pidana_umum"}, "R6"),
        ({"korban": [{"nama": "A", "umur": 15}]}, "R4"),
        ({"kapasitas_korban": False}, "R7"),
        ({"rekomendasi_hukum": "tidak_layak"}, None),
        ({"skrining_ulang_aman": False}, "R9"),
    ],
)
def test_a_later_answer_that_forbids_mediation_stays_in_the_record(
    submission: dict[str, Any], rule: str | None
) -> None:
    record = screening.fold(eligible(), submission, actor="ketua")
    # The next submission repeating the eligible answers does not soften it.
    record = screening.fold(record, application(), actor="ketua")
    held = screening.answers(record)
    for field in submission:
        if field in held:
            assert held[field] != screening.answers(eligible()).get(field)
    if rule is not None:
        assert rule in {b.rule for b in screening.blocks(record)}


def test_a_child_perpetrator_of_sexual_violence_is_its_own_block() -> None:
    record = record_of(application(jenis_kekerasan=["seksual"], terlapor=[{"nama": "B", "umur": 16}]))
    assert {"R2", "R3"} <= {b.rule for b in screening.blocks(record)}


def test_softening_answers_are_changes_and_hardening_ones_are_not() -> None:
    record = record_of(application(jenis_kekerasan=["seksual", "psikis"], tingkat_bahaya="tinggi"))
    found = screening.changes(record, {"jenis_kekerasan": ["psikis"], "tingkat_bahaya": "rendah"})
    assert [(c.field, c.after) for c in found] == [("jenis_kekerasan", ["psikis"]), ("tingkat_bahaya", "rendah")]
    assert screening.changes(record, {"jenis_kekerasan": ["seksual", "psikis", "fisik"]}) == []
    assert screening.changes(record_of(application()), {"persetujuan_korban": False}) == []
    assert [c.field for c in screening.changes(record_of(application(persetujuan_korban=False)), application())] == [
        "persetujuan_korban"
    ]


def test_a_confirmed_correction_takes_the_submitted_answer() -> None:
    record = record_of(application(jenis_kekerasan=["seksual", "psikis"]))
    corrected = screening.fold(record, {"jenis_kekerasan": ["psikis"]}, confirmed=["jenis_kekerasan"])
    assert screening.answers(corrected)["jenis_kekerasan"] == ["psikis"]
    unconfirmed = screening.fold(record, {"jenis_kekerasan": ["psikis"]})
    assert screening.answers(unconfirmed)["jenis_kekerasan"] == ["seksual", "psikis"]


def test_the_child_exception_covers_only_a_family_civil_matter_in_the_childs_best_interests() -> None:
    child = application(korban=[{"nama": "A", "umur": 12}])
    exception = {"pengecualian_disetujui": True, "perkara_perdata_terkait": "Hak asuh"}
    assert "R4" in {b.rule for b in screening.blocks(record_of(child, *ELIGIBLE_OPINIONS, exception))}
    full = {**exception, "penilaian_kepentingan_terbaik_anak": "Anak tetap dekat dengan ibunya."}
    assert "R4" not in {b.rule for b in screening.blocks(record_of(child, *ELIGIBLE_OPINIONS, full))}
    complaint = application(korban=[{"nama": "A", "umur": 12}], kategori_perkara="delik_aduan")
    assert "R4" in {b.rule for b in screening.blocks(record_of(complaint, *ELIGIBLE_OPINIONS, full))}


def test_rules_refuse_an_assessment_that_contradicts_itself_beside_its_fields() -> None:
    data = opinion("psikologis", kapasitas_korban=False, tanpa_paksaan=False)
    errors = rules.check_submission(record_of(application()), data)
    assert set(errors) >= {"memenuhi_syarat_mediasi", "kapasitas_korban", "tanpa_paksaan"}
    assert rules.check_submission(record_of(application()), opinion("psikologis")) == {}


def test_a_recommendation_against_a_discipline_needs_its_reason() -> None:
    record = record_of(application(), opinion("hukum", rekomendasi_hukum="tidak_layak"))
    recommendation = {"rekomendasi_ketua": "terima", "alasan_rekomendasi": "Layak."}
    assert rules.DISSENT_REASON in rules.check_submission(record, recommendation)
    explained = {**recommendation, rules.DISSENT_REASON: "Pendapat hukum hanya menyangkut harta bersama."}
    assert rules.check_submission(record, explained) == {}


def test_a_correction_needs_a_code_and_a_reason() -> None:
    record = record_of(application(tingkat_bahaya="tinggi"))
    errors = rules.check_submission(record, {"tingkat_bahaya": "rendah"})
    assert set(errors) >= {rules.CORRECTION_CODE, rules.CORRECTION_REASON, "tingkat_bahaya"}
    given = {"tingkat_bahaya": "rendah", rules.CORRECTION_CODE: "salah_isi_permohonan"}
    assert rules.check_submission(record, {**given, rules.CORRECTION_REASON: "Pemohon salah memilih tingkat."}) == {}


def test_hard_referrals_need_police_companion_reason_and_report() -> None:
    record = record_of(application(jenis_kekerasan=["perdagangan_orang"]))
    referral = {"alasan_rujukan": ["lainnya"], "lembaga_rujukan": ["uptd_ppa"], "pendampingan": False}
    errors = rules.check_submission(record, referral)
    assert set(errors) >= {"lembaga_rujukan", "pendampingan", "alasan_rujukan"}
    assert "perdagangan orang" in errors["alasan_rujukan"]
    assert rules.check_submission(record, {"laporan_dibuat": False}) == {
        "alasan_tanpa_laporan": "Jelaskan mengapa laporan tidak dibuat (minimal 10 karakter)."
    }


def test_an_agreement_is_attested_and_its_warnings_acknowledged() -> None:
    record = eligible()
    agreed = {"hasil_mediasi": "sepakat", "klausul_kesepakatan": CLAUSES}
    assert set(rules.check_submission(record, agreed)) == set(screening.ATTESTATION_FIELDS)
    assert rules.check_submission(record, {**agreed, **ATTESTED}) == {}
    risky = {**agreed, **ATTESTED, "klausul_kesepakatan": [*CLAUSES, "Pihak pertama akan mencabut laporan polisi."]}
    errors = rules.check_submission(record, risky)
    assert "klausul_kesepakatan.2" in errors and rules.R13_ACK in errors


def test_the_guard_refuses_mediation_letters_and_the_mediated_outcome_while_a_block_stands() -> None:
    blocked = record_of(application(jenis_kekerasan=["seksual"]))
    for letters, outcome in ((["surat_undangan_mediasi"], None), (["berita_acara_mediasi"], None), ([], "mediated")):
        with pytest.raises(guard.LegalRefusal) as refused:
            guard.check_step(blocked, letters=letters, outcome=outcome)
        assert "jenis_kekerasan" in refused.value.errors and "_form" in refused.value.errors
    guard.check_step(blocked, letters=["surat_keputusan"], outcome=None)
    guard.check_step(eligible(), letters=["surat_undangan_mediasi"], outcome=None)


def test_the_agreement_letter_needs_two_peoples_attestations_over_the_same_clauses() -> None:
    drafted = screening.fold(eligible(), {"klausul_kesepakatan": CLAUSES, **ATTESTED}, actor="tono")
    with pytest.raises(guard.LegalRefusal):
        guard.check_step(drafted, letters=["kesepakatan"], outcome=None)
    reviewed = screening.fold(drafted, {"kesepakatan_disetujui": True, **ATTESTED}, actor="rina", ketua=True)
    guard.check_step(reviewed, letters=["kesepakatan"], outcome=None)
    reworded = screening.fold(reviewed, {"klausul_kesepakatan": [*CLAUSES, "Butir baru."], **ATTESTED}, actor="tono")
    with pytest.raises(guard.LegalRefusal):
        guard.check_step(reworded, letters=["kesepakatan"], outcome=None)


def test_a_referral_outcome_needs_a_complete_referral() -> None:
    record = record_of(application(jenis_kekerasan=["eksploitasi"]))
    with pytest.raises(guard.LegalRefusal) as refused:
        guard.check_step(record, letters=[], outcome="referred")
    assert {"lembaga_rujukan", "pendamping", "alasan_rujukan", "laporan_dibuat"} <= set(refused.value.errors)
    complete = screening.fold(
        record,
        {
            "alasan_rujukan": ["eksploitasi"],
            "lembaga_rujukan": ["kepolisian"],
            "pendampingan": True,
            "pendamping": "Wati",
            "laporan_dibuat": True,
            "nomor_laporan_polisi": "LP/1",
        },
    )
    guard.check_step(complete, letters=[], outcome="referred")
