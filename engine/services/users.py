"""User accounts, roles, passwords and API tokens."""

from __future__ import annotations

import hashlib
import re
import secrets
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from functools import cache

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import ColumnElement, and_, select, update
from sqlalchemy.orm import Session

from engine.actors import REGISTRATION_PREFIX, Actor
from engine.context import EngineContext
from engine.errors import FormInvalid, InvalidInput, NotFound, PermissionDenied, Unauthenticated
from engine.events import SYSTEM_CHAIN, append_chain_event
from engine.persistence.models import ApiToken, RoleMembership, User
from engine.roles import ROLE_NAMES, ROLE_TITLES, Role

USERNAME = re.compile(r"^[a-z0-9][a-z0-9_.-]{2,63}$")
# One plain address with a dotted domain: no display name, no spaces, no line breaks.
_LABEL = r"[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?"
EMAIL = re.compile(rf"^[A-Za-z0-9.!#$%&'*+/=?^_`{{|}}~-]{{1,64}}@{_LABEL}(?:\.{_LABEL})+$")
MAX_EMAIL = 254
MIN_PASSWORD = 10
_hasher = PasswordHasher()


@dataclass(frozen=True)
class DemoUser:
    """A demo account that `mediasi init --demo` creates."""

    username: str
    full_name: str
    role: str
    password: str


DEMO_PASSWORD = "mediasi-demo"  # noqa: S105 - documented demo password, only with --demo
DEMO_USERS: tuple[DemoUser, ...] = tuple(
    DemoUser(role.value, name, role.value, DEMO_PASSWORD)
    for role, name in (
        (Role.PEMOHON, "Siti Aminah"),
        (Role.FULLTIMER, "Dewi Lestari"),
        (Role.KETUA_LPPAR, "Rina Hartati"),
        (Role.TIM_TEKNIS, "Budi Santoso"),
        (Role.SEKRETARIS, "Nur Hidayah"),
        (Role.KEPALA_DINAS, "Ahmad Fauzi"),
        (Role.PROCESS_OWNER, "Yusuf Maulana"),
        (Role.AUDITOR, "Lina Marlina"),
        (Role.DPO, "Hendra Wijaya"),
        (Role.ADMIN, "Agus Salim"),
    )
)


def hash_password(password: str) -> str:
    """Argon2id hash of a password."""
    return _hasher.hash(password)


def verify_password(password_hash: str | None, password: str) -> bool:
    """True when `password` matches; never raises for a bad hash."""
    if not password_hash:
        return False
    try:
        return _hasher.verify(password_hash, password)
    except (VerificationError, InvalidHashError):
        return False


def _require_admin(actor: Actor) -> None:
    if not (actor.is_operator or actor.has_any(Role.ADMIN)):
        raise PermissionDenied("Hanya administrator yang dapat mengelola akun.")


def _check_new_user(username: str, full_name: str, roles: Iterable[str], password: str | None) -> list[str]:
    if not USERNAME.match(username):
        raise InvalidInput(
            "Nama pengguna harus 3–64 karakter: huruf kecil, angka, titik, garis bawah atau tanda hubung."
        )
    if not full_name.strip() or len(full_name) > 200:
        raise InvalidInput("Nama lengkap wajib diisi (maksimal 200 karakter).")
    role_list = sorted(set(roles))
    unknown = [r for r in role_list if r not in ROLE_NAMES]
    if unknown or not role_list:
        raise InvalidInput(
            f"Peran tidak dikenal: {', '.join(unknown) or '(kosong)'}. Peran yang ada: {', '.join(sorted(ROLE_NAMES))}."
        )
    if password is not None and len(password) < MIN_PASSWORD:
        raise InvalidInput(f"Kata sandi minimal {MIN_PASSWORD} karakter.")
    return role_list


def check_email(value: str | None) -> str | None:
    """An email address as stored (None for an empty one); FormInvalid on the field `email` otherwise."""
    address = (value or "").strip()
    if not address:
        return None
    if len(address) > MAX_EMAIL:
        raise FormInvalid({"email": f"Alamat email paling panjang {MAX_EMAIL} karakter."})
    if not EMAIL.fullmatch(address):
        raise FormInvalid({"email": "Alamat email tidak sah; tulis satu alamat, misalnya nama@pekalongankota.go.id."})
    return address


def add_user(
    ctx: EngineContext,
    *,
    actor: Actor,
    username: str,
    full_name: str,
    roles: Iterable[str],
    password: str | None,
    email: str | None = None,
) -> int:
    """Create an account with its roles (and an email address for notifications); returns its id."""
    _require_admin(actor)
    role_list = _check_new_user(username, full_name, roles, password)
    address = check_email(email)
    now = ctx.clock.now()
    with ctx.unit_of_work() as uow:
        if uow.session.scalar(select(User.id).where(User.username == username)) is not None:
            raise InvalidInput(f"Nama pengguna {username!r} sudah dipakai.")
        user = User(
            username=username,
            full_name=full_name.strip(),
            active=True,
            created_at=now,
            password_hash=hash_password(password) if password else None,
            email=address,
            roles=[RoleMembership(role=r) for r in role_list],
        )
        uow.session.add(user)
        uow.flush()
        append_chain_event(
            uow.session,
            SYSTEM_CHAIN,
            type="user_created",
            actor=actor.username,
            at=now,
            payload={"username": username, "roles": role_list},
        )
        return user.id


