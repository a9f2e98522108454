"""Sign-in, tokens, refresh rotation, lockout and API keys over HTTP against PostgreSQL."""

from __future__ import annotations

from datetime import timedelta

import httpx
from jose import jwt
from sqlalchemy import select

from adapters.bootstrap import Container
from adapters.db import tables
from tests.conftest import PASSWORD, World, drain


async def login(client: httpx.AsyncClient, email: str, password: str = PASSWORD) -> httpx.Response:
    return await client.post("/api/v1/auth/token", data={"username": email, "password": password})


async def test_a_user_signs_in_and_sees_itself(client: httpx.AsyncClient, world: World) -> None:
    rep = world.users["rep"]
    r = await login(client, rep.email)
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["token_type"] == "bearer" and body["expires_in"] == 15 * 60
    me = await client.get("/api/v1/me", headers={"Authorization": f"Bearer {body['access_token']}"})
    assert me.status_code == 200
    assert me.json()["email"] == rep.email and me.json()["role"] == "sales_rep"
    assert "customers:read" in me.json()["scopes"] and "users:read" not in me.json()["scopes"]


async def test_wrong_password_is_401_problem(client: httpx.AsyncClient, world: World) -> None:
    r = await login(client, world.users["rep"].email, "not-the-password")
    assert r.status_code == 401
    assert r.headers["content-type"] == "application/problem+json"
    assert r.json()["detail"] == "Incorrect e-mail or password"


async def test_repeated_failures_lock_the_account_with_retry_after(
    client: httpx.AsyncClient, world: World, container: Container
) -> None:
    email = world.users["rep"].email
    statuses = [(await login(client, email, "wrong-password")).status_code for _ in range(3)]
    assert statuses == [401, 401, 429]
    locked = await login(client, email)  # the right password does not get through a lock
    assert locked.status_code == 429
    assert 14 * 60 <= int(locked.headers["Retry-After"]) <= 15 * 60 + 1
    async with container.engine.connect() as conn:
        actions = list((await conn.execute(select(tables.audit_log.c.action).where(
            tables.audit_log.c.action.like("auth.%")))).scalars())
    assert actions.count("auth.login_failed") == 3 and "auth.login_locked" in actions


async def test_refresh_rotates_and_a_reused_token_ends_the_session(
    client: httpx.AsyncClient, world: World
) -> None:
    first = (await login(client, world.users["rep"].email)).json()
    r = await client.post("/api/v1/auth/refresh", json={"refresh_token": first["refresh_token"]})
    assert r.status_code == 200
    second = r.json()
    assert second["refresh_token"] != first["refresh_token"]
    replay = await client.post("/api/v1/auth/refresh",
                               json={"refresh_token": first["refresh_token"]})
    assert replay.status_code == 401
    after = await client.post("/api/v1/auth/refresh",
                              json={"refresh_token": second["refresh_token"]})
    assert after.status_code == 401  # the whole family was revoked


async def test_bad_expired_and_forged_tokens_are_401(
    client: httpx.AsyncClient, world: World, container: Container
) -> None:
    user = world.users["rep"]
    expired, _ = container.identity.tokens.issue_access(
        user, container.clock.now() - timedelta(hours=2))
    forged = jwt.encode({"sub": str(user.id), "tv": 1, "typ": "access", "iss": "crm",
                         "exp": 4102444800}, "not-our-key", algorithm="HS256")
    none_alg = jwt.encode({"sub": str(user.id)}, "", algorithm="HS256").split(".")
    for token in [expired, forged, "garbage", ".".join(none_alg[:2]) + ".", "crm_nope_x"]:
        r = await client.get("/api/v1/me", headers={"Authorization": f"Bearer {token}"})
        assert r.status_code == 401, token
        assert r.headers["www-authenticate"] == "Bearer"
    assert (await client.get("/api/v1/me")).status_code == 401


