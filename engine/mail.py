"""Sending email over SMTP: the server from a URL, plain-text messages, one connection per batch."""

from __future__ import annotations

import smtplib
import ssl
from collections.abc import Sequence
from dataclasses import dataclass
from email.message import EmailMessage
from email.policy import default as default_policy
from email.utils import parseaddr
from urllib.parse import parse_qs, unquote, urlsplit

from engine.errors import ConfigurationError

DEFAULT_PORTS = {"smtp": 25, "smtps": 465}
TIMEOUT_SECONDS = 30.0
# Headers up to SMTP's line limit stay on one line (Python folds a long subject oddly, after "Subject:").
POLICY = default_policy.clone(max_line_length=998)
URL_FORMS = "smtp://host:port, smtp://user:sandi@host:port?starttls=1 atau smtps://user:sandi@host:port"


@dataclass(frozen=True)
class SmtpServer:
    """Where and how to hand over mail: plain, STARTTLS or TLS from the first byte (smtps)."""

    host: str
    port: int
    implicit_tls: bool = False
    starttls: bool = False
    username: str | None = None
    password: str | None = None


def parse_smtp_url(url: str) -> SmtpServer:
    """The server an SMTP URL names; ConfigurationError (naming the forms accepted) otherwise."""
    try:
        parts = urlsplit(url.strip())
        port = parts.port
    except ValueError:
        port = 0
    if port == 0:
        raise _bad_url(url, "port harus bilangan 1–65535")
    if parts.scheme not in DEFAULT_PORTS:
        raise _bad_url(url, "skema harus smtp atau smtps")
    if not parts.hostname:
        raise _bad_url(url, "nama host tidak ada")
    if parts.path not in ("", "/") or parts.fragment:
        raise _bad_url(url, "tidak boleh ada path atau fragmen")
    options = parse_qs(parts.query, keep_blank_values=True)
    unknown = sorted(set(options) - {"starttls"})
    if unknown:
        raise _bad_url(url, f"parameter tidak dikenal: {', '.join(unknown)}")
    starttls = options.get("starttls", ["0"])[-1]
    if starttls not in ("0", "1"):
        raise _bad_url(url, "starttls harus 0 atau 1")
    if starttls == "1" and parts.scheme == "smtps":
        raise _bad_url(url, "smtps sudah memakai TLS; starttls=1 hanya untuk smtp://")
    return SmtpServer(
        host=parts.hostname,
        port=port or DEFAULT_PORTS[parts.scheme],
        implicit_tls=parts.scheme == "smtps",
        starttls=starttls == "1",
        username=unquote(parts.username) if parts.username else None,
        password=unquote(parts.password) if parts.password else None,
    )


def _bad_url(url: str, reason: str) -> ConfigurationError:
    return ConfigurationError(
        f"MEDIASI_SMTP_URL tidak sah ({reason}): {_redacted(url)!r}. Bentuk yang diterima: {URL_FORMS}."
    )


def _redacted(url: str) -> str:
    """`url` without its password, which must not end up in a log."""
    try:
        parts = urlsplit(url)
    except ValueError:
        return "(tidak terbaca)"
    if parts.password is None:
        return url
    host = parts.netloc.rpartition("@")[2]
    return parts._replace(netloc=f"{parts.username}:***@{host}").geturl()


def check_address(value: str, variable: str) -> str:
    """`value` if it is one plain email address; ConfigurationError naming `variable` otherwise."""
    _, address = parseaddr(value)
    if not address or "@" not in address or " " in address:
        raise ConfigurationError(f"{variable} harus berupa alamat email, misalnya mediasi@dinas.go.id: {value!r}")
    return value.strip()


def plain_message(*, sender: str, to: str, subject: str, body: str) -> EmailMessage:
    """A plain-text UTF-8 message."""
    message = EmailMessage(policy=POLICY)
    message["From"] = sender
    message["To"] = to
    message["Subject"] = subject
    message.set_content(body)
    return message


def send(server: SmtpServer, messages: Sequence[EmailMessage]) -> None:
    """Send `messages` over one connection; any SMTP or network error propagates (OSError)."""
    if not messages:
        return
    context = ssl.create_default_context()
    smtp: smtplib.SMTP
    if server.implicit_tls:
        smtp = smtplib.SMTP_SSL(server.host, server.port, timeout=TIMEOUT_SECONDS, context=context)
    else:
        smtp = smtplib.SMTP(server.host, server.port, timeout=TIMEOUT_SECONDS)
    with smtp:
        if server.starttls:
            smtp.starttls(context=context)
        if server.username:
            smtp.login(server.username, server.password or "")
        for message in messages:
            smtp.send_message(message)
