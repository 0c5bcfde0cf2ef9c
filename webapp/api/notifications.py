"""Notifications: the caller's newest notifications with the unread count, and marking them read."""

from __future__ import annotations

from typing import Any

from flask import Response

from engine.services import notifications as notification_service
from engine.services.notifications import FeedItem
from webapp.api import bp
from webapp.api.openapi import WHEN, _errors, _json, _obj, _op, _ref
from webapp.api.support import caller, ctx, json_response


def item_json(item: FeedItem) -> dict[str, Any]:
    """A notification as the API shows it; `link` is a path of the web app."""
    return {
        "kind": item.kind,
        "text": item.text,
        "case_number": item.case_number,
        "link": item.link,
        "created_at": item.created_at,
        "unread": item.unread,
    }


@bp.get("/notifications")
def feed() -> Response:
    """The caller's newest notifications, newest first, and how many are unread."""
    items = notification_service.feed(ctx(), caller())
    unread = notification_service.unread_count(ctx(), caller())
    return json_response({"unread": unread, "items": [item_json(i) for i in items]})


@bp.post("/notifications/seen")
def seen() -> Response:
    """Count everything the caller has been notified of until now as read."""
    notification_service.mark_seen(ctx(), caller())
    return json_response({"unread": notification_service.unread_count(ctx(), caller())})


def openapi_schemas() -> dict[str, Any]:
    """The schemas of these endpoints, for the OpenAPI document."""
    return {
        "Notification": _obj(
            {
                "kind": {"type": "string", "description": "tugas, surat, eskalasi"},
                "text": {"type": "string"},
                "case_number": {"type": ["string", "null"]},
                "link": {"type": "string", "description": "path halaman web"},
                "created_at": WHEN,
                "unread": {"type": "boolean"},
            }
        ),
    }


def openapi_paths() -> dict[str, Any]:
    """The paths of these endpoints, for the OpenAPI document."""
    unread = {"type": "integer", "minimum": 0, "maximum": notification_service.UNREAD_CAP + 1}
    return {
        "/notifications": {
            "get": _op(
                "Notifikasi terbaru pemanggil dan jumlah yang belum dibaca",
                {
                    "200": _json(
                        _obj({"unread": unread, "items": {"type": "array", "items": _ref("Notification")}}), "OK"
                    ),
                    **_errors(401),
                },
            )
        },
        "/notifications/seen": {
            "post": _op(
                "Tandai semua notifikasi telah dibaca", {"200": _json(_obj({"unread": unread}), "OK"), **_errors(401)}
            )
        },
    }
