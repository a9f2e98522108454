"""Managing webhook endpoints over HTTP: the secret shown once and stored encrypted, the
event catalogue, the URL checks against SSRF, If-Match, and who may manage them."""

from __future__ import annotations

import uuid
from typing import Any

import httpx
import pytest
from sqlalchemy import select

from adapters.bootstrap import Container
from adapters.db import tables
from domain.shared.authz import Scope
from tests.conftest import World
from tests.integration import webhooks_helpers
from tests.integration.leads_helpers import api_key
from tests.integration.webhooks_helpers import (
    TYPES,
    _audit_actions,
    deliveries,
    hook,
    pump_one_delivery,
)
from tests.webhook_subscriber import Subscriber

subscriber = webhooks_helpers.subscriber  # the fixture, for pytest to find in this module


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
    # an endpoint's address holds a UUID: anything else names no resource at all
    r = await client.get("/api/v1/webhooks/not-a-uuid", headers=h)
    assert r.status_code == 404
    r = await client.get(f"/api/v1/webhooks/{created['id']}/deliveries?status=lost", headers=h)
    assert r.status_code == 422 and r.json()["errors"][0]["field"] == "status"
