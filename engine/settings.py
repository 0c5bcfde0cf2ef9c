"""The engine's configuration: one frozen object, built once by whoever starts the process."""

from __future__ import annotations

import ipaddress
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from engine.errors import ConfigurationError
from engine.mail import check_address, parse_smtp_url

PROJECT_ROOT = Path(__file__).resolve().parent.parent
DEFAULT_DATABASE_URL = "sqlite:///instance/mediasi.db"


@dataclass(frozen=True)
class Settings:
    """Everything the engine needs to know about its surroundings."""

    database_url: str = DEFAULT_DATABASE_URL
    secret_key: str | None = None
    # Keys the digest of a victim's name and phone that finds likely duplicate filings (None: secret_key).
    duplicate_secret: str | None = None
    timezone: str = "Asia/Jakarta"
    processes_dir: Path = PROJECT_ROOT / "processes"
    forms_dir: Path = PROJECT_ROOT / "forms"
    sqlite_busy_timeout_ms: int = 5000
    # Two-person rule: a new process version goes live only when a second process owner approves it.
    deploy_approval: bool = False
    # Whether cuti bersama (the government's collective leave days) count as working days.
    cuti_bersama_working: bool = False
    # The completeness check is due this many working days after the request (or its resubmission).
    completeness_days: int = 1
    # How often the scheduler looks for due timers, in seconds.
    timer_interval: float = 30.0
    # Email of notifications (engine.services.notifications): off unless an SMTP URL is set.
    smtp_url: str | None = None
    mail_from: str = "mediasi@localhost"
    # The address users open the web app at, for absolute links in emails (none: paths only).
    base_url: str | None = None
    # Limits of one script, condition or timer expression, run in a separate worker process.
    script_cpu_seconds: float = 2.0
    script_memory_mb: int = 256
    script_wall_seconds: float = 5.0
    # Addresses (IPs or CIDR networks) of reverse proxies whose X-Forwarded-For is believed.
    trusted_proxies: tuple[str, ...] = ()
    # Uploads: at most this many files per task, and this many megabytes per case.
    max_uploads_per_task: int = 5
    max_upload_mb_per_case: int = 50
    # Where documents' bytes are kept (engine.documents), named by their SHA-256.
    document_dir: Path = Path("instance/documents")
    extra: Mapping[str, str] = field(default_factory=dict)

    @property
    def zone(self) -> ZoneInfo:
        """The time zone that users see times in."""
        return ZoneInfo(self.timezone)

    @classmethod
    def from_environ(cls, environ: Mapping[str, str]) -> Settings:
        """Read MEDIASI_* variables from a mapping the caller passes (normally os.environ)."""
        timezone = environ.get("MEDIASI_TIMEZONE", "Asia/Jakarta")
        try:
            ZoneInfo(timezone)
        except (ZoneInfoNotFoundError, ValueError) as exc:
            raise ConfigurationError(f"MEDIASI_TIMEZONE tidak dikenal: {timezone!r}") from exc
        timeout = environ.get("MEDIASI_SQLITE_BUSY_TIMEOUT_MS", "5000")
        if not timeout.isdigit():
            raise ConfigurationError(f"MEDIASI_SQLITE_BUSY_TIMEOUT_MS harus bilangan bulat: {timeout!r}")
        completeness = environ.get("MEDIASI_COMPLETENESS_DAYS", "1")
        if not completeness.isdigit():
            raise ConfigurationError(f"MEDIASI_COMPLETENESS_DAYS harus bilangan bulat: {completeness!r}")
        interval = environ.get("MEDIASI_TIMER_INTERVAL", "30")
        try:
            timer_interval = float(interval)
        except ValueError:
            timer_interval = -1.0
        if not 0 < timer_interval <= 3600:
            raise ConfigurationError(f"MEDIASI_TIMER_INTERVAL harus detik antara 0 dan 3600: {interval!r}")
        return cls(
            database_url=normalize_database_url(environ.get("MEDIASI_DATABASE_URL", DEFAULT_DATABASE_URL)),
            secret_key=environ.get("MEDIASI_SECRET_KEY") or None,
            duplicate_secret=environ.get("MEDIASI_DUPLICATE_KEY") or None,
            timezone=timezone,
            processes_dir=Path(environ.get("MEDIASI_PROCESSES_DIR", PROJECT_ROOT / "processes")),
            forms_dir=Path(environ.get("MEDIASI_FORMS_DIR", PROJECT_ROOT / "forms")),
            sqlite_busy_timeout_ms=int(timeout),
            deploy_approval=environ.get("MEDIASI_DEPLOY_APPROVAL", "") == "1",
            cuti_bersama_working=environ.get("MEDIASI_CUTI_BERSAMA_WORKING", "") == "1",
            completeness_days=int(completeness),
            timer_interval=timer_interval,
            document_dir=Path(environ.get("MEDIASI_DOCUMENT_DIR", "").strip() or "instance/documents"),
            **_mail_settings(environ),
            **_limit_settings(environ),
        )


