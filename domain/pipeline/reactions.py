"""What follows an opportunity's events: its new owner is told (adapters/jobs/reactions.py
lists when)."""

from __future__ import annotations

import uuid

from domain.notifications.model import Notification
from domain.shared.events import DomainEvent
from domain.shared.ports import UnitOfWork


async def tell_opportunity_owner(uow: UnitOfWork, event: DomainEvent) -> None:
    p = event.payload
    await uow.notifications.add(Notification.for_event(
        uuid.UUID(p["to_owner_id"]), "opportunity_assigned", "An opportunity was assigned to you",
        f"{p['name']} ({p['number']}) is now yours.", event.id,
        data={"opportunity_id": p["opportunity_id"], "name": p["name"], "number": p["number"]}))
