"""Signed webhooks end to end: real PostgreSQL, Redis, worker jobs and a real HTTP subscriber on
loopback that verifies every signature with the `standardwebhooks` package. Signatures and
secret rotation, fan-out, order per record, retries, disabling and redelivery."""

from __future__ import annotations

import asyncio
from datetime import datetime, timedelta

import httpx
import pytest
from sqlalchemy import func, select, text, update
from standardwebhooks import Webhook

from adapters.bootstrap import Container
from adapters.db import tables
from tests.conftest import World, drain
from tests.integration import webhooks_helpers
from tests.integration.webhooks_helpers import (
    _audit_actions,
    admin,
    deliverer_for,
    deliveries,
    hook,
    new_customer,
    pump,
    pump_one_delivery,
    touch,
)
from tests.webhook_subscriber import Received, Subscriber

subscriber = webhooks_helpers.subscriber  # the fixture, for pytest to find in this module


async def test_events_arrive_signed_per_standard_webhooks(
        client: httpx.AsyncClient, world: World, container: Container,
        subscriber: Subscriber) -> None:
    created = await hook(client, world, subscriber.url)
    subscriber.secret = created["secret"]
    customer_id = await new_customer(container, world)
    await touch(container, world, customer_id, "二期产线")
    d = deliverer_for(container)
    try:
        await pump(container, d, lambda: len(subscriber.received) >= 2)
    finally:
        await d.close()
    first, second = subscriber.received
    assert first.verified and second.verified
    assert first.headers["content-type"] == "application/json"
    # the library itself, on the bytes as received
    payload = Webhook(created["secret"]).verify(first.body, first.headers)
    assert payload["type"] == "customer.created"
    assert payload["data"]["id"] == str(customer_id)
    assert payload["data"]["customer_id"] == str(customer_id)
    assert second.json["type"] == "customer.updated"
    assert second.json["data"]["fields"] == ["key_needs"]
    assert first.json["sequence"] < second.json["sequence"]
    assert first.json["timestamp"].endswith("+00:00")
    with pytest.raises(Exception):  # noqa: B017 - a forged signature is refused
        Webhook("whsec_" + "QUFB" * 8).verify(first.body, first.headers)
    r = await client.get(f"/api/v1/webhooks/{created['id']}/deliveries",
                         headers=world.auth("admin"))
    log = r.json()["items"]
    assert [e["event_type"] for e in log] == ["customer.updated", "customer.created"]
    for entry in log:
        assert entry["status"] == "succeeded" and entry["attempts"] == 1
        assert entry["response_status"] == 200 and entry["latency_ms"] is not None
        assert entry["next_attempt_at"] is None and entry["delivered_at"] is not None
        assert entry["record_type"] == "customer" and entry["record_id"] == str(customer_id)
    assert {r.msg_id for r in subscriber.received} == {e["message_id"] for e in log}
    # nothing for types it did not subscribe to, nothing for other endpoints
    await container.customers.delete(admin(world), customer_id)
    await drain(container)
    assert len(await deliveries(container)) == 2


async def test_a_rotated_secret_signs_beside_the_old_one_until_the_overlap_ends(
        client: httpx.AsyncClient, world: World, container: Container,
        subscriber: Subscriber) -> None:
    created = await hook(client, world, subscriber.url)
    r = await client.post(f"/api/v1/webhooks/{created['id']}/rotate-secret",
                          headers=world.auth("admin"))
    rotated_at = container.clock.now()
    until = datetime.fromisoformat(r.json()["previous_secret_until"])
    assert timedelta(hours=23) < until - rotated_at <= timedelta(hours=24, minutes=1)
    subscriber.secret = r.json()["secret"]
    await pump_one_delivery(container, world, subscriber)
    (got,) = subscriber.received
    assert got.verified, "the new secret verifies"
    assert len(got.headers["webhook-signature"].split(" ")) == 2
    # A receiver still on the old secret accepts it too (one of the two signatures is its)
    Webhook(created["secret"]).verify(got.body, got.headers)
    async with container.engine.begin() as conn:  # the overlap is over
        await conn.execute(update(tables.webhook_endpoints).values(
            previous_secret_until=func.now() - text("interval '1 second'")))
    subscriber.received.clear()
    await pump_one_delivery(container, world, subscriber)
    (later,) = subscriber.received
    assert later.verified and len(later.headers["webhook-signature"].split(" ")) == 1
    with pytest.raises(Exception):  # noqa: B017
        Webhook(created["secret"]).verify(later.body, later.headers)
    async with container.engine.connect() as conn:
        stored = await conn.scalar(select(tables.webhook_endpoints.c.previous_secret_enc))
    assert created["secret"] not in stored, "the old secret is encrypted at rest too"


