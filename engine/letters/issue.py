"""The letters a step calls for: found and checked in the step, numbered in its transaction,
rendered after its commit (engine.letters.outbox).

`due_letters` runs while the step is applied (no database): it finds the letters that the
elements the step passed declare; `check_letters` refuses the step when its data breaks a
letter's rule (service hours of an invitation, R13 for an agreement), with the form fields at
fault. `take_letter_numbers` numbers them in the step's write transaction. `render_letter` signs
and renders one, with no database and no transaction.

Letters are on once the install has a default numbering pattern (kind "*"), which `mediasi init`
seeds; until then a step issues none (a database that only ever ran the migrations, as in most
tests). The letters never change the workflow's data: replay has nothing to reproduce.
"""

from __future__ import annotations

import hashlib
import uuid
from collections import defaultdict
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any, cast

from sqlalchemy import or_, select
from sqlalchemy.orm import Session, aliased

from engine.calendar import WorkingCalendar
from engine.errors import FormInvalid, ProcessFailed
from engine.letters import content, render
from engine.letters.dates import WIB, local_date, long_date
from engine.letters.kinds import KINDS, LetterKind
from engine.letters.numbering import MAX_NUMBER, format_number, take_numbers
from engine.persistence.models import Case, LetterNumbering, Signatory, User

DEFAULT = "*"  # the numbering row every kind without its own uses; its presence turns letters on
PDF = "application/pdf"


@dataclass(frozen=True)
class Passed:
    """An element the step passed, with its task's id and data."""

    element: str
    task_id: uuid.UUID
    data: dict[str, Any]


@dataclass(frozen=True)
class DueLetter:
    """A letter the step must issue."""

    kind: LetterKind
    element: str
    task_id: uuid.UUID
    data: dict[str, Any]
    external_number: str  # entered by staff (SRIKANDI); empty: numbered by the pattern


def due_letters(
    declared: Mapping[str, Sequence[str]],
    passed: Sequence[Passed],
    *,
    submitted: Mapping[str, Any] | None,
    done: uuid.UUID | None,
) -> list[DueLetter]:
    """The letters the passed elements issue, given their data.

    A number entered by staff counts only when the person submitted it in this very step: a value
    the task inherited from an earlier one (an invitation issued again) is that letter's number.
    """
    letters: list[DueLetter] = []
    for step in passed:
        for name in declared.get(step.element, ()):
            kind = KINDS.get(name)
            if kind is None or not kind.when(step.data):
                continue
            given = (submitted or {}).get(kind.number_field) if step.task_id == done else None
            letters.append(DueLetter(kind, step.element, step.task_id, step.data, str(given or "").strip()))
    return letters


# The office's working-day calendar as of a transaction (the engine context's, cached there).
CalendarSource = Callable[[Session], WorkingCalendar]


def check_letters(session: Session, letters: Sequence[DueLetter], now: datetime, calendar: CalendarSource) -> None:
    """Refuse the step when its data breaks a letter's rule (service hours, R13), whether letters are on or not.

    :raises FormInvalid: with the form fields at fault.
    """
    office = calendar(session) if any(letter.kind.uses_calendar for letter in letters) else _NO_CALENDAR
    errors: dict[str, str] = {}
    for letter in letters:
        errors |= letter.kind.check(letter.data, now, office)
        if len(letter.external_number) > MAX_NUMBER:
            errors[letter.kind.number_field] = f"Nomor surat paling banyak {MAX_NUMBER} karakter."
    if errors:
        raise FormInvalid(errors)


def check_signatories(session: Session, letters: Sequence[DueLetter], day: date) -> None:
    """Refuse the step when letters are on and one of its letters has nobody to sign it on `day`.

    :raises ProcessFailed: naming the kind and the day, and where the administrator adds a signatory.
    """
    if DEFAULT not in load_numbering(session, set()):
        return
    signatories = load_signatories(session, day)
    for letter in letters:
        signatory_for(letter.kind.name, signatories, day)


_NO_CALENDAR = WorkingCalendar()  # for letters whose rules need no calendar


@dataclass(frozen=True)
class Numbering:
    """A numbering row: pattern, classification code, unit, and the series its sequence counts in."""

    series: str
    pattern: str
    code: str
    unit: str


