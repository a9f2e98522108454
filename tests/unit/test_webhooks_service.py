"""The webhook use cases over in-memory fakes: endpoints and their URL checks, secrets, the
delivery log, and what the delivery worker's attempts do to deliveries and endpoints."""

from __future__ import annotations

import uuid
from datetime import timedelta

import pytest

from domain.identity.model import ApiKey
from domain.shared.authz import Actor, Principal, Role, Scope
from domain.shared.errors import (
    Conflict,
    NotFound,
    PermissionDenied,
    StaleVersion,
    ValidationFailed,
)
from domain.shared.events import DomainEvent
from domain.shared.paging import PageRequest
from domain.webhooks.commands import CreateWebhook, UpdateWebhook
from domain.webhooks.model import (
    SECRET_OVERLAP,
    AttemptResult,
    Delivery,
    DeliveryStatus,
    RetryPolicy,
    WebhookEndpoint,
)
from domain.webhooks.service import WebhookService
from tests.fakes.identity import actor_of, stored_user
from tests.fakes.shared import FakeClock, Store
from tests.fakes.webhooks import FakeResolver, WebhookUowFactory

PUBLIC = "93.184.216.34"
HOOK = "https://hooks.example.com/crm"

# No jitter: the schedule's waits are exact.
POLICY = RetryPolicy(schedule=(0, 5, 300), jitter=0.0)


@pytest.fixture
def svc() -> WebhookService:
    resolver = FakeResolver({"hooks.example.com": [PUBLIC], "intranet.example.com": ["10.0.0.8"],
                             "mixed.example.com": [PUBLIC, "127.0.0.1"]})
    return WebhookService(uow=WebhookUowFactory(), clock=FakeClock(), resolver=resolver,
                          policy=POLICY)


def store(svc: WebhookService) -> Store:
    return svc.uow.state  # type: ignore[attr-defined, no-any-return]


@pytest.fixture
def admin(svc: WebhookService) -> Actor:
    return actor_of(stored_user(store(svc), Role.ADMIN, "admin@example.com"))


def key_actor(svc: WebhookService, *scopes: Scope) -> tuple[Actor, ApiKey]:
    """An integration acting through an API key made by an admin."""
    maker = stored_user(store(svc), Role.ADMIN)
    key = ApiKey(id=uuid.uuid4(), name="ERP", prefix="abcdef012345", secret_hash="x",
                 scopes=frozenset(scopes), created_by=maker.id)
    store(svc).api_keys[key.id] = key
    return Actor(Principal(kind="api_key", id=key.id, label="api-key:ERP",
                           scopes=frozenset(scopes))), key


def audit_actions(svc: WebhookService) -> list[str]:
    return [e.action for e in store(svc).audit]


async def endpoint(svc: WebhookService, actor: Actor, url: str = HOOK,
                   allow_private: bool = False) -> WebhookEndpoint:
    return await svc.create(actor, CreateWebhook(url=url, event_types=["customer.created"],
                                                 allow_private=allow_private))


def delivery_for(endpoint_id: uuid.UUID, svc: WebhookService) -> Delivery:
    event = DomainEvent("customer.created", "customer", str(uuid.uuid4()), {"name": "A"})
    delivery = Delivery.for_event(endpoint_id, event, 1, svc.clock.now())
    store(svc).table("webhook_deliveries")[delivery.id] = delivery
    return delivery


def stored(svc: WebhookService, delivery: Delivery) -> Delivery:
    return store(svc).table("webhook_deliveries")[delivery.id]  # type: ignore[no-any-return]


async def attempted(svc: WebhookService, *results: tuple[Delivery, AttemptResult]) -> int:
    """The delivery worker's round: each attempt is counted as it is claimed, then the
    outcomes are recorded."""
    for delivery, _ in results:
        stored(svc, delivery).start_attempt(svc.clock.now())
    return await svc.record_attempts([(delivery.id, result) for delivery, result in results])


# ---- endpoints ---------------------------------------------------------------------------------


async def test_an_admin_adds_an_endpoint_with_a_fresh_secret(svc: WebhookService,
                                                             admin: Actor) -> None:
    created = await svc.create(admin, CreateWebhook(
        url=HOOK, event_types=["lead.created", "customer.created", "lead.created"],
        description="  ERP sync "))
    assert created.secret.startswith("whsec_")
    assert created.event_types == ["customer.created", "lead.created"]
    assert created.description == "ERP sync" and created.owner_id == admin.principal.id  # type: ignore[union-attr]
    assert (await svc.get(admin, created.id)).url == HOOK
    (entry,) = store(svc).audit
    assert entry.action == "webhook.created" and entry.target_id == str(created.id)
    assert "secret" not in entry.diff and entry.diff["url"] == [None, HOOK]


