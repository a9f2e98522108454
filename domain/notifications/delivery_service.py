"""Sends the e-mail and SMS deliveries of notifications, after commit, with retries.

A delivery is claimed (an attempt counted, a lease taken) and committed before anything is
sent, and its outcome is recorded only under the same claim. So a job that runs twice, or a
sweep racing the job, finds nothing left to send: no double send on a normal retry. A sender
that dies mid-send leaves the claim to expire; the sweep then sends again (a resend after a
crash, never a loss).
"""

from __future__ import annotations

import asyncio
import logging
import random
import uuid
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from domain.audit.model import AuditEntry
from domain.notifications.inbox import Inbox
from domain.notifications.kinds import Channel
from domain.notifications.model import (
    Delivery,
    DeliveryFailed,
    DeliveryStatus,
    Recipient,
    Rendered,
    RetryPolicy,
    check_channel,
)
from domain.notifications.model import EventType as NotificationEvent
from domain.notifications.ports import DeliveryFilter, EmailSender, SmsSender
from domain.notifications.rendering import render_for
from domain.shared.authz import Actor, Scope
from domain.shared.errors import Conflict, NotFound, PermissionDenied, ValidationFailed
from domain.shared.events import DomainEvent
from domain.shared.paging import Page, PageRequest
from domain.shared.ports import Clock, UnitOfWork, UnitOfWorkFactory
from domain.shared.text import Label

log = logging.getLogger("crm.delivery")

ERROR_MAX = 500