@dataclass(frozen=True)
class SignatoryView:
    """A signatory row: who signs letters (of some kinds, or all), from when until when."""

    id: int
    name: str
    nip: str
    rank: str
    position: str
    acting: str
    principal: str
    kinds: tuple[str, ...]
    valid_from: date
    valid_until: date | None
    created_by: str
    created_at: datetime

    @classmethod
    def of(cls, row: Signatory) -> SignatoryView:
        return cls(
            id=row.id,
            name=row.name,
            nip=row.nip,
            rank=row.rank,
            position=row.position,
            acting=row.acting,
            principal=row.principal,
            kinds=tuple(row.kinds.split()),
            valid_from=row.valid_from,
            valid_until=row.valid_until,
            created_by=row.created_by,
            created_at=row.created_at,
        )

    def valid_on(self, day: date) -> bool:
        """Whether this row may sign a letter dated `day`."""
        return self.valid_from <= day and (self.valid_until is None or day <= self.valid_until)


def take_letter_numbers(session: Session, letters: Sequence[DueLetter], day: date) -> list[str] | None:
    """Each letter's number (the one staff entered, or the next of its series by its pattern), or
    None when letters are off (no default numbering row)."""
    numbering = load_numbering(session, {letter.kind.name for letter in letters})
    if DEFAULT not in numbering:
        return None
    wanted: dict[str, list[int]] = defaultdict(list)
    for i, letter in enumerate(letters):
        if not letter.external_number:
            wanted[numbering.get(letter.kind.name, numbering[DEFAULT]).series].append(i)
    numbers = [letter.external_number for letter in letters]
    for series, indexes in sorted(wanted.items()):
        for i, sequence in zip(indexes, take_numbers(session, series, day.year, len(indexes)), strict=True):
            rule = numbering.get(letters[i].kind.name, numbering[DEFAULT])
            numbers[i] = format_number(rule.pattern, code=rule.code, unit=rule.unit, sequence=sequence, day=day)
    return numbers


@dataclass(frozen=True)
class Rendered:
    """A rendered letter: its PDF and the document row that will name it (bytes in the store)."""

    pdf: bytes
    row: dict[str, Any]


def render_letter(
    letter: DueLetter,
    *,
    number: str,
    case_number: str,
    case_id: uuid.UUID,
    facts: content.CaseFacts,
    signatory: SignatoryView,
    titles: content.Titles,
    actor: str,
    issued_at: datetime,
    logo: str | None = None,
) -> Rendered:
    """Render one letter dated the day of `issued_at` (the step's moment): no database, no transaction.

    `logo`: the letterhead's image as a `data:` URI (engine.services.letter_logo), or None.
    """
    kind, day = letter.kind, local_date(issued_at)
    built = content.build(kind.name, facts, letter.data, titles)
    values = {
        **built.values,
        "nomor": number,
        "perkara": case_number,
        "tanggal_surat": long_date(day),
        "kepala": _heading(built.heading, kind, number, day),
        "tanda_tangan": signature_block(signatory, witnessing=built.heading is None and kind.name != "surat_keputusan"),
    }
    title = f"{kind.title} {number}"
    created = issued_at.astimezone(WIB).isoformat()
    pdf = render.to_pdf(render.page(kind.name, values, title=title, created=created, logo=logo))
    document_id = uuid.uuid4()
    row = {
        "id": document_id,
        "case_id": case_id,
        "task_id": letter.task_id,
        "kind": kind.name,
        "number": number,
        "filename": f"{case_number}-{kind.name}-{document_id.hex[:8]}.pdf",
        "media_type": PDF,
        "size": len(pdf),
        "sha256": hashlib.sha256(pdf).hexdigest(),
        "content": None,
        "created_by": actor,
        "created_at": issued_at,
        "addressee": built.addressee[:300],
        "template_version": render.template_version(kind.name),
        "for_applicant": kind.for_applicant,
        "signatory_id": signatory.id,
    }
    return Rendered(pdf, row)