async def test_an_endpoint_made_through_an_api_key_belongs_to_the_keys_maker(
        svc: WebhookService) -> None:
    actor, key = key_actor(svc, Scope.SETTINGS_WRITE)
    created = await endpoint(svc, actor)
    assert created.owner_id == key.created_by


async def test_a_url_that_reaches_a_private_or_unresolvable_host_is_refused(
        svc: WebhookService, admin: Actor) -> None:
    for url, reason in (("https://intranet.example.com/h", "private"),
                        ("https://mixed.example.com/h", "loopback"),
                        ("https://nowhere.example.com/h", "does not resolve"),
                        ("http://127.0.0.1:8080/h", "loopback"),
                        ("ftp://hooks.example.com/h", "http or https")):
        with pytest.raises(ValidationFailed) as e:
            await endpoint(svc, admin, url)
        assert e.value.problems[0].field == "url" and reason in e.value.detail
    assert store(svc).table("webhooks") == {} and store(svc).audit == []
    assert ("intranet.example.com", 443) in svc.resolver.asked  # type: ignore[attr-defined]


async def test_only_an_admin_lets_an_endpoint_reach_private_addresses(
        svc: WebhookService, admin: Actor) -> None:
    integration, _ = key_actor(svc, Scope.SETTINGS_WRITE)
    with pytest.raises(PermissionDenied):
        await endpoint(svc, integration, "https://intranet.example.com/h", allow_private=True)
    allowed = await endpoint(svc, admin, "https://intranet.example.com/h", allow_private=True)
    assert allowed.allow_private
    with pytest.raises(PermissionDenied):  # nor edit or delete one that may
        await svc.update(integration, allowed.id, UpdateWebhook(description="x"), None)
    with pytest.raises(PermissionDenied):
        await svc.delete(integration, allowed.id)
    other = await endpoint(svc, integration)
    with pytest.raises(PermissionDenied):  # nor grant it to another
        await svc.update(integration, other.id, UpdateWebhook(allow_private=True), None)


async def test_event_types_must_be_known_and_at_least_one(svc: WebhookService,
                                                          admin: Actor) -> None:
    with pytest.raises(ValidationFailed) as e:
        await svc.create(admin, CreateWebhook(url=HOOK, event_types=["customer.created",
                                                                     "user.created"]))
    assert e.value.problems[0].field == "event_types.1"
    with pytest.raises(ValidationFailed) as e:
        await svc.create(admin, CreateWebhook(url=HOOK, event_types=[]))
    assert e.value.problems[0].field == "event_types"
    assert "customer.created" in svc.event_types(admin)
    assert not any(t.startswith("user.") for t in svc.event_types(admin))


async def test_webhooks_need_settings_write(svc: WebhookService, admin: Actor) -> None:
    created = await endpoint(svc, admin)
    for role in (Role.MANAGER, Role.SALES_REP, Role.FINANCE):
        actor = actor_of(stored_user(store(svc), role))
        with pytest.raises(PermissionDenied):
            svc.event_types(actor)
        with pytest.raises(PermissionDenied):
            await svc.list(actor, PageRequest())
        with pytest.raises(PermissionDenied):
            await svc.get(actor, created.id)
        with pytest.raises(PermissionDenied):
            await endpoint(svc, actor)
        with pytest.raises(PermissionDenied):
            await svc.rotate_secret(actor, created.id)
    reader, _ = key_actor(svc, Scope.SETTINGS_READ)
    with pytest.raises(PermissionDenied):
        await svc.list(reader, PageRequest())
    assert [e.id for e in (await svc.list(admin, PageRequest())).items] == [created.id]


async def test_an_unknown_endpoint_is_not_found(svc: WebhookService, admin: Actor) -> None:
    missing = uuid.uuid4()
    with pytest.raises(NotFound):
        await svc.get(admin, missing)
    with pytest.raises(NotFound):
        await svc.update(admin, missing, UpdateWebhook(description="x"), None)
    with pytest.raises(NotFound):
        await svc.delete(admin, missing)
    with pytest.raises(NotFound):
        await svc.deliveries(admin, missing, None, PageRequest())


