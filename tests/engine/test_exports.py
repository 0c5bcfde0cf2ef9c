"""De-identified exports: the exact content of every file, SIMFONI cardinality, no identifiers, audit, roles."""

from __future__ import annotations

import csv
import hashlib
import io
import json
import zipfile
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import openpyxl
import pytest
from sqlalchemy import select

from engine.actors import Actor
from engine.clock import FixedClock
from engine.context import EngineContext
from engine.errors import FormInvalid, InvalidInput, PermissionDenied
from engine.events import ACCESS_CHAIN
from engine.persistence.models import Event, EventPayload
from engine.services import audit as audit_service
from engine.services import cases as case_service
from engine.services import deploy as deploy_service
from engine.services import exports, reads
from engine.services import users as user_service
from engine.services.cases import WalkInApplicant
from engine.services.exports import Period
from engine.settings import PROJECT_ROOT
from engine.simfoni import AGE_BANDS, AGE_GROUP, PLACE, RELATIONSHIP, SERVICE, SEX, TABLES, VIOLENCE, code_tables
from tests.builders import ACCEPTED_TO_END, TO_DECISION, Step, application, screening, steps, walk
from tests.conftest import OPERATOR

CAMUNDA = Path(__file__).resolve().parent.parent / "data" / "camunda5_pemeriksaan.bpmn"


def utc(*args: int) -> datetime:
    return datetime(*args, tzinfo=UTC)


# Everything that identifies someone in the seeded cases: none of it may leave in an export.
WALK_IN = WalkInApplicant(nama="Wati Rahayu", telepon="081298765432", alamat="Jl. Melati No. 7, Kuripan Lor")
MEDIATED = application(
    korban=[
        {"nama": "Ratna Sari", "umur": 34, "jenis_kelamin": "perempuan"},
        {"nama": "Nadia Putri", "umur": 19, "jenis_kelamin": "perempuan"},
    ],
    terlapor=[
        {"nama": "Bambang Hartono", "umur": 38, "jenis_kelamin": "laki_laki"},
        {"nama": "Sumiyati", "umur": 61, "jenis_kelamin": "perempuan"},
    ],
    tempat_kejadian="Jl. Kenanga No. 12, Pekalongan  barat",
    kronologi="Bambang Hartono menelepon dari 0812-3456-7890 dan mengancam Ratna Sari.",
)
REFERRED = application(
    korban=[{"nama": "Lestari Wulandari", "umur": 27, "jenis_kelamin": "perempuan"}],
    terlapor=[
        {"nama": "Joko Susilo", "umur": 45, "jenis_kelamin": "laki_laki"},
        {"nama": "Prasetyo Wibowo", "umur": 50, "jenis_kelamin": "laki_laki"},
    ],
    hubungan_korban_terlapor="tetangga",
    tempat_kejadian="Desa Kedungwuni, Kabupaten Pekalongan",
    jenis_kekerasan=["fisik", "seksual"],
)
WITHDRAWN = application(
    korban=[{"nama": "Maya Anggraini", "umur": 45, "jenis_kelamin": "perempuan"}],
    terlapor=[{"nama": "Hendra Gunawan", "umur": 47, "jenis_kelamin": "laki_laki"}],
    hubungan_korban_terlapor="suami_istri",
    tempat_kejadian="Kelurahan Krapyak, Pekalongan Utara",
    jenis_kekerasan=["psikis"],
)
OPEN = application(
    korban=[
        {"nama": "Sri Wahyuni", "umur": 5, "jenis_kelamin": "perempuan"},
        {"nama": "Bayu Firmansyah", "umur": 12, "jenis_kelamin": "laki_laki"},
    ],
    terlapor=[{"nama": "Slamet Riyadi", "umur": 60, "jenis_kelamin": "laki_laki"}],
    hubungan_korban_terlapor="orang_tua_anak",
    tempat_kejadian="Kelurahan Noyontaan, Pekalongan Timur",
    jenis_kekerasan=["penelantaran"],
    tingkat_bahaya="sedang",
    kategori_perkara="lainnya",
)
IDENTIFIERS = [
    WALK_IN.nama,
    WALK_IN.telepon,
    "Melati",
    "Kuripan",
    "Kenanga",
    "Kedungwuni",
    "Krapyak",
    "Noyontaan",
    "0812-3456-7890",
    "menelepon",
    "Ani Pemohon",
    "Dewi Fulltimer",
    "MED-2026",
    *(p["nama"] for data in (MEDIATED, REFERRED, WITHDRAWN, OPEN) for p in data["korban"] + data["terlapor"]),
]


