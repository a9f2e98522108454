"""Every API request spends a token of its caller's bucket (user, API key, or client address
without credentials); answers say where the caller stands in the IETF draft's RateLimit
fields, an empty bucket answers 429, and without Redis the API keeps answering. Behind a
trusted proxy the client's address (in the audit log, in the anonymous limit) is the one the
proxy forwards; anyone else's X-Forwarded-For is ignored."""

from __future__ import annotations

import asyncio
import contextlib
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import httpx
import pytest
import uvicorn
from redis.exceptions import RedisError
from sqlalchemy import text

from adapters.bootstrap import Container, build
from adapters.cli import uvicorn_config
from adapters.settings import Settings
from adapters.web import create_web_app
from tests.conftest import PASSWORD, World


@asynccontextmanager
async def api(settings: Settings, client_ip: str = "203.0.113.7", **changes: Any
              ) -> AsyncIterator[httpx.AsyncClient]:
    """The app over its own container with these settings (its own buckets)."""
    changes.setdefault("queue_name", f"crm:test-rl:{uuid.uuid4().hex[:8]}")
    container = build(settings.model_copy(update=changes))
    transport = httpx.ASGITransport(app=create_web_app(container), client=(client_ip, 5000))
    try:
        async with httpx.AsyncClient(transport=transport, base_url="http://crm.test") as c:
            yield c
    finally:
        with contextlib.suppress(RedisError):  # the test without Redis
            await container.limiter.clear()
        await container.close()


async def test_each_caller_has_its_own_bucket(settings: Settings, world: World) -> None:
    # One token every 100 s: what the test sees does not depend on how fast it runs.
    async with api(settings, rate_limit_per_second=0.01, rate_limit_burst=3) as client:
        rep = world.auth("rep")
        answers = [await client.get("/api/v1/me", headers=rep) for _ in range(3)]
        assert [r.status_code for r in answers] == [200, 200, 200]
        assert {r.headers["ratelimit-policy"] for r in answers} == {'"default";q=3;w=300'}
        assert [r.headers["ratelimit"].split(";")[1] for r in answers] == ["r=2", "r=1", "r=0"]
        refused = await client.get("/api/v1/me", headers=rep)
        assert refused.status_code == 429
        assert refused.headers["content-type"] == "application/problem+json"
        assert refused.json()["status"] == 429 and "3 at once" in refused.json()["detail"]
        wait = int(refused.headers["retry-after"])
        assert 90 <= wait <= 100
        assert refused.headers["ratelimit"] == f'"default";r=0;t={wait}'
        assert (await client.get("/api/v1/me", headers=world.auth("manager"))).status_code == \
            200, "another user has a bucket of their own"
        assert (await client.get("/healthz")).status_code == 200, "probes are not limited"


async def test_api_keys_and_anonymous_addresses_are_limited_apart(
        client: httpx.AsyncClient, settings: Settings, world: World) -> None:
    created = await client.post("/api/v1/api-keys", headers=world.auth("admin"),
                                json={"name": "ERP sync", "scopes": ["customers:read"]})
    key = {"X-API-Key": created.json()["secret"]}
    async with api(settings, rate_limit_per_second=0.01, rate_limit_burst=2) as limited:
        assert [(await limited.get("/api/v1/me", headers=key)).status_code
                for _ in range(3)] == [200, 200, 429]
        # Without (valid) credentials the client's address is the caller: made-up tokens
        # do not buy a fresh bucket each.
        anonymous = [(await limited.get("/api/v1/me", headers={
            "Authorization": f"Bearer made-up-{n}"})).status_code for n in range(3)]
        assert anonymous == [401, 401, 429]
        assert (await limited.get("/api/v1/me", headers=world.auth("rep"))).status_code == 200
    async with api(settings, client_ip="198.51.100.20", rate_limit_per_second=0.01,
                   rate_limit_burst=2) as elsewhere:
        assert (await elsewhere.get("/api/v1/me")).status_code == 401, \
            "another address has a bucket of its own"


async def test_without_redis_or_when_turned_off_nothing_is_limited(settings: Settings,
                                                                   world: World) -> None:
    async with api(settings, redis_url="redis://127.0.0.1:1/0", rate_limit_per_second=0.01,
                   rate_limit_burst=1) as client:
        answers = [await client.get("/api/v1/me", headers=world.auth("rep")) for _ in range(3)]
        assert [r.status_code for r in answers] == [200, 200, 200]
        assert "ratelimit" not in answers[0].headers
    async with api(settings, rate_limit_enabled=False, rate_limit_per_second=0.01,
                   rate_limit_burst=1) as client:
        answers = [await client.get("/api/v1/me", headers=world.auth("rep")) for _ in range(3)]
        assert [r.status_code for r in answers] == [200, 200, 200]
        assert "ratelimit-policy" not in answers[0].headers


@asynccontextmanager
async def served(container: Container, trusted: str) -> AsyncIterator[str]:
    """The app on a real port, started as `crm serve` starts it (uvicorn_config)."""
    settings = container.settings.model_copy(update={
        "host": "127.0.0.1", "port": 0, "forwarded_allow_ips": trusted})
    config = uvicorn_config(create_web_app(container), settings)
    sock = config.bind_socket()
    server = uvicorn.Server(config)
    task = asyncio.create_task(server.serve(sockets=[sock]))
    try:
        while not server.started:
            await asyncio.sleep(0.02)
        yield f"http://127.0.0.1:{sock.getsockname()[1]}"
    finally:
        server.should_exit = True
        await task
        sock.close()


async def login_ip(container: Container, world: World, base: str) -> str | None:
    email = world.users["rep"].email
    async with httpx.AsyncClient(base_url=base) as c:
        r = await c.post("/api/v1/auth/token", data={"username": email, "password": PASSWORD},
                         headers={"X-Forwarded-For": "198.51.100.77"})
        assert r.status_code == 200, r.text
    async with container.engine.connect() as conn:
        return await conn.scalar(text(
            "SELECT ip FROM audit_log WHERE action = 'auth.login' ORDER BY at DESC LIMIT 1"))


@pytest.mark.parametrize(("trusted", "recorded"), [
    ("127.0.0.1", "198.51.100.77"),  # the proxy is trusted: the client it forwards
    ("10.0.0.0/8", "127.0.0.1"),  # it is not: the address that connected
])
async def test_the_audit_log_records_the_client_behind_a_trusted_proxy(
        container: Container, world: World, trusted: str, recorded: str) -> None:
    async with served(container, trusted) as base:
        assert await login_ip(container, world, base) == recorded
