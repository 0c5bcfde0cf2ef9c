"""The web app factory: health, landing page, security headers."""

from __future__ import annotations

from flask import Flask
from flask.testing import FlaskClient


def test_health_needs_no_sign_in(client: FlaskClient) -> None:
    response = client.get("/api/v1/health")
    assert response.status_code == 200 and response.get_json() == {"status": "ok"}


def test_landing_page_is_indonesian_and_guarded_by_headers(client: FlaskClient) -> None:
    response = client.get("/")
    assert response.status_code == 200
    assert "Bantuan Mediasi Kasus Kekerasan" in response.get_data(as_text=True)
    assert "script-src 'self';" in response.headers["Content-Security-Policy"]
    assert "default-src 'self'" in response.headers["Content-Security-Policy"]
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["X-Frame-Options"] == "DENY"


def test_session_cookie_settings(app: Flask) -> None:
    assert app.config["SESSION_COOKIE_HTTPONLY"] is True
    assert app.config["SESSION_COOKIE_SAMESITE"] == "Lax"
    assert app.config["SECRET_KEY"] == "test-secret"
