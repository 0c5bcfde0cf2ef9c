"""Likely duplicate filings: the keyed digest that finds them, and the victim's initials beside it.

A filing is keyed by the first victim's name (casefolded, spaces collapsed) and the applicant's
contact: the walk-in applicant's phone (digits only, +62/62 and 0 read alike), or the applicant's
own account when they file for themselves (an account has no phone). The key is an HMAC-SHA256
under `Settings.duplicate_secret` (MEDIASI_DUPLICATE_KEY), else the web secret, so the column
never holds a name that a dictionary of names and phones could recover without the key. A case
with the same key filed within DUPLICATE_DAYS is found by the index on (duplicate_key, created_at).
"""

from __future__ import annotations

import hashlib
import hmac
import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import case, or_, select
from sqlalchemy.orm import Session

from engine.access import readable_cases
from engine.actors import Actor
from engine.errors import DuplicateSuspected, EarlierCase
from engine.persistence.models import Case
from engine.settings import Settings
from engine.status import CaseOutcome

DUPLICATE_DAYS = 30
VICTIMS = "korban"  # the start form's list of victims, each with a `nama`
# Without any configured secret the key is still a keyed digest, the same on every process of one office.
FALLBACK_SECRET = "mediasi-duplikat"  # noqa: S105 - not a credential: it only keys a lookup digest
MAX_INITIALS = 16  # cases.victim_initials
NON_DIGITS = re.compile(r"\D")


@dataclass(frozen=True)
class FilingKey:
    """What a filing is recognised by: the duplicate key and the victim's initials (None: no victim named)."""

    duplicate_key: str | None
    victim_initials: str | None


def normalized_name(name: str) -> str:
    """A name as compared: casefolded, whitespace collapsed to single spaces."""
    return " ".join(name.casefold().split())


def normalized_phone(phone: str) -> str:
    """A phone number as compared: digits only, the country code 62 written as the leading 0."""
    digits = NON_DIGITS.sub("", phone)
    if digits.startswith("62"):
        return "0" + digits[2:]
    if digits.startswith("8"):  # a mobile number written without its 0
        return "0" + digits
    return digits


def victim_initials(name: str) -> str | None:
    """The initials of a name, "S. R." for "Siti Rahayu"; as many as fit MAX_INITIALS characters."""
    initials = ""
    for word in name.split():
        letter = next((c for c in word if c.isalnum()), None)
        if letter is None:
            continue
        more = f"{initials} {letter.upper()}." if initials else f"{letter.upper()}."
        if len(more) > MAX_INITIALS:
            break
        initials = more
    return initials or None


def filing_key(settings: Settings, data: Mapping[str, Any], *, phone: str | None, actor: Actor) -> FilingKey:
    """The key and initials of a filing: the first victim named in `data`, and the walk-in `phone` or the account."""
    name = _first_victim(data)
    if name is None:
        return FilingKey(None, None)
    contact = f"telepon:{normalized_phone(phone)}" if phone is not None else f"akun:{actor.user_id}"
    secret = (settings.duplicate_secret or settings.secret_key or FALLBACK_SECRET).encode()
    message = f"{normalized_name(name)}\x1f{contact}".encode()
    return FilingKey(hmac.new(secret, message, hashlib.sha256).hexdigest(), victim_initials(name))


def refuse_recent(session: Session, key: str, now: datetime, actor: Actor) -> None:
    """Raise DuplicateSuspected when a case with `key` was filed within DUPLICATE_DAYS of `now`.

    The earlier cases are named only where `actor` may read them; one already closed as a
    duplicate does not count.
    """
    readable = case((readable_cases(actor), True), else_=False)
    rows = session.execute(
        select(Case.id, Case.number, readable)
        .where(
            Case.duplicate_key == key,
            Case.created_at >= now - timedelta(days=DUPLICATE_DAYS),
            or_(Case.outcome.is_(None), Case.outcome != CaseOutcome.DUPLICATE),
        )
        .order_by(Case.created_at, Case.number)
    ).all()
    if rows:
        raise DuplicateSuspected(
            [EarlierCase(r.id, r.number) if r[2] else EarlierCase(None, None) for r in rows], DUPLICATE_DAYS
        )


def _first_victim(data: Mapping[str, Any]) -> str | None:
    victims = data.get(VICTIMS)
    if not isinstance(victims, list) or not victims or not isinstance(victims[0], dict):
        return None
    name = victims[0].get("nama")
    return name if isinstance(name, str) and name.strip() else None