@dataclass(frozen=True)
class Seeded:
    """The numbers of the seeded cases, in the order they were filed."""

    numbers: list[str]


def seed(make_ctx: Callable[[], EngineContext], people: dict[str, Actor], clock: FixedClock) -> Seeded:
    """Four cases of violence (mediated, referred for a walk-in, withdrawn, open), and two of other processes."""
    ctx = make_ctx()
    numbers = []

    # Filed Tuesday 17 March 09.00 WIB; the file comes back once; decided and mediated on 31 March.
    clock.set(utc(2026, 3, 17, 2))
    case = case_service.start_case(ctx, actor=people["ani"], data=MEDIATED)
    first = steps(
        Step("Task_periksa_kelengkapan", {"berkas_lengkap": False, "catatan_kelengkapan": "Lampirkan KTP."}),
        "Task_lengkapi_berkas",
        *TO_DECISION,
    )
    walk(lambda: ctx, people, case, first)
    clock.set(utc(2026, 3, 31, 3))
    walk(lambda: ctx, people, case, steps(*ACCEPTED_TO_END))
    numbers.append(case.number)

    # Filed the same day at 10.00 by the front desk for a walk-in applicant; sexual violence: referred.
    clock.set(utc(2026, 3, 17, 3))
    case = case_service.start_case(ctx, actor=people["dewi"], data=REFERRED, applicant=WALK_IN)
    referral = steps(
        "Task_periksa_kelengkapan",
        Step("Task_telaah_permohonan", screening(jenis_kekerasan=["fisik", "seksual"])),
        "Task_catat_rujukan",
        "Task_laporan_polisi",
    )
    walk(lambda: ctx, people, case, referral)
    numbers.append(case.number)

    # Another process's case: never in these exports.
    deploy_service.deploy(
        ctx,
        actor=OPERATOR,
        xml=CAMUNDA.read_bytes(),
        filename="pemeriksaan.bpmn",
        lane_roles={"Pemohon": ["applicant"], "Ketua LP-PAR": ["ketua_lppar"]},
    )
    case_service.start_case(ctx, actor=people["ani"], data=MEDIATED, process_key="pemeriksaan_permohonan")
    # A complaint about the service is no case of violence either.
    complaint = {"saluran": "telepon", "perihal": "Belum ada kabar", "uraian": "Berkas Ratna Sari belum dijawab."}
    case_service.start_case(ctx, actor=people["ani"], data=complaint, process_key="pengaduan_layanan")

    # Filed Wednesday 1 April; the Ketua's screening adds neglect; one opinion given; withdrawn a day later.
    clock.set(utc(2026, 4, 1, 2))
    case = case_service.start_case(ctx, actor=people["ani"], data=WITHDRAWN)
    screened = steps(
        "Task_periksa_kelengkapan",
        Step("Task_telaah_permohonan", screening(jenis_kekerasan=["psikis", "penelantaran"])),
        "Task_pendapat_hukum",
    )
    walk(lambda: ctx, people, case, screened)
    clock.set(utc(2026, 4, 2, 2))
    case_service.withdraw_case(ctx, actor=people["ani"], case_ref=case.number, reason="Korban mencabut persetujuan.")
    numbers.append(case.number)

    # Filed at 00.30 WIB on Wednesday 15 April (still the 14th in UTC); nothing done yet.
    clock.set(utc(2026, 4, 14, 17, 30))
    case = case_service.start_case(ctx, actor=people["ani"], data=OPEN)
    numbers.append(case.number)
    return Seeded(numbers)


@pytest.fixture
def seeded(make_ctx: Callable[[], EngineContext], people: dict[str, Actor], clock: FixedClock) -> Seeded:
    return seed(make_ctx, people, clock)


