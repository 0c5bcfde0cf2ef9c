"""De-identified exports: case statistics (a row per case) and SIMFONI-PPA-style rows, as CSV or XLSX.

What leaves is built from a fixed list of columns, each a date coarsened to its month, a count, a
code of the SIMFONI tables (engine.simfoni) or a label of a form's choice; no free text, no name,
phone number or address, and not the case number (it leads to the case file and through it to the
people): a case is "K0001", "K0002", ... in the order it was filed, numbered afresh in each file.

The facts come from the case's own chain: the request as filed, overlaid in order by the data of
every completed task. That is the record of what was submitted, and it keeps what a withdrawn case
went through (the Ketua's screening, the opinions given), which its final workflow data loses with
the cancelled subprocess. Every export is logged on the access chain, with the SHA-256 of the file,
before the file is handed out.
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from typing import Any

from openpyxl import Workbook
from openpyxl.styles import Font
from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from engine.actors import Actor
from engine.calendar import WorkingCalendar
from engine.context import EngineContext
from engine.errors import FormInvalid, InvalidInput, PermissionDenied
from engine.persistence.models import Case, Event, EventPayload, ProcessDefinition
from engine.roles import Role
from engine.services import reads
from engine.simfoni import AGE_GROUP, PLACE, RELATIONSHIP, SERVICE, SEX, VIOLENCE, CodeTables, code_tables
from engine.sla import days_taken
from engine.status import CaseOutcome
from engine.titles import OUTCOME_TITLES, STATUS_TITLES

PROCESS_KEY = "mediasi_kekerasan"  # other processes (complaints) are no cases of violence
EXPORTERS = (Role.KEPALA_DINAS, Role.KETUA_LPPAR, Role.AUDITOR)
STATISTICS, SIMFONI = "statistik", "simfoni"
KINDS = (STATISTICS, SIMFONI)
FORMATS = {
    "csv": "text/csv; charset=utf-8",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}
CSV_DELIMITER = ";"  # what Excel expects under Indonesian regional settings (the comma is the decimal mark)

CLOCKS = (("respons", "Respons"), ("penyelesaian", "Penyelesaian"))

Cell = str | int | None


@dataclass(frozen=True)
class Table:
    """Rows under named columns, as they go into a file."""

    title: str
    columns: tuple[str, ...]
    rows: list[tuple[Cell, ...]]


@dataclass(frozen=True)
class Period:
    """Days the cases were filed on (local dates, both included); None is open-ended."""

    start: date | None = None
    end: date | None = None

    def as_json(self) -> dict[str, str | None]:
        """The filter as the access chain records it."""
        return {"dari": _iso(self.start), "sampai": _iso(self.end)}


@dataclass(frozen=True)
class ExportFile:
    """An export as it is handed out: name, media type, bytes, and the SHA-256 that was logged."""

    filename: str
    media_type: str
    content: bytes
    sha256: str
    rows: int


@dataclass
class _CaseFacts:
    """One case as the exports see it: no identifier, only what the columns need."""

    created_at: datetime
    closed_at: datetime | None
    status: str
    outcome: str | None
    sla: Mapping[str, Any]
    data: dict[str, Any] = field(default_factory=dict)
    completed: list[tuple[str, Mapping[str, Any]]] = field(default_factory=list)  # (form, data as submitted)


def parse_period(dari: str, sampai: str) -> Period:
    """The filter from a form, a query string or the command line; each bad field named.

    :raises FormInvalid: with the fields `dari` and `sampai`
    """
    errors: dict[str, str] = {}
    start = _day(dari, "dari", "Tanggal awal", errors)
    end = _day(sampai, "sampai", "Tanggal akhir", errors)
    if start is not None and end is not None and start > end:
        errors["sampai"] = "Tanggal akhir tidak boleh sebelum tanggal awal."
    if errors:
        raise FormInvalid(errors)
    return Period(start, end)


def check_may_export(actor: Actor) -> None:
    """Exports are for the Kepala Dinas, the Ketua LP-PAR and auditors (and the operator on the CLI).

    :raises PermissionDenied:
    """
    if not actor.is_operator and not actor.has_any(*EXPORTERS):
        raise PermissionDenied("Hanya Kepala Dinas, Ketua LP-PAR dan auditor yang dapat mengekspor data statistik.")


def export(ctx: EngineContext, *, actor: Actor, kind: str, fmt: str, period: Period) -> ExportFile:
    """Build an export, log it on the access chain with its SHA-256, and return the file.

    :raises PermissionDenied, InvalidInput:
    """
    if kind not in KINDS or fmt not in FORMATS:
        raise InvalidInput(f"Ekspor {kind}.{fmt} tidak dikenal.")
    build = case_statistics_rows if kind == STATISTICS else simfoni_rows
    table = build(ctx, actor=actor, start=period.start, end=period.end)
    content = to_csv(table) if fmt == "csv" else to_xlsx(table)
    exported = ExportFile(
        filename=_filename(kind, fmt, period),
        media_type=FORMATS[fmt],
        content=content,
        sha256=hashlib.sha256(content).hexdigest(),
        rows=len(table.rows),
    )
    detail = {
        "kind": kind,
        "format": fmt,
        "filter": period.as_json(),
        "file": exported.filename,
        "rows": exported.rows,
        "size": len(content),
        "sha256": exported.sha256,
    }
    reads.record_export(ctx, actor=actor, type=reads.STATISTICS_EXPORTED, detail=detail)
    return exported


def case_statistics_rows(ctx: EngineContext, *, actor: Actor, start: date | None, end: date | None) -> Table:
    """One de-identified row per case filed from `start` to `end` (not logged: `export` logs the file)."""
    codes = code_tables()
    with ctx.unit_of_work(write=False) as uow:
        facts, titles = _gather(ctx, uow.session, actor, Period(start, end))
        calendar = ctx.calendar(uow.session)
    people = [(sex, age) for sex in codes.labels[SEX] for age in codes.labels[AGE_GROUP]]
    columns = (
        "Kasus",
        "Bulan masuk",
        "Bulan selesai",
        "Status",
        "Hasil",
        *(f"Jenis kekerasan: {label}" for label in codes.labels[VIOLENCE].values()),
        "Jumlah korban",
        *(f"Korban {codes.label(SEX, s)}, {codes.label(AGE_GROUP, a)}" for s, a in people),
        "Jumlah terlapor",
        "Hubungan korban dengan terlapor",
        "Tempat kejadian",
        "Kategori perkara",
        "Tingkat bahaya",
        *(f"{title} {suffix}" for _, title in CLOCKS for suffix in ("tepat waktu", "(hari kerja)")),
    )
    rows = [
        (
            _pseudonym(n),
            _month(case.created_at, ctx.settings.zone),
            _month(case.closed_at, ctx.settings.zone),
            STATUS_TITLES.get(case.status, case.status),
            OUTCOME_TITLES.get(case.outcome, case.outcome) if case.outcome else None,
            *_case_cells(codes, case.data, people, titles),
            *(cell for name, _ in CLOCKS for cell in _clock(case.sla.get(name), calendar)),
        )
        for n, case in enumerate(facts, start=1)
    ]
    return Table("Statistik kasus", columns, rows)


def _case_cells(
    codes: CodeTables, data: Mapping[str, Any], people: list[tuple[str, str]], titles: Mapping[str, Mapping[str, str]]
) -> tuple[Cell, ...]:
    """Violence types (1 or 0 each), victims by sex and age group, perpetrators, and the case's setting."""
    violence = codes.violence(data.get("jenis_kekerasan"))
    victims = [(codes.sex(v.get("jenis_kelamin")), codes.age_group(v.get("umur"))) for v in _people(data, "korban")]
    return (
        *(int(code in violence) for code in codes.labels[VIOLENCE]),
        len(victims),
        *(victims.count(person) for person in people),
        len(_people(data, "terlapor")),
        codes.label(RELATIONSHIP, codes.relationship(data.get("hubungan_korban_terlapor"))),
        codes.label(PLACE, codes.place(data.get("tempat_kejadian"))),
        _title(titles, "kategori_perkara", data.get("kategori_perkara")),
        _title(titles, "tingkat_bahaya", data.get("tingkat_bahaya")),
    )


