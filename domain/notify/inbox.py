"""The one way to notify: `uow.notifications.add(...)` stores the in-app row and, in the same
transaction, a delivery per extra channel the recipient chose for that kind, plus one outbox
event that gets them sent after commit. Consumers do not know channels exist."""

from __future__ import annotations

import uuid
from datetime import datetime

from domain.events import DomainEvent
from domain.notifications import Notification
from domain.notify.catalogue import Channel
from domain.notify.model import NOTIFICATION_CREATED, Delivery
from domain.notify.ports import DeliveryRepository, PreferenceRepository
from domain.pagination import Page, PageRequest
from domain.ports import NotificationRepository, Outbox


class Inbox:
    def __init__(self, rows: NotificationRepository, preferences: PreferenceRepository,
                 deliveries: DeliveryRepository, outbox: Outbox) -> None:
        self._rows = rows
        self._preferences = preferences
        self._deliveries = deliveries
        self._outbox = outbox

    async def add(self, notification: Notification) -> None:
        await self._rows.add(notification)
        prefs = await self._preferences.get(notification.user_id)
        channels = sorted(c for c in prefs.channels_for(notification.kind) if c != Channel.IN_APP)
        if not channels:
            return
        await self._deliveries.add_all([
            Delivery.new(notification.id, notification.user_id, notification.kind, c)
            for c in channels])
        await self._outbox.add(DomainEvent(
            NOTIFICATION_CREATED, "notification", str(notification.id),
            {"notification_id": str(notification.id), "user_id": str(notification.user_id),
             "kind": notification.kind, "channels": [c.value for c in channels]}))

    async def list_for_user(self, user_id: uuid.UUID, page: PageRequest,
                            unread_only: bool = False) -> Page[Notification]:
        return await self._rows.list_for_user(user_id, page, unread_only)

    async def unread_count(self, user_id: uuid.UUID) -> int:
        return await self._rows.unread_count(user_id)

    async def mark_read(self, user_id: uuid.UUID, notification_id: uuid.UUID,
                        now: datetime) -> bool:
        return await self._rows.mark_read(user_id, notification_id, now)