async def test_an_edit_changes_only_what_is_given_and_checks_a_new_url(
        svc: WebhookService, admin: Actor) -> None:
    created = await svc.create(admin, CreateWebhook(url=HOOK, event_types=["lead.created"],
                                                    description="ERP"))
    asked = len(svc.resolver.asked)  # type: ignore[attr-defined]
    changed = await svc.update(admin, created.id, UpdateWebhook(description=None),
                               expected_version=1)
    assert changed.description is None and changed.url == HOOK
    assert changed.event_types == ["lead.created"] and changed.version == 2
    assert len(svc.resolver.asked) == asked  # type: ignore[attr-defined]
    with pytest.raises(ValidationFailed) as e:
        await svc.update(admin, created.id, UpdateWebhook(url="https://intranet.example.com/"),
                         None)
    assert e.value.problems[0].field == "url"
    with pytest.raises(ValidationFailed) as e:
        await svc.update(admin, created.id, UpdateWebhook(event_types=None), None)
    assert e.value.problems[0].field == "event_types"
    assert (await svc.get(admin, created.id)).version == 2  # nothing of the refusals stuck
    assert store(svc).audit[-1].diff == {"description": ["ERP", None]}


async def test_a_stale_version_is_refused(svc: WebhookService, admin: Actor) -> None:
    created = await endpoint(svc, admin)
    await svc.update(admin, created.id, UpdateWebhook(description="first"), expected_version=1)
    with pytest.raises(StaleVersion):
        await svc.update(admin, created.id, UpdateWebhook(description="lost"),
                         expected_version=1)
    assert (await svc.get(admin, created.id)).description == "first"


async def test_turning_an_endpoint_back_on_rechecks_where_it_points(
        svc: WebhookService, admin: Actor) -> None:
    created = await endpoint(svc, admin)
    row = store(svc).table("webhooks")[created.id]
    row.disable("the endpoint answered 410 Gone", svc.clock.now())
    svc.resolver.hosts["hooks.example.com"] = ["10.1.1.1"]  # type: ignore[attr-defined]
    with pytest.raises(ValidationFailed):
        await svc.update(admin, created.id, UpdateWebhook(active=True), None)
    svc.resolver.hosts["hooks.example.com"] = [PUBLIC]  # type: ignore[attr-defined]
    back = await svc.update(admin, created.id, UpdateWebhook(active=True), None)
    assert back.active and back.disabled_reason is None and back.disabled_at is None


async def test_rotating_the_secret_keeps_the_old_one_signing_for_a_while(
        svc: WebhookService, admin: Actor) -> None:
    created = await endpoint(svc, admin)
    rotated = await svc.rotate_secret(admin, created.id)
    assert rotated.secret != created.secret and rotated.secret.startswith("whsec_")
    assert rotated.previous_secret == created.secret
    assert rotated.previous_secret_until == svc.clock.now() + SECRET_OVERLAP
    assert rotated.version == created.version + 1
    entry = store(svc).audit[-1]
    assert entry.action == "webhook.secret_rotated"
    assert created.secret not in str(entry.diff) and rotated.secret not in str(entry.diff)


async def test_deleting_an_endpoint_drops_its_delivery_log(svc: WebhookService,
                                                          admin: Actor) -> None:
    created = await endpoint(svc, admin)
    delivery_for(created.id, svc)
    await svc.delete(admin, created.id)
    assert store(svc).table("webhooks") == {} and store(svc).table("webhook_deliveries") == {}
    assert audit_actions(svc)[-1] == "webhook.deleted"
    with pytest.raises(NotFound):
        await svc.get(admin, created.id)


# ---- the delivery log ------------------------------------------------------------------------


async def test_the_delivery_log_lists_an_endpoints_deliveries_by_status(
        svc: WebhookService, admin: Actor) -> None:
    created, other = await endpoint(svc, admin), await endpoint(svc, admin)
    done, waiting = delivery_for(created.id, svc), delivery_for(created.id, svc)
    delivery_for(other.id, svc)
    await attempted(svc, (done, AttemptResult(200, 12)))
    everything = await svc.deliveries(admin, created.id, None, PageRequest())
    assert {d.id for d in everything.items} == {done.id, waiting.id}
    succeeded = await svc.deliveries(admin, created.id, DeliveryStatus.SUCCEEDED, PageRequest())
    assert [d.id for d in succeeded.items] == [done.id]
    assert succeeded.items[0].latency_ms == 12


