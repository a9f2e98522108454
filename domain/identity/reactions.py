"""What follows an identity event: a new user is welcomed (adapters/jobs/reactions.py lists
when)."""

from __future__ import annotations

import uuid

from domain.notifications.model import Notification
from domain.shared.events import DomainEvent
from domain.shared.ports import UnitOfWork


async def welcome_new_user(uow: UnitOfWork, event: DomainEvent) -> None:
    user_id = uuid.UUID(event.payload["user_id"])
    await uow.notifications.add(Notification.for_event(
        user_id, "welcome", "Welcome to the CRM",
        f"Your account {event.payload['email']} is ready. Set up your profile and start selling.",
        event.id, data={"user_id": str(user_id), "email": event.payload["email"],
                        "name": event.payload.get("name") or event.payload["email"]},
    ))
