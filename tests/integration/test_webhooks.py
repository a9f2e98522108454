"""Signed webhooks end to end: real PostgreSQL, Redis, worker jobs and a real HTTP subscriber on
loopback that verifies every signature with the `standardwebhooks` package."""

from __future__ import annotations

import asyncio
import time
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import func, select, text, update
from standardwebhooks import Webhook

from adapters.bootstrap import Container, build
from adapters.db import tables
from adapters.embedded import RedisProcess
from adapters.jobs.worker import build_worker
from adapters.settings import Settings
from adapters.webhooks.deliverer import WebhookDeliverer
from adapters.webhooks.resolver import DnsResolver
from adapters.webhooks.sender import WebhookSender
from domain.customers.commands import CustomerChanges, NewCustomer
from domain.customers.model import CustomerKind
from domain.identity.service import principal_of
from domain.shared.authz import Actor, Role, Scope, system_actor
from domain.shared.ports import QueueUnavailable
from domain.webhooks.model import RetryPolicy
from domain.webhooks.service import WebhookService
from tests.conftest import PASSWORD, CachingHasher, World, drain
from tests.integration.leads_helpers import api_key
from tests.integration.test_outbox import _free_port
from tests.webhook_subscriber import Received, Subscriber

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


# ---- managing endpoints ------------------------------------------------------------------------


async def test_the_secret_is_shown_at_create_and_rotate_only_and_stored_encrypted(
        client: httpx.AsyncClient, world: World, container: Container,
        subscriber: Subscriber) -> None:
    created = await hook(client, world, subscriber.url, description="ERP sync")
    assert created["secret"].startswith("whsec_") and len(created["secret"]) > 40
    assert created["event_types"] == TYPES and created["owner_id"] == str(world.users["admin"].id)
    r = await client.get(f"/api/v1/webhooks/{created['id']}", headers=world.auth("admin"))
    assert r.status_code == 200 and "secret" not in r.json() and r.headers["ETag"] == '"1"'
    listed = await client.get("/api/v1/webhooks", headers=world.auth("admin"))
    assert [w["id"] for w in listed.json()["items"]] == [created["id"]]
    async with container.engine.connect() as conn:
        stored = await conn.scalar(select(tables.webhook_endpoints.c.secret_enc))
    assert created["secret"] not in stored and container.cipher.decrypt(stored) == created[
        "secret"]
    rotated = await client.post(f"/api/v1/webhooks/{created['id']}/rotate-secret",
                                headers=world.auth("admin"))
    assert rotated.status_code == 200 and rotated.json()["secret"] != created["secret"]
    assert rotated.json()["version"] == 2
    actions = await _audit_actions(container, created["id"])
    assert actions == ["webhook.created", "webhook.secret_rotated"]


async def test_event_types_come_from_the_catalogue(client: httpx.AsyncClient, world: World,
                                                   subscriber: Subscriber) -> None:
    r = await client.get("/api/v1/webhooks/event-types", headers=world.auth("admin"))
    types = {e["type"] for e in r.json()}
    assert {"customer.created", "lead.converted", "opportunity.stage_changed",
            "contract.signed", "contract.payment_received"} <= types
    assert "user.created" not in types
    r = await client.post("/api/v1/webhooks", headers=world.auth("admin"), json={
        "url": subscriber.url, "allow_private": True,
        "event_types": ["customer.created", "customer.exploded"]})
    assert r.status_code == 422 and r.headers["content-type"] == "application/problem+json"
    assert r.json()["errors"][0]["field"] == "event_types.1"
    assert "customer.exploded" in r.json()["errors"][0]["message"]
    r = await client.post("/api/v1/webhooks", headers=world.auth("admin"), json={
        "url": subscriber.url, "allow_private": True, "event_types": []})
    assert r.status_code == 422 and r.json()["errors"][0]["field"] == "event_types"


@pytest.mark.parametrize("url", [
    "http://127.0.0.1/hook", "http://10.1.2.3/hook", "http://169.254.169.254/latest/meta-data",
    "http://[::1]/hook", "http://[::ffff:127.0.0.1]/hook", "http://localhost:8080/hook",
    "http://0.0.0.0/", "http://192.168.1.10/", "http://[fe80::1]/", "http://224.0.0.1/",
    "ftp://example.com/hook", "file:///etc/passwd", "http://user:pw@example.com/",
    "not a url", "http://no-such-host.invalid/hook",
])
async def test_ssrf_targets_are_refused_naming_url(client: httpx.AsyncClient, world: World,
                                                   url: str) -> None:
    r = await client.post("/api/v1/webhooks", headers=world.auth("admin"),
                          json={"url": url, "event_types": TYPES})
    assert r.status_code == 422, r.text
    assert r.headers["content-type"] == "application/problem+json"
    assert r.json()["errors"][0]["field"] == "url"


async def test_only_admins_allow_private_targets(client: httpx.AsyncClient, world: World,
                                                 container: Container,
                                                 subscriber: Subscriber) -> None:
    key = await api_key(container, Scope.SETTINGS_WRITE)
    r = await client.post("/api/v1/webhooks", headers=key, json={
        "url": subscriber.url, "event_types": TYPES, "allow_private": True})
    assert r.status_code == 403
    # an integration with settings:write manages public endpoints, not admins' private ones
    created = await hook(client, world, subscriber.url)
    r = await client.patch(f"/api/v1/webhooks/{created['id']}", headers=key,
                           json={"url": "http://10.0.0.5/"})
    assert r.status_code == 403
    r = await client.delete(f"/api/v1/webhooks/{created['id']}", headers=key)
    assert r.status_code == 403
    r = await client.patch(f"/api/v1/webhooks/{created['id']}", headers=world.auth("admin"),
                           json={"allow_private": False})
    assert r.status_code == 422 and r.json()["errors"][0]["field"] == "url"


