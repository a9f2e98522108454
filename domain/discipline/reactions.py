"""What follows a follow-up lapse: the owner is reminded, then the manager is told
(adapters/jobs/reactions.py lists when)."""

from __future__ import annotations

import uuid
from typing import Any

from domain.notifications.model import Notification
from domain.shared.events import DomainEvent
from domain.shared.ports import UnitOfWork


async def remind_owner(uow: UnitOfWork, event: DomainEvent) -> None:
    p = event.payload
    await _tell(uow, event, "followup_overdue", f"No follow-up for {p['idle_days']} days",
                f"{_record(p)} has not been followed up since {p['since'][:10]}; a reminder "
                "task is on your list.")


async def tell_manager(uow: UnitOfWork, event: DomainEvent) -> None:
    p = event.payload
    await _tell(uow, event, "followup_escalated",
                f"Your team's {p['record_type']} is idle for {p['idle_days']} days",
                f"{_record(p)} has had no follow-up since {p['since'][:10]} "
                f"(limit {p['limit_days']} days).")


async def _tell(uow: UnitOfWork, event: DomainEvent, kind: str, title: str, body: str) -> None:
    """The lapse's recipient hears about it, with the lapse's facts for the templates."""
    p = event.payload
    await uow.notifications.add(Notification.for_event(
        uuid.UUID(p["recipient_id"]), kind, title, body, event.id, data=_lapse_data(p)))


def _record(p: dict[str, Any]) -> str:
    return f"{p['record_type'].title()} {p['label']}"


def _lapse_data(p: dict[str, Any]) -> dict[str, Any]:
    return {"record_type": p["record_type"], "record_id": p["record_id"], "label": p["label"],
            "idle_days": p["idle_days"], "since": p["since"][:10], "limit_days": p["limit_days"],
            "task_id": p.get("task_id")}