async def test_disabling_a_user_invalidates_its_token_at_once(
    client: httpx.AsyncClient, world: World
) -> None:
    headers = world.auth("rep")
    assert (await client.get("/api/v1/me", headers=headers)).status_code == 200
    r = await client.patch(f"/api/v1/users/{world.users['rep'].id}", json={"is_active": False},
                           headers=world.auth("admin"))
    assert r.status_code == 200 and r.json()["is_active"] is False
    assert (await client.get("/api/v1/me", headers=headers)).status_code == 401


async def test_changing_the_password_invalidates_tokens(
    client: httpx.AsyncClient, world: World
) -> None:
    tokens = (await login(client, world.users["rep"].email)).json()
    headers = {"Authorization": f"Bearer {tokens['access_token']}"}
    r = await client.post("/api/v1/me/password", headers=headers,
                          json={"current_password": PASSWORD, "new_password": "brand-new-pass-1"})
    assert r.status_code == 204
    assert (await client.get("/api/v1/me", headers=headers)).status_code == 401
    refresh = await client.post("/api/v1/auth/refresh",
                                json={"refresh_token": tokens["refresh_token"]})
    assert refresh.status_code == 401
    assert (await login(client, world.users["rep"].email, "brand-new-pass-1")).status_code == 200


async def test_api_keys_act_with_their_scopes_only(
    client: httpx.AsyncClient, world: World
) -> None:
    r = await client.post("/api/v1/api-keys", headers=world.auth("admin"),
                          json={"name": "ERP sync", "scopes": ["customers:read"]})
    assert r.status_code == 201, r.text
    secret = r.json()["secret"]
    assert secret.startswith("crm_")
    listed = await client.get("/api/v1/api-keys", headers=world.auth("admin"))
    assert "secret" not in listed.json()["items"][0]
    for headers in ({"X-API-Key": secret}, {"Authorization": f"Bearer {secret}"}):
        me = await client.get("/api/v1/me", headers=headers)
        assert me.status_code == 200 and me.json()["kind"] == "api_key"
        assert me.json()["scopes"] == ["customers:read"]
        denied = await client.get("/api/v1/users", headers=headers)
        assert denied.status_code == 403, "a key without users:read may not list users"
    await client.delete(f"/api/v1/api-keys/{r.json()['id']}", headers=world.auth("admin"))
    assert (await client.get("/api/v1/me", headers={"X-API-Key": secret})).status_code == 401


async def test_an_api_key_with_users_read_may_list_users(
    client: httpx.AsyncClient, world: World
) -> None:
    r = await client.post("/api/v1/api-keys", headers=world.auth("admin"),
                          json={"name": "HR sync", "scopes": ["users:read"]})
    listed = await client.get("/api/v1/users", headers={"X-API-Key": r.json()["secret"]})
    assert listed.status_code == 200 and len(listed.json()["items"]) == len(world.users)


async def test_only_admins_create_api_keys(client: httpx.AsyncClient, world: World) -> None:
    r = await client.post("/api/v1/api-keys", headers=world.auth("manager"),
                          json={"name": "mine", "scopes": ["customers:read"]})
    assert r.status_code == 403


async def test_the_inbox_marks_read_and_counts(client: httpx.AsyncClient, world: World,
                                               container: Container) -> None:
    await drain(container)  # the welcome notifications of the world's users
    h = world.auth("rep")
    assert (await client.get("/api/v1/notifications/unread-count", headers=h)).json() == {
        "unread": 1}
    (note,) = (await client.get("/api/v1/notifications", headers=h)).json()["items"]
    other = await client.post(f"/api/v1/notifications/{note['id']}/read",
                              headers=world.auth("manager"))
    assert other.status_code == 404, "someone else's notification is out of sight"
    assert (await client.post(f"/api/v1/notifications/{note['id']}/read",
                              headers=h)).status_code == 204
    assert (await client.get("/api/v1/notifications/unread-count", headers=h)).json() == {
        "unread": 0}
