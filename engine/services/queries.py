"""Reading cases: one case, a page of cases, a case's history and documents; all need-to-know."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Generic, TypeVar

from sqlalchemy import Select, func, or_, select
from sqlalchemy.orm import Session, aliased

from engine.access import STAFF_ROLES, readable_cases
from engine.actors import Actor
from engine.casework import screening_records
from engine.casework.record import case_variables, task_marks
from engine.casework.views import CaseSla, CaseView, EventView, SlaJudge, case_view, event_view, task_ref
from engine.context import EngineContext
from engine.documents import read
from engine.errors import InvalidInput, NotFound
from engine.legal.corrections import ScreeningView, screening_view
from engine.letters import kinds as letter_kinds
from engine.persistence.case_store import CALENDAR_STAMP, calendar_stamp
from engine.persistence.models import (
    Case,
    CaseTask,
    Document,
    Event,
    EventPayload,
    ProcessDefinition,
    User,
)
from engine.roles import Role
from engine.status import CaseStatus, TaskStatus

T = TypeVar("T")
STATUSES = CaseStatus.ALL
MAX_PER_PAGE = 100
# A list counts its rows up to this many past the start of its page, then says "more than": an
# exact count reads every row in scope, so page 1 would grow with the whole table.
COUNT_LIMIT = 1_000
MAX_PAGE = 1_000_000
MAX_SEARCH = 200  # characters of a search text; longer is never a name or number, and SQLite refuses huge LIKEs


@dataclass(frozen=True)
class Page(Generic[T]):
    """One page of a longer list; `total` is a lower bound when `exact` is False (counting stopped there)."""

    items: list[T]
    total: int
    page: int
    per_page: int
    exact: bool = True

    @property
    def has_next(self) -> bool:
        """Whether a page follows this one (a bounded count stops past the end of this page)."""
        return not self.exact or self.page * self.per_page < self.total


@dataclass(frozen=True)
class DocumentView:
    """A stored document (an upload or an issued letter), without its bytes."""

    id: uuid.UUID
    case_id: uuid.UUID
    kind: str
    number: str | None
    filename: str
    media_type: str
    size: int
    sha256: str
    created_by: str
    created_at: Any


def find_case(session: Session, ref: str | uuid.UUID, actor: Actor | None = None) -> Case:
    """A case by id or number; with `actor`, only if they may read it (otherwise "not found")."""
    query = select(Case)
    try:
        query = query.where(Case.id == (ref if isinstance(ref, uuid.UUID) else uuid.UUID(str(ref))))
    except ValueError:
        query = query.where(Case.number == str(ref).strip().upper())
    if actor is not None:
        query = query.where(readable_cases(actor))
    case = session.scalar(query)
    if case is None:
        raise NotFound(f"Kasus {ref} tidak ditemukan.")
    return case


def get_case(ctx: EngineContext, case_ref: str | uuid.UUID, actor: Actor | None = None) -> CaseView:
    """A case with its ready tasks, its applicant, its due moment and its service-level clocks."""
    with ctx.unit_of_work(write=False) as uow:
        case = find_case(uow.session, case_ref, actor)
        definition = ctx.definitions.get(uow.session, case.definition_id)
        rows = uow.session.execute(
            select(CaseTask.id, CaseTask.element, CaseTask.due_at, *CALENDAR_STAMP).where(
                CaseTask.case_id == case.id, CaseTask.state == TaskStatus.READY
            )
        ).all()
        tasks = [task_ref(definition.catalog, row.id, row.element) for row in rows]
        names = applicant_names(uow.session, [case])
        judge = sla_judge(ctx, uow.session, calendar_stamp(rows[0]) if rows else None)
        task_due = min((row.due_at for row in rows if row.due_at is not None), default=None)
        return case_view(
            case,
            catalog=definition.catalog,
            version=definition.version,
            tasks=tasks,
            applicant=names[case.id],
            sla=case_sla(judge, case, task_due),
            clocks=judge.clocks(case.sla),
        )


def sla_judge(ctx: EngineContext, session: Session, stamp: tuple[int, int] | None = None) -> SlaJudge:
    """Judges this request's due moments now, on the office calendar (read once, and only if needed)."""
    return SlaJudge(ctx.clock.now(), lambda: ctx.calendar(session, stamp))


def case_sla(judge: SlaJudge, case: Case, task_due: datetime | None) -> CaseSla:
    """Where an open case stands against its due moment; a finished case has nothing due."""
    return judge.case(case.sla, task_due, case.suspended_at) if case.status == CaseStatus.OPEN else CaseSla()