def read_csv(content: bytes) -> list[list[str]]:
    """Rows of an exported CSV, after checking its BOM (so Excel reads UTF-8)."""
    assert content.startswith(b"\xef\xbb\xbf")
    return list(csv.reader(io.StringIO(content.decode("utf-8-sig"), newline=""), delimiter=";"))


def read_xlsx(content: bytes) -> list[list[Any]]:
    """Rows of an exported workbook's only sheet, values as stored."""
    book = openpyxl.load_workbook(io.BytesIO(content))
    assert len(book.worksheets) == 1
    return [list(row) for row in book.active.iter_rows(values_only=True)]


def as_text(rows: list[list[Any]]) -> list[list[str]]:
    return [["" if cell is None else str(cell) for cell in row] for row in rows]


def exported(ctx: EngineContext, who: Actor, kind: str, fmt: str, period: Period | None = None) -> exports.ExportFile:
    return exports.export(ctx, actor=who, kind=kind, fmt=fmt, period=period or Period())


def logged_exports(ctx: EngineContext) -> list[tuple[str, str, Any, Any]]:
    """(actor, type, subject, detail) of every export on the access chain, oldest first."""
    with ctx.unit_of_work(write=False) as uow:
        rows = uow.session.execute(
            select(Event.actor, Event.type, Event.subject_id, EventPayload.data)
            .outerjoin(EventPayload, EventPayload.event_id == Event.id)
            .where(Event.chain == ACCESS_CHAIN, Event.type == reads.STATISTICS_EXPORTED)
            .order_by(Event.seq)
        ).all()
    return [(who, type_, subject, json.loads(data)) for who, type_, subject, data in rows]


# -- the statistics export ---------------------------------------------------------------------------

VIOLENCE_LABELS = ["Fisik", "Psikis", "Seksual", "Penelantaran", "Ekonomi", "Eksploitasi", "Perdagangan orang"]
AGES = ["0-5 tahun", "6-12 tahun", "13-17 tahun", "18-24 tahun", "25-44 tahun", "45-59 tahun", "60 tahun ke atas"]
STATISTICS_HEADER = [
    "Kasus",
    "Bulan masuk",
    "Bulan selesai",
    "Status",
    "Hasil",
    *(f"Jenis kekerasan: {label}" for label in [*VIOLENCE_LABELS, "Lainnya", "Tidak diketahui"]),
    "Jumlah korban",
    *(
        f"Korban {sex}, {age}"
        for sex in ["Laki-laki", "Perempuan", "Tidak diketahui"]
        for age in [*AGES, "Tidak diketahui"]
    ),
    "Jumlah terlapor",
    "Hubungan korban dengan terlapor",
    "Tempat kejadian",
    "Kategori perkara",
    "Tingkat bahaya",
    "Respons tepat waktu",
    "Respons (hari kerja)",
    "Penyelesaian tepat waktu",
    "Penyelesaian (hari kerja)",
]
# Each case's cells that are not empty or zero.
STATISTICS = [
    {
        "Kasus": "K0001",
        "Bulan masuk": "2026-03",
        "Bulan selesai": "2026-03",
        "Status": "Selesai",
        "Hasil": "Mediasi dilaksanakan",
        "Jenis kekerasan: Psikis": "1",
        "Jenis kekerasan: Ekonomi": "1",
        "Jumlah korban": "2",
        "Korban Perempuan, 18-24 tahun": "1",
        "Korban Perempuan, 25-44 tahun": "1",
        "Jumlah terlapor": "2",
        "Hubungan korban dengan terlapor": "Mantan suami/istri",
        "Tempat kejadian": "Kecamatan Pekalongan Barat",
        "Kategori perkara": "Perdata keluarga",
        "Tingkat bahaya": "Rendah",
        # 17 March plus 5 working days is 31 March (Nyepi, Idul Fitri and cuti bersama between).
        "Respons tepat waktu": "Ya",
        "Respons (hari kerja)": "5",
        "Penyelesaian tepat waktu": "Ya",
        "Penyelesaian (hari kerja)": "5",
    },
    {
        "Kasus": "K0002",
        "Bulan masuk": "2026-03",
        "Bulan selesai": "2026-03",
        "Status": "Selesai",
        "Hasil": "Dirujuk",
        "Jenis kekerasan: Fisik": "1",
        "Jenis kekerasan: Seksual": "1",
        "Jumlah korban": "1",
        "Korban Perempuan, 25-44 tahun": "1",
        "Jumlah terlapor": "2",
        "Hubungan korban dengan terlapor": "Tetangga",
        "Tempat kejadian": "Tidak dapat ditentukan",  # outside the city's four kecamatan
        "Kategori perkara": "Perdata keluarga",
        "Tingkat bahaya": "Rendah",
        "Respons tepat waktu": "Ya",
        "Respons (hari kerja)": "0",
        "Penyelesaian tepat waktu": "Ya",
        "Penyelesaian (hari kerja)": "0",
    },
    {
        "Kasus": "K0003",
        "Bulan masuk": "2026-04",
        "Bulan selesai": "2026-04",
        "Status": "Selesai",
        "Hasil": "Dihentikan",
        "Jenis kekerasan: Psikis": "1",
        "Jenis kekerasan: Penelantaran": "1",  # the Ketua's screening, not the request
        "Jumlah korban": "1",
        "Korban Perempuan, 45-59 tahun": "1",
        "Jumlah terlapor": "1",
        "Hubungan korban dengan terlapor": "Suami/istri",
        "Tempat kejadian": "Kecamatan Pekalongan Utara",
        "Kategori perkara": "Perdata keluarga",
        "Tingkat bahaya": "Rendah",
        "Respons tepat waktu": "Ya",
        "Respons (hari kerja)": "1",
        "Penyelesaian tepat waktu": "Ya",
        "Penyelesaian (hari kerja)": "1",
    },
    {
        "Kasus": "K0004",
        "Bulan masuk": "2026-04",
        "Status": "Berjalan",
        "Jenis kekerasan: Penelantaran": "1",
        "Jumlah korban": "2",
        "Korban Laki-laki, 6-12 tahun": "1",
        "Korban Perempuan, 0-5 tahun": "1",
        "Jumlah terlapor": "1",
        "Hubungan korban dengan terlapor": "Orang tua/anak",
        "Tempat kejadian": "Kecamatan Pekalongan Timur",
        "Kategori perkara": "Lainnya",
        "Tingkat bahaya": "Sedang",
    },
]
COUNTS = tuple(c for c in STATISTICS_HEADER if c.startswith(("Jenis kekerasan:", "Korban ", "Jumlah ")))


