"""The bell in the header (the unread count on every page) and the notifications page."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, render_template
from flask.typing import ResponseReturnValue
from flask_login import current_user, login_required

from engine.services import notifications as notification_service
from webapp.web import actor, ctx

bp = Blueprint("notifications", __name__)
KIND_TITLES = {"tugas": "Tugas baru", "surat": "Surat", "eskalasi": "Eskalasi"}


@bp.get("/notifikasi")
@login_required
def index() -> ResponseReturnValue:
    """The newest notifications, the unread ones marked; opening the page counts them all as read."""
    items = notification_service.feed(ctx(), actor())
    notification_service.mark_seen(ctx(), actor())
    return render_template("notifications.html", items=items, kind_titles=KIND_TITLES)


@bp.app_context_processor
def bell() -> dict[str, Any]:
    """`unread_notifications()` for the header: asked only when a signed-in page draws its bell."""

    def unread_notifications() -> int:
        return notification_service.unread_count(ctx(), actor()) if current_user.is_authenticated else 0

    return {"unread_notifications": unread_notifications, "unread_cap": notification_service.UNREAD_CAP}
