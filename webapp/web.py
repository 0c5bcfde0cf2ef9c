"""What the page blueprints share: the engine context, the signed-in actor, role checks."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any, TypeVar

from flask import Response, current_app
from flask_login import current_user, login_required

from engine.actors import Actor
from engine.context import EngineContext
from engine.errors import PermissionDenied
from engine.services.evidence import Evidence

F = TypeVar("F", bound=Callable[..., Any])


def ctx() -> EngineContext:
    """The engine context of this app."""
    engine: EngineContext = current_app.extensions["mediasi"]
    return engine


def actor() -> Actor:
    """The signed-in person."""
    person: Actor = current_user.actor
    return person


def evidence_download(package: Evidence) -> Response:
    """An evidence package as a ZIP attachment, with its manifest's hash (which the export logged)."""
    return Response(
        package.content,
        mimetype="application/zip",
        headers={
            "Content-Disposition": f'attachment; filename="{package.filename}"',
            "X-Manifest-SHA256": package.manifest_sha256,
        },
    )


def roles_required(*roles: str) -> Callable[[F], F]:
    """Sign-in and one of `roles` are needed."""

    def decorate(view: F) -> F:
        @wraps(view)
        @login_required
        def guarded(*args: Any, **kwargs: Any) -> Any:
            if not actor().has_any(*roles):
                raise PermissionDenied("Halaman ini bukan untuk peran Anda.")
            return view(*args, **kwargs)

        return guarded  # type: ignore[return-value]

    return decorate
