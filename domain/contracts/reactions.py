"""What follows a contract's events: who is told what, in the inbox and beyond
(adapters/jobs/reactions.py lists when).

Each notice's words come from its kind's template, filled from its data when someone reads it
(domain/notifications/rendering.py), so the data carries what the templates need in codes: the
amount with its currency, the step as its approver's role. The English title and body written
here are only what a reader sees when no template fits (an admin's custom one lacks a value)."""

from __future__ import annotations

import uuid
from typing import Any

from domain.contracts.model import StepStatus, step_name
from domain.contracts.use_case import EVERYTHING
from domain.identity.ports import UserFilter
from domain.notifications.model import Notification
from domain.shared.authz import Role
from domain.shared.catalogue import label
from domain.shared.events import DomainEvent
from domain.shared.paging import PageRequest
from domain.shared.ports import UnitOfWork


async def _data(uow: UnitOfWork, p: dict[str, Any], **extra: Any) -> dict[str, Any]:
    owner = await uow.users.get(uuid.UUID(p["owner_id"]))
    return {"contract_id": p["contract_id"], "contract_number": p["number"],
            "contract_title": p["title"], "amount": p["amount"], "currency": p["currency"],
            "customer_name": p.get("customer_name") or "",
            "owner_name": owner.name if owner else "", **extra}


async def _tell(uow: UnitOfWork, event: DomainEvent, user_id: str | uuid.UUID, kind: str,
                title: str, body: str, data: dict[str, Any]) -> None:
    await uow.notifications.add(Notification.for_event(
        uuid.UUID(str(user_id)), kind, title, body, event.id, data=data))


async def _tell_owner(uow: UnitOfWork, event: DomainEvent, kind: str, title: str, body: str,
                      **extra: Any) -> None:
    """The contract's owner hears what became of it."""
    p = event.payload
    await _tell(uow, event, p["owner_id"], kind, title, body, await _data(uow, p, **extra))


def _label(p: dict[str, Any]) -> str:
    return f"{p['number']} {p['title']} ({p['amount']} {p['currency']})"


def _step_name(role: str) -> str:
    """The step in the English fallback words."""
    name = step_name(role)
    return label(name.kind, name.value, "en")


async def _decided_since(uow: UnitOfWork, p: dict[str, Any], step: int) -> bool:
    """The step was decided (or its round ended) after the event: an approver can act from
    the inbox before a late notice arrives (the queue was down), and a notice asking for a
    decision already taken would stay unread for ever."""
    c = await uow.contracts.get(uuid.UUID(p["contract_id"]), EVERYTHING)
    if c is None:
        return False
    current = next((s for s in c.round_steps() if s.step == step), None)
    return c.round != p["round"] or current is None or current.status != StepStatus.PENDING


async def ask_next_approver(uow: UnitOfWork, event: DomainEvent) -> None:
    p = event.payload
    if await _decided_since(uow, p, p["next_step"]):
        return
    await _tell(uow, event, p["next_assignee_id"], "approval_requested",
                f"Contract {p['number']} waits for your approval",
                f"{_label(p)} for {p.get('customer_name') or 'a customer'}: "
                f"step {p['next_step']} ({_step_name(p['next_role'])}) is yours to approve or "
                "reject.",
                await _data(uow, p, step=p["next_step"], step_name=p["next_role"]))


async def tell_owner_approved(uow: UnitOfWork, event: DomainEvent) -> None:
    p = event.payload
    await _tell_owner(uow, event, "contract_approved", f"Contract {p['number']} is approved",
                      f"{_label(p)} passed every approval step; it can be signed now.")


async def tell_owner_rejected(uow: UnitOfWork, event: DomainEvent) -> None:
    p = event.payload
    await _tell_owner(uow, event, "contract_rejected", f"Contract {p['number']} was rejected",
                      f"{_label(p)} was rejected at step {p['step']} "
                      f"({_step_name(p['role'])}): {p['comment']}. Edit it and submit it again.",
                      step=p["step"], step_name=p["role"], comment=p["comment"])


async def tell_legal_signed(uow: UnitOfWork, event: DomainEvent) -> None:
    p = event.payload
    legal = await uow.users.list(UserFilter(role=Role.LEGAL, is_active=True),
                                 PageRequest(limit=200))
    data = await _data(uow, p)
    for user in legal.items:
        await _tell(uow, event, user.id, "contract_signed",
                    f"Contract {p['number']} was signed",
                    f"{_label(p)} with {p.get('customer_name') or 'a customer'} is signed; "
                    "file it and check the signed copy.", data)


async def remind_approver(uow: UnitOfWork, event: DomainEvent) -> None:
    p = event.payload
    await _tell_waiting(uow, event, p["assignee_id"], "approval_reminder",
                        f"Reminder: contract {p['number']} still waits for you", ".")


async def escalate_approval(uow: UnitOfWork, event: DomainEvent) -> None:
    p = event.payload
    if not p.get("escalated_to"):
        return  # nobody above the approver: the escalation is on the report only
    await _tell_waiting(uow, event, p["escalated_to"], "approval_escalated",
                        f"Escalated: contract {p['number']} is stuck at "
                        f"{_step_name(p['role'])}",
                        "; you may approve or reject it in their place.")


async def _tell_waiting(uow: UnitOfWork, event: DomainEvent, user_id: str, kind: str,
                        title: str, ending: str) -> None:
    """A step that has waited too long: its approver is reminded, then the one above told."""
    p = event.payload
    if await _decided_since(uow, p, p["step"]):
        return
    await _tell(uow, event, user_id, kind, title,
                f"{_label(p)} has waited {p['waiting_hours']} working hours at step "
                f"{p['step']} ({_step_name(p['role'])}){ending}",
                await _data(uow, p, step=p["step"], step_name=p["role"],
                            waiting_hours=p["waiting_hours"]))


async def tell_owner_renewal(uow: UnitOfWork, event: DomainEvent) -> None:
    p = event.payload
    await _tell_owner(uow, event, "contract_renewal_due",
                      f"Contract {p['number']} ends on {p['end_date']}",
                      f"{_label(p)} ends soon: a repurchase reminder task is on your list.",
                      end_date=p["end_date"])


async def tell_owner_expired(uow: UnitOfWork, event: DomainEvent) -> None:
    p = event.payload
    await _tell_owner(uow, event, "contract_expired", f"Contract {p['number']} expired",
                      f"{_label(p)} ended on {p['end_date']}.", end_date=p["end_date"])

