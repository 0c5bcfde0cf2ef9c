"""User accounts, roles, passwords and API tokens."""

from __future__ import annotations

import hashlib
import re
import secrets
from collections.abc import Iterable
from dataclasses import dataclass

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import select

from engine.actors import Actor
from engine.context import EngineContext
from engine.errors import InvalidInput, NotFound, PermissionDenied, Unauthenticated
from engine.events import SYSTEM_CHAIN, append_chain_event
from engine.persistence.models import ApiToken, RoleMembership, User
from engine.roles import ROLE_NAMES, ROLE_TITLES, Role

USERNAME = re.compile(r"^[a-z0-9][a-z0-9_.-]{2,63}$")
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


def add_user(
    ctx: EngineContext, *, actor: Actor, username: str, full_name: str, roles: Iterable[str], password: str | None
) -> int:
    """Create an account with its roles; returns its id."""
    _require_admin(actor)
    role_list = _check_new_user(username, full_name, roles, password)
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
        return Actor(username=user.username, roles=user.role_names, user_id=user.id, full_name=user.full_name)


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


def authenticate_token(ctx: EngineContext, token: str) -> Actor:
    """The active user a bearer token belongs to.

    :raises Unauthenticated: for an unknown or revoked token, or an inactive user.
    """
    with ctx.unit_of_work(write=False) as uow:
        user = uow.session.scalar(
            select(User)
            .join(ApiToken, ApiToken.user_id == User.id)
            .where(ApiToken.token_hash == token_hash(token), ApiToken.revoked_at.is_(None), User.active.is_(True))
        )
        if user is None:
            raise Unauthenticated("Token API tidak sah.")
        return Actor(username=user.username, roles=user.role_names, user_id=user.id, full_name=user.full_name)


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
