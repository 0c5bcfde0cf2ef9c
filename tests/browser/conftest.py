"""Browser tests: the app served on a free port, driven by Playwright in Debian's Chromium.

They run on SQLite only: what they test is the pages; persistence is tested on both databases
elsewhere. A missing Chromium skips them with a message, and fails the run when CI=true.
"""

from __future__ import annotations

import os
import re
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from werkzeug.serving import make_server

from engine.context import EngineContext
from engine.services import users as user_service
from tests.conftest import IN_CI, OPERATOR
from webapp import create_app

CHROMIUM = Path(os.environ.get("MEDIASI_CHROMIUM", "/usr/bin/chromium"))
ARTIFACTS = Path(__file__).resolve().parents[2] / "artifacts"
AXE = Path(__file__).resolve().parents[2] / "webapp" / "static" / "vendor" / "axe-core" / "axe.min.js"
FLAGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-dev-shm-usage",
]


@pytest.fixture(scope="session")
def chromium() -> Iterator[Any]:
    """One headless Chromium for the whole session."""
    if not CHROMIUM.exists():
        message = (
            f"Chromium tidak ada di {CHROMIUM}; jalankan `make browser` (sebagai root) atau pasang paket chromium."
        )
        if IN_CI:
            pytest.fail(message)
        pytest.skip(message)
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), headless=True, args=FLAGS)
        yield browser
        browser.close()


@pytest.fixture(scope="session")
def axe_source() -> str:
    """axe-core as `make assets` copies it from node_modules (pinned in package-lock.json)."""
    if not AXE.exists():
        message = f"axe-core tidak ada di {AXE}; jalankan `make assets`."
        if IN_CI:
            pytest.fail(message)
        pytest.skip(message)
    return AXE.read_text(encoding="utf-8")


@pytest.fixture
def server(ctx: EngineContext, deployed: object) -> Iterator[str]:
    """The app with its demo users, served in a thread; yields its base URL."""
    user_service.ensure_demo_users(ctx, actor=OPERATOR)
    app = create_app({"TESTING": False}, ctx=ctx)
    http = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=http.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{http.server_port}"
    http.shutdown()
    thread.join(timeout=10)


@pytest.fixture
def new_page(chromium: Any) -> Iterator[Any]:
    """Make fresh browser pages (each its own context: its own cookies), closed at the end."""
    contexts: list[Any] = []

    def make(width: int = 1280, height: int = 900) -> Any:
        context = chromium.new_context(viewport={"width": width, "height": height}, locale="id-ID")
        contexts.append(context)
        page = context.new_page()
        page.set_default_timeout(15_000)
        page.csp_violations = []  # type: ignore[attr-defined]
        page.on(
            "console",
            lambda m: (
                page.csp_violations.append(m.text)  # type: ignore[attr-defined]
                if "Content Security Policy" in m.text
                else None
            ),
        )
        return page

    yield make
    for context in contexts:
        context.close()


def screenshot(page: Any, name: str) -> None:
    """Keep a picture of the page in the git-ignored artifacts folder, for a person to look at."""
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=True)


def sign_in(new_page: Any, base: str, username: str, **viewport: int) -> Any:
    """A new page signed in as a demo account, landed on that role's home page."""
    page = new_page(**viewport)
    page.goto(f"{base}/masuk")
    page.fill("#username", username)
    page.fill("#password", user_service.DEMO_PASSWORD)
    page.click("button:has-text('Masuk')")
    page.wait_for_url(re.compile(rf"{re.escape(base)}/(tugas|kasus|admin/pengguna|proses)?$"))
    return page
