"""Guards that had no test of their own (issue 21), on a real store (SQLite and
PostgreSQL) over the API tests' two-tenant world: a posting for an asset made under
another licence, an API key of a disabled user or past its expiry, a web session past its
end or of a disabled user. Each test fails if its guard is deleted."""

from __future__ import annotations

import hashlib
from datetime import timedelta

import pytest

from tests.support.world import PASSWORD, World
from twinstudio.domain.accounts import Role
from twinstudio.domain.errors import InvalidInput, Unauthenticated
from twinstudio.domain.ledger import BillableEvent, EventType
from twinstudio.services.accounts import (
    SESSION_HOURS,
    authenticate_api_key,
    create_api_key,
    session_principal,
    set_user_active,
    start_web_session,
    user_by_email,
)
from twinstudio.services.billing import post_event


def test_an_asset_made_under_another_licence_is_not_billed_to_this_one(world: World):
    foreign = BillableEvent(type=EventType.ASSET_APPROVED, licence_id=world.a.licence,
                            asset_id=world.b.assets[1], occurred_at=world.ctx.now())
    with pytest.raises(InvalidInput, match=f"asset {world.b.assets[1]} was not made under "
                                           f"licence {world.a.licence}"):
        post_event(world.ctx, foreign)
    own = BillableEvent(type=EventType.ASSET_APPROVED, licence_id=world.a.licence,
                        asset_id=world.a.assets[0], occurred_at=world.ctx.now())
    assert post_event(world.ctx, own).posted


def test_an_api_key_stops_with_its_user_and_at_its_expiry(world: World, clock):
    email = world.email(Role.BRAND_ADMIN)
    user = user_by_email(world.ctx, email)
    key = create_api_key(world.ctx, user_id=user.id, name="expiring", actor="test",
                         expires_at=clock() + timedelta(hours=1)).secret
    assert authenticate_api_key(world.ctx, key).user_id == user.id
    set_user_active(world.ctx, user.id, False, actor="admin")
    with pytest.raises(Unauthenticated, match="API key is not valid"):
        authenticate_api_key(world.ctx, key)
    set_user_active(world.ctx, user.id, True, actor="admin")
    assert authenticate_api_key(world.ctx, key).user_id == user.id
    clock.advance(hours=1)
    with pytest.raises(Unauthenticated, match="API key is not valid"):
        authenticate_api_key(world.ctx, key)


def test_a_web_session_ends_at_its_time_and_with_its_user(world: World, clock):
    email = world.email(Role.TALENT)
    started = start_web_session(world.ctx, email, PASSWORD)
    principal, csrf = session_principal(world.ctx, started.token)
    assert principal.user_id == started.principal.user_id and csrf == started.csrf_token
    set_user_active(world.ctx, principal.user_id, False, actor="admin")  # sessions end
    with world.ctx.uow() as uow:
        assert uow.web_sessions.get(hashlib.sha256(started.token.encode()).hexdigest()) is None
    set_user_active(world.ctx, principal.user_id, True, actor="admin")
    again = start_web_session(world.ctx, email, PASSWORD)
    # a user disabled while a session lives on (another server's race): still refused
    with world.ctx.uow() as uow:
        uow.users.update(uow.users.get(principal.user_id).model_copy(update={"active": False}))
        uow.commit()
    with pytest.raises(Unauthenticated, match="session has ended"):
        session_principal(world.ctx, again.token)
    with world.ctx.uow() as uow:
        uow.users.update(uow.users.get(principal.user_id).model_copy(update={"active": True}))
        uow.commit()
    assert session_principal(world.ctx, again.token)[0].user_id == principal.user_id
    clock.advance(hours=SESSION_HOURS)
    with pytest.raises(Unauthenticated, match="session has ended"):
        session_principal(world.ctx, again.token)