def issued_payload(row: Mapping[str, Any]) -> dict[str, Any]:
    """The payload of a letter's `document_issued` event: what the row and its hash say."""
    return {
        "document_id": str(row["id"]),
        "kind": row["kind"],
        "number": row["number"],
        "sha256": row["sha256"],
        "template_version": row["template_version"],
    }


def _heading(heading: content.Heading | None, kind: LetterKind, number: str, day: date) -> render.Html:
    if heading is None:
        return render.Html("")
    return render.frame_part(
        "header.html",
        {
            "tanggal_surat": long_date(day),
            "nomor": number,
            "sifat": kind.sifat,
            "lampiran": heading.lampiran,
            "hal": heading.hal,
            "tujuan": heading.tujuan,
            "tempat_tujuan": heading.tempat_tujuan,
        },
    )


def signature_block(signatory: SignatoryView, *, witnessing: bool = False) -> render.Html:
    """The signature block: position (acting for whom), space to sign, name, rank and NIP.

    `witnessing`: under a record the parties sign (berita acara, kesepakatan): "Mengetahui,".
    """
    if signatory.acting == "a.n.":
        lines = [f"a.n. {signatory.principal},", f"{signatory.position},"]
    elif signatory.acting:
        lines = [f"{signatory.acting} {signatory.principal or signatory.position},"]
    else:
        lines = [f"{signatory.position},"]
    position = render.Html("".join(f"<p>{render.escape(line)}</p>" for line in lines))
    details = [signatory.rank] if signatory.rank else []
    details += [f"NIP {signatory.nip}"] if signatory.nip else []
    rank_nip = render.Html("".join(f"<p>{render.escape(line)}</p>" for line in details))
    opening = render.Html("<p>Mengetahui,</p>") if witnessing else render.Html("")
    return render.frame_part(
        "signature.html", {"pembuka": opening, "jabatan": position, "nama": signatory.name, "pangkat_nip": rank_nip}
    )


def load_numbering(session: Session, kinds: set[str]) -> dict[str, Numbering]:
    """The numbering rows of `kinds` and the default, by kind."""
    rows = session.execute(select(LetterNumbering).where(LetterNumbering.kind.in_(sorted({*kinds, DEFAULT})))).scalars()
    return {r.kind: Numbering(series=r.kind, pattern=r.pattern, code=r.code, unit=r.unit) for r in rows}


def load_signatories(session: Session, day: date) -> list[SignatoryView]:
    """The signatories valid on `day`."""
    rows = session.scalars(
        select(Signatory).where(
            Signatory.valid_from <= day, or_(Signatory.valid_until.is_(None), Signatory.valid_until >= day)
        )
    )
    return [SignatoryView.of(r) for r in rows]


def signatory_for(kind: str, signatories: Sequence[SignatoryView], day: date) -> SignatoryView:
    """Who signs a letter of `kind`: a row for that kind before a general one, the newest first."""
    fitting = [s for s in signatories if not s.kinds or kind in s.kinds]
    if not fitting:
        raise ProcessFailed(
            f"Belum ada penandatangan {KINDS[kind].title} yang berlaku pada {long_date(day)}; "
            "administrator menambahkannya pada halaman Admin \u203a Surat."
        )
    return max(fitting, key=lambda s: (bool(s.kinds), s.valid_from, s.id))


def load_facts(session: Session, case_id: uuid.UUID, case_number: str, actor: str) -> content.CaseFacts:
    """The applicant's name and address, when the case was filed, and the actor's name: one query."""
    applicant, person = aliased(User), aliased(User)
    actor_name = select(person.full_name).where(person.username == actor).scalar_subquery()
    row = session.execute(
        select(Case.walkin_name, Case.walkin_address, Case.created_at, applicant.full_name, actor_name)
        .outerjoin(applicant, applicant.id == Case.applicant_user_id)
        .where(Case.id == case_id)
    ).one()
    walkin_name, walkin_address, created_at, account_name, actor_full_name = row
    return content.CaseFacts(
        number=case_number,
        applicant=str(walkin_name or account_name or "-"),
        applicant_address=str(walkin_address or ""),
        filed_on=local_date(cast(datetime, created_at)),
        actor_name=str(actor_full_name or actor),
    )