def actor_for(ctx: EngineContext, username: str) -> Actor:
    """The active user `username` as an Actor."""
    with ctx.unit_of_work(write=False) as uow:
        user = uow.session.scalar(select(User).where(User.username == username))
        if user is None:
            raise NotFound(f"Pengguna {username!r} tidak ditemukan.")
        if not user.active:
            raise PermissionDenied(f"Akun {username!r} tidak aktif.")
        return _actor(user)


def create_token(ctx: EngineContext, *, actor: Actor, username: str) -> str:
    """Issue an API bearer token for `username`; only its hash is stored."""
    _require_admin(actor)
    token = "mds_" + secrets.token_urlsafe(32)
    now = ctx.clock.now()
    with ctx.unit_of_work() as uow:
        user = uow.session.scalar(select(User).where(User.username == username))
        if user is None or not user.active:
            raise NotFound(f"Pengguna aktif {username!r} tidak ditemukan.")
        uow.session.add(ApiToken(user_id=user.id, token_hash=token_hash(token), created_at=now))
        append_chain_event(
            uow.session,
            SYSTEM_CHAIN,
            type="api_token_created",
            actor=actor.username,
            at=now,
            payload={"username": username},
        )
    return token


def token_hash(token: str) -> str:
    """The stored form of a bearer token."""
    return hashlib.sha256(token.encode()).hexdigest()


BAD_LOGIN = "Nama pengguna atau kata sandi salah."


def authenticate_password(ctx: EngineContext, username: str, password: str) -> Actor:
    """The active user with this name and password; the same answer for any mismatch.

    Every attempt is a system event (user_logged_in or login_failed).
    """
    with ctx.unit_of_work(write=False) as uow:
        user = uow.session.scalar(select(User).where(User.username == username.strip().lower()))
        actor = _actor(user) if user is not None and user.active else None
        stored = user.password_hash if user is not None else None
    # Verify even for an unknown name, so that timing does not tell which names exist.
    matches = verify_password(stored or _dummy_hash(), password) and actor is not None and stored is not None
    _record_login(ctx, username, succeeded=matches)
    if not matches or actor is None:
        raise Unauthenticated(BAD_LOGIN)
    return actor


@cache
def _dummy_hash() -> str:
    return hash_password("bukan-kata-sandi-siapa-pun")


def _record_login(ctx: EngineContext, username: str, *, succeeded: bool) -> None:
    with ctx.unit_of_work() as uow:
        append_chain_event(
            uow.session,
            SYSTEM_CHAIN,
            type="user_logged_in" if succeeded else "login_failed",
            actor=username.strip().lower()[:64] or "?",
            at=ctx.clock.now(),
            payload={"username": username[:64]},
        )


def _actor(user: User) -> Actor:
    return Actor(username=user.username, roles=user.role_names, user_id=user.id, full_name=user.full_name)


def register_applicant(ctx: EngineContext, *, username: str, full_name: str, password: str) -> Actor:
    """Self-service registration of an applicant (role pemohon only)."""
    add_user(
        ctx,
        actor=Actor.operator(f"{REGISTRATION_PREFIX}{username}"),
        username=username,
        full_name=full_name,
        roles=[Role.PEMOHON],
        password=password,
    )
    return actor_for(ctx, username)


@dataclass(frozen=True)
class UserView:
    """An account as the admin page lists it."""

    id: int
    username: str
    full_name: str
    roles: tuple[str, ...]
    active: bool
    email: str | None = None


def list_users(ctx: EngineContext, *, actor: Actor) -> list[UserView]:
    """Every account, by user name."""
    _require_admin(actor)
    with ctx.unit_of_work(write=False) as uow:
        users = uow.session.scalars(select(User).order_by(User.username))
        return [UserView(u.id, u.username, u.full_name, tuple(sorted(u.role_names)), u.active, u.email) for u in users]


def set_email(ctx: EngineContext, *, actor: Actor, username: str, email: str | None) -> str | None:
    """Set (or, empty, remove) the address an account's notifications are emailed to; returns it.

    The system chain records that it changed, not the address: the chain keeps what it holds forever.
    """
    _require_admin(actor)
    address = check_email(email)
    with ctx.unit_of_work() as uow:
        _user(uow.session, username).email = address
        append_chain_event(
            uow.session,
            SYSTEM_CHAIN,
            type="user_email_set",
            actor=actor.username,
            at=ctx.clock.now(),
            payload={"username": username, "email": address is not None},
        )
    return address


