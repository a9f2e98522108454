"""The one way to notify: `uow.notifications.add(...)` stores the in-app row and, in the same
transaction, a delivery per extra channel the recipient chose for that kind, plus one outbox
event that gets them sent after commit. Consumers do not know channels exist.

An outbox consumer's unit of work sends its deliveries itself right after its commit
(`DeliveryService.after_commit`); there the event would only queue a second job that finds
nothing to send, so it is left out, and the delivery sweep (every few seconds, any delivery
never attempted) stands in for a worker that died between the commit and the send. Such a unit
also renders each delivery's message while it has the recipient at hand, so the send after
commit reads nothing again."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import datetime

from domain.notifications.kinds import Channel
from domain.notifications.model import Delivery, Notification, Recipient, Rendered
from domain.notifications.model import EventType as NotificationEvent
from domain.notifications.ports import (
    DeliveryRepository,
    NotificationRepository,
    PreferenceRepository,
    TemplateRepository,
)
from domain.notifications.rendering import render_for, render_message
from domain.shared.events import DomainEvent
from domain.shared.paging import Page, PageRequest
from domain.shared.ports import Outbox


class Inbox:
    def __init__(self, rows: NotificationRepository, preferences: PreferenceRepository,
                 deliveries: DeliveryRepository, outbox: Outbox,
                 templates: TemplateRepository) -> None:
        self._rows = rows
        self._preferences = preferences
        self._templates = templates
        self._deliveries = deliveries
        self._outbox = outbox
        # Notifications of this unit of work that have deliveries to send once it commits.
        self.with_deliveries: list[uuid.UUID] = []
        # Set when whoever commits this unit of work sends `with_deliveries` right after; then
        # `prepared` holds each delivery's message: (notification id, channel) → who, what.
        self.sent_after_commit = False
        self.prepared: dict[tuple[uuid.UUID, Channel], tuple[Recipient, Rendered] | None] = {}

    async def add(self, notification: Notification) -> None:
        prefs, recipient = await self._preferences.for_notifying(notification.user_id)
        await self._localise(notification, prefs.locale, recipient)
        await self._rows.add(notification)
        channels = sorted(c for c in prefs.channels_for(notification.kind) if c != Channel.IN_APP)
        if not channels:
            return
        self.with_deliveries.append(notification.id)
        await self._deliveries.add_all([
            Delivery.new(notification.id, notification.user_id, notification.kind, c)
            for c in channels])
        if self.sent_after_commit:
            for c in channels:
                self.prepared[(notification.id, c)] = None if recipient is None else (
                    recipient, await render_for(self._templates, notification, recipient, c))
            return
        await self._outbox.add(DomainEvent(
            NotificationEvent.CREATED, "notification", str(notification.id),
            {"notification_id": str(notification.id), "user_id": str(notification.user_id),
             "kind": notification.kind, "channels": [c.value for c in channels]}))

    async def _localise(self, notification: Notification, locale: str,
                        recipient: Recipient | None) -> None:
        """The in-app title and body from the in_app template in the recipient's language;
        as the consumer wrote them when no template fits its data."""
        variables = {**notification.data,
                     "recipient_name": recipient.name if recipient else ""}
        rendered = await render_message(self._templates, notification.kind, Channel.IN_APP,
                                        locale, variables)
        if rendered is not None:
            notification.title, notification.body = rendered.subject, rendered.body

    async def list_for_user(self, user_id: uuid.UUID, page: PageRequest,
                            unread_only: bool = False, updated_since: datetime | None = None
                            ) -> Page[Notification]:
        return await self._rows.list_for_user(user_id, page, unread_only, updated_since)

    async def unread_count(self, user_id: uuid.UUID) -> int:
        return await self._rows.unread_count(user_id)

    async def mark_read(self, user_id: uuid.UUID, notification_id: uuid.UUID,
                        now: datetime) -> bool:
        return await self._rows.mark_read(user_id, notification_id, now)

    async def mark_all_read(self, user_id: uuid.UUID, now: datetime) -> int:
        return await self._rows.mark_all_read(user_id, now)

    async def resolve_step(self, kinds: Sequence[str], contract_id: uuid.UUID, step: int,
                           now: datetime) -> int:
        return await self._rows.resolve_step(kinds, contract_id, step, now)