async def test_fan_out_is_idempotent(client: httpx.AsyncClient, world: World,
                                     container: Container, subscriber: Subscriber) -> None:
    await hook(client, world, subscriber.url)
    await hook(client, world, subscriber.url, types=["customer.created"])
    await hook(client, world, subscriber.url, types=["lead.created"])
    await new_customer(container, world)
    assert await container.relay.relay_once() >= 1
    assert len(await deliveries(container)) == 2, "one per subscribed endpoint"
    for _ in range(2):  # relayed again (a crash between enqueue and commit), and again
        async with container.engine.begin() as conn:
            await conn.execute(update(tables.outbox).values(published_at=None))
        await drain(container)
    rows = await deliveries(container)
    assert len(rows) == 2 and len({r.endpoint_id for r in rows}) == 2
    d = deliverer_for(container)
    try:
        await pump(container, d, lambda: len(subscriber.received) >= 2)
        await asyncio.sleep(0.2)
        await d.deliver_due()
    finally:
        await d.close()
    assert len(subscriber.received) == 2


async def test_an_endpoint_gets_only_events_written_after_it_was_added(
        client: httpx.AsyncClient, world: World, container: Container,
        subscriber: Subscriber) -> None:
    """The relay reads each event's subscribers as it publishes it: an endpoint added after
    an event was written gets none of it, even when that event is relayed later."""
    early = await hook(client, world, subscriber.url, types=["customer.created"])
    await new_customer(container, world, "甲方精密机械有限公司")
    late = await hook(client, world, subscriber.url, types=["customer.created"])
    await new_customer(container, world, "乙方精密机械有限公司")
    assert await container.relay.relay_once() >= 2
    got = [(str(r.endpoint_id), r.event_type) for r in await deliveries(container)]
    assert sorted(got) == sorted([(early["id"], "customer.created")] * 2
                                 + [(late["id"], "customer.created")])


async def test_a_subscriber_down_for_a_while_gets_everything_in_order_per_record(
        client: httpx.AsyncClient, world: World, container: Container,
        subscriber: Subscriber) -> None:
    created = await hook(client, world, subscriber.url)
    subscriber.secret = created["secret"]
    down = True
    subscriber.answer = lambda _r: (503, {}) if down else (200, {})
    a = await new_customer(container, world, "甲方精密机械有限公司")
    b = await new_customer(container, world, "乙方精密机械有限公司")
    for i in range(3):
        await touch(container, world, a, f"需求 {i}")
        await touch(container, world, b, f"需求 {i}")
    d = deliverer_for(container, 0, 0.1, 0.1, 0.1, 0.1, 0.1, 0.1, 0.1, 0.1, 0.1)
    try:
        await pump(container, d, lambda: len(subscriber.received) >= 6)
        assert not subscriber.accepted()
        down = False
        await pump(container, d, lambda: len(subscriber.accepted()) >= 8)
        await asyncio.sleep(0.3)
        await d.deliver_due()
    finally:
        await d.close()
    accepted = subscriber.accepted()
    assert len(accepted) == 8 and all(r.verified for r in accepted)
    assert len({r.msg_id for r in accepted}) == 8, "one success per delivery, none twice"
    for customer in (a, b):
        mine = [r.json for r in accepted if r.json["data"]["id"] == str(customer)]
        assert [m["type"] for m in mine] == ["customer.created"] + ["customer.updated"] * 3
        sequences = [m["sequence"] for m in mine]
        assert sequences == sorted(sequences)
    # while down, a record's later events waited for its first one: no later event was tried
    first_tries = [r for r in subscriber.received if r.status == 503]
    assert {r.json["type"] for r in first_tries} == {"customer.created"}
    rows = await deliveries(container)
    assert all(r.status == "succeeded" for r in rows)
    assert max(r.attempts for r in rows) > 1


async def test_retry_after_is_honoured(client: httpx.AsyncClient, world: World,
                                       container: Container, subscriber: Subscriber) -> None:
    await hook(client, world, subscriber.url, types=["customer.created"])
    calls: list[Received] = []

    def answer(r: Received) -> tuple[int, dict[str, str]]:
        calls.append(r)
        return (429, {"Retry-After": "1"}) if len(calls) == 1 else (200, {})

    subscriber.answer = answer
    await new_customer(container, world)
    d = deliverer_for(container, 0, 0.01, 0.01)
    try:
        await pump(container, d, lambda: len(subscriber.accepted()) == 1)
    finally:
        await d.close()
    assert len(calls) == 2 and calls[1].at - calls[0].at >= 0.95
    assert calls[0].msg_id == calls[1].msg_id, "webhook-id is stable across retries"


