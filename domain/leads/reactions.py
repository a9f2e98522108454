"""Outbox consumers of the sales events: in-app notifications for owners and managers."""

from __future__ import annotations

import uuid
from typing import Any

from domain.discipline.model import EventType as LapseEvent
from domain.leads.model import EventType as LeadEvent
from domain.leads.routing import AssignedBy
from domain.notifications.notification import Notification
from domain.pipeline.model import EventType as OpportunityEvent
from domain.shared.dispatch import Handler
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
    data = {"lead_id": p["lead_id"], "label": p["label"], "grade": p["grade"],
            "reason": p["reason"], "customer_id": p.get("customer_id")}
    await uow.notifications.add(Notification.for_event(
        uuid.UUID(p["owner_id"]), kind, title, body, event.id,
        data={k: v for k, v in data.items() if v is not None}))


async def tell_opportunity_owner(uow: UnitOfWork, event: DomainEvent) -> None:
    p = event.payload
    await uow.notifications.add(Notification.for_event(
        uuid.UUID(p["to_owner_id"]), "opportunity_assigned", "An opportunity was assigned to you",
        f"{p['name']} ({p['number']}) is now yours.", event.id,
        data={"opportunity_id": p["opportunity_id"], "name": p["name"], "number": p["number"]}))


async def remind_owner(uow: UnitOfWork, event: DomainEvent) -> None:
    p = event.payload
    await uow.notifications.add(Notification.for_event(
        uuid.UUID(p["recipient_id"]), "followup_overdue",
        f"No follow-up for {p['idle_days']} days",
        f"{p['record_type'].title()} {p['label']} has not been followed up since "
        f"{p['since'][:10]}; a reminder task is on your list.", event.id, data=_lapse_data(p)))


async def tell_manager(uow: UnitOfWork, event: DomainEvent) -> None:
    p = event.payload
    await uow.notifications.add(Notification.for_event(
        uuid.UUID(p["recipient_id"]), "followup_escalated",
        f"Your team's {p['record_type']} is idle for {p['idle_days']} days",
        f"{p['record_type'].title()} {p['label']} has had no follow-up since {p['since'][:10]} "
        f"(limit {p['limit_days']} days).", event.id, data=_lapse_data(p)))


def _lapse_data(p: dict[str, Any]) -> dict[str, Any]:
    return {"record_type": p["record_type"], "record_id": p["record_id"], "label": p["label"],
            "idle_days": p["idle_days"], "since": p["since"][:10], "limit_days": p["limit_days"],
            "task_id": p.get("task_id")}


SALES_HANDLERS: dict[str, list[tuple[str, Handler]]] = {
    LeadEvent.ASSIGNED: [("notify.lead_assigned", tell_lead_owner)],
    OpportunityEvent.REASSIGNED: [("notify.opportunity_assigned", tell_opportunity_owner)],
    LapseEvent.LAPSED: [("notify.followup_overdue", remind_owner)],
    LapseEvent.ESCALATED: [("notify.followup_escalated", tell_manager)],
}
