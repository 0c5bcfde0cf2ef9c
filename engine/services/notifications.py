"""Notifications: a bell with an unread count, and email.

Only escalations are stored (`notification` rows, written by the timer engine through engine.casework.notices).
New tasks and issued letters are read from `case_task` and `document` as they are, so that
completing a task, a benchmarked hot path, writes nothing for them. A notification says which
case (its number), which task or letter (its title) and where to look (a link); never a name,
the violence type or anything from a form.
"""

from __future__ import annotations

import logging
import uuid
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from email.message import EmailMessage
from typing import Any

from sqlalchemy import ColumnElement, Select, and_, func, or_, select, true, update
from sqlalchemy.orm import Session

from engine import mail
from engine.access import STAFF_ROLES, readable_cases
from engine.actors import Actor
from engine.context import EngineContext
from engine.errors import ConcurrentUpdate
from engine.letters.kinds import KINDS
from engine.mail import parse_smtp_url
from engine.persistence.models import Case, CaseTask, Document, MailCursor, Notification, User
from engine.policy import lane_roles_of
from engine.roles import Role
from engine.settings import Settings
from engine.status import TaskStatus

TASK, LETTER, ESCALATION = "tugas", "surat", "eskalasi"
UNREAD_CAP = 99  # counting stops just above this: the bell shows "99+"
log = logging.getLogger(__name__)


@dataclass(frozen=True)
class FeedItem:
    """One notification as its reader sees it; `link` is a path of the web app."""

    kind: str
    text: str
    case_number: str | None
    link: str
    created_at: datetime
    unread: bool


@dataclass(frozen=True)
class Window:
    """Items created after `since` (if set) and up to `until` (if set)."""

    since: datetime | None = None
    until: datetime | None = None

    def holds(self, column: Any) -> ColumnElement[bool]:
        """The condition on a creation column."""
        bounds = [column > self.since] if self.since is not None else []
        bounds += [column <= self.until] if self.until is not None else []
        return and_(true(), *bounds)


def task_link(task_id: uuid.UUID) -> str:
    """The web app's page of a task."""
    return f"/tugas/{task_id}"


def case_link(case_id: uuid.UUID) -> str:
    """The web app's page of a case."""
    return f"/kasus/{case_id}"


FEED_LINK = "/notifikasi"


def feed(ctx: EngineContext, actor: Actor, *, limit: int = 50) -> list[FeedItem]:
    """The newest `limit` notifications of `actor`, newest first, marked unread when newer than
    the moment they last opened their notifications."""
    if actor.user_id is None:
        return []
    with ctx.unit_of_work(write=False) as uow:
        seen = uow.session.scalar(select(User.notifications_seen_at).where(User.id == actor.user_id))
        return items_for(ctx, uow.session, actor, Window(), limit=limit, seen=seen)


def unread_count(ctx: EngineContext, actor: Actor) -> int:
    """How many notifications are newer than the moment `actor` last opened them, at most
    UNREAD_CAP + 1; one statement."""
    if actor.user_id is None:
        return 0
    seen = select(User.notifications_seen_at).where(User.id == actor.user_id).scalar_subquery()
    counts = [
        select(func.count()).select_from(query.limit(UNREAD_CAP + 1).subquery()).scalar_subquery()
        for query in _unread(actor, seen)
    ]
    with ctx.unit_of_work(write=False) as uow:
        row = uow.session.execute(select(*counts)).one()
    return min(sum(int(n) for n in row), UNREAD_CAP + 1)


def mark_seen(ctx: EngineContext, actor: Actor) -> None:
    """Count everything `actor` has been notified of until now as read."""
    if actor.user_id is None:
        return
    with ctx.unit_of_work() as uow:
        uow.session.execute(update(User).where(User.id == actor.user_id).values(notifications_seen_at=ctx.clock.now()))


def items_for(
    ctx: EngineContext, session: Session, actor: Actor, window: Window, *, limit: int, seen: datetime | None
) -> list[FeedItem]:
    """`actor`'s notifications created in `window`, newest first."""
    if actor.user_id is None:
        return []
    items = _tasks(ctx, session, actor, window, limit) + _letters(session, actor, window, limit)
    items += _escalations(session, actor, window, limit)
    items.sort(key=lambda item: item.created_at, reverse=True)
    return [replace(item, unread=seen is None or item.created_at > seen) for item in items[:limit]]