def simfoni_rows(ctx: EngineContext, *, actor: Actor, start: date | None, end: date | None) -> Table:
    """One row per victim × perpetrator × violence type of every case filed from `start` to `end`."""
    codes = code_tables()
    with ctx.unit_of_work(write=False) as uow:
        facts, _ = _gather(ctx, uow.session, actor, Period(start, end))
    columns = (
        "Kasus",
        "Bulan masuk",
        "Korban ke",
        *_coded("umur korban", "Kelompok umur korban"),
        *_coded("jenis kelamin korban", "Jenis kelamin korban"),
        "Terlapor ke",
        *_coded("umur terlapor", "Kelompok umur terlapor"),
        *_coded("jenis kelamin terlapor", "Jenis kelamin terlapor"),
        *_coded("hubungan", "Hubungan korban dengan terlapor"),
        *_coded("jenis kekerasan", "Jenis kekerasan"),
        *_coded("tempat kejadian", "Tempat kejadian"),
        *_coded("layanan", "Layanan"),
    )
    rows: list[tuple[Cell, ...]] = []
    for n, case in enumerate(facts, start=1):
        rows.extend((_pseudonym(n), _month(case.created_at, ctx.settings.zone), *r) for r in _simfoni_rows(codes, case))
    return Table("SIMFONI-PPA", columns, rows)