def case_data(ctx: EngineContext, case_ref: str | uuid.UUID, actor: Actor | None = None) -> dict[str, Any]:
    """The process variables of a case as its next step sees them (or as it ended)."""
    with ctx.unit_of_work(write=False) as uow:
        case = find_case(uow.session, case_ref, actor)
        return case_variables(uow.session, ctx.definitions.get(uow.session, case.definition_id), case)


# The nearest due moment among a case's ready tasks, read with the case in the page's own query.
_NEAREST_TASK_DUE = (
    select(func.min(CaseTask.due_at))
    .where(CaseTask.case_id == Case.id, CaseTask.state == TaskStatus.READY)
    .correlate(Case)
    .scalar_subquery()
    .label("task_due")
)


def list_cases(
    ctx: EngineContext,
    *,
    actor: Actor | None = None,
    status: str | None = None,
    search: str = "",
    page: int = 1,
    per_page: int = 20,
    count_limit: int | None = None,
) -> Page[CaseView]:
    """Cases newest first, in `actor`'s scope, by status and by number or applicant name.

    The page is read in SQL along the `cases` indexes on (status,) created_at, number; with
    `count_limit` the total is counted only that far (see `bounded_count`), else exactly.
    """
    if status is not None and status not in STATUSES:
        raise InvalidInput("Status harus open, completed atau cancelled.")
    page, per_page = check_paging(page, per_page)
    check_search(search)
    applicant = aliased(User)
    query = select(Case).outerjoin(applicant, applicant.id == Case.applicant_user_id)
    if actor is not None:
        query = query.where(readable_cases(actor))
    if status:
        query = query.where(Case.status == status)
    if search.strip():
        pattern = f"%{search.strip().lower()}%"
        query = query.where(
            or_(
                func.lower(Case.number).like(pattern),
                func.lower(Case.walkin_name).like(pattern),
                func.lower(applicant.full_name).like(pattern),
            )
        )
    with ctx.unit_of_work(write=False) as uow:
        total, exact = bounded_count(uow.session, query, limit=count_limit, page=page, per_page=per_page)
        page_query = query.add_columns(_NEAREST_TASK_DUE, *CALENDAR_STAMP).order_by(
            Case.created_at.desc(), Case.number.desc()
        )
        rows = uow.session.execute(page_query.limit(per_page).offset((page - 1) * per_page)).all()
        cases: list[Case] = [row[0] for row in rows]
        names = applicant_names(uow.session, cases)
        judge = sla_judge(ctx, uow.session, calendar_stamp(rows[0]) if rows else None)
        items = []
        for case, row in zip(cases, rows, strict=True):
            definition = ctx.definitions.get(uow.session, case.definition_id)
            items.append(
                case_view(
                    case,
                    catalog=definition.catalog,
                    version=definition.version,
                    tasks=[],
                    applicant=names[case.id],
                    sla=case_sla(judge, case, row.task_due),
                )
            )
        return Page(items, total, page, per_page, exact)


def bounded_count(
    session: Session, query: Select[Any], *, limit: int | None, page: int, per_page: int
) -> tuple[int, bool]:
    """How many rows `query` has, and whether that is exact.

    Without `limit`, exactly. With it, the count stops `limit` rows past the start of the page (at
    least past its end, so that a next page is always known): `(bound, False)` when there are more.
    """
    if limit is None:
        return int(session.scalar(select(func.count()).select_from(query.subquery())) or 0), True
    bound = (page - 1) * per_page + max(limit, per_page)
    counted = int(session.scalar(select(func.count()).select_from(query.limit(bound + 1).subquery())) or 0)
    return (counted, True) if counted <= bound else (bound, False)


def check_paging(page: int, per_page: int, max_per_page: int = MAX_PER_PAGE) -> tuple[int, int]:
    """`page` and `per_page` if they are in range; InvalidInput otherwise."""
    if not 1 <= page <= MAX_PAGE or not 1 <= per_page <= max_per_page:
        raise InvalidInput(f"page antara 1 dan {MAX_PAGE}, per_page antara 1 dan {max_per_page}.")
    return page, per_page


def check_search(*texts: str) -> None:
    """InvalidInput when a search text is longer than MAX_SEARCH characters."""
    if any(len(text) > MAX_SEARCH for text in texts):
        raise InvalidInput(f"Teks pencarian terlalu panjang (maksimal {MAX_SEARCH} karakter).")


NO_APPLICANT = "Tidak ada (dimulai oleh sistem)"


def applicant_names(session: Session, cases: list[Case]) -> dict[uuid.UUID, str]:
    """How each case names its applicant: the account's full name, or the walk-in applicant's."""
    ids = {c.applicant_user_id for c in cases if c.applicant_user_id is not None}
    names = dict(session.execute(select(User.id, User.full_name).where(User.id.in_(ids))).all()) if ids else {}
    return {c.id: applicant_label(c.walkin_name, names.get(c.applicant_user_id or -1)) for c in cases}


