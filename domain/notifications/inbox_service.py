"""The in-app inbox use cases."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime

from domain.audit.model import AuditEntry
from domain.notifications.model import Notification
from domain.shared.authz import Actor, acting_user
from domain.shared.errors import NotFound
from domain.shared.paging import Page, PageRequest
from domain.shared.ports import Clock, UnitOfWorkFactory


def _user_id(actor: Actor) -> uuid.UUID:
    return acting_user(actor, "Only users have an inbox")


@dataclass
class NotificationService:
    uow: UnitOfWorkFactory
    clock: Clock

    async def inbox(self, actor: Actor, page: PageRequest, unread_only: bool = False,
                    updated_since: datetime | None = None) -> Page[Notification]:
        async with self.uow() as uow:
            return await uow.notifications.list_for_user(_user_id(actor), page, unread_only,
                                                         updated_since)

    async def unread_count(self, actor: Actor) -> int:
        async with self.uow() as uow:
            return await uow.notifications.unread_count(_user_id(actor))

    async def mark_read(self, actor: Actor, notification_id: uuid.UUID) -> None:
        async with self.uow() as uow:
            if not await uow.notifications.mark_read(_user_id(actor), notification_id,
                                                     self.clock.now()):
                raise NotFound("notification", notification_id)
            await uow.audit.record(AuditEntry.of(actor, "notification.read", "notification",
                                                 notification_id))
            await uow.commit()
