"""Steps shared by the webhook tests: a subscriber on loopback, the container's delivery loop
with tiny delays, customers whose changes raise events, and the deliveries and audit trail
as stored."""

from __future__ import annotations

import asyncio
import time
import uuid
from collections.abc import AsyncIterator, Callable
from typing import Any

import httpx
import pytest
from sqlalchemy import select

from adapters.bootstrap import Container
from adapters.db import tables
from adapters.webhooks.deliverer import WebhookDeliverer
from adapters.webhooks.resolver import DnsResolver
from adapters.webhooks.sender import WebhookSender
from domain.customers.commands import CustomerChanges, NewCustomer
from domain.customers.model import CustomerKind
from domain.identity.service import principal_of
from domain.shared.authz import Actor
from domain.webhooks.model import RetryPolicy
from domain.webhooks.service import WebhookService
from tests.conftest import World, drain
from tests.webhook_subscriber import Subscriber

TYPES = ["customer.created", "customer.updated"]


@pytest.fixture
async def subscriber() -> AsyncIterator[Subscriber]:
    s = await Subscriber().start()
    yield s
    await s.stop()


def deliverer_for(c: Container, *delays: float) -> WebhookDeliverer:
    """The container's delivery loop with a schedule of tiny delays (no jitter)."""
    service = WebhookService(c.uow, c.clock, DnsResolver(),
                             RetryPolicy(schedule=tuple(delays or (0, 0.05, 0.05)), jitter=0))
    return WebhookDeliverer(c.engine, c.cipher, service, WebhookSender(DnsResolver(), timeout=2),
                            concurrency=20)


async def pump(c: Container, d: WebhookDeliverer, until: Callable[[], bool],
               timeout: float = 30.0) -> None:
    """Relay + worker jobs (the fan-out) + the delivery loop, until the condition holds."""
    deadline = time.monotonic() + timeout
    while not until():
        if time.monotonic() > deadline:
            raise AssertionError("condition not met in time")
        await drain(c)
        await d.deliver_due()
        await asyncio.sleep(0.05)


def admin(world: World) -> Actor:
    return Actor(principal=principal_of(world.users["admin"]))


async def new_customer(c: Container, world: World, name: str = "苏州精工自动化设备有限公司"
                       ) -> uuid.UUID:
    customer = await c.customers.create(admin(world), NewCustomer(name, CustomerKind.COMPANY),
                                        allow_duplicate=True)
    return customer.id


async def touch(c: Container, world: World, customer_id: uuid.UUID, needs: str) -> None:
    await c.customers.update(admin(world), customer_id, CustomerChanges(key_needs=needs), None)


async def hook(client: httpx.AsyncClient, world: World, url: str, types: list[str] | None = None,
               **over: Any) -> dict[str, Any]:
    body = {"url": url, "event_types": types or TYPES, "allow_private": True, **over}
    r = await client.post("/api/v1/webhooks", json=body, headers=world.auth("admin"))
    assert r.status_code == 201, r.text
    return dict(r.json())


async def deliveries(c: Container) -> list[Any]:
    async with c.engine.connect() as conn:
        return list((await conn.execute(
            select(tables.webhook_deliveries).order_by(tables.webhook_deliveries.c.sequence))).all())


async def pump_one_delivery(c: Container, world: World, subscriber: Subscriber) -> uuid.UUID:
    customer_id = await new_customer(c, world)
    d = deliverer_for(c)
    try:
        await pump(c, d, lambda: len(subscriber.accepted()) >= 1)
    finally:
        await d.close()
    return customer_id


async def _audit_actions(c: Container, webhook_id: str) -> list[str]:
    log = tables.audit_log
    async with c.engine.connect() as conn:
        return list((await conn.execute(select(log.c.action).where(
            log.c.target_type == "webhook", log.c.target_id == webhook_id).order_by(log.c.id)
        )).scalars())