def set_active(ctx: EngineContext, *, actor: Actor, username: str, active: bool) -> None:
    """Deactivate (or reactivate) an account; accounts are never deleted, history refers to them."""
    _require_admin(actor)
    if username == actor.username and not active:
        raise InvalidInput("Anda tidak dapat menonaktifkan akun Anda sendiri.")
    with ctx.unit_of_work() as uow:
        user = _user(uow.session, username)
        user.active = active
        if not active:
            _end_sessions(uow.session, user, ctx.clock.now())
        append_chain_event(
            uow.session,
            SYSTEM_CHAIN,
            type="user_activated" if active else "user_deactivated",
            actor=actor.username,
            at=ctx.clock.now(),
            payload={"username": username},
        )


def reset_password(ctx: EngineContext, *, actor: Actor, username: str) -> str:
    """Give an account a new random password and return it (shown once to the admin)."""
    _require_admin(actor)
    password = secrets.token_urlsafe(12)
    with ctx.unit_of_work() as uow:
        user = _user(uow.session, username)
        user.password_hash = hash_password(password)
        _end_sessions(uow.session, user, ctx.clock.now())
        append_chain_event(
            uow.session,
            SYSTEM_CHAIN,
            type="password_reset",
            actor=actor.username,
            at=ctx.clock.now(),
            payload={"username": username},
        )
    return password


def _end_sessions(session: Session, user: User, now: datetime) -> None:
    """Bump the account's session version and revoke its API tokens, so no old credential works."""
    user.session_version += 1
    session.execute(
        update(ApiToken).where(ApiToken.user_id == user.id, ApiToken.revoked_at.is_(None)).values(revoked_at=now)
    )


def sign_out(ctx: EngineContext, *, actor: Actor) -> None:
    """End every session and API token of the signing-out account (all its devices)."""
    if actor.user_id is None:
        return
    with ctx.unit_of_work() as uow:
        user = uow.session.get(User, actor.user_id)
        if user is None:
            return
        _end_sessions(uow.session, user, ctx.clock.now())
        append_chain_event(
            uow.session, SYSTEM_CHAIN, type="user_logged_out", actor=actor.username, at=ctx.clock.now(), payload={}
        )


def session_version(ctx: EngineContext, user_id: int) -> int:
    """The number a new session of this account carries."""
    with ctx.unit_of_work(write=False) as uow:
        user = uow.session.get(User, user_id)
        if user is None:
            raise NotFound("Pengguna tidak ditemukan.")
        return user.session_version


def actor_for_session(ctx: EngineContext, user_id: int, version: int) -> Actor:
    """The active user of a session, if the session's version is still the account's.

    :raises NotFound: for an unknown or inactive user, or a session ended since it began.
    """
    with ctx.unit_of_work(write=False) as uow:
        actor = _active_actor(uow.session, and_(User.id == user_id, User.session_version == version))
    if actor is None:
        raise NotFound("Sesi tidak berlaku lagi.")
    return actor


def _user(session: Session, username: str) -> User:
    user = session.scalar(select(User).where(User.username == username))
    if user is None:
        raise NotFound(f"Pengguna {username!r} tidak ditemukan.")
    return user


def actor_by_id(ctx: EngineContext, user_id: int) -> Actor:
    """The active user with this id."""
    with ctx.unit_of_work(write=False) as uow:
        actor = _active_actor(uow.session, User.id == user_id)
    if actor is None:
        raise NotFound("Pengguna tidak ditemukan.")
    return actor


def authenticate_token(ctx: EngineContext, token: str) -> Actor:
    """The active user a bearer token belongs to.

    :raises Unauthenticated: for an unknown or revoked token, or an inactive user.
    """
    known = select(ApiToken.user_id).where(ApiToken.token_hash == token_hash(token), ApiToken.revoked_at.is_(None))
    with ctx.unit_of_work(write=False) as uow:
        actor = _active_actor(uow.session, User.id == known.scalar_subquery())
    if actor is None:
        raise Unauthenticated("Token API tidak sah.")
    return actor


def _active_actor(session: Session, which: ColumnElement[bool]) -> Actor | None:
    """The active user `which` selects, with their roles, in one statement (every request asks)."""
    rows = session.execute(
        select(User.id, User.username, User.full_name, RoleMembership.role)
        .outerjoin(RoleMembership, RoleMembership.user_id == User.id)
        .where(which, User.active.is_(True))
    ).all()
    if not rows:
        return None
    first = rows[0]
    roles = frozenset(row.role for row in rows if row.role is not None)
    return Actor(username=first.username, roles=roles, user_id=first.id, full_name=first.full_name)


def ensure_demo_users(ctx: EngineContext, *, actor: Actor) -> list[DemoUser]:
    """Create the demo account of every role that is missing; returns the ones created."""
    with ctx.unit_of_work(write=False) as uow:
        existing = set(uow.session.scalars(select(User.username)))
    created = []
    for demo in DEMO_USERS:
        if demo.username not in existing:
            add_user(
                ctx,
                actor=actor,
                username=demo.username,
                full_name=demo.full_name,
                roles=[demo.role],
                password=demo.password,
            )
            created.append(demo)
    return created


def role_title(role: str) -> str:
    """The Indonesian name of a role."""
    return ROLE_TITLES.get(role, role)
