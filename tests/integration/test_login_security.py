"""Log-in and passwords resist guessing: a wrong current password counts toward the lockout,
an unknown e-mail locks exactly like a known one, one address has a limited number of tries,
and a replayed refresh token stops the access tokens already issued."""

from __future__ import annotations

import httpx
from sqlalchemy import select

from adapters.bootstrap import Container
from adapters.db import tables
from adapters.web import create_web_app
from tests.conftest import PASSWORD, World
from tests.integration.test_auth_api import login


async def test_wrong_current_passwords_lock_the_account(client: httpx.AsyncClient,
                                                        world: World,
                                                        container: Container) -> None:
    headers = world.auth("rep")
    statuses = []
    for _ in range(4):
        r = await client.post("/api/v1/me/password", headers=headers, json={
            "current_password": "a-wrong-guess-1", "new_password": "brand-new-pass-1"})
        statuses.append(r.status_code)
    assert statuses == [422, 422, 429, 429]  # the test settings lock after 3 failures
    assert 14 * 60 <= int(r.headers["Retry-After"]) <= 15 * 60 + 1
    # Locked: the right password no longer gets through either, here or at log-in.
    right = await client.post("/api/v1/me/password", headers=headers, json={
        "current_password": PASSWORD, "new_password": "brand-new-pass-1"})
    assert right.status_code == 429
    assert (await login(client, world.users["rep"].email)).status_code == 429
    async with container.engine.connect() as conn:
        actions = list((await conn.execute(select(tables.audit_log.c.action).where(
            tables.audit_log.c.action == "auth.password_check_failed"))).scalars())
    assert len(actions) == 3


async def test_an_unknown_account_locks_like_a_known_one(client: httpx.AsyncClient,
                                                         world: World) -> None:
    known = [await login(client, world.users["rep"].email, "wrong-password") for _ in range(4)]
    unknown = [await login(client, "nobody.here@example.com", "wrong-password")
               for _ in range(4)]
    assert [r.status_code for r in known] == [401, 401, 429, 429]
    assert [r.status_code for r in unknown] == [r.status_code for r in known]
    for a, b in zip(known, unknown, strict=True):
        assert a.json()["detail"] == b.json()["detail"]
        assert ("retry-after" in a.headers) == ("retry-after" in b.headers)
    for r in known[2:] + unknown[2:]:
        assert 14 * 60 <= int(r.headers["Retry-After"]) <= 15 * 60 + 1


async def test_one_address_has_a_limited_number_of_log_ins(client: httpx.AsyncClient,
                                                           world: World,
                                                           container: Container) -> None:
    # 20 a minute by default: spraying 20 accounts from one address uses them up.
    sprayed = [await login(client, f"user{n}@example.com", "password-1234") for n in range(20)]
    assert {r.status_code for r in sprayed} == {401}
    refused = await login(client, world.users["manager"].email)
    assert refused.status_code == 429 and int(refused.headers["Retry-After"]) >= 1
    other = httpx.AsyncClient(transport=httpx.ASGITransport(
        app=create_web_app(container), client=("198.51.100.9", 5000)),
        base_url="http://crm.test")
    async with other:
        assert (await login(other, world.users["manager"].email)).status_code == 200


async def test_a_replayed_refresh_token_stops_the_access_tokens(client: httpx.AsyncClient,
                                                                world: World) -> None:
    first = (await login(client, world.users["rep"].email)).json()
    second = (await client.post("/api/v1/auth/refresh",
                                json={"refresh_token": first["refresh_token"]})).json()
    for tokens in (first, second):
        me = await client.get("/api/v1/me",
                              headers={"Authorization": f"Bearer {tokens['access_token']}"})
        assert me.status_code == 200
    replay = await client.post("/api/v1/auth/refresh",
                               json={"refresh_token": first["refresh_token"]})
    assert replay.status_code == 401
    for tokens in (first, second):
        me = await client.get("/api/v1/me",
                              headers={"Authorization": f"Bearer {tokens['access_token']}"})
        assert me.status_code == 401
    assert (await login(client, world.users["rep"].email)).status_code == 200
