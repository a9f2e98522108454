"""Webhook use cases: managing endpoints, the delivery log, recording attempts (the fan-out
of events to endpoints happens as the outbox relay publishes them: adapters/webhooks/fanout.py).

Who manages webhooks: principals with `settings:write` (admins, and API keys granted it).
Only an admin user may let an endpoint reach private addresses (allow_private), or edit one
that may.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field

from domain.audit.model import AuditEntry, field_diff
from domain.notifications.model import Notification
from domain.shared.authz import SYSTEM, Actor, Principal, Role, Scope, require
from domain.shared.commands import given
from domain.shared.errors import Conflict, NotFound, PermissionDenied, check_version
from domain.shared.paging import Page, PageRequest
from domain.shared.ports import Clock, UnitOfWork, UnitOfWorkFactory
from domain.shared.visibility import found_or_404
from domain.webhooks.commands import CreateWebhook, UpdateWebhook
from domain.webhooks.event_types import EVENT_TYPES
from domain.webhooks.model import (
    AttemptResult,
    Delivery,
    DeliveryStatus,
    RetryPolicy,
    WebhookEndpoint,
    check_addresses,
    parse_target,
)
from domain.webhooks.ports import HostResolver


async def check_target(resolver: HostResolver, url: str, allow_private: bool) -> list[str]:
    """The addresses the URL may be reached at; raises ValidationFailed (field url) if none."""
    target = parse_target(url)
    addresses = ([target.host] if target.host_is_ip
                 else await resolver.resolve(target.host, target.port))
    check_addresses(target, addresses, allow_private)
    return addresses


def _is_admin(p: Principal) -> bool:
    return p.kind in ("user", "system") and p.role == Role.ADMIN


@dataclass
class WebhookService:
    uow: UnitOfWorkFactory
    clock: Clock
    resolver: HostResolver
    policy: RetryPolicy = field(default_factory=RetryPolicy)

    # ---- endpoints ----------------------------------------------------------------------------

    def event_types(self, actor: Actor) -> dict[str, str]:
        require(actor, Scope.SETTINGS_WRITE)
        return dict(EVENT_TYPES)

    async def list(self, actor: Actor, page: PageRequest) -> Page[WebhookEndpoint]:
        require(actor, Scope.SETTINGS_WRITE)
        async with self.uow() as uow:
            return await uow.webhooks.list(page)

    async def get(self, actor: Actor, endpoint_id: uuid.UUID) -> WebhookEndpoint:
        require(actor, Scope.SETTINGS_WRITE)
        async with self.uow() as uow:
            return await self._load(uow, endpoint_id)

    async def create(self, actor: Actor, command: CreateWebhook) -> WebhookEndpoint:
        p = require(actor, Scope.SETTINGS_WRITE)
        if command.allow_private and not _is_admin(p):
            raise PermissionDenied("webhook.private_admin_only",
                                   scope=Scope.SETTINGS_WRITE.value)
        endpoint = WebhookEndpoint.create(
            url=command.url, event_types=command.event_types,
            description=command.description, allow_private=command.allow_private,
            owner_id=None)
        await check_target(self.resolver, endpoint.url, endpoint.allow_private)
        async with self.uow() as uow:
            endpoint.owner_id = await self._owner_of(uow, p)
            await uow.webhooks.add(endpoint)
            await uow.audit.record(AuditEntry.of(actor, "webhook.created", "webhook", endpoint.id,
                                                 field_diff(None, endpoint.snapshot())))
            await uow.commit()
        return endpoint

    async def update(self, actor: Actor, endpoint_id: uuid.UUID, command: UpdateWebhook,
                     expected_version: int | None) -> WebhookEndpoint:
        p = require(actor, Scope.SETTINGS_WRITE)
        async with self.uow() as uow:
            endpoint = await self._load(uow, endpoint_id, lock=True)
            check_version("webhook", endpoint.version, expected_version)
            if not _is_admin(p) and (endpoint.allow_private or command.allow_private):
                raise PermissionDenied("webhook.private_edit_admin_only",
                                       scope=Scope.SETTINGS_WRITE.value)
            before = endpoint.snapshot()
            endpoint.update(command)
            sent = given(command)
            if "url" in sent or "allow_private" in sent or (
                    command.active and not before["active"]):
                await check_target(self.resolver, endpoint.url, endpoint.allow_private)
            await uow.webhooks.save(endpoint)
            await uow.audit.record(AuditEntry.of(actor, "webhook.updated", "webhook", endpoint.id,
                                                 field_diff(before, endpoint.snapshot())))
            await uow.commit()
        return endpoint

    async def delete(self, actor: Actor, endpoint_id: uuid.UUID) -> None:
        p = require(actor, Scope.SETTINGS_WRITE)
        async with self.uow() as uow:
            endpoint = await self._load(uow, endpoint_id, lock=True)
            if endpoint.allow_private and not _is_admin(p):
                raise PermissionDenied("webhook.private_delete_admin_only",
                                       scope=Scope.SETTINGS_WRITE.value)
            await uow.webhooks.delete(endpoint.id)
            await uow.audit.record(AuditEntry.of(actor, "webhook.deleted", "webhook", endpoint.id,
                                                 field_diff(endpoint.snapshot(), None)))
            await uow.commit()

    async def rotate_secret(self, actor: Actor, endpoint_id: uuid.UUID) -> WebhookEndpoint:
        """A new secret signs every attempt from now on, retries of older messages included;
        for SECRET_OVERLAP the old one signs beside it (two signatures in the header)."""
        require(actor, Scope.SETTINGS_WRITE)
        async with self.uow() as uow:
            endpoint = await self._load(uow, endpoint_id, lock=True)
            endpoint.rotate_secret(self.clock.now())
            await uow.webhooks.save(endpoint)
            await uow.audit.record(AuditEntry.of(actor, "webhook.secret_rotated", "webhook",
                                                 endpoint.id, {"secret": ["(old)", "(rotated)"]}))
            await uow.commit()
        return endpoint

    # ---- the delivery log -----------------------------------------------------------------------

    async def deliveries(self, actor: Actor, endpoint_id: uuid.UUID,
                         status: DeliveryStatus | None, page: PageRequest) -> Page[Delivery]:
        require(actor, Scope.SETTINGS_WRITE)
        async with self.uow() as uow:
            await self._load(uow, endpoint_id)
            return await uow.webhook_deliveries.list(endpoint_id, status, page)

    async def redeliver(self, actor: Actor, endpoint_id: uuid.UUID,
                        delivery_id: uuid.UUID) -> Delivery:
        require(actor, Scope.SETTINGS_WRITE)
        async with self.uow() as uow:
            endpoint = await self._load(uow, endpoint_id)
            delivery = await uow.webhook_deliveries.get(delivery_id, lock=True)
            if delivery is None or delivery.endpoint_id != endpoint.id:
                raise NotFound("delivery", delivery_id)
            if delivery.status == DeliveryStatus.PENDING and delivery.round_attempts == 0:
                raise Conflict("webhook.delivery_not_started")
            before = {"status": delivery.status, "round_attempts": delivery.round_attempts}
            delivery.redeliver(self.clock.now())
            await uow.webhook_deliveries.save(delivery)
            await uow.audit.record(AuditEntry.of(
                actor, "webhook.redelivered", "webhook", endpoint.id,
                {"delivery_id": [None, str(delivery.id)],
                 **field_diff(before, {"status": delivery.status, "round_attempts": 0})}))
            await uow.commit()
        return delivery

    # ---- attempts (the delivery worker) ------------------------------------------------------

    async def record_attempts(self, results: Sequence[tuple[uuid.UUID, AttemptResult]]) -> int:
        """Stores what the attempts gave (each counted when it started), in one transaction;
        disables endpoints that answered 410 or failed every attempt of a delivery, and tells
        their owners. Answers how many endpoints were disabled."""
        if not results:
            return 0
        now = self.clock.now()
        by_id = dict(results)
        disabled = 0
        async with self.uow() as uow:
            changed, failing = [], []
            for delivery in await uow.webhook_deliveries.get_many(sorted(by_id)):
                if delivery.status != DeliveryStatus.PENDING:
                    continue  # recorded by someone else (a lease that ran out)
                reason = delivery.record(by_id[delivery.id], self.policy, now)
                changed.append(delivery)
                if reason is not None:
                    failing.append((delivery, reason))
            await uow.webhook_deliveries.save_many(changed)
            for delivery, reason in failing:
                if await self._disable(uow, delivery, reason):
                    disabled += 1
            await uow.commit()
        return disabled

    async def _disable(self, uow: UnitOfWork, delivery: Delivery, reason: str) -> bool:
        endpoint = await uow.webhooks.get(delivery.endpoint_id, lock=True)
        if endpoint is None or not endpoint.disable(reason, self.clock.now()):
            return False
        await uow.webhooks.save(endpoint)
        await uow.audit.record(AuditEntry.of(
            SYSTEM, "webhook.disabled", "webhook", endpoint.id,
            {"active": [True, False], "disabled_reason": [None, reason],
             "delivery_id": [None, str(delivery.id)]}))
        owner = endpoint.owner_id or await uow.reps.any_admin()
        if owner is not None:
            await uow.notifications.add(Notification.for_event(
                owner, "webhook_disabled", "A webhook was turned off",
                f"Deliveries to {endpoint.url} stopped: {reason}. Fix the endpoint, then "
                "turn the webhook back on; pending deliveries resume.", delivery.event_id,
                data={"webhook_id": str(endpoint.id), "url": endpoint.url, "reason": reason,
                      "delivery_id": str(delivery.id)}))
        return True

    # ---- helpers ------------------------------------------------------------------------------

    async def _load(self, uow: UnitOfWork, endpoint_id: uuid.UUID,
                    lock: bool = False) -> WebhookEndpoint:
        return await found_or_404(uow.webhooks.get(endpoint_id, lock=lock), "webhook",
                                  endpoint_id)

    async def _owner_of(self, uow: UnitOfWork, p: Principal) -> uuid.UUID | None:
        """Who hears about the endpoint: the user, or the user who made the API key."""
        if p.kind == "user":
            return p.id
        if p.kind == "api_key":
            key = await uow.api_keys.get(p.id)
            return key.created_by if key else None
        return None
