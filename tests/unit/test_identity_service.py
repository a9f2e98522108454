"""The identity use cases over in-memory fakes."""

from __future__ import annotations

import pytest

from domain.identity.commands import UpdateUser
from domain.identity.model import EventType
from domain.identity.ports import UserFilter
from domain.identity.reactions import welcome_new_user
from domain.identity.service import IdentityPolicy, IdentityService, principal_of
from domain.shared.authz import Actor, Role, Scope, system_actor
from domain.shared.dispatch import EventDispatcher
from domain.shared.errors import (
    AccountLocked,
    AuthenticationFailed,
    Conflict,
    NotFound,
    PermissionDenied,
    ValidationFailed,
)
from domain.shared.paging import PageRequest
from tests.fakes.identity import FakeHasher, FakeTokens
from tests.fakes.shared import FakeClock, FakeUowFactory

PW = "a-good-password"


@pytest.fixture
def svc() -> IdentityService:
    return IdentityService(uow=FakeUowFactory(), hasher=FakeHasher(), tokens=FakeTokens(),
                           clock=FakeClock(), policy=IdentityPolicy(max_failed_logins=3))


def store(svc: IdentityService):  # type: ignore[no-untyped-def]
    return svc.uow.state  # type: ignore[attr-defined]


async def make(svc: IdentityService, email: str, role: Role, dept=None):  # type: ignore[no-untyped-def]
    return await svc.create_user(system_actor(), email=email, name=email.split("@")[0],
                                 role=role, department_id=dept, password=PW)


def as_(user) -> Actor:  # type: ignore[no-untyped-def]
    return Actor(principal_of(user), ip="198.51.100.1")


async def test_login_issues_tokens_and_audits(svc: IdentityService) -> None:
    user = await make(svc, "a@example.com", Role.SALES_REP)
    pair = await svc.login("A@Example.com", PW, Actor(None, ip="198.51.100.1"))
    assert (await svc.user_for_access_token(pair.access_token)).id == user.id
    assert store(svc).audit[-1].action == "auth.login"
    assert store(svc).audit[-1].ip == "198.51.100.1"


async def test_wrong_password_is_audited_and_locks_after_three(svc: IdentityService) -> None:
    await make(svc, "a@example.com", Role.SALES_REP)
    for _ in range(2):
        with pytest.raises(AuthenticationFailed):
            await svc.login("a@example.com", "wrong-password", Actor(None))
    with pytest.raises(AccountLocked):
        await svc.login("a@example.com", "wrong-password", Actor(None))
    with pytest.raises(AccountLocked):  # even the right password waits out the lock
        await svc.login("a@example.com", PW, Actor(None))
    actions = [e.action for e in store(svc).audit]
    assert actions.count("auth.login_failed") == 3 and "auth.login_locked" in actions
    svc.clock.advance(minutes=16)  # type: ignore[attr-defined]
    await svc.login("a@example.com", PW, Actor(None))


async def test_unknown_email_fails_like_a_wrong_password(svc: IdentityService) -> None:
    with pytest.raises(AuthenticationFailed) as e:
        await svc.login("nobody@example.com", PW, Actor(None))
    assert e.value.detail == "Incorrect e-mail or password"
    assert store(svc).audit[-1].actor_label == "nobody@example.com"


async def test_refresh_rotates_and_a_replay_revokes_the_family(svc: IdentityService) -> None:
    await make(svc, "a@example.com", Role.SALES_REP)
    first = await svc.login("a@example.com", PW, Actor(None))
    second = await svc.refresh(first.refresh_token, Actor(None))
    with pytest.raises(AuthenticationFailed):
        await svc.refresh(first.refresh_token, Actor(None))  # replayed: family revoked
    with pytest.raises(AuthenticationFailed):
        await svc.refresh(second.refresh_token, Actor(None))  # the thief's copy is dead too


async def test_disabling_a_user_kills_its_tokens(svc: IdentityService) -> None:
    admin = await make(svc, "admin@example.com", Role.ADMIN)
    user = await make(svc, "a@example.com", Role.SALES_REP)
    pair = await svc.login("a@example.com", PW, Actor(None))
    await svc.update_user(as_(admin), user.id, UpdateUser(is_active=False),
                          expected_version=None)
    with pytest.raises(AuthenticationFailed):
        await svc.user_for_access_token(pair.access_token)
    with pytest.raises(AuthenticationFailed):
        await svc.refresh(pair.refresh_token, Actor(None))
    with pytest.raises(AuthenticationFailed):
        await svc.login("a@example.com", PW, Actor(None))


async def test_changing_the_password_needs_the_current_one(svc: IdentityService) -> None:
    user = await make(svc, "a@example.com", Role.SALES_REP)
    pair = await svc.login("a@example.com", PW, Actor(None))
    with pytest.raises(ValidationFailed) as e:
        await svc.change_own_password(as_(user), "nope", "new-password-1")
    assert e.value.problems[0].field == "current_password"
    await svc.change_own_password(as_(user), PW, "new-password-1")
    with pytest.raises(AuthenticationFailed):
        await svc.user_for_access_token(pair.access_token)
    await svc.login("a@example.com", "new-password-1", Actor(None))