def _simfoni_rows(codes: CodeTables, case: _CaseFacts) -> list[tuple[Cell, ...]]:
    """A case's rows after its pseudonym and month: every victim × perpetrator × violence type."""
    data = case.data
    relationship = _pair(codes, RELATIONSHIP, codes.relationship(data.get("hubungan_korban_terlapor")))
    place = _pair(codes, PLACE, codes.place(data.get("tempat_kejadian")))
    services = codes.services(case.completed)
    service_cells = (", ".join(services), ", ".join(codes.label(SERVICE, s) for s in services))
    victims = _people(data, "korban") or [{}]  # a request whose data was erased still counts once
    perpetrators = _people(data, "terlapor") or [{}]
    return [
        (
            v,
            *_person(codes, victim),
            p,
            *_person(codes, perpetrator),
            *relationship,
            *_pair(codes, VIOLENCE, violence),
            *place,
            *service_cells,
        )
        for v, victim in enumerate(victims, start=1)
        for p, perpetrator in enumerate(perpetrators, start=1)
        for violence in codes.violence(data.get("jenis_kekerasan"))
    ]


def to_csv(table: Table) -> bytes:
    """The table as CSV: UTF-8 with a BOM (so Excel reads it as UTF-8), `;` between fields, CRLF."""
    out = io.StringIO()
    writer = csv.writer(out, delimiter=CSV_DELIMITER, lineterminator="\r\n")
    writer.writerow(table.columns)
    writer.writerows([_csv_cell(cell) for cell in row] for row in table.rows)
    return out.getvalue().encode("utf-8-sig")


def to_xlsx(table: Table) -> bytes:
    """The table as one worksheet, bold header frozen above a filter; text never read as a formula."""
    book = Workbook()
    sheet = book.active
    sheet.title = table.title[:31]
    sheet.append(table.columns)
    for cell in sheet[1]:
        cell.font = Font(bold=True)
    for row in table.rows:
        sheet.append(row)
    for cells in sheet.iter_rows(min_row=2):
        for cell in cells:
            if isinstance(cell.value, str) and cell.value.startswith("="):
                cell.data_type = "s"
    sheet.freeze_panes = "A2"
    sheet.auto_filter.ref = sheet.dimensions
    book.properties.creator = "Mediasi"
    book.properties.title = table.title
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


# -- gathering the facts --------------------------------------------------------------------------


def _gather(
    ctx: EngineContext, session: Session, actor: Actor, period: Period
) -> tuple[list[_CaseFacts], dict[str, dict[str, str]]]:
    """The cases filed in the period, oldest first, and the titles of the start form's choices."""
    check_may_export(actor)
    process = _Process.read(session)
    chosen = _in_period(ctx, period)
    facts: dict[Any, _CaseFacts] = {}
    for case in session.execute(
        select(Case.id, Case.definition_id, Case.created_at, Case.closed_at, Case.status, Case.outcome, Case.sla)
        .where(*chosen)
        .order_by(Case.created_at, Case.number)
    ):
        facts[case.id] = _CaseFacts(case.created_at, case.closed_at, case.status, case.outcome, case.sla or {})
        facts[case.id].completed.append((process.start_forms.get(case.definition_id, ""), {}))  # the request
    events = session.execute(
        select(Event.case_id, Event.type, Event.element, EventPayload.data)
        .join(Case, Case.id == Event.case_id)
        .outerjoin(EventPayload, EventPayload.event_id == Event.id)
        .where(*chosen, Event.type.in_(("case_started", "task_completed")))
        .order_by(Event.case_id, Event.seq)
    )
    for case_id, type_, element, payload in events:
        _apply(facts[case_id], type_, process.forms.get(element or "", ""), json.loads(payload) if payload else None)
    return list(facts.values()), process.titles


@dataclass(frozen=True)
class _Process:
    """What the exports read from the violence process's versions: forms by task, start forms, choice titles."""

    forms: dict[str, str]  # element -> form name, over every version (a migrated case ran on several)
    start_forms: dict[int, str]  # definition id -> its start form
    titles: dict[str, dict[str, str]]  # the latest start form's choice titles

    @classmethod
    def read(cls, session: Session) -> _Process:
        versions = session.scalars(
            select(ProcessDefinition).where(ProcessDefinition.key == PROCESS_KEY).order_by(ProcessDefinition.version)
        ).all()
        forms = {element: task["form"] for v in versions for element, task in v.catalog["tasks"].items()}
        start_forms = {v.id: v.catalog.get("start_form") or "" for v in versions}
        latest = versions[-1] if versions else None
        titles = _choice_titles(latest.forms.get(start_forms[latest.id], {})) if latest is not None else {}
        return cls(forms, start_forms, titles)


