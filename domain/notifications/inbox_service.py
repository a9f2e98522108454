"""The in-app inbox use cases."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime

from domain.audit.model import AuditEntry
from domain.notifications.model import Notification
from domain.notifications.rendering import worded_for_reader
from domain.shared.authz import Actor, acting_user
from domain.shared.errors import NotFound
from domain.shared.paging import Page, PageRequest
from domain.shared.ports import Clock, UnitOfWork, UnitOfWorkFactory
from domain.shared.text import current_locale


def _user_id(actor: Actor) -> uuid.UUID:
    return acting_user(actor, "notification.users_only")


async def _in_reader_words(uow: UnitOfWork, actor: Actor,
                           notifications: list[Notification]) -> None:
    if not notifications:
        return
    reader = await uow.notification_preferences.recipient(_user_id(actor))
    await worded_for_reader(uow.templates, notifications, current_locale(),
                            reader.name if reader else "")


@dataclass
class NotificationService:
    uow: UnitOfWorkFactory
    clock: Clock

    async def inbox(self, actor: Actor, page: PageRequest, unread_only: bool = False,
                    updated_since: datetime | None = None) -> Page[Notification]:
        async with self.uow() as uow:
            found = await uow.notifications.list_for_user(_user_id(actor), page, unread_only,
                                                          updated_since)
            await _in_reader_words(uow, actor, found.items)
            return found

    async def in_reader_words(self, actor: Actor, notifications: list[Notification]) -> None:
        """Notifications read elsewhere (the live stream) in the reader's current language."""
        if notifications:
            async with self.uow() as uow:
                await _in_reader_words(uow, actor, notifications)

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

    async def mark_all_read(self, actor: Actor) -> int:
        """Every unread notification of the caller read at once; answers how many."""
        user_id = _user_id(actor)
        async with self.uow() as uow:
            marked = await uow.notifications.mark_all_read(user_id, self.clock.now())
            if marked:
                await uow.audit.record(AuditEntry.of(actor, "notification.read_all", "user",
                                                     user_id, {"marked": [None, marked]}))
            await uow.commit()
            return marked
