"""One-time form tokens on pages: a random token per rendered form, and the answer to a form sent twice.

The filing form's token goes to the engine (engine.services.form_receipts), which keeps it with the
case it filed. A task form carries one too, but a task completes once by itself: a second POST of a
task that is no longer ready is told so here, and nothing is sent to the engine.
"""

from __future__ import annotations

import re
import secrets

from flask import flash, redirect, request, url_for
from flask.typing import ResponseReturnValue

from engine.services.tasks import TaskDetail
from engine.status import TaskStatus
from webapp.web import ctx

FIELD = "form_token"
ADDRESS = "formulir"  # the query argument that keeps a filing form's token across Back
TOKEN_SHAPE = re.compile(r"[A-Za-z0-9_-]{20,100}")
# Why a task no longer takes its form, by its state; the task is named after it.
SPENT_TASK = {
    TaskStatus.COMPLETED: "Tugas ini sudah diselesaikan{when}",
    TaskStatus.CANCELLED: "Tugas ini sudah dibatalkan (kasus sudah melewati langkah ini)",
    TaskStatus.HELD: "Tugas ini menunggu konfirmasi koreksi skrining oleh Kepala Dinas",
}


def new_token() -> str:
    """A fresh token for one rendered form."""
    return secrets.token_urlsafe(32)


def address_token() -> str | None:
    """The token the page's address carries (?formulir=, put there by form-token.js), if well formed."""
    value = request.args.get(ADDRESS, "")
    return value if TOKEN_SHAPE.fullmatch(value) else None


def posted_token() -> str | None:
    """The token the submitted form carries (None: a form rendered before tokens, or a bare client)."""
    return request.form.get(FIELD) or None


def spent_task_form(detail: TaskDetail) -> ResponseReturnValue | None:
    """For a task form sent again once its task is no longer ready (Back, a second click): a message and the inbox."""
    reason = SPENT_TASK.get(detail.task.state)
    if reason is None:
        return None
    done = detail.task.completed_at
    when = f" pada {done.astimezone(ctx().settings.zone).strftime('%d-%m-%Y pukul %H.%M')}" if done else ""
    task = f"\u201c{detail.task.title}\u201d, kasus {detail.task.case_number}"
    flash(f"{reason.format(when=when)} ({task}); formulir yang dikirim ulang tidak disimpan.", "info")
    return redirect(url_for("tasks.inbox"))
