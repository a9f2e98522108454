"""What follows a lead's events: its new owner is told (adapters/jobs/reactions.py lists
when)."""

from __future__ import annotations

import uuid

from domain.leads.routing import AssignedBy
from domain.notifications.model import Notification
from domain.shared.events import DomainEvent
from domain.shared.ports import UnitOfWork


async def tell_lead_owner(uow: UnitOfWork, event: DomainEvent) -> None:
    p = event.payload
    if p["by"] == AssignedBy.CREATOR.value:
        return  # they typed it in themselves
    if p.get("customer_id"):
        kind, title = "lead_existing_customer", "Your customer sent a new inquiry"
        body = f"Lead {p['label']} matches your customer; it is yours to follow up."
    else:
        kind, title = "lead_assigned", f"New {p['grade']} lead assigned to you"
        body = f"Lead {p['label']}: {p['reason']}. Make first contact within a day."
    # The reason as its code too, so the template writes it in each reader's language
    # (domain/notifications/rendering.py); `reason` keeps the words of the moment.
    data = {"lead_id": p["lead_id"], "label": p["label"], "grade": p["grade"],
            "reason": p["reason"], "reason_text": p.get("reason_text"),
            "customer_id": p.get("customer_id")}
    await uow.notifications.add(Notification.for_event(
        uuid.UUID(p["owner_id"]), kind, title, body, event.id,
        data={k: v for k, v in data.items() if v is not None}))