async def test_patch_honours_if_match_and_checks_the_new_url(
        client: httpx.AsyncClient, world: World, container: Container,
        subscriber: Subscriber) -> None:
    created = await hook(client, world, subscriber.url)
    path, h = f"/api/v1/webhooks/{created['id']}", world.auth("admin")
    r = await client.patch(path, json={"description": "x"}, headers={**h, "If-Match": '"7"'})
    assert r.status_code == 412
    r = await client.patch(path, json={"event_types": ["lead.created"], "description": "Leads"},
                           headers={**h, "If-Match": '"1"'})
    assert r.status_code == 200 and r.headers["ETag"] == '"2"'
    assert r.json()["event_types"] == ["lead.created"] and r.json()["description"] == "Leads"
    r = await client.patch(path, json={"url": "gopher://example.com"}, headers=h)
    assert r.status_code == 422 and r.json()["errors"][0]["field"] == "url"
    r = await client.patch(path, json={"event_types": ["nope"]}, headers=h)
    assert r.status_code == 422 and r.json()["errors"][0]["field"] == "event_types.0"
    r = await client.patch(path, json={"secret": "mine"}, headers=h)
    assert r.status_code == 422
    assert (await client.delete(path, headers=h)).status_code == 204
    assert (await client.get(path, headers=h)).status_code == 404
    assert (await client.delete(path, headers=h)).status_code == 404
    assert await _audit_actions(container, created["id"]) == [
        "webhook.created", "webhook.updated", "webhook.deleted"]


ROLES = ["admin", "manager", "rep", "finance", "executive", "legal", "service_agent"]


@pytest.mark.parametrize("role", ROLES)
async def test_only_settings_writers_manage_webhooks(client: httpx.AsyncClient, world: World,
                                                     container: Container,
                                                     subscriber: Subscriber, role: str) -> None:
    created = await hook(client, world, subscriber.url)
    await pump_one_delivery(container, world, subscriber)
    (delivery,) = await deliveries(container)
    wid = created["id"]
    routes: list[tuple[str, str, Any, int]] = [
        ("GET", "/api/v1/webhooks/event-types", None, 200),
        ("GET", "/api/v1/webhooks", None, 200),
        ("POST", "/api/v1/webhooks", {"url": subscriber.url, "event_types": TYPES,
                                      "allow_private": True}, 201),
        ("GET", f"/api/v1/webhooks/{wid}", None, 200),
        ("PATCH", f"/api/v1/webhooks/{wid}", {"description": "d"}, 200),
        ("GET", f"/api/v1/webhooks/{wid}/deliveries", None, 200),
        ("POST", f"/api/v1/webhooks/{wid}/deliveries/{delivery.id}/redeliver", None, 202),
        ("POST", f"/api/v1/webhooks/{wid}/rotate-secret", None, 200),
        ("DELETE", f"/api/v1/webhooks/{wid}", None, 204),
    ]
    failures = []
    for method, path, body, ok in routes:
        r = await client.request(method, path, json=body, headers=world.auth(role))
        expected = ok if role == "admin" else 403
        if r.status_code != expected:
            failures.append(f"{method} {path}: {r.status_code} (wanted {expected})")
    assert not failures, failures
    r = await client.get("/api/v1/webhooks")
    assert r.status_code == 401


async def test_api_keys_need_settings_write(client: httpx.AsyncClient, container: Container
                                            ) -> None:
    reader = await api_key(container, Scope.CUSTOMERS_READ)
    writer = await api_key(container, Scope.SETTINGS_WRITE)
    assert (await client.get("/api/v1/webhooks", headers=reader)).status_code == 403
    assert (await client.get("/api/v1/webhooks", headers=writer)).status_code == 200


async def test_unknown_ids_are_404(client: httpx.AsyncClient, world: World,
                                   subscriber: Subscriber) -> None:
    created = await hook(client, world, subscriber.url)
    h = world.auth("admin")
    for method, path in (("GET", f"/api/v1/webhooks/{uuid.uuid4()}"),
                         ("GET", f"/api/v1/webhooks/{uuid.uuid4()}/deliveries"),
                         ("POST", f"/api/v1/webhooks/{created['id']}/deliveries/"
                                  f"{uuid.uuid4()}/redeliver")):
        r = await client.request(method, path, headers=h)
        assert r.status_code == 404, (path, r.text)
    r = await client.get("/api/v1/webhooks/not-a-uuid", headers=h)
    assert r.status_code == 422
    r = await client.get(f"/api/v1/webhooks/{created['id']}/deliveries?status=lost", headers=h)
    assert r.status_code == 422 and r.json()["errors"][0]["field"] == "status"


# ---- delivery ---------------------------------------------------------------------------------


async def pump_one_delivery(c: Container, world: World, subscriber: Subscriber) -> uuid.UUID:
    customer_id = await new_customer(c, world)
    d = deliverer_for(c)
    try:
        await pump(c, d, lambda: len(subscriber.accepted()) >= 1)
    finally:
        await d.close()
    return customer_id


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
    assert row.status == "succeeded" and row.attempts == 1


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


async def _audit_actions(c: Container, webhook_id: str) -> list[str]:
    log = tables.audit_log
    async with c.engine.connect() as conn:
        return list((await conn.execute(select(log.c.action).where(
            log.c.target_type == "webhook", log.c.target_id == webhook_id).order_by(log.c.id)
        )).scalars())


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