def anything_created(session: Session, window: Window) -> bool:
    """Whether any task, letter or escalation was created in `window`, for anyone."""
    found = [
        select(CaseTask.id).where(CaseTask.state == TaskStatus.READY, window.holds(CaseTask.created_at)).exists(),
        select(Document.id).where(Document.kind.in_(KINDS), window.holds(Document.created_at)).exists(),
        select(Notification.id).where(window.holds(Notification.created_at)).exists(),
    ]
    return bool(session.scalar(select(or_(*found))))


def _tasks(ctx: EngineContext, session: Session, actor: Actor, window: Window, limit: int) -> list[FeedItem]:
    rows = session.execute(
        select(CaseTask.id, CaseTask.element, CaseTask.created_at, Case.number, Case.definition_id)
        .join(Case, Case.id == CaseTask.case_id)
        .where(_open_to(actor), window.holds(CaseTask.created_at))
        .order_by(CaseTask.created_at.desc())
        .limit(limit)
    ).all()
    items = []
    for task_id, element, created_at, number, definition_id in rows:
        info = ctx.definitions.get(session, definition_id).catalog.tasks.get(element)
        text = f"Tugas baru: {info.title if info is not None else element} (kasus {number})"
        items.append(FeedItem(TASK, text, number, task_link(task_id), created_at, unread=False))
    return items


def _letters(session: Session, actor: Actor, window: Window, limit: int) -> list[FeedItem]:
    rows = session.execute(
        select(Document.kind, Document.created_at, Case.id, Case.number)
        .join(Case, Case.id == Document.case_id)
        .where(_told_of_letter(actor), window.holds(Document.created_at))
        .order_by(Document.created_at.desc())
        .limit(limit)
    ).all()
    return [
        FeedItem(
            LETTER, f"Surat diterbitkan: {KINDS[kind].title} (kasus {number})", number, case_link(case_id), at, False
        )
        for kind, at, case_id, number in rows
    ]


def _escalations(session: Session, actor: Actor, window: Window, limit: int) -> list[FeedItem]:
    rows = session.execute(
        select(Notification.kind, Notification.text, Notification.created_at, Case.id, Case.number)
        .outerjoin(Case, Case.id == Notification.case_id)
        .where(_addressed_to(actor), window.holds(Notification.created_at))
        .order_by(Notification.created_at.desc(), Notification.id.desc())
        .limit(limit)
    ).all()
    return [
        FeedItem(kind, text, number, case_link(case_id) if case_id else FEED_LINK, at, False)
        for kind, text, at, case_id, number in rows
    ]


def _unread(actor: Actor, seen: Any) -> list[Select[Any]]:
    """One query per source for `actor`'s rows created after `seen` (all when it is NULL)."""

    def after(created: Any) -> ColumnElement[bool]:
        return or_(seen.is_(None), created > seen)

    return [
        select(CaseTask.id).join(Case, Case.id == CaseTask.case_id).where(_open_to(actor), after(CaseTask.created_at)),
        select(Document.id)
        .join(Case, Case.id == Document.case_id)
        .where(_told_of_letter(actor), after(Document.created_at)),
        select(Notification.id).where(_addressed_to(actor), after(Notification.created_at)),
    ]


def _open_to(actor: Actor) -> ColumnElement[bool]:
    """Ready tasks that `actor` may take (with `Case` joined): in a lane of their roles, or their
    own as the case's applicant, and not taken by someone else."""
    mine = CaseTask.for_applicant.is_(True) & (Case.acting_user_id == actor.user_id)
    lanes = [CaseTask.candidate_roles.like(f"% {role} %") for role in lane_roles_of(actor)]
    free = or_(CaseTask.claimed_by_id.is_(None), CaseTask.claimed_by_id == actor.user_id)
    return and_(CaseTask.state == TaskStatus.READY, or_(mine, *lanes), free)


def _told_of_letter(actor: Actor) -> ColumnElement[bool]:
    """Letters (with `Case` joined) on the cases `actor` takes part in, except those they issued;
    for an applicant only the letters addressed to them. An auditor reads every case but is not
    told of each letter."""
    reader = replace(actor, roles=actor.roles - {Role.AUDITOR})
    conditions = [Document.kind.in_(KINDS), readable_cases(reader), Document.created_by != actor.username]
    if not reader.has_any(*STAFF_ROLES):
        conditions.append(Document.for_applicant.is_(True))
    return and_(*conditions)