def statistics_rows(*expected: dict[str, str]) -> list[list[str]]:
    blank = {column: ("0" if column in COUNTS else "") for column in STATISTICS_HEADER}
    return [list({**blank, **row}.values()) for row in expected]


def test_the_statistics_export_holds_one_row_per_case_of_violence(
    ctx: EngineContext, people: dict[str, Actor], seeded: Seeded
) -> None:
    csv_file = exported(ctx, people["kadin"], "statistik", "csv")
    header, *rows = read_csv(csv_file.content)
    assert header == STATISTICS_HEADER
    assert rows == statistics_rows(*STATISTICS)  # the other process's case is not there
    assert (csv_file.filename, csv_file.media_type, csv_file.rows) == (
        "statistik-kasus.csv",
        "text/csv; charset=utf-8",
        4,
    )

    xlsx_file = exported(ctx, people["kadin"], "statistik", "xlsx")
    sheet = read_xlsx(xlsx_file.content)
    assert as_text(sheet) == [header, *rows]
    first = dict(zip(header, sheet[1], strict=True))
    assert first["Jumlah korban"] == 2 and first["Respons (hari kerja)"] == 5  # numbers, not text
    assert first["Jenis kekerasan: Fisik"] == 0 and sheet[4][2] is None  # an open case has no closing month
    assert xlsx_file.filename == "statistik-kasus.xlsx"
    assert openpyxl.load_workbook(io.BytesIO(xlsx_file.content)).active.title == "Statistik kasus"


# -- the SIMFONI-PPA export --------------------------------------------------------------------------

