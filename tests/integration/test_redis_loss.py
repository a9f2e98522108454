"""Redis loses its memory: a published event whose job is gone is sent again by the outbox
sweep, and its reactions apply once.

Each test runs its own Redis without persistence on a free port and kills it for real; the
drill also runs `crm worker` as a process of its own, with a short grace period.
"""

from __future__ import annotations

import asyncio
import os
import signal
import socket
import subprocess
import sys
import time
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path

import httpx
import pytest
from redis.asyncio import Redis
from sqlalchemy import func, select, update

from adapters.bootstrap import Container, build
from adapters.db import tables
from adapters.embedded import RedisProcess
from adapters.jobs.outbox import MAX_SENDS
from adapters.settings import Settings
from tests.conftest import CachingHasher, World, drain
from tests.integration.leads_helpers import api_key, east_rule, more_reps, new_lead, route

ROOT = Path(__file__).resolve().parents[2]
LEADS = 50


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class ForgetfulRedis:
    """A Redis configured as a cache would be: killed, it comes back empty."""

    def __init__(self, directory: Path) -> None:
        self.port = _free_port()
        self.directory = directory
        self.server = RedisProcess(directory, port=self.port, persist=False).start()

    def lose_everything(self) -> None:
        self.server.stop(hard=True)  # SIGKILL: no shutdown save, and there is no AOF anyway
        self.server = RedisProcess(self.directory, port=self.port, persist=False).start()

    async def queued(self, queue_name: str) -> int:
        client = Redis.from_url(self.server.url)
        try:
            return int(await client.zcard(queue_name))
        finally:
            await client.aclose()


@pytest.fixture
async def forgetful(settings: Settings, tmp_path: Path
                    ) -> AsyncIterator[tuple[ForgetfulRedis, Container]]:
    """A private Redis, and a container whose relay and queue use it (a one-second grace)."""
    redis = ForgetfulRedis(tmp_path / "redis")
    c = build(settings.model_copy(update={
        "redis_url": redis.server.url, "queue_name": f"crm:lost:{uuid.uuid4().hex[:6]}",
        "outbox_grace_seconds": 1.0}))
    c.identity.hasher = CachingHasher(c.identity.hasher)
    try:
        yield redis, c
    finally:
        await c.close()
        redis.server.stop()


