"""A worker process killed with SIGKILL in the middle of its work: the job is taken up again
within 30 s (arq's lock on it is that short), and the webhook delivery log counts every attempt
the receiver saw, even one whose worker died before it could record the outcome."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
import time
from collections.abc import Awaitable, Callable
from typing import Any

import httpx
import pytest
from redis.asyncio import Redis
from sqlalchemy import func, select

from adapters.bootstrap import Container
from adapters.db import tables
from adapters.settings import Settings
from tests.conftest import World
from tests.integration import webhooks_helpers
from tests.integration.test_imports import gb18030_csv, upload
from tests.integration.test_outbox import ROOT, _kill, _worker_env
from tests.integration.webhooks_helpers import deliveries, hook, new_customer
from tests.webhook_subscriber import Received, Subscriber

subscriber = webhooks_helpers.subscriber  # the fixture, for pytest to find in this module

# What arq promises for a job whose worker died: taken up again once its lock expires.
RETRY_WITHIN_SECONDS = 30


def start_worker(settings: Settings, **env: str) -> subprocess.Popen[bytes]:
    return subprocess.Popen([sys.executable, "-m", "adapters.cli", "worker"], cwd=ROOT,
                            env={**_worker_env(settings), **env}, stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL, start_new_session=True)


async def until(predicate: Callable[[], Awaitable[bool]], timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while not await predicate():
        if time.monotonic() > deadline:
            raise AssertionError("condition not met in time")
        await asyncio.sleep(0.05)


async def job_locks_ms(settings: Settings, pattern: str) -> list[int]:
    """The time left on arq's in-progress keys matching `pattern`, in milliseconds."""
    redis = Redis.from_url(settings.redis_url or "")
    try:
        keys = [key async for key in redis.scan_iter(match=pattern)]
        return [int(await redis.pttl(key)) for key in keys]
    finally:
        await redis.aclose()


@pytest.mark.slow
async def test_an_import_whose_worker_was_killed_resumes_within_30_s_and_creates_each_row_once(
        client: httpx.AsyncClient, world: World, container: Container) -> None:
    rows = 6000
    content = gb18030_csv([[f"断电客户{i:05d}有限公司", f"联系人{i}", f"139{i:08d}", "", "制造业",
                            "", ""] for i in range(rows)])
    imp = await upload(client, world, "big.csv", content)

    async def progress() -> dict[str, Any]:
        r = await client.get(f"/api/v1/imports/{imp['id']}", headers=world.auth("rep"))
        return dict(r.json())

    async def reading() -> bool:
        return int((await progress())["rows_read"]) > 0

    worker = start_worker(container.settings)
    try:
        await until(reading, 120)
        locks = await job_locks_ms(container.settings, f"arq:in-progress:import:{imp['id']}:*")
        assert locks, "the import's job is in progress"
        assert all(0 < ttl <= RETRY_WITHIN_SECONDS * 1000 for ttl in locks), locks
        _kill(worker)  # mid-import, no goodbye
        killed_at = time.monotonic()
        halfway = int((await progress())["rows_read"])
        assert 0 < halfway < rows

        async def resumed() -> bool:
            return int((await progress())["rows_read"]) > halfway

        worker = start_worker(container.settings)
        await until(resumed, RETRY_WITHIN_SECONDS)
        assert time.monotonic() - killed_at <= RETRY_WITHIN_SECONDS

        async def ended() -> bool:
            return (await progress())["status"] in ("done", "failed")

        await until(ended, 180)
        final = await progress()
        assert (final["status"], final["created"], final["rows_read"], final["rejected"]) == (
            "done", rows, rows, 0), final
        async with container.engine.connect() as conn:
            count = await conn.scalar(select(func.count()).select_from(tables.customers))
            names = await conn.scalar(select(func.count(func.distinct(tables.customers.c.name))))
        assert count == names == rows
    finally:
        _kill(worker, signal.SIGTERM)


@pytest.mark.slow
async def test_a_worker_killed_between_a_webhook_send_and_its_record_leaves_a_true_log(
        client: httpx.AsyncClient, world: World, container: Container,
        subscriber: Subscriber) -> None:
    """The receiver has the worker killed as each of the first two POSTs arrives, before the
    worker hears the answer or records anything; the third worker's attempt succeeds."""
    created = await hook(client, world, subscriber.url)
    subscriber.secret = created["secret"]
    # A 1 s send timeout makes the delivery lease 6 s: the redeliveries come soon.
    env = {"CRM_WEBHOOK_TIMEOUT_SECONDS": "1"}
    worker = start_worker(container.settings, **env)
    to_kill = 2

    def kill_the_sender(_got: Received) -> None:
        nonlocal to_kill
        if to_kill > 0:
            to_kill -= 1
            os.killpg(worker.pid, signal.SIGKILL)

    subscriber.on_receive = kill_the_sender

    async def received(n: int) -> bool:
        return len(subscriber.received) >= n and worker.poll() is not None

    async def row() -> Any:
        (delivery,) = await deliveries(container)
        return delivery

    try:
        await new_customer(container, world)
        await until(lambda: received(1), 60)
        first = await row()
        assert (first.status, first.attempts, first.response_status) == ("pending", 1, None)
        worker = start_worker(container.settings, **env)
        await until(lambda: received(2), 60)
        second = await row()
        assert (second.status, second.attempts) == ("pending", 2)
        worker = start_worker(container.settings, **env)

        async def succeeded() -> bool:
            return bool((await row()).status == "succeeded")

        await until(succeeded, 60)
    finally:
        _kill(worker, signal.SIGTERM)
    assert len(subscriber.received) == 3
    assert len({r.msg_id for r in subscriber.received}) == 1, "one message, sent three times"
    assert all(r.verified for r in subscriber.received)
    r = await client.get(f"/api/v1/webhooks/{created['id']}/deliveries",
                         headers=world.auth("admin"))
    (entry,) = r.json()["items"]
    assert (entry["status"], entry["attempts"], entry["response_status"]) == ("succeeded", 3, 200)