SERVICES_MEDIATED = ["01", "02", "03", "04", "05", "06"]  # request, four Tim Teknis opinions, the mediation
SERVICES_REFERRED = ["01", "07", "09", "14", "15"]  # police and UPTD PPA referral, companion, police report
SERVICES_WITHDRAWN = ["01", "03"]  # the legal opinion given before the victim withdrew
# case: (month, victims (age, sex), perpetrators (age, sex), relationship, violence types, place, services)
SIMFONI_CASES = {
    "K0001": ("2026-03", [("05", "02"), ("04", "02")], [("05", "01"), ("07", "02")], "02", ["02", "05"], "01"),
    "K0002": ("2026-03", [("05", "02")], [("06", "01"), ("06", "01")], "06", ["01", "03"], "99"),
    "K0003": ("2026-04", [("06", "02")], [("06", "01")], "01", ["02", "04"], "04"),
    "K0004": ("2026-04", [("01", "02"), ("02", "01")], [("07", "01")], "03", ["04"], "02"),
}
SERVICES = {"K0001": SERVICES_MEDIATED, "K0002": SERVICES_REFERRED, "K0003": SERVICES_WITHDRAWN, "K0004": ["01"]}


def simfoni_expected() -> list[list[str]]:
    codes = code_tables()

    def pair(table: str, code: str) -> list[str]:
        return [code, codes.label(table, code)]

    rows = []
    for case, (month, victims, perpetrators, relationship, types, place) in SIMFONI_CASES.items():
        services = SERVICES[case]
        service_cells = [", ".join(services), ", ".join(codes.label(SERVICE, s) for s in services)]
        for v, (v_age, v_sex) in enumerate(victims, start=1):
            for p, (p_age, p_sex) in enumerate(perpetrators, start=1):
                for violence in types:
                    rows.append(
                        [
                            case,
                            month,
                            str(v),
                            *pair(AGE_GROUP, v_age),
                            *pair(SEX, v_sex),
                            str(p),
                            *pair(AGE_GROUP, p_age),
                            *pair(SEX, p_sex),
                            *pair(RELATIONSHIP, relationship),
                            *pair(VIOLENCE, violence),
                            *pair(PLACE, place),
                            *service_cells,
                        ]
                    )
    return rows


def test_simfoni_rows_are_victims_times_perpetrators_times_violence_types(
    ctx: EngineContext, people: dict[str, Actor], seeded: Seeded
) -> None:
    csv_file = exported(ctx, people["rina"], "simfoni", "csv")
    header, *rows = read_csv(csv_file.content)
    assert header == [
        "Kasus",
        "Bulan masuk",
        "Korban ke",
        "Kode umur korban",
        "Kelompok umur korban",
        "Kode jenis kelamin korban",
        "Jenis kelamin korban",
        "Terlapor ke",
        "Kode umur terlapor",
        "Kelompok umur terlapor",
        "Kode jenis kelamin terlapor",
        "Jenis kelamin terlapor",
        "Kode hubungan",
        "Hubungan korban dengan terlapor",
        "Kode jenis kekerasan",
        "Jenis kekerasan",
        "Kode tempat kejadian",
        "Tempat kejadian",
        "Kode layanan",
        "Layanan",
    ]
    per_case = {case: sum(row[0] == case for row in rows) for case in SIMFONI_CASES}
    assert per_case == {"K0001": 2 * 2 * 2, "K0002": 1 * 2 * 2, "K0003": 1 * 1 * 2, "K0004": 2 * 1 * 1}
    assert rows[0] == [
        "K0001",
        "2026-03",
        "1",
        "05",
        "25-44 tahun",
        "02",
        "Perempuan",
        "1",
        "05",
        "25-44 tahun",
        "01",
        "Laki-laki",
        "02",
        "Mantan suami/istri",
        "02",
        "Psikis",
        "01",
        "Kecamatan Pekalongan Barat",
        "01, 02, 03, 04, 05, 06",
        "Penerimaan pengaduan, Asesmen psikologis, Pertimbangan hukum, Pertimbangan medis, Asesmen sosial, Mediasi",
    ]
    assert rows == simfoni_expected()
    assert csv_file.filename == "simfoni-ppa.csv" and csv_file.rows == 16

    xlsx_file = exported(ctx, people["rina"], "simfoni", "xlsx")
    sheet = read_xlsx(xlsx_file.content)
    assert as_text(sheet) == [header, *rows]
    assert sheet[1][2] == 1 and sheet[1][3] == "05"  # indexes are numbers, codes keep their leading zero