def _addressed_to(actor: Actor) -> ColumnElement[bool]:
    """Stored notifications addressed to `actor` or to a role they hold."""
    addressed = [Notification.user_id == actor.user_id]
    if actor.roles:
        addressed.append(Notification.role.in_(sorted(actor.roles)))
    return or_(*addressed)


# Email. A step stamps its rows with the moment it began and commits a little later; mailing only
# rows older than this leaves time for those commits, so that the cursor never passes a row that
# was not yet visible.
MAIL_SETTLE = timedelta(minutes=1)
MAIL_CURSOR = "email"
MAIL_LIMIT = 50


def deliver_mail(ctx: EngineContext) -> int:
    """Email every user with an address the notifications created since the last delivery; returns
    how many emails went out.

    Delivery is at least once: the cursor moves only after the SMTP server took every email, so an
    email may go out twice (a failure half-way, or two schedulers at the same moment), never zero
    times. No transaction is open while the SMTP server is talked to. The first delivery starts
    from now: switching email on does not mail the past. An SMTP failure is logged and retried at
    the next call.
    """
    if ctx.settings.smtp_url is None:
        return 0
    server = parse_smtp_url(ctx.settings.smtp_url)
    until = ctx.clock.now() - MAIL_SETTLE
    with ctx.unit_of_work(write=False) as uow:
        since = uow.session.scalar(select(MailCursor.position).where(MailCursor.name == MAIL_CURSOR))
        if since is not None and since >= until:
            return 0
        messages = _messages(ctx, uow.session, Window(since, until)) if since is not None else []
    if since is not None and messages:
        try:
            mail.send(server, messages)
        except OSError as exc:
            log.warning("Email notifikasi belum terkirim (dicoba lagi nanti): %s", exc)
            return 0
    _advance(ctx, since, until)
    return len(messages)


def _advance(ctx: EngineContext, since: datetime | None, until: datetime) -> None:
    """Move the cursor from `since` to `until`, unless another delivery moved it first."""
    try:
        with ctx.unit_of_work() as uow:
            if since is None:
                uow.session.add(MailCursor(name=MAIL_CURSOR, position=until))
            else:
                uow.session.execute(
                    update(MailCursor)
                    .where(MailCursor.name == MAIL_CURSOR, MailCursor.position == since)
                    .values(position=until)
                )
    except ConcurrentUpdate:
        pass  # another scheduler started the cursor at the same moment


def _messages(ctx: EngineContext, session: Session, window: Window) -> list[EmailMessage]:
    if not anything_created(session, window):
        return []
    users = session.scalars(select(User).where(User.email.is_not(None), User.active.is_(True)).order_by(User.id))
    messages = []
    for user in users:
        actor = Actor(username=user.username, roles=user.role_names, user_id=user.id, full_name=user.full_name)
        items = items_for(ctx, session, actor, window, limit=MAIL_LIMIT, seen=None)
        if items and user.email:
            messages.append(_message(ctx.settings, user.email, items))
    return messages


def _message(settings: Settings, to: str, items: list[FeedItem]) -> EmailMessage:
    """One email for one reader: the case numbers, titles and links, nothing from the case itself."""
    subject = items[0].text if len(items) == 1 else f"{len(items)} notifikasi baru"
    lines = [
        "Yth. Pengguna Mediasi,",
        "",
        "ada pemberitahuan baru untuk Anda di Mediasi DPMPPA Kota Pekalongan:",
        "",
    ]
    for item in items:
        lines += [f"- {item.text}", f"  {_absolute(settings, item.link)}"]
    lines += [
        "",
        f"Semua notifikasi: {_absolute(settings, FEED_LINK)}",
        "",
        "Isi kasus tidak pernah dikirim lewat email; masuklah ke Mediasi untuk membacanya.",
        "Email ini dikirim otomatis; mohon tidak membalasnya.",
    ]
    return mail.plain_message(sender=settings.mail_from, to=to, subject=f"[Mediasi] {subject}", body="\n".join(lines))


def _absolute(settings: Settings, path: str) -> str:
    return f"{settings.base_url}{path}" if settings.base_url else path