def _in_period(ctx: EngineContext, period: Period) -> list[Any]:
    """The conditions on Case: a case of the violence process, filed within the local days of `period`, and not
    closed as a duplicate (its original is the one counted)."""
    zone = ctx.settings.zone
    process = select(ProcessDefinition.id).where(ProcessDefinition.key == PROCESS_KEY).scalar_subquery()
    counted = or_(Case.outcome.is_(None), Case.outcome != CaseOutcome.DUPLICATE)
    conditions: list[Any] = [Case.definition_id.in_(process), counted]
    if period.start is not None:
        conditions.append(Case.created_at >= datetime.combine(period.start, time(), zone))
    if period.end is not None:
        conditions.append(Case.created_at < datetime.combine(period.end + timedelta(days=1), time(), zone))
    return conditions


def _apply(case: _CaseFacts, type_: str, form: str, payload: Any) -> None:
    """Overlay one event's data: the request as filed, then each completed task's (an erased payload adds nothing)."""
    if type_ == "case_started":  # {"data": the request, "applicant": a walk-in applicant, never read}
        data = payload.get("data") if isinstance(payload, dict) else None
        case.data.update(data if isinstance(data, dict) else {})
        return
    submitted = payload if isinstance(payload, dict) else {}
    case.data.update(submitted)
    case.completed.append((form, submitted))


def _choice_titles(schema: Mapping[str, Any]) -> dict[str, dict[str, str]]:
    """The titles the start form gives its single choices (kategori_perkara: {perdata_keluarga: ...})."""
    return {
        name: dict(prop["x-enumTitles"])
        for name, prop in schema.get("properties", {}).items()
        if isinstance(prop, dict) and "x-enumTitles" in prop
    }


# -- cells ----------------------------------------------------------------------------------------


def _people(data: Mapping[str, Any], name: str) -> list[Mapping[str, Any]]:
    value = data.get(name)
    return [p for p in value if isinstance(p, dict)] if isinstance(value, list) else []


def _person(codes: CodeTables, person: Mapping[str, Any]) -> tuple[Cell, ...]:
    return (
        *_pair(codes, AGE_GROUP, codes.age_group(person.get("umur"))),
        *_pair(codes, SEX, codes.sex(person.get("jenis_kelamin"))),
    )


def _pair(codes: CodeTables, table: str, code: str) -> tuple[str, str]:
    return code, codes.label(table, code)


def _coded(what: str, title: str) -> tuple[str, str]:
    return f"Kode {what}", title


def _clock(clock: Mapping[str, Any] | None, calendar: WorkingCalendar) -> tuple[Cell, Cell]:
    """Whether a stopped clock met its due moment, and the working days it ran (pauses not counted)."""
    if not clock or not clock.get("stopped"):
        return None, None
    return ("Ya" if clock.get("met") else "Tidak"), days_taken(clock, calendar)


def _title(titles: Mapping[str, Mapping[str, str]], name: str, value: Any) -> str | None:
    if not isinstance(value, str):
        return None
    return titles.get(name, {}).get(value, value)


def _month(moment: datetime | None, zone: Any) -> str | None:
    return moment.astimezone(zone).strftime("%Y-%m") if moment is not None else None


def _pseudonym(n: int) -> str:
    return f"K{n:04d}"


def _csv_cell(cell: Cell) -> str:
    """A cell as CSV text; text a spreadsheet would run as a formula is quoted with an apostrophe."""
    if cell is None:
        return ""
    if isinstance(cell, str) and cell[:1] in ("=", "+", "-", "@", "\t", "\r"):
        return "'" + cell
    return str(cell)


def _filename(kind: str, fmt: str, period: Period) -> str:
    name = "statistik-kasus" if kind == STATISTICS else "simfoni-ppa"
    if period.start is not None or period.end is not None:
        name += f"_{_iso(period.start) or 'awal'}_{_iso(period.end) or 'akhir'}"
    return f"{name}.{fmt}"


def _iso(day: date | None) -> str | None:
    return day.isoformat() if day is not None else None


def _day(value: str, name: str, label: str, errors: dict[str, str]) -> date | None:
    if not value.strip():
        return None
    try:
        return date.fromisoformat(value.strip())
    except ValueError:
        errors[name] = f"{label} harus tanggal yang sah berbentuk TTTT-BB-HH."
        return None
