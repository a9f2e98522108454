"""In-memory fakes of the notification channels' ports (repositories and senders)."""

from __future__ import annotations

import dataclasses
import uuid
from datetime import datetime
from types import TracebackType
from typing import Any, Self

from domain.notifications.defaults import default_templates
from domain.notifications.kinds import Channel
from domain.notifications.model import (
    Delivery,
    DeliveryFailed,
    DeliveryStatus,
    Notification,
    NotificationPreferences,
    Recipient,
    Template,
)
from domain.shared.events import DomainEvent


class FakeSender:
    """Records what it sent; `fail_with` makes the next sends raise."""

    def __init__(self) -> None:
        self.sent: list[tuple[str, ...]] = []
        self.fail_with: DeliveryFailed | None = None

    async def send(self, to: str, *parts: str, message_id: str) -> None:
        if self.fail_with is not None:
            raise self.fail_with
        self.sent.append((to, *parts))


class NotifyStore:
    def __init__(self) -> None:
        self.notifications: dict[uuid.UUID, Notification] = {}
        self.deliveries: dict[uuid.UUID, Delivery] = {}
        self.templates: list[Template] = default_templates()
        self.prefs: dict[uuid.UUID, NotificationPreferences] = {}
        self.recipients: dict[uuid.UUID, Recipient] = {}
        self.outbox: list[DomainEvent] = []


class _Deliveries:
    def __init__(self, s: NotifyStore) -> None:
        self.s = s

    async def add_all(self, deliveries: list[Delivery]) -> None:
        for d in deliveries:
            self.s.deliveries[d.id] = dataclasses.replace(d)

    async def claim_due(self, now: datetime, lease_until: datetime, claim: uuid.UUID,
                        limit: int, notification_id: uuid.UUID | None = None) -> list[Delivery]:
        out = []
        for d in self.s.deliveries.values():
            leased = getattr(d, "_lease", None)
            if (d.status == DeliveryStatus.PENDING
                    and (d.attempts == 0 or (d.next_attempt_at or now) <= now)
                    and (leased is None or leased < now)
                    and notification_id in (None, d.notification_id) and len(out) < limit):
                d.attempts += 1
                d.claim = claim
                d._lease = lease_until  # type: ignore[attr-defined]
                out.append(dataclasses.replace(d))
        return out

    async def notification(self, notification_id: uuid.UUID) -> Notification | None:
        return self.s.notifications.get(notification_id)

    async def record(self, delivery: Delivery) -> bool:
        d = self.s.deliveries[delivery.id]
        if d.claim != delivery.claim:
            return False
        for f in ("status", "last_error", "next_attempt_at", "sent_at"):
            setattr(d, f, getattr(delivery, f))
        d.claim, d._lease = None, None  # type: ignore[attr-defined]
        return True


class _Templates:
    def __init__(self, s: NotifyStore) -> None:
        self.s = s

    async def effective(self, kind: str, channel: Channel, locale: str) -> Template | None:
        found = [t for t in self.s.templates
                 if (t.kind, t.channel, t.locale) == (kind, channel, locale)]
        return sorted(found, key=lambda t: t.builtin)[0] if found else None


class _Prefs:
    def __init__(self, s: NotifyStore) -> None:
        self.s = s

    async def get(self, user_id: uuid.UUID, *, for_update: bool = False
                  ) -> NotificationPreferences:
        return self.s.prefs.get(user_id) or NotificationPreferences(user_id=user_id)

    async def recipient(self, user_id: uuid.UUID) -> Recipient | None:
        return self.s.recipients.get(user_id)

    async def for_notifying(self, user_id: uuid.UUID
                            ) -> tuple[NotificationPreferences, Recipient | None]:
        return await self.get(user_id), await self.recipient(user_id)


class _Rows:
    def __init__(self, s: NotifyStore) -> None:
        self.s = s

    async def add(self, n: Notification) -> None:
        self.s.notifications[n.id] = n


class _Outbox:
    def __init__(self, s: NotifyStore) -> None:
        self.s = s

    async def add(self, event: DomainEvent) -> None:
        self.s.outbox.append(event)


class FakeNotifyUow:
    """Writes land at once (enough for the delivery logic, which commits step by step)."""

    def __init__(self, s: NotifyStore) -> None:
        from domain.notifications.inbox import Inbox

        self.deliveries = _Deliveries(s)
        self.templates = _Templates(s)
        self.notification_preferences = _Prefs(s)
        self.outbox = _Outbox(s)
        self.notifications: Any = Inbox(_Rows(s), self.notification_preferences,  # type: ignore[arg-type]
                                        self.deliveries, self.outbox,  # type: ignore[arg-type]
                                        self.templates)  # type: ignore[arg-type]

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                        tb: TracebackType | None) -> None:
        return None

    async def commit(self) -> None:
        return None
