"""Repositories of the notification channels (the unit of work exposes them)."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

from domain.notifications.kinds import Channel
from domain.notifications.model import (
    Delivery,
    DeliveryStatus,
    Notification,
    NotificationPreferences,
    Recipient,
    Template,
)
from domain.shared.paging import Page, PageRequest


@dataclass(frozen=True)
class TemplateFilter:
    kind: str | None = None
    channel: Channel | None = None
    locale: str | None = None
    builtin: bool | None = None
    updated_since: datetime | None = None


@dataclass(frozen=True)
class DeliveryFilter:
    user_id: uuid.UUID | None = None  # None: everyone's (admins)
    status: DeliveryStatus | None = None
    channel: Channel | None = None
    notification_id: uuid.UUID | None = None
    updated_since: datetime | None = None


class TemplateRepository(Protocol):
    async def list(self, flt: TemplateFilter, page: PageRequest) -> Page[Template]: ...
    async def get(self, template_id: uuid.UUID, *, for_update: bool = False
                  ) -> Template | None: ...
    async def effective(self, kind: str, channel: Channel, locale: str) -> Template | None:
        """The custom template for the triple if there is one, else the shipped one."""
        ...
    async def add(self, template: Template) -> None: ...
    async def update(self, template: Template) -> None: ...
    async def delete(self, template_id: uuid.UUID) -> None: ...


class PreferenceRepository(Protocol):
    async def get(self, user_id: uuid.UUID, *, for_update: bool = False
                  ) -> NotificationPreferences:
        """The saved preferences, or the defaults (version 0) when the user never chose."""
        ...
    async def save(self, prefs: NotificationPreferences) -> NotificationPreferences: ...
    async def recipient(self, user_id: uuid.UUID) -> Recipient | None: ...
    async def for_notifying(self, user_id: uuid.UUID
                            ) -> tuple[NotificationPreferences, Recipient | None]:
        """`get` and `recipient` in one lookup (every notification needs both)."""
        ...


class DeliveryRepository(Protocol):
    async def add_all(self, deliveries: Sequence[Delivery]) -> None: ...
    async def claim_due(self, now: datetime, lease_until: datetime, claim: uuid.UUID,
                        limit: int, notification_id: uuid.UUID | None = None
                        ) -> list[Delivery]:
        """Takes pending deliveries that are due and not held by a live lease, counting an
        attempt on each; concurrent claimers never get the same one."""
        ...
    async def notification(self, notification_id: uuid.UUID) -> Notification | None: ...
    async def record(self, delivery: Delivery) -> bool:
        """Stores the outcome of an attempt, only while `delivery.claim` still holds it."""
        ...
    async def list(self, flt: DeliveryFilter, page: PageRequest) -> Page[Delivery]: ...
    async def get(self, delivery_id: uuid.UUID, *, for_update: bool = False
                  ) -> Delivery | None: ...
    async def reopen(self, delivery_id: uuid.UUID) -> Delivery:
        """A failed delivery back to pending, due now (one more attempt)."""
        ...


class NotificationRepository(Protocol):
    async def add(self, notification: Notification) -> None: ...
    async def list_for_user(self, user_id: uuid.UUID, page: PageRequest,
                            unread_only: bool = False, updated_since: datetime | None = None
                            ) -> Page[Notification]:
        """Newest first; with updated_since, those changed since (created or read), oldest
        change first."""
        ...
    async def unread_count(self, user_id: uuid.UUID) -> int: ...
    async def mark_read(self, user_id: uuid.UUID, notification_id: uuid.UUID,
                        now: datetime) -> bool: ...
    async def mark_all_read(self, user_id: uuid.UUID, now: datetime) -> int:
        """Every unread notification of the user read; answers how many were unread."""
        ...
    async def resolve_step(self, kinds: Sequence[str], contract_id: uuid.UUID, step: int,
                           now: datetime) -> int:
        """Every user's unread notices of these kinds about one approval step of a contract
        marked read; answers how many."""
        ...


class EmailSender(Protocol):
    """Hands one message to the mail system; raises DeliveryFailed (domain.notifications.model)."""

    async def send(self, to: str, subject: str, body: str, *, message_id: str) -> None: ...


class SmsSender(Protocol):
    """Sends one text message; raises DeliveryFailed (domain.notifications.model)."""

    async def send(self, to: str, text: str, *, message_id: str) -> None: ...


class NotificationFeed(Protocol):
    """New notifications as they commit, per user (the SSE stream reads it)."""

    async def subscribe(self, user_id: uuid.UUID) -> FeedSubscription: ...
    async def since(self, user_id: uuid.UUID, notification_id: uuid.UUID,
                    limit: int) -> list[Notification]:
        """The user's notifications newer than the given one, oldest first (a reconnecting
        stream's Last-Event-ID); empty when that one is unknown."""
        ...
    async def close(self) -> None: ...


class FeedSubscription(Protocol):
    async def next(self, wait_seconds: float) -> Notification | None:
        """The next notification, or None after `wait_seconds` of quiet. Raises
        FeedClosed when the feed shuts down."""
        ...
    def close(self) -> None: ...


class FeedClosed(Exception):
    pass

