"""The delivery loop as the worker runs it: a delivery outlives the worker that claimed it,
deliveries survive Redis stopping, `crm worker` delivers, and events only webhooks consume
need no queue job."""

from __future__ import annotations

import asyncio
import time
import uuid
from collections.abc import Awaitable, Callable
from pathlib import Path

import httpx
import pytest
from sqlalchemy import func, select

from adapters.bootstrap import Container, build
from adapters.db import tables
from adapters.embedded import RedisProcess
from adapters.jobs.worker import build_worker
from adapters.settings import Settings
from adapters.webhooks.deliverer import WebhookDeliverer
from adapters.webhooks.resolver import DnsResolver
from adapters.webhooks.sender import WebhookSender
from domain.shared.authz import Role, system_actor
from domain.shared.ports import QueueUnavailable
from domain.webhooks.model import RetryPolicy
from domain.webhooks.service import WebhookService
from tests.conftest import PASSWORD, CachingHasher, World, drain
from tests.integration import webhooks_helpers
from tests.integration.test_outbox import _free_port
from tests.integration.webhooks_helpers import deliverer_for, deliveries, hook, new_customer, pump
from tests.webhook_subscriber import Subscriber

subscriber = webhooks_helpers.subscriber  # the fixture, for pytest to find in this module


async def test_a_delivery_claimed_by_a_worker_that_died_is_sent_after_its_lease(
        client: httpx.AsyncClient, world: World, container: Container,
        subscriber: Subscriber) -> None:
    created = await hook(client, world, subscriber.url)
    subscriber.secret = created["secret"]
    await new_customer(container, world)
    await drain(container)
    service = WebhookService(container.uow, container.clock, DnsResolver(),
                             RetryPolicy(schedule=(0, 60), jitter=0))
    dying = WebhookDeliverer(container.engine, container.cipher, service,
                             WebhookSender(DnsResolver()), lease_seconds=0.5)
    try:
        (claimed,) = await dying.claim(10)  # ... and the worker is killed before it sends
        assert await dying.deliver_due() == 0, "leased: nobody else takes it meanwhile"
        await asyncio.sleep(0.6)
        assert await dying.deliver_due() == 1
    finally:
        await dying.close()
    (got,) = subscriber.received
    assert got.verified and got.msg_id == claimed.message_id
    (row,) = await deliveries(container)
    # Nobody can tell whether the dead worker's POST went out: its claim counts as an attempt.
    assert row.status == "succeeded" and row.attempts == 2


@pytest.mark.slow
async def test_redis_stopping_during_deliveries_loses_nothing(
        settings: Settings, tmp_path: Path, container: Container, world: World,
        client: httpx.AsyncClient, subscriber: Subscriber) -> None:
    port = _free_port()
    redis = RedisProcess(tmp_path / "redis", port=port, persist=False).start()
    c = build(settings.model_copy(update={"redis_url": redis.url,
                                          "queue_name": f"crm:wh:{uuid.uuid4().hex[:6]}"}))
    c.identity.hasher = CachingHasher(c.identity.hasher)
    created = await hook(client, world, subscriber.url)
    subscriber.secret = created["secret"]
    d = deliverer_for(c)
    try:
        before = await new_customer(c, world, "停机前精密机械有限公司")
        while await c.relay.relay_once():
            pass
        worker = build_worker(c, handle_signals=False, burst=True)
        await worker.async_run()
        await worker.close()
        redis.stop(hard=True)
        # deliveries already fanned out go on without Redis
        await d.deliver_due()
        assert [r.json["data"]["id"] for r in subscriber.accepted()] == [str(before)]
        during = [await new_customer(c, world, f"停机中{i}号精密机械有限公司") for i in range(3)]
        # a user too: its event needs a queue job, so the relay's batch cannot go out
        await c.identity.create_user(system_actor("test"), email="outage@example.com",
                                     name="Outage", role=Role.SALES_REP, department_id=None,
                                     password=PASSWORD)
        with pytest.raises(QueueUnavailable):
            await c.relay.relay_once()
        async with c.engine.connect() as conn:
            waiting = await conn.scalar(select(func.count()).select_from(tables.outbox).where(
                tables.outbox.c.published_at.is_(None),
                tables.outbox.c.type.in_(["customer.created", "user.created"])))
        assert waiting == 4, "the events wait in the outbox"
        assert len(await deliveries(c)) == 1, "and so do their deliveries"
        redis = RedisProcess(tmp_path / "redis", port=port, persist=False).start()
        await pump(c, d, lambda: len(subscriber.accepted()) >= 4)
        await asyncio.sleep(0.2)
        await drain(c)
        await d.deliver_due()
    finally:
        redis.stop()
        await d.close()
        await c.close()
    got = [r.json["data"]["id"] for r in subscriber.accepted()]
    assert sorted(got) == sorted([str(before), *map(str, during)])
    assert all(r.verified for r in subscriber.accepted())


@pytest.mark.slow
async def test_the_worker_process_delivers(settings: Settings, container: Container,
                                           world: World, client: httpx.AsyncClient,
                                           subscriber: Subscriber) -> None:
    """`crm worker` runs the delivery loop beside the relay, woken by NOTIFY."""
    from tests.integration.test_outbox import _kill, _start_worker

    created = await hook(client, world, subscriber.url)
    subscriber.secret = created["secret"]
    worker = _start_worker(settings)
    try:
        customer_id = await new_customer(container, world)
        await _wait(lambda: _true(len(subscriber.accepted()) == 1))
    finally:
        _kill(worker)
    (got,) = subscriber.accepted()
    assert got.verified and got.json["data"]["id"] == str(customer_id)


async def _true(value: bool) -> bool:
    return value


async def _wait(predicate: Callable[[], Awaitable[bool]], timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if await predicate():
            return
        await asyncio.sleep(0.1)
    raise AssertionError("condition not met in time")


async def test_webhook_only_events_need_no_queue_job(
        client: httpx.AsyncClient, world: World, container: Container,
        subscriber: Subscriber) -> None:
    """customer.created has no queue consumer: the relay fans it out and enqueues nothing."""
    await hook(client, world, subscriber.url)
    await drain(container)  # the world's own events (users) need the queue
    customer_id = await new_customer(container, world)
    broken = build(container.settings.model_copy(update={"redis_url": "redis://127.0.0.1:1/0"}))
    try:
        assert await broken.relay.relay_once() == 1, "no Redis needed for it"
    finally:
        await broken.close()
    (delivery,) = await deliveries(container)
    assert delivery.aggregate_id == str(customer_id)