async def test_user_administration_needs_users_write(svc: IdentityService) -> None:
    rep = await make(svc, "rep@example.com", Role.SALES_REP)
    with pytest.raises(PermissionDenied):
        await svc.create_user(as_(rep), email="x@example.com", name="x", role=Role.ADMIN,
                              department_id=None, password=PW)
    with pytest.raises(PermissionDenied):
        await svc.list_users(as_(rep), UserFilter(), PageRequest())


async def test_duplicate_email_is_a_conflict(svc: IdentityService) -> None:
    await make(svc, "a@example.com", Role.SALES_REP)
    with pytest.raises(Conflict):
        await make(svc, "A@example.com", Role.SALES_REP)


async def test_a_manager_sees_only_its_department_subtree(svc: IdentityService) -> None:
    sys = system_actor()
    hq = await svc.create_department(sys, "HQ", None)
    east = await svc.create_department(sys, "East", hq.id)
    shanghai = await svc.create_department(sys, "Shanghai", east.id)
    north = await svc.create_department(sys, "North", hq.id)
    manager = await make(svc, "m@example.com", Role.MANAGER, east.id)
    local = await make(svc, "sh@example.com", Role.SALES_REP, shanghai.id)
    far = await make(svc, "n@example.com", Role.SALES_REP, north.id)
    seen = await svc.list_users(as_(manager), UserFilter(), PageRequest())
    assert {u.id for u in seen.items} == {manager.id, local.id}
    assert (await svc.get_user(as_(manager), local.id)).id == local.id
    with pytest.raises(NotFound):
        await svc.get_user(as_(manager), far.id)


async def test_api_keys_cannot_grant_more_than_their_creator(svc: IdentityService) -> None:
    admin = await make(svc, "admin@example.com", Role.ADMIN)
    key, secret = await svc.create_api_key(as_(admin), "ERP", {Scope.CUSTOMERS_READ})
    principal = await svc.principal_for_api_key(secret)
    assert principal.kind == "api_key" and principal.scopes == {Scope.CUSTOMERS_READ}
    await svc.revoke_api_key(as_(admin), key.id)
    with pytest.raises(AuthenticationFailed):
        await svc.principal_for_api_key(secret)
    with pytest.raises(ValidationFailed):
        await svc.create_api_key(as_(admin), "empty", set())


async def test_user_created_notifies_the_new_user_exactly_once(svc: IdentityService) -> None:
    user = await make(svc, "a@example.com", Role.SALES_REP)
    (event_id,) = store(svc).outbox
    welcome = [("notify.welcome", welcome_new_user)]
    dispatcher = EventDispatcher(svc.uow, {EventType.USER_CREATED: welcome})
    assert await dispatcher.dispatch(event_id) == 1
    assert await dispatcher.dispatch(event_id) == 0  # a second delivery changes nothing
    notes = [n for n in store(svc).notifications if n.user_id == user.id]
    assert len(notes) == 1 and notes[0].kind == "welcome"


async def test_a_remembered_caller_is_forgotten_when_disabled_demoted_or_revoked() -> None:
    svc = IdentityService(uow=FakeUowFactory(), hasher=FakeHasher(), tokens=FakeTokens(),
                          clock=FakeClock(), caller_ttl=60)
    admin = await make(svc, "admin@example.com", Role.ADMIN)
    manager = await make(svc, "m@example.com", Role.MANAGER)
    rep = await make(svc, "a@example.com", Role.SALES_REP)
    m_token = (await svc.login("m@example.com", PW, Actor(None))).access_token
    r_token = (await svc.login("a@example.com", PW, Actor(None))).access_token
    assert (await svc.user_for_access_token(m_token)).role == Role.MANAGER
    # remembered: a change made behind the service's back is not seen within the ttl …
    store(svc).users[manager.id].name = "changed elsewhere"
    assert (await svc.user_for_access_token(m_token)).name == "m"
    # … but every change through the service takes effect at once: a new name is seen, a new
    # role refuses the old token
    await svc.update_user(as_(admin), manager.id, UpdateUser(name="Renamed"),
                          expected_version=None)
    assert (await svc.user_for_access_token(m_token)).name == "Renamed"
    await svc.update_user(as_(admin), manager.id, UpdateUser(role=Role.SALES_REP),
                          expected_version=None)
    with pytest.raises(AuthenticationFailed):
        await svc.user_for_access_token(m_token)
    assert (await svc.user_for_access_token(r_token)).id == rep.id
    await svc.update_user(as_(admin), rep.id, UpdateUser(is_active=False),
                          expected_version=None)
    with pytest.raises(AuthenticationFailed):
        await svc.user_for_access_token(r_token)
    key, secret = await svc.create_api_key(as_(admin), "ERP", {Scope.CUSTOMERS_READ})
    assert (await svc.principal_for_api_key(secret)).id == key.id
    await svc.revoke_api_key(as_(admin), key.id)
    with pytest.raises(AuthenticationFailed):
        await svc.principal_for_api_key(secret)


async def test_without_a_ttl_every_request_looks_its_caller_up(svc: IdentityService) -> None:
    user = await make(svc, "a@example.com", Role.SALES_REP)
    token = (await svc.login("a@example.com", PW, Actor(None))).access_token
    await svc.user_for_access_token(token)
    store(svc).users[user.id].is_active = False  # changed by another process
    with pytest.raises(AuthenticationFailed):
        await svc.user_for_access_token(token)