@pytest.mark.parametrize("status, reason", [(410, "410 Gone"), (500, "all 3 attempts")])
async def test_gone_or_failing_for_good_disables_the_endpoint_and_tells_its_owner(
        client: httpx.AsyncClient, world: World, container: Container,
        subscriber: Subscriber, status: int, reason: str) -> None:
    created = await hook(client, world, subscriber.url)
    subscriber.answer = lambda _r: (status, {})
    customer_id = await new_customer(container, world)
    d = deliverer_for(container, 0, 0.05, 0.05)
    try:
        tries = 1 if status == 410 else 3
        await pump(container, d, lambda: len(subscriber.received) >= tries)
        await asyncio.sleep(0.2)
        await d.deliver_due()
        r = await client.get(f"/api/v1/webhooks/{created['id']}", headers=world.auth("admin"))
        assert r.json()["active"] is False and reason in r.json()["disabled_reason"]
        assert len(subscriber.received) == tries
        log = (await client.get(f"/api/v1/webhooks/{created['id']}/deliveries",
                                headers=world.auth("admin"))).json()["items"]
        assert log[0]["status"] == "failed" and log[0]["response_status"] == status
        async with container.engine.connect() as conn:
            notes = (await conn.execute(select(tables.notifications).where(
                tables.notifications.c.kind == "webhook_disabled"))).all()
        (note,) = notes
        assert note.user_id == world.users["admin"].id
        assert note.data["webhook_id"] == created["id"] and note.data["url"] == subscriber.url
        assert reason in note.data["reason"]
        assert "webhook.disabled" in await _audit_actions(container, created["id"])
        # a disabled endpoint gets nothing new; turned back on, what waits goes out
        await touch(container, world, customer_id, "later")
        subscriber.answer = lambda _r: (200, {})
        await drain(container)
        await d.deliver_due()
        assert len(await deliveries(container)) == 1
        r = await client.patch(f"/api/v1/webhooks/{created['id']}", json={"active": True},
                               headers=world.auth("admin"))
        assert r.json()["active"] is True and r.json()["disabled_reason"] is None
    finally:
        await d.close()


async def test_manual_redelivery_sends_the_same_message_again(
        client: httpx.AsyncClient, world: World, container: Container,
        subscriber: Subscriber) -> None:
    created = await hook(client, world, subscriber.url)
    subscriber.secret = created["secret"]
    other = await hook(client, world, subscriber.url)
    await pump_one_delivery(container, world, subscriber)
    delivery = next(r for r in await deliveries(container)
                    if str(r.endpoint_id) == created["id"])
    h = world.auth("admin")
    r = await client.post(f"/api/v1/webhooks/{other['id']}/deliveries/{delivery.id}/redeliver",
                          headers=h)
    assert r.status_code == 404, "a delivery of another endpoint is not found here"
    r = await client.post(f"/api/v1/webhooks/{created['id']}/deliveries/{delivery.id}/redeliver",
                          headers=h)
    assert r.status_code == 202 and r.json()["status"] == "pending"
    d = deliverer_for(container)
    try:
        await pump(container, d, lambda: len([x for x in subscriber.received
                                              if x.msg_id == f"msg_{delivery.id.hex}"]) == 2)
    finally:
        await d.close()
    again = [x for x in subscriber.received if x.msg_id == f"msg_{delivery.id.hex}"]
    assert again[0].body == again[1].body and all(x.verified for x in again)
    log = (await client.get(f"/api/v1/webhooks/{created['id']}/deliveries?status=succeeded",
                            headers=h)).json()["items"]
    assert log[0]["attempts"] == 2
    assert "webhook.redelivered" in await _audit_actions(container, created["id"])


async def test_delivery_time_checks_the_address_again(
        client: httpx.AsyncClient, world: World, container: Container,
        subscriber: Subscriber) -> None:
    created = await hook(client, world, subscriber.url)
    async with container.engine.begin() as conn:  # as if an admin's allowance were withdrawn
        await conn.execute(update(tables.webhook_endpoints).values(allow_private=False))
    await new_customer(container, world)
    d = deliverer_for(container, 0, 60)
    try:
        await drain(container)
        await d.deliver_due()
    finally:
        await d.close()
    assert subscriber.received == []
    log = (await client.get(f"/api/v1/webhooks/{created['id']}/deliveries",
                            headers=world.auth("admin"))).json()["items"]
    assert log[0]["status"] == "pending" and "loopback" in log[0]["last_error"]