# -- de-identification -------------------------------------------------------------------------------


def file_text(exported_file: exports.ExportFile) -> str:
    """Everything a file holds as text: the CSV, or every part of the XLSX package (its XML)."""
    if exported_file.filename.endswith(".csv"):
        return exported_file.content.decode("utf-8-sig")
    with zipfile.ZipFile(io.BytesIO(exported_file.content)) as package:
        return "\n".join(package.read(name).decode("utf-8") for name in package.namelist())


@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
@pytest.mark.parametrize("kind", ["statistik", "simfoni"])
def test_no_export_holds_a_name_phone_number_or_address(
    ctx: EngineContext, people: dict[str, Actor], seeded: Seeded, kind: str, fmt: str
) -> None:
    text = file_text(exported(ctx, people["kadin"], kind, fmt)).casefold()
    assert "k0004" in text  # the search below looks at real content
    assert [found for found in IDENTIFIERS if found.casefold() in text] == []
    assert [number for number in seeded.numbers if number.casefold() in text] == []


# -- the filter --------------------------------------------------------------------------------------


def test_the_filter_takes_local_days_both_included(
    ctx: EngineContext, people: dict[str, Actor], seeded: Seeded
) -> None:
    def cases(start: date | None, end: date | None) -> list[tuple[str, str, str]]:
        table = exports.case_statistics_rows(ctx, actor=people["kadin"], start=start, end=end)
        return [(row[0], row[1], row[4]) for row in table.rows]  # type: ignore[misc]

    march = cases(date(2026, 3, 17), date(2026, 4, 1))
    assert march == [
        ("K0001", "2026-03", "Mediasi dilaksanakan"),
        ("K0002", "2026-03", "Dirujuk"),
        ("K0003", "2026-04", "Dihentikan"),
    ]
    # Filed at 00.30 WIB on 15 April, which is still 14 April in UTC: a 15 April case, numbered afresh.
    assert cases(date(2026, 4, 15), None) == [("K0001", "2026-04", None)]
    assert cases(None, date(2026, 4, 14)) == march
    assert cases(date(2026, 4, 2), date(2026, 4, 14)) == []
    simfoni = exports.simfoni_rows(ctx, actor=people["kadin"], start=date(2026, 4, 2), end=None)
    assert len(simfoni.rows) == 2 and {row[0] for row in simfoni.rows} == {"K0001"}

    empty = exported(ctx, people["kadin"], "statistik", "csv", Period(date(2026, 5, 1), date(2026, 5, 31)))
    assert read_csv(empty.content) == [STATISTICS_HEADER] and empty.rows == 0
    assert empty.filename == "statistik-kasus_2026-05-01_2026-05-31.csv"
    assert exported(ctx, people["kadin"], "simfoni", "xlsx", Period(date(2026, 5, 1))).filename == (
        "simfoni-ppa_2026-05-01_akhir.xlsx"
    )


@pytest.mark.parametrize(
    ("dari", "sampai", "errors"),
    [
        ("2026-13-01", "", {"dari": "Tanggal awal harus tanggal yang sah berbentuk TTTT-BB-HH."}),
        ("", "31-03-2026", {"sampai": "Tanggal akhir harus tanggal yang sah berbentuk TTTT-BB-HH."}),
        (
            "kemarin",
            "2026-02-30",
            {
                "dari": "Tanggal awal harus tanggal yang sah berbentuk TTTT-BB-HH.",
                "sampai": "Tanggal akhir harus tanggal yang sah berbentuk TTTT-BB-HH.",
            },
        ),
        ("2026-04-02", "2026-04-01", {"sampai": "Tanggal akhir tidak boleh sebelum tanggal awal."}),
    ],
)
def test_a_bad_filter_is_refused_field_by_field(dari: str, sampai: str, errors: dict[str, str]) -> None:
    with pytest.raises(FormInvalid) as refused:
        exports.parse_period(dari, sampai)
    assert refused.value.errors == errors


def test_a_filter_parses_to_days() -> None:
    assert exports.parse_period(" 2026-03-01 ", "2026-03-31") == Period(date(2026, 3, 1), date(2026, 3, 31))
    assert exports.parse_period("", "") == Period()
    assert exports.parse_period("2026-03-01", "2026-03-01").as_json() == {"dari": "2026-03-01", "sampai": "2026-03-01"}


