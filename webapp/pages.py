"""Pages for people. For now a landing page; inboxes and forms arrive with the web issue."""

from __future__ import annotations

from flask import Blueprint, current_app, render_template
from flask.typing import ResponseReturnValue

from engine.services import queries as case_queries
from webapp import engine_context

bp = Blueprint("pages", __name__)


@bp.get("/")
def index() -> ResponseReturnValue:
    """Landing page: what the service is and how many cases are open."""
    ctx = engine_context(current_app)
    open_cases = case_queries.list_cases(ctx, status="open", per_page=1).total
    return render_template("index.html", open_cases=open_cases)