async def _wait_for(predicate: Callable[[], Awaitable[bool]], timeout: float = 60.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if await predicate():
            return
        await asyncio.sleep(0.2)
    raise AssertionError("condition not met in time")


async def _relay_all(c: Container) -> None:
    while await c.relay.relay_once():
        pass


async def _notifications_per_lead(c: Container) -> dict[str, int]:
    lead_id = tables.notifications.c.data["lead_id"].astext
    async with c.engine.connect() as conn:
        rows = (await conn.execute(
            select(lead_id, func.count()).where(
                tables.notifications.c.kind == "lead_assigned").group_by(lead_id))).all()
    return {str(row[0]): int(row[1]) for row in rows}


async def _capture(client: httpx.AsyncClient, world: World, container: Container,
                   n: int) -> list[str]:
    """n leads captured through the API, each routed to a rep (`lead.assigned`, whose
    consumer tells the rep)."""
    await more_reps(world, 2)
    await route(client, world, [east_rule(world)])
    key = await api_key(container)
    # The setup's own events (users created) are handled first, on the tests' shared Redis.
    await drain(container)
    async with container.engine.begin() as conn:
        await conn.execute(update(tables.outbox).values(done_at=func.now()))
    ids = []
    for i in range(n):
        r = await client.post("/api/v1/leads", headers=key, json=new_lead(
            phone=f"139{i:08d}", email=f"lost.{i}@example.com", region="east"))
        assert r.status_code == 201, r.text
        ids.append(r.json()["id"])
    return ids


async def test_an_event_whose_job_redis_lost_is_sent_again_and_applied_once(
        client: httpx.AsyncClient, world: World, container: Container,
        forgetful: tuple[ForgetfulRedis, Container]) -> None:
    redis, c = forgetful
    (lead_id,) = await _capture(client, world, container, 1)
    await _relay_all(c)
    assert await redis.queued(c.queue.queue_name) == 1
    redis.lose_everything()
    assert await redis.queued(c.queue.queue_name) == 0
    assert await c.relay.pending() == 0 and await c.relay.not_done() == 1, \
        "published, but its reaction has not run: not done"
    await c.queue.close()  # its connection went with the old server
    await asyncio.sleep(1.1)  # the grace period
    assert await c.relay.resend_lost() == (0, 1)
    await drain(c)
    assert await _notifications_per_lead(c) == {lead_id: 1}
    await asyncio.sleep(1.1)
    assert await c.relay.resend_lost() == (1, 0), "its marker is there now: done, not sent"
    assert await c.relay.not_done() == 0


async def test_a_job_redis_still_holds_is_not_sent_again(
        client: httpx.AsyncClient, world: World, container: Container,
        forgetful: tuple[ForgetfulRedis, Container]) -> None:
    """A long queue only waits: the sweep leaves a job that is still queued (or deferred, or
    running) as it is, and looks at it again a grace period later."""
    redis, c = forgetful
    (lead_id,) = await _capture(client, world, container, 1)
    await _relay_all(c)
    await asyncio.sleep(1.1)
    assert await c.relay.resend_lost() == (0, 0)
    assert await redis.queued(c.queue.queue_name) == 1
    async with c.engine.connect() as conn:
        assert await conn.scalar(select(tables.outbox.c.attempts).where(
            tables.outbox.c.type == "lead.assigned")) == 1, "not counted as a send"
    await drain(c)
    assert await _notifications_per_lead(c) == {lead_id: 1}


async def test_events_nobody_consumes_are_done_when_published(
        client: httpx.AsyncClient, world: World, container: Container,
        forgetful: tuple[ForgetfulRedis, Container]) -> None:
    _, c = forgetful
    await _capture(client, world, container, 1)  # lead.created: webhooks only; lead.assigned
    await _relay_all(c)
    async with c.engine.connect() as conn:
        not_done = (await conn.execute(select(tables.outbox.c.type).where(
            tables.outbox.c.done_at.is_(None)))).scalars().all()
    assert not_done == ["lead.assigned"]


async def test_an_event_sent_as_often_as_allowed_is_left_alone(
        client: httpx.AsyncClient, world: World, container: Container,
        forgetful: tuple[ForgetfulRedis, Container]) -> None:
    """An event whose reactions never complete however often it is sent (a consumer failing
    every time) is not sent for ever."""
    redis, c = forgetful
    await _capture(client, world, container, 1)
    await _relay_all(c)
    redis.lose_everything()
    await c.queue.close()
    async with c.engine.begin() as conn:
        await conn.execute(update(tables.outbox).values(attempts=MAX_SENDS - 1))
    await asyncio.sleep(1.1)
    assert await c.relay.resend_lost() == (0, 1)
    redis.lose_everything()
    await c.queue.close()
    await asyncio.sleep(1.1)
    assert await c.relay.resend_lost() == (0, 0)
    assert await redis.queued(c.queue.queue_name) == 0


def _start_worker(c: Container) -> subprocess.Popen[bytes]:
    s = c.settings
    assert s.database_url and s.redis_url
    env = {**os.environ, "CRM_ENV": "test", "CRM_DATABASE_URL": s.database_url,
           "CRM_REDIS_URL": s.redis_url, "CRM_QUEUE_NAME": s.queue_name,
           "CRM_OUTBOX_GRACE_SECONDS": str(s.outbox_grace_seconds), "CRM_LOG_LEVEL": "ERROR"}
    return subprocess.Popen([sys.executable, "-m", "adapters.cli", "worker"], cwd=ROOT, env=env,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                            start_new_session=True)


@pytest.mark.slow
async def test_drill_redis_killed_with_jobs_queued_every_effect_arrives_once(
        client: httpx.AsyncClient, world: World, container: Container,
        forgetful: tuple[ForgetfulRedis, Container]) -> None:
    """The fault drill: leads captured and their jobs queued, Redis killed before any worker
    ran them and started again empty, then a real worker: each rep is told of each lead once."""
    redis, c = forgetful
    lead_ids = await _capture(client, world, container, LEADS)
    await _relay_all(c)
    assert await redis.queued(c.queue.queue_name) == LEADS
    redis.lose_everything()
    assert await c.relay.not_done() == LEADS
    worker = _start_worker(c)
    try:
        async def all_told() -> bool:
            return len(await _notifications_per_lead(c)) == LEADS

        await _wait_for(all_told)
        await _wait_for(lambda: _equals(c.relay.not_done(), 0))
        await asyncio.sleep(2.0)  # a second send, were there one, has time to show
        assert await _notifications_per_lead(c) == dict.fromkeys(lead_ids, 1)
    finally:
        if worker.poll() is None:
            os.killpg(worker.pid, signal.SIGTERM)
            worker.wait(20)


async def _equals(value: Awaitable[int], expected: int) -> bool:
    return await value == expected


async def test_the_embedded_redis_comes_back_from_a_kill_with_its_queue(tmp_path: Path) -> None:
    """`make run`'s Redis keeps an append-only file: killed, its queued jobs are still there
    (the sweep would send them again, a grace period later)."""
    server = RedisProcess(tmp_path / "redis").start()
    try:
        client = Redis.from_url(server.url)
        await client.zadd("crm:queue", {"evt:kept": 1})
        await client.aclose()
        server.stop(hard=True)
        server = RedisProcess(tmp_path / "redis").start()
        client = Redis.from_url(server.url)
        assert await client.zrange("crm:queue", 0, -1) == [b"evt:kept"]
        await client.aclose()
    finally:
        server.stop()
