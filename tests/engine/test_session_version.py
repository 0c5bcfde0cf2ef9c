"""The per-account session version: what bumps it, and that it revokes the account's API tokens."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from engine.actors import Actor
from engine.context import EngineContext
from engine.errors import NotFound, Unauthenticated
from engine.persistence.models import ApiToken
from engine.services import users as user_service
from tests.conftest import OPERATOR


@pytest.fixture
def admin(ctx: EngineContext, people: dict[str, Actor]) -> Actor:
    user_service.add_user(ctx, actor=OPERATOR, username="adam", full_name="Adam", roles=["admin"], password=None)
    return user_service.actor_for(ctx, "adam")


def version(ctx: EngineContext, actor: Actor) -> int:
    assert actor.user_id is not None
    return user_service.session_version(ctx, actor.user_id)


def test_reset_deactivation_and_sign_out_bump_it_and_revoke_tokens(
    ctx: EngineContext, people: dict[str, Actor], admin: Actor
) -> None:
    rina = people["rina"]
    assert rina.user_id is not None
    start = version(ctx, rina)
    token = user_service.create_token(ctx, actor=OPERATOR, username="rina")
    user_service.sign_out(ctx, actor=rina)
    user_service.reset_password(ctx, actor=admin, username="rina")
    user_service.set_active(ctx, actor=admin, username="rina", active=False)
    assert version(ctx, rina) == start + 3
    with pytest.raises(Unauthenticated):
        user_service.authenticate_token(ctx, token)
    with ctx.unit_of_work(write=False) as uow:
        assert all(t.revoked_at is not None for t in uow.session.scalars(select(ApiToken)))
    with pytest.raises(NotFound):
        user_service.actor_for_session(ctx, rina.user_id, start)


def test_reactivation_and_other_accounts_leave_it(ctx: EngineContext, people: dict[str, Actor], admin: Actor) -> None:
    rina, budi = people["rina"], people["budi"]
    assert rina.user_id is not None
    user_service.set_active(ctx, actor=admin, username="rina", active=False)
    deactivated = version(ctx, rina)
    before = version(ctx, budi)
    token = user_service.create_token(ctx, actor=OPERATOR, username="budi")
    user_service.set_active(ctx, actor=admin, username="rina", active=True)
    assert version(ctx, rina) == deactivated and version(ctx, budi) == before
    assert user_service.authenticate_token(ctx, token).username == "budi"
    assert user_service.actor_for_session(ctx, rina.user_id, deactivated).username == "rina"


def test_the_operator_signing_out_changes_nothing(ctx: EngineContext, people: dict[str, Actor]) -> None:
    user_service.sign_out(ctx, actor=OPERATOR)