def applicant_label(walkin_name: str | None, account_name: str | None) -> str:
    """How a case names its applicant: the walk-in applicant's name (so marked), else the account's full name;
    a case the engine started (a follow-up) has none."""
    return f"{walkin_name} (datang langsung)" if walkin_name else account_name or NO_APPLICANT


def case_events(ctx: EngineContext, case_ref: str | uuid.UUID, actor: Actor | None = None) -> list[EventView]:
    """A case's history, oldest first."""
    with ctx.unit_of_work(write=False) as uow:
        case = find_case(uow.session, case_ref, actor)
        rows = uow.session.execute(
            select(Event, EventPayload)
            .outerjoin(EventPayload, EventPayload.event_id == Event.id)
            .where(Event.case_id == case.id)
            .order_by(Event.seq)
        ).all()
        catalog = ctx.definitions.get(uow.session, case.definition_id).catalog
        return [event_view(event, payload, catalog) for event, payload in rows]


def case_screening(ctx: EngineContext, case_ref: str | uuid.UUID, actor: Actor | None = None) -> ScreeningView:
    """A case's legal screening record: its answers, what forbids mediation, and every correction."""
    with ctx.unit_of_work(write=False) as uow:
        case = find_case(uow.session, case_ref, actor)
        record = screening_records.record_of(uow.session, case)
        titles = ctx.definitions.get(uow.session, case.definition_id).value_titles
        return screening_view(record, titles)


def case_documents(ctx: EngineContext, case_ref: str | uuid.UUID, actor: Actor | None = None) -> list[DocumentView]:
    """A case's documents, oldest first."""
    with ctx.unit_of_work(write=False) as uow:
        case = find_case(uow.session, case_ref, actor)
        rows = uow.session.scalars(select(Document).where(Document.case_id == case.id).order_by(Document.created_at))
        views = [_document_view(d) for d in rows]
    return views if actor is None else [v for v in views if may_see_document(actor, v)]


def may_see_document(actor: Actor, view: DocumentView) -> bool:
    """Staff and auditors see every document of a case they may read. An applicant (or the fulltimer
    acting for a walk-in) sees their own uploads and the letters addressed to the applicant; letters
    to third parties (undangan koordinasi, R14) and what staff uploaded are for staff only."""
    if actor.is_operator or actor.has_any(*STAFF_ROLES, Role.AUDITOR):
        return True
    if view.kind == "unggahan":
        return view.created_by == actor.username
    return letter_kinds.for_applicant(view.kind)


def get_document(ctx: EngineContext, document_id: uuid.UUID, actor: Actor | None = None) -> tuple[DocumentView, bytes]:
    """A document and its bytes, if `actor` may read its case."""
    with ctx.unit_of_work(write=False) as uow:
        query = select(Document).join(Case, Case.id == Document.case_id).where(Document.id == document_id)
        if actor is not None:
            query = query.where(readable_cases(actor))
        document = uow.session.scalar(query)
        view = _document_view(document) if document is not None else None
        if document is None or view is None or (actor is not None and not may_see_document(actor, view)):
            raise NotFound("Dokumen tidak ditemukan.")
        return view, read(ctx.documents, document.sha256, document.content)


def _document_view(d: Document) -> DocumentView:
    return DocumentView(
        id=d.id,
        case_id=d.case_id,
        kind=d.kind,
        number=d.number,
        filename=d.filename,
        media_type=d.media_type,
        size=d.size,
        sha256=d.sha256,
        created_by=d.created_by,
        created_at=d.created_at,
    )


@dataclass(frozen=True)
class DiagramView:
    """A case's diagram with the elements it has passed and the ones it waits on."""

    xml: str
    completed: list[str]
    active: list[str]


def case_diagram(ctx: EngineContext, case_ref: str | uuid.UUID, actor: Actor | None = None) -> DiagramView:
    """The BPMN of the case's own version, marked with its progress."""
    with ctx.unit_of_work(write=False) as uow:
        case = find_case(uow.session, case_ref, actor)
        definition = ctx.definitions.get(uow.session, case.definition_id)
        xml = uow.session.scalar(select(ProcessDefinition.bpmn_xml).where(ProcessDefinition.id == definition.id))
        marks = task_marks(uow.session, definition, case)
    # A subprocess spans its steps; marking it would paint over them. Active means waiting for a person.
    containers = set(definition.specs.subprocess_specs)
    completed = sorted({name for name, state in marks if state == "COMPLETED" and name not in containers})
    active = sorted({name for name, state in marks if state == "READY" and name not in containers})
    return DiagramView(xml=xml or "", completed=completed, active=active)