def _mail_settings(environ: Mapping[str, str]) -> dict[str, Any]:
    """MEDIASI_SMTP_URL, MEDIASI_MAIL_FROM and MEDIASI_BASE_URL, checked."""
    smtp_url = environ.get("MEDIASI_SMTP_URL", "").strip() or None
    if smtp_url is not None:
        parse_smtp_url(smtp_url)
    mail_from = check_address(environ.get("MEDIASI_MAIL_FROM", "mediasi@localhost"), "MEDIASI_MAIL_FROM")
    base_url = environ.get("MEDIASI_BASE_URL", "").strip().rstrip("/") or None
    if base_url is not None and not base_url.startswith(("http://", "https://")):
        raise ConfigurationError(f"MEDIASI_BASE_URL harus diawali http:// atau https://: {base_url!r}")
    return {"smtp_url": smtp_url, "mail_from": mail_from, "base_url": base_url}


def _limit_settings(environ: Mapping[str, str]) -> dict[str, Any]:
    """The script, proxy and upload limits (MEDIASI_SCRIPT_*, MEDIASI_TRUSTED_PROXIES, MEDIASI_MAX_*)."""
    return {
        "script_cpu_seconds": _positive(environ, "MEDIASI_SCRIPT_CPU_SECONDS", "2", 60),
        "script_memory_mb": int(_positive(environ, "MEDIASI_SCRIPT_MEMORY_MB", "256", 8192, whole=True)),
        "script_wall_seconds": _positive(environ, "MEDIASI_SCRIPT_WALL_SECONDS", "5", 300),
        "trusted_proxies": _networks(environ.get("MEDIASI_TRUSTED_PROXIES", "")),
        "max_uploads_per_task": int(_positive(environ, "MEDIASI_MAX_UPLOADS_PER_TASK", "5", 1000, whole=True)),
        "max_upload_mb_per_case": int(_positive(environ, "MEDIASI_MAX_UPLOAD_MB_PER_CASE", "50", 100_000, whole=True)),
    }


def _positive(environ: Mapping[str, str], name: str, default: str, ceiling: float, *, whole: bool = False) -> float:
    """A number in (0, ceiling] read from `name`, or a configuration error naming it."""
    raw = environ.get(name, default).strip()
    try:
        value = int(raw) if whole else float(raw)
    except ValueError:
        value = -1
    if not 0 < value <= ceiling:
        kind = "bilangan bulat" if whole else "bilangan"
        raise ConfigurationError(f"{name} harus {kind} antara 0 dan {ceiling:g}: {raw!r}")
    return value


def _networks(raw: str) -> tuple[str, ...]:
    """MEDIASI_TRUSTED_PROXIES: comma-separated IP addresses or CIDR networks, each checked."""
    networks = []
    for item in (part.strip() for part in raw.split(",")):
        if not item:
            continue
        try:
            networks.append(str(ipaddress.ip_network(item, strict=False)))
        except ValueError as exc:
            raise ConfigurationError(f"MEDIASI_TRUSTED_PROXIES berisi alamat tidak sah: {item!r}") from exc
    return tuple(networks)


def normalize_database_url(url: str) -> str:
    """Use psycopg 3 for a bare postgresql:// URL; SQLAlchemy would otherwise pick psycopg2."""
    for prefix in ("postgresql://", "postgres://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix) :]
    return url