# -- audit and roles ---------------------------------------------------------------------------------


def test_every_export_is_logged_with_the_hash_of_the_file(
    ctx: EngineContext, people: dict[str, Actor], seeded: Seeded
) -> None:
    first = exported(ctx, people["kadin"], "simfoni", "xlsx", Period(date(2026, 3, 1), date(2026, 3, 31)))
    second = exported(ctx, OPERATOR, "statistik", "csv")
    assert logged_exports(ctx) == [
        (
            "kadin",
            "statistics_exported",
            None,  # an export spans cases: no one case is its subject
            {
                "kind": "simfoni",
                "format": "xlsx",
                "filter": {"dari": "2026-03-01", "sampai": "2026-03-31"},
                "file": "simfoni-ppa_2026-03-01_2026-03-31.xlsx",
                "rows": 12,
                "size": len(first.content),
                "sha256": hashlib.sha256(first.content).hexdigest(),
            },
        ),
        (
            OPERATOR.username,
            "statistics_exported",
            None,
            {
                "kind": "statistik",
                "format": "csv",
                "filter": {"dari": None, "sampai": None},
                "file": "statistik-kasus.csv",
                "rows": 4,
                "size": len(second.content),
                "sha256": hashlib.sha256(second.content).hexdigest(),
            },
        ),
    ]
    assert first.sha256 == hashlib.sha256(first.content).hexdigest()
    assert audit_service.verify(ctx).ok  # the access chain still holds


def test_only_the_kepala_dinas_the_ketua_and_auditors_may_export(
    ctx: EngineContext, people: dict[str, Actor], seeded: Seeded
) -> None:
    user_service.add_user(ctx, actor=OPERATOR, username="audi", full_name="Audi", roles=["auditor"], password=None)
    user_service.add_user(ctx, actor=OPERATOR, username="dedi", full_name="Dedi", roles=["dpo"], password=None)
    auditor, dpo = user_service.actor_for(ctx, "audi"), user_service.actor_for(ctx, "dedi")
    for who in ("ani", "dewi", "tono", "sari", "olga"):
        with pytest.raises(PermissionDenied):
            exported(ctx, people[who], "statistik", "csv")
    with pytest.raises(PermissionDenied):
        exports.simfoni_rows(ctx, actor=dpo, start=None, end=None)
    assert logged_exports(ctx) == []  # a refused export leaves nothing to log
    for who in (people["kadin"], people["rina"], auditor):
        assert exported(ctx, who, "simfoni", "csv").rows == 16
    assert [entry[0] for entry in logged_exports(ctx)] == ["kadin", "rina", "audi"]


def test_an_unknown_export_is_refused(ctx: EngineContext, people: dict[str, Actor]) -> None:
    for kind, fmt in (("nama", "csv"), ("statistik", "pdf")):
        with pytest.raises(InvalidInput):
            exported(ctx, people["kadin"], kind, fmt)


# -- writers -----------------------------------------------------------------------------------------


def test_writers_never_let_text_run_as_a_formula() -> None:
    table = exports.Table("Uji", ("teks", "angka"), [("=1+1", 3), ("-2", None), ("@SUM(A1)", 0), ("Biasa; ya", -1)])
    assert read_csv(exports.to_csv(table)) == [
        ["teks", "angka"],
        ["'=1+1", "3"],
        ["'-2", ""],
        ["'@SUM(A1)", "0"],
        ["Biasa; ya", "-1"],
    ]
    assert exports.to_csv(table).endswith(b'Biasa; ya";-1\r\n')
    book = openpyxl.load_workbook(io.BytesIO(exports.to_xlsx(table)))
    cell = book.active["A2"]
    assert (cell.value, cell.data_type) == ("=1+1", "s")
    assert [c.value for c in book.active[3]] == ["-2", None]


# -- code tables -------------------------------------------------------------------------------------

# The form fields each code table maps (every enum value of them, in any form, must have a code).
MAPPED_FIELDS = {
    SEX: ("jenis_kelamin",),
    RELATIONSHIP: ("hubungan_korban_terlapor",),
    VIOLENCE: ("jenis_kekerasan",),
    SERVICE: ("lembaga_rujukan",),
}


