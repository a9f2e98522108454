"""Writes in bulk are heard like single writes: a webhook subscriber on loopback receives
one `customer.created` per imported customer, and one `customer.updated` per customer
tagged in bulk, each once. Real PostgreSQL, Redis, relay, worker jobs and deliveries."""

from __future__ import annotations

import csv
import io
from collections import Counter

import httpx

from adapters.bootstrap import Container
from adapters.webhooks.deliverer import WebhookDeliverer
from adapters.webhooks.resolver import DnsResolver
from adapters.webhooks.sender import WebhookSender
from domain.webhooks.model import RetryPolicy
from domain.webhooks.service import WebhookService
from tests.conftest import World, drain
from tests.integration import webhooks_helpers
from tests.integration.webhooks_helpers import hook, pump
from tests.webhook_subscriber import Subscriber

subscriber = webhooks_helpers.subscriber  # the fixture, for pytest to find in this module

# 10,000 (a chunked import of five chunks, delivered) is bench/bulk_bench.py import-webhooks;
# this many, still more than one chunk, keeps the test to a minute on a shared machine.
ROWS = 2_500


def customer_list(rows: int) -> bytes:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(["客户名称", "联系人", "手机", "所属行业", "标签"])
    for i in range(rows):
        writer.writerow([f"上海测试{i:05d}科技有限公司", f"联系人{i}", f"139{i:08d}", "制造业",
                         "展会"])
    return out.getvalue().encode()


def deliverer_for(c: Container) -> WebhookDeliverer:
    """The container's delivery loop, sending many at once as a production worker does."""
    service = WebhookService(c.uow, c.clock, DnsResolver(),
                             RetryPolicy(schedule=(0, 0.05, 0.05), jitter=0))
    return WebhookDeliverer(c.engine, c.cipher, service, WebhookSender(DnsResolver(), timeout=5),
                            concurrency=200)


async def imported(client: httpx.AsyncClient, world: World, content: bytes) -> str:
    r = await client.post("/api/v1/imports", headers=world.auth("rep"),
                          files={"file": ("展会名单.csv", content)})
    assert r.status_code == 202, r.text
    return str(r.json()["id"])


async def test_a_subscriber_hears_of_every_imported_customer_once(
        client: httpx.AsyncClient, world: World, container: Container,
        subscriber: Subscriber) -> None:
    created = await hook(client, world, subscriber.url, types=["customer.created"])
    subscriber.secret = created["secret"]
    import_id = await imported(client, world, customer_list(ROWS))
    d = deliverer_for(container)
    try:
        await pump(container, d, lambda: len(subscriber.accepted()) >= ROWS, timeout=600)
        await drain(container)
        await d.deliver_due()  # anything still due would arrive now
    finally:
        await d.close()
    done = (await client.get(f"/api/v1/imports/{import_id}", headers=world.auth("rep"))).json()
    assert (done["status"], done["created"]) == ("done", ROWS)
    heard = Counter(r.json["data"]["customer_id"] for r in subscriber.accepted())
    assert len(heard) == ROWS and set(heard.values()) == {1}, "each customer once"
    assert all(r.verified and r.json["type"] == "customer.created"
               for r in subscriber.received)
    numbers = {r.json["data"]["number"] for r in subscriber.accepted()}
    assert len(numbers) == ROWS and all(n.startswith("C") for n in numbers)
    listed = (await client.get("/api/v1/customers", params={"limit": 1, "q": "上海测试02042"},
                               headers=world.auth("rep"))).json()["items"]
    assert heard[listed[0]["id"]] == 1


async def test_a_subscriber_hears_of_every_customer_tagged_in_bulk(
        client: httpx.AsyncClient, world: World, container: Container,
        subscriber: Subscriber) -> None:
    import_id = await imported(client, world, customer_list(30))
    d = deliverer_for(container)
    try:
        await drain(container)
        done = (await client.get(f"/api/v1/imports/{import_id}",
                                 headers=world.auth("rep"))).json()
        assert done["created"] == 30
        created = await hook(client, world, subscriber.url, types=["customer.updated"])
        subscriber.secret = created["secret"]
        r = await client.post("/api/v1/tags/apply", headers=world.auth("rep"),
                              json={"filter": {}, "add": ["重点客户"], "remove": ["展会"]})
        assert r.status_code == 200, r.text
        await pump(container, d, lambda: len(subscriber.accepted()) >= 30)
    finally:
        await d.close()
    updates = [r.json["data"] for r in subscriber.accepted()]
    assert len({u["customer_id"] for u in updates}) == len(updates) == 30
    assert all(u["fields"] == ["tags"] for u in updates)
