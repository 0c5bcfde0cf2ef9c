"""Letter settings kept by the admin: the dated table of signatories and the numbering patterns.

Signatories are never changed or deleted: a new row takes over from a date, an old one is ended
on a date, and every letter records which row signed it. Each change is an event on the system
chain. `ensure_letter_defaults` (run by `mediasi init`) seeds a default numbering pattern and a
default signatory, which switches letters on for a fresh install.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from engine.actors import Actor
from engine.context import EngineContext
from engine.errors import InvalidInput, NotFound, PermissionDenied
from engine.events import SYSTEM_CHAIN, append_chain_event
from engine.letters.dates import local_date
from engine.letters.issue import DEFAULT, SignatoryView, signatory_for
from engine.letters.kinds import KINDS
from engine.letters.numbering import DEFAULT_PATTERN, MAX_NUMBER, check_pattern, format_number
from engine.persistence.models import LetterNumbering, Signatory
from engine.roles import Role

ACTING = {
    "": "Definitif",
    "Plt.": "Pelaksana Tugas (Plt.)",
    "Plh.": "Pelaksana Harian (Plh.)",
    "a.n.": "Atas nama (a.n.)",
}
NIP = re.compile(r"^[0-9 ]{0,30}$")
DEFAULT_POSITION = "Kepala Dinas Pemberdayaan Masyarakat, Perempuan dan Perlindungan Anak Kota Pekalongan"
DEFAULT_SIGNER = "................................"  # a blank line to sign over, until the admin names the signer
DEFAULT_CODE, DEFAULT_UNIT = "400", "DPMPPA"


@dataclass(frozen=True)
class NumberingView:
    """A numbering pattern ("*": the default), with an example of the number it gives."""

    kind: str
    title: str
    pattern: str
    code: str
    unit: str
    example: str
    updated_by: str
    updated_at: datetime


def require_admin(actor: Actor) -> None:
    if not (actor.is_operator or actor.has_any(Role.ADMIN)):
        raise PermissionDenied("Hanya administrator yang dapat mengatur penandatangan dan penomoran surat.")


def _text(value: str, label: str, limit: int, *, required: bool = True) -> str:
    value = " ".join(value.split())
    if (required and not value) or len(value) > limit:
        raise InvalidInput(f"{label} {'wajib diisi ' if required else ''}(maksimal {limit} karakter).")
    return value


def list_signatories(ctx: EngineContext, *, actor: Actor) -> list[SignatoryView]:
    """Every signatory row, the newest first."""
    require_admin(actor)
    with ctx.unit_of_work(write=False) as uow:
        rows = uow.session.scalars(select(Signatory).order_by(Signatory.valid_from.desc(), Signatory.id.desc()))
        return [SignatoryView.of(r) for r in rows]


def add_signatory(
    ctx: EngineContext,
    *,
    actor: Actor,
    name: str,
    position: str,
    valid_from: date,
    nip: str = "",
    rank: str = "",
    acting: str = "",
    principal: str = "",
    kinds: tuple[str, ...] = (),
) -> int:
    """Add who signs letters from `valid_from` on (for `kinds`, or every kind); returns the row's id.

    :raises PermissionDenied, InvalidInput:
    """
    require_admin(actor)
    values = _signatory_values(name, position, nip, rank, acting, principal, kinds)
    now = ctx.clock.now()
    with ctx.unit_of_work() as uow:
        row = Signatory(**values, valid_from=valid_from, valid_until=None, created_by=actor.username, created_at=now)
        uow.session.add(row)
        uow.flush()
        _record(uow.session, actor, now, "signatory_added", {**values, "id": row.id, "valid_from": str(valid_from)})
        return row.id


def _signatory_values(
    name: str, position: str, nip: str, rank: str, acting: str, principal: str, kinds: tuple[str, ...]
) -> dict[str, Any]:
    if acting not in ACTING:
        raise InvalidInput(
            f"Kedudukan penandatangan harus salah satu dari: {', '.join(a or '(definitif)' for a in ACTING)}."
        )
    if not NIP.match(nip.strip()):
        raise InvalidInput("NIP hanya berisi angka (maksimal 30 karakter).")
    unknown = [k for k in kinds if k not in KINDS]
    if unknown:
        raise InvalidInput(f"Jenis surat tidak dikenal: {', '.join(unknown)}.")
    values = {
        "name": _text(name, "Nama", 200),
        "position": _text(position, "Jabatan", 300),
        "nip": " ".join(nip.split()),
        "rank": _text(rank, "Pangkat/golongan", 100, required=False),
        "acting": acting,
        "principal": _text(principal, "Jabatan yang diwakili", 300, required=bool(acting)),
        "kinds": " ".join(sorted(set(kinds))),
    }
    return values


def end_signatory(ctx: EngineContext, *, actor: Actor, signatory_id: int, valid_until: date) -> None:
    """End a signatory row on `valid_until` (the last day it signs).

    :raises PermissionDenied, NotFound, InvalidInput:
    """
    require_admin(actor)
    now = ctx.clock.now()
    with ctx.unit_of_work() as uow:
        row = uow.session.get(Signatory, signatory_id)
        if row is None:
            raise NotFound("Penandatangan tidak ditemukan.")
        if row.valid_until is not None:
            raise InvalidInput(f"Penandatangan ini sudah berakhir pada {row.valid_until.isoformat()}.")
        if valid_until < row.valid_from:
            raise InvalidInput("Tanggal berakhir tidak boleh sebelum tanggal mulai berlaku.")
        row.valid_until = valid_until
        _record(uow.session, actor, now, "signatory_ended", {"id": row.id, "valid_until": str(valid_until)})


def list_numbering(ctx: EngineContext, *, actor: Actor) -> list[NumberingView]:
    """The numbering patterns: the default first, then per kind."""
    require_admin(actor)
    today = local_date(ctx.clock.now())
    with ctx.unit_of_work(write=False) as uow:
        rows = sorted(uow.session.scalars(select(LetterNumbering)), key=lambda r: (r.kind != DEFAULT, r.kind))
        return [
            NumberingView(
                kind=r.kind,
                title="Semua jenis surat (bawaan)" if r.kind == DEFAULT else KINDS[r.kind].title,
                pattern=r.pattern,
                code=r.code,
                unit=r.unit,
                example=format_number(r.pattern, code=r.code, unit=r.unit, sequence=1, day=today),
                updated_by=r.updated_by,
                updated_at=r.updated_at,
            )
            for r in rows
            if r.kind == DEFAULT or r.kind in KINDS
        ]


def set_numbering(ctx: EngineContext, *, actor: Actor, kind: str, pattern: str, code: str, unit: str) -> None:
    """Set the numbering pattern of `kind` ("*": the default); a kind's own pattern counts its own series.

    :raises PermissionDenied, InvalidInput:
    """
    require_admin(actor)
    if kind != DEFAULT and kind not in KINDS:
        raise InvalidInput(f"Jenis surat tidak dikenal: {kind}.")
    values = {
        "pattern": check_pattern(pattern),
        "code": _text(code, "Kode klasifikasi", 30, required=False),
        "unit": _text(unit, "Kode unit", 50, required=False),
    }
    now = ctx.clock.now()
    longest = format_number(values["pattern"], code=values["code"], unit=values["unit"], sequence=999, day=now.date())
    if len(longest) > MAX_NUMBER:
        raise InvalidInput(f"Nomor yang dihasilkan pola ini lebih dari {MAX_NUMBER} karakter.")
    with ctx.unit_of_work() as uow:
        _put_numbering(uow.session, kind, values, actor, now)


def _put_numbering(session: Session, kind: str, values: dict[str, str], actor: Actor, now: datetime) -> None:
    row = session.get(LetterNumbering, kind)
    if row is None:
        session.add(LetterNumbering(kind=kind, **values, updated_by=actor.username, updated_at=now))
    else:
        row.pattern, row.code, row.unit = values["pattern"], values["code"], values["unit"]
        row.updated_by, row.updated_at = actor.username, now
    _record(session, actor, now, "letter_numbering_set", {"kind": kind, **values})


@dataclass(frozen=True)
class Signer:
    """Who a seeded default signatory names: by default a blank line to sign over."""

    name: str = DEFAULT_SIGNER
    nip: str = ""
    rank: str = ""


# The demo install's Kepala Dinas (engine.services.users.DEMO_USERS), so that demo letters show a
# printed name and NIP; the NIP is a made-up example of the 18-digit form.
DEMO_SIGNER = Signer(name="Ahmad Fauzi", nip="19700101 199503 1 001", rank="Pembina Utama Muda (IV/c)")


def unnamed_signatories(ctx: EngineContext, *, actor: Actor) -> list[SignatoryView]:
    """Signatories that would sign some kind of letter today but are named by the blank line: those
    letters print dots where the name goes."""
    today = local_date(ctx.clock.now())
    valid = [s for s in list_signatories(ctx, actor=actor) if s.valid_on(today)]
    signing = {
        signatory_for(kind, valid, today).id: kind
        for kind in KINDS
        if any(not s.kinds or kind in s.kinds for s in valid)
    }
    return [s for s in valid if s.id in signing and s.name == DEFAULT_SIGNER]


def ensure_letter_defaults(ctx: EngineContext, *, actor: Actor, signer: Signer | None = None) -> list[str]:
    """Seed the default numbering pattern and a default signatory where there are none; say what was seeded.

    The signatory is `signer` (the demo install names one), else the blank line the admin replaces.
    """
    signer = signer or Signer()
    require_admin(actor)
    now = ctx.clock.now()
    seeded = []
    with ctx.unit_of_work() as uow:
        session = uow.session
        if session.get(LetterNumbering, DEFAULT) is None:
            values = {"pattern": DEFAULT_PATTERN, "code": DEFAULT_CODE, "unit": DEFAULT_UNIT}
            _put_numbering(session, DEFAULT, values, actor, now)
            seeded.append(f"pola penomoran bawaan {DEFAULT_PATTERN} (kode {DEFAULT_CODE}, unit {DEFAULT_UNIT})")
        if session.scalar(select(Signatory.id).limit(1)) is None:
            values = _signatory_values(signer.name, DEFAULT_POSITION, signer.nip, signer.rank, "", "", ())
            row = Signatory(
                **values, valid_from=local_date(now), valid_until=None, created_by=actor.username, created_at=now
            )
            session.add(row)
            uow.flush()
            _record(session, actor, now, "signatory_added", {**values, "id": row.id, "valid_from": str(row.valid_from)})
            seeded.append(f"penandatangan bawaan \u201c{DEFAULT_POSITION}\u201d")
    return seeded


def _record(session: Session, actor: Actor, now: datetime, type: str, payload: dict[str, Any]) -> None:
    append_chain_event(session, SYSTEM_CHAIN, type=type, actor=actor.username, at=now, payload=payload)