async def test_redelivery_starts_the_schedule_over(svc: WebhookService, admin: Actor) -> None:
    created = await endpoint(svc, admin)
    delivery = delivery_for(created.id, svc)
    with pytest.raises(Conflict):  # still waiting for its first attempt
        await svc.redeliver(admin, created.id, delivery.id)
    await attempted(svc, (delivery, AttemptResult(500, 30)))
    assert stored(svc, delivery).round_attempts == 1
    again = await svc.redeliver(admin, created.id, delivery.id)
    assert again.status == DeliveryStatus.PENDING and again.round_attempts == 0
    assert again.next_attempt_at == svc.clock.now() and again.attempts == 1
    assert again.message_id == delivery.message_id
    assert audit_actions(svc)[-1] == "webhook.redelivered"
    other = await endpoint(svc, admin)
    with pytest.raises(NotFound):  # a delivery is reached only through its own endpoint
        await svc.redeliver(admin, other.id, delivery.id)


# ---- attempts --------------------------------------------------------------------------------


async def test_failed_attempts_follow_the_retry_schedule_then_disable(
        svc: WebhookService, admin: Actor) -> None:
    created = await endpoint(svc, admin)
    delivery = delivery_for(created.id, svc)
    now = svc.clock.now()
    assert await attempted(svc, (delivery, AttemptResult(500, 30))) == 0
    assert stored(svc, delivery).next_attempt_at == now + timedelta(seconds=5)
    assert await attempted(svc, (delivery, AttemptResult(None, 5000, "timeout"))) == 0
    assert stored(svc, delivery).next_attempt_at == now + timedelta(seconds=300)
    assert stored(svc, delivery).last_error == "timeout"
    assert await attempted(svc, (delivery, AttemptResult(503, 30))) == 1
    assert stored(svc, delivery).status == DeliveryStatus.FAILED
    endpoint_now = await svc.get(admin, created.id)
    assert not endpoint_now.active and "all 3 attempts" in (endpoint_now.disabled_reason or "")


async def test_throttling_waits_as_long_as_the_receiver_asks(svc: WebhookService,
                                                             admin: Actor) -> None:
    created = await endpoint(svc, admin)
    delivery = delivery_for(created.id, svc)
    await attempted(svc, (delivery, AttemptResult(429, 10, retry_after=120)))
    assert stored(svc, delivery).next_attempt_at == svc.clock.now() + timedelta(seconds=120)


async def test_gone_disables_the_endpoint_once_and_tells_its_owner(
        svc: WebhookService, admin: Actor) -> None:
    created = await endpoint(svc, admin)
    first, second = delivery_for(created.id, svc), delivery_for(created.id, svc)
    assert await attempted(svc, (first, AttemptResult(410, 20))) == 1
    assert await attempted(svc, (second, AttemptResult(410, 20))) == 0
    off = await svc.get(admin, created.id)
    assert not off.active and off.disabled_reason == "the endpoint answered 410 Gone"
    assert stored(svc, first).status == DeliveryStatus.FAILED
    (note,) = store(svc).notifications
    assert note.user_id == admin.principal.id and note.kind == "webhook_disabled"  # type: ignore[union-attr]
    assert note.data["webhook_id"] == str(created.id)
    (disabled,) = [e for e in store(svc).audit if e.action == "webhook.disabled"]
    assert disabled.actor_label == "system" and disabled.diff["active"] == [True, False]


async def test_an_endpoint_without_an_owner_tells_an_admin(svc: WebhookService,
                                                           admin: Actor) -> None:
    created = await endpoint(svc, admin)
    store(svc).table("webhooks")[created.id].owner_id = None
    delivery = delivery_for(created.id, svc)
    await attempted(svc, (delivery, AttemptResult(410, 20)))
    (note,) = store(svc).notifications
    assert note.user_id == admin.principal.id  # type: ignore[union-attr]


async def test_an_attempt_already_recorded_elsewhere_is_left_alone(
        svc: WebhookService, admin: Actor) -> None:
    created = await endpoint(svc, admin)
    delivery = delivery_for(created.id, svc)
    await attempted(svc, (delivery, AttemptResult(204, 9)))
    # a late duplicate: an earlier claim's outcome, after its lease ran out
    await svc.record_attempts([(delivery.id, AttemptResult(410, 9))])
    assert stored(svc, delivery).status == DeliveryStatus.SUCCEEDED
    assert stored(svc, delivery).attempts == 1
    assert (await svc.get(admin, created.id)).active
    assert await svc.record_attempts([]) == 0