def enum_values(schema: Any, field: str | None = None) -> dict[str, set[str]]:
    """Every enum value of every field of a form, by field name (array items and nested objects included)."""
    found: dict[str, set[str]] = {}
    if isinstance(schema, dict):
        if "enum" in schema and field is not None:
            found.setdefault(field, set()).update(schema["enum"])
        for name, prop in schema.get("properties", {}).items():
            for key, values in enum_values(prop, name).items():
                found.setdefault(key, set()).update(values)
        if "items" in schema:
            for key, values in enum_values(schema["items"], field).items():
                found.setdefault(key, set()).update(values)
    return found


def test_every_choice_of_the_forms_maps_to_a_code() -> None:
    codes = code_tables()
    values: dict[str, set[str]] = {}
    for path in sorted((PROJECT_ROOT / "forms").glob("*.json")):
        for name, found in enum_values(json.loads(path.read_text())).items():
            values.setdefault(name, set()).update(found)
    for table, fields in MAPPED_FIELDS.items():
        for name in fields:
            assert values.get(name), f"no form has the field {name}"
            unmapped = {v for v in values[name] if codes.code(table, name, v) is None}
            assert unmapped == set(), f"{table}: {name} has no code for {sorted(unmapped)}"
    forms = {path.name for path in (PROJECT_ROOT / "forms").glob("*.json")}
    named = {value for (table, field, value) in codes.mapping if field == "formulir"}
    assert named <= forms  # a renamed form would otherwise stop counting as a service


def test_code_tables_are_complete_and_consistent() -> None:
    codes = code_tables()
    assert set(codes.labels) == set(TABLES)
    for table in TABLES:
        path = PROJECT_ROOT / "engine" / "data" / "simfoni" / f"{table}.csv"
        rows = list(csv.reader(path.read_text(encoding="utf-8").splitlines()))
        assert rows[0] == ["kode", "label"] and len({r[0] for r in rows[1:]}) == len(rows) - 1
        assert all(len(r) == 2 and r[0].isdigit() and len(r[0]) == 2 and r[1] for r in rows[1:])
    assert list(codes.labels[AGE_GROUP].values()) == [*AGES, "Tidak diketahui"]
    assert {code for _, code in AGE_BANDS} | {"07", "99"} == set(codes.labels[AGE_GROUP])
    for table, _, _ in codes.mapping:
        assert table in TABLES


AGE_CASES = {0: "01", 5: "01", 6: "02", 12: "02", 13: "03", 17: "03", 18: "04", 24: "04", 25: "05", 44: "05"}
AGE_CASES |= {45: "06", 59: "06", 60: "07", 120: "07", -1: "99"}


@pytest.mark.parametrize(("age", "code"), [*AGE_CASES.items(), (None, "99"), ("12", "99"), (True, "99")])
def test_age_groups(age: Any, code: str) -> None:
    assert code_tables().age_group(age) == code


@pytest.mark.parametrize(
    ("text", "code"),
    [
        ("Kelurahan Podosugih, Pekalongan Barat", "01"),
        ("PEKALONGAN\n TIMUR", "02"),
        ("Jl. Sriwijaya, Pekalongan Selatan", "03"),
        ("pekalongan utara", "04"),
        ("Perbatasan Pekalongan Barat dan Pekalongan Selatan", "99"),  # two kecamatan: which one is unknown
        ("Kabupaten Batang", "99"),
        (None, "99"),
    ],
)
def test_the_place_is_only_the_kecamatan_the_text_names(text: Any, code: str) -> None:
    assert code_tables().place(text) == code


def test_values_the_mapping_lacks_still_count() -> None:
    codes = code_tables()
    assert codes.violence(["fisik", "kekerasan_baru", "fisik"]) == ["01", "98"]  # "Lainnya", never dropped
    assert codes.violence(None) == ["99"] and codes.violence([]) == ["99"]
    assert codes.relationship("sepupu") == "98" and codes.relationship(None) == "99"
    assert codes.sex("lainnya") == "99"
    assert codes.services([("permohonan_mediasi.json", {}), ("catat_rujukan.json", {"pendampingan": False})]) == ["01"]