@dataclass
class DeliveryService:
    uow: UnitOfWorkFactory
    clock: Clock
    email: EmailSender
    sms: SmsSender
    retry: RetryPolicy = field(default_factory=RetryPolicy)
    # Longer than any send can take (the SMTP timeout and then some): a claim older than this
    # belongs to a sender that died.
    lease_seconds: float = 120.0
    batch: int = 10
    # A unit whose every statement commits on its own: the claim and the record after a
    # consumer's commit are one statement each, and need no BEGIN and COMMIT around them.
    single: UnitOfWorkFactory | None = None

    async def send_for_event(self, _uow: UnitOfWork, event: DomainEvent) -> None:
        """The consumer of a notification's event: sends what it still owes at once."""
        await self.send_due(uuid.UUID(event.payload["notification_id"]))

    def will_send_after_commit(self, uow: UnitOfWork) -> None:
        """Said of a unit of work whose `after_commit` runs: its notifications need no outbox
        event of their own (see Inbox)."""
        if isinstance(uow.notifications, Inbox):
            uow.notifications.sent_after_commit = True

    async def after_commit(self, uow: UnitOfWork) -> None:
        """The fast path: a consumer's notifications are sent as soon as they committed, with
        the messages the consumer's unit rendered (nothing is read again). The outbox event
        stays the safety net (its job then finds nothing left to send)."""
        inbox = uow.notifications
        if not isinstance(inbox, Inbox):
            return
        pending, inbox.with_deliveries = inbox.with_deliveries, []
        prepared, inbox.prepared = inbox.prepared, {}
        for notification_id in pending:
            try:
                await self._send_prepared(notification_id, prepared)
            except Exception:
                log.exception("sending the deliveries of %s failed; the sweep retries",
                              notification_id)

    async def _send_prepared(self, notification_id: uuid.UUID, prepared: dict[
            tuple[uuid.UUID, Channel], tuple[Recipient, Rendered] | None]) -> None:
        now = self.clock.now()
        async with (self.single or self.uow)() as uow:
            batch = await uow.deliveries.claim_due(
                now, now + timedelta(seconds=self.lease_seconds), uuid.uuid4(), self.batch,
                notification_id)
            messages = [prepared[key] if (key := (d.notification_id, d.channel)) in prepared
                        else await self._prepare(uow, d) for d in batch]
            await uow.commit()
        await asyncio.gather(*(self._attempt(d, m) for d, m in zip(batch, messages,
                                                                    strict=True)))

    async def send_due(self, notification_id: uuid.UUID | None = None, *,
                       budget_seconds: float = 10.0) -> int:
        """Sends what is due (of one notification, or all); answers how many attempts ran.

        A batch is sent side by side, so a mail server that hangs costs one timeout per batch,
        not one per message; no new batch starts after `budget_seconds` (the job's timeout
        must not cut a send short: that would only make the lease expire and resend).
        """
        ran = 0
        loop = asyncio.get_running_loop()
        deadline = loop.time() + budget_seconds
        while True:
            claim = uuid.uuid4()
            now = self.clock.now()
            async with self.uow() as uow:
                batch = await uow.deliveries.claim_due(
                    now, now + timedelta(seconds=self.lease_seconds), claim, self.batch,
                    notification_id)
                # What each message says, read in the claiming transaction (one round trip
                # of BEGIN/COMMIT fewer per message); the claim commits before any send.
                prepared = [await self._prepare(uow, d) for d in batch]
                await uow.commit()
            await asyncio.gather(*(self._attempt(d, m) for d, m in zip(batch, prepared,
                                                                        strict=True)))
            ran += len(batch)
            if len(batch) < self.batch or loop.time() >= deadline:
                return ran

    async def _prepare(self, uow: UnitOfWork, delivery: Delivery
                       ) -> tuple[Recipient, Rendered] | None:
        notification = await uow.deliveries.notification(delivery.notification_id)
        recipient = await uow.notification_preferences.recipient(delivery.user_id)
        if notification is None or recipient is None:
            return None
        return recipient, await render_for(uow.templates, notification, recipient,
                                           delivery.channel)

    async def _attempt(self, delivery: Delivery,
                       prepared: tuple[Recipient, Rendered] | None) -> None:
        try:
            if prepared is None:
                raise DeliveryFailed("the notification or its recipient is gone", permanent=True)
            recipient, rendered = prepared
            if not recipient.active:
                raise DeliveryFailed("the recipient's account is disabled", permanent=True)
            message_id = f"{delivery.id}@crm"
            if delivery.channel == Channel.EMAIL:
                await self.email.send(recipient.email, rendered.subject, rendered.body,
                                      message_id=message_id)
            elif delivery.channel == Channel.SMS:
                if not recipient.mobile:
                    raise DeliveryFailed("no mobile number on file", permanent=True)
                await self.sms.send(recipient.mobile, rendered.body, message_id=message_id)
            else:
                raise DeliveryFailed(f"no sender for {delivery.channel}", permanent=True)
        except DeliveryFailed as e:
            self._failed(delivery, e.reason, permanent=e.permanent)
        except Exception as e:  # a sender's bug must not stop the others: record and retry
            log.exception("delivery %s raised", delivery.id)
            self._failed(delivery, f"{type(e).__name__}: {e}", permanent=False)
        else:
            delivery.status = DeliveryStatus.SENT
            delivery.sent_at = self.clock.now()
            delivery.last_error = None
            delivery.next_attempt_at = None
        async with (self.single or self.uow)() as uow:
            if not await uow.deliveries.record(delivery):
                log.warning("delivery %s: its claim expired before the result was recorded",
                            delivery.id)
            await uow.commit()

    def _failed(self, delivery: Delivery, reason: str, *, permanent: bool) -> None:
        delivery.last_error = reason[:ERROR_MAX]
        next_at = None if permanent else self.retry.next_attempt(delivery.attempts,
                                                                 self.clock.now())
        if next_at is None:
            delivery.status = DeliveryStatus.FAILED
            delivery.next_attempt_at = None
            log.warning("delivery %s (%s to user %s) failed for good after %s attempts: %s",
                        delivery.id, delivery.channel, delivery.user_id, delivery.attempts,
                        reason)
        else:
            # A little jitter so a mail server coming back is not hit by every retry at once.
            spread = (next_at - self.clock.now()) * random.uniform(0, 0.1)
            delivery.next_attempt_at = next_at + spread
            log.info("delivery %s attempt %s failed, next at %s: %s", delivery.id,
                     delivery.attempts, delivery.next_attempt_at.isoformat(), reason)

    async def retry_failed(self, actor: Actor, delivery_id: uuid.UUID) -> Delivery:
        """One more attempt for a failed delivery (its owner, or an admin), sent after commit."""
        p = actor.principal
        if p is None:
            raise PermissionDenied()
        async with self.uow() as uow:
            delivery = await uow.deliveries.get(delivery_id, for_update=True)
            if delivery is None or not (delivery.user_id == p.user_id
                                        or p.has(Scope.SETTINGS_WRITE)):
                raise NotFound("delivery", delivery_id)
            if delivery.status != DeliveryStatus.FAILED:
                raise Conflict("notification.only_failed_retried",
                               status=Label("delivery_status", delivery.status.value))
            reopened = await uow.deliveries.reopen(delivery_id)
            await uow.outbox.add(DomainEvent(
                NotificationEvent.DELIVERY_REOPENED, "notification", str(delivery.notification_id),
                {"notification_id": str(delivery.notification_id),
                 "delivery_id": str(delivery_id)}))
            await uow.audit.record(AuditEntry.of(
                actor, "notification_delivery.retried", "notification_delivery", delivery_id,
                {"status": [delivery.status.value, reopened.status.value],
                 "last_error": delivery.last_error}))
            await uow.commit()
            return reopened

    async def list(self, actor: Actor, page: PageRequest, *, user_id: uuid.UUID | None = None,
                   status: str | None = None, channel: str | None = None,
                   everyone: bool = False,
                   updated_since: datetime | None = None) -> Page[Delivery]:
        """Your own deliveries; admins may look at another user's, or everyone's."""
        p = actor.principal
        if p is None:
            raise PermissionDenied()
        admin = p.has(Scope.SETTINGS_WRITE)
        if (user_id is not None and user_id != p.user_id) or everyone or p.user_id is None:
            if not admin:
                raise PermissionDenied("notification.others_deliveries_admin_only",
                                       scope=Scope.SETTINGS_WRITE.value)
        else:
            user_id = p.user_id
        flt = DeliveryFilter(user_id=user_id,
                             status=_status(status) if status else None,
                             channel=check_channel(channel) if channel else None,
                             updated_since=updated_since)
        async with self.uow() as uow:
            return await uow.deliveries.list(flt, page)


def _status(value: str) -> DeliveryStatus:
    try:
        return DeliveryStatus(value)
    except ValueError:
        raise ValidationFailed.of("status", "one_of",
                                  choices=[s.value for s in DeliveryStatus]) from None
