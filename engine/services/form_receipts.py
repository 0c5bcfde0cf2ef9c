"""One-time form tokens: a filing form's token, once used, answers a second POST with the case it filed.

Only the token's SHA-256 is kept (table form_receipt), written in the transaction that files the
case, so the token and the case exist together or not at all; of two concurrent filings with one
token the primary key lets one commit. A token used by another person is honoured for nobody: the
form is refused as spent, and the case it filed is not named.
"""

from __future__ import annotations

import hashlib
import uuid
from datetime import datetime

from sqlalchemy import insert, select
from sqlalchemy.orm import Session

from engine.actors import Actor
from engine.errors import AlreadyFiled, FormSpent, InvalidInput
from engine.persistence.models import Case, FormReceipt

MAX_TOKEN = 255
SPENT = "Formulir ini sudah tidak berlaku. Muat ulang halaman, lalu kirim kembali."


def digest(token: str) -> str:
    """The SHA-256 (hex) a token is kept as; InvalidInput for an empty or overlong token."""
    if not token.strip() or len(token) > MAX_TOKEN or not token.isprintable():
        raise InvalidInput(f"Token formulir tidak sah (1-{MAX_TOKEN} karakter yang dapat dicetak).")
    return hashlib.sha256(token.encode()).hexdigest()


def refuse_used(session: Session, receipt: str, actor: Actor) -> None:
    """Raise AlreadyFiled when `actor` filed a case with this token before; FormSpent when someone else did."""
    row = session.execute(
        select(FormReceipt.user_id, FormReceipt.case_id, Case.number)
        .outerjoin(Case, Case.id == FormReceipt.case_id)
        .where(FormReceipt.token == receipt)
    ).first()
    if row is None:
        return
    if row.user_id != actor.user_id or row.case_id is None or row.number is None:
        raise FormSpent(SPENT)
    raise AlreadyFiled(row.case_id, row.number)


def keep(session: Session, receipt: str, *, actor: Actor, case_id: uuid.UUID, now: datetime) -> None:
    """Record the token as used for `case_id`, in the filing's own transaction (a unique key refuses a second)."""
    assert actor.user_id is not None, "only a person with an account files"
    session.execute(insert(FormReceipt).values(token=receipt, user_id=actor.user_id, case_id=case_id, created_at=now))
