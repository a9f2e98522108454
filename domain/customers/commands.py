"""What the customer use cases are asked to do: a new customer, changes to one, a follow-up, a
task. A change command's UNSET fields were not sent and are left alone."""

from __future__ import annotations

import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from domain.customers.activity import FollowUpMethod, FollowUpStatus, GeoCheckIn, TaskStatus
from domain.customers.model import Contact, ContactDraft
from domain.customers.values import CustomerKind, Grade, Size, Source
from domain.shared.commands import UNSET, Unset

__all__ = ["ContactDraft", "CustomerChanges", "FollowUpChanges", "NewCustomer", "NewFollowUp",
           "NewTask", "TaskChanges"]


@dataclass(frozen=True)
class NewCustomer:
    """`owner_id` defaults to the caller; contacts already checked (a lead's) are kept."""

    name: str
    kind: CustomerKind
    industry: str | None = None
    region: str | None = None
    size: Size | None = None
    source: Source | None = None
    grade: Grade | None = None
    annual_purchase: Decimal | None = None
    currency: str = "CNY"
    owner_id: uuid.UUID | None = None
    first_contact_date: date | None = None
    next_followup_at: datetime | None = None
    next_followup_plan: str | None = None
    key_needs: str | None = None
    tags: Sequence[str] = ()
    custom: Mapping[str, Any] = field(default_factory=dict)
    id_card_number: str | None = None
    contacts: Sequence[ContactDraft | Contact] = ()


@dataclass(frozen=True)
class CustomerChanges:
    """A partial edit. `owner_id` reassigns the customer; `contacts` replaces the list;
    name, kind and currency cannot be emptied."""

    name: str | Unset | None = UNSET
    kind: CustomerKind | Unset | None = UNSET
    industry: str | Unset | None = UNSET
    region: str | Unset | None = UNSET
    size: Size | Unset | None = UNSET
    source: Source | Unset | None = UNSET
    grade: Grade | Unset | None = UNSET
    annual_purchase: Decimal | Unset | None = UNSET
    currency: str | Unset | None = UNSET
    owner_id: uuid.UUID | Unset | None = UNSET
    first_contact_date: date | Unset | None = UNSET
    next_followup_at: datetime | Unset | None = UNSET
    next_followup_plan: str | Unset | None = UNSET
    key_needs: str | Unset | None = UNSET
    tags: Sequence[str] | Unset | None = UNSET
    custom: Mapping[str, Any] | Unset | None = UNSET
    id_card_number: str | Unset | None = UNSET
    contacts: Sequence[ContactDraft] | Unset | None = UNSET


@dataclass(frozen=True)
class NewFollowUp:
    """`occurred_at` defaults to now; a done follow-up moves the customer's follow-up dates."""

    method: FollowUpMethod
    summary: str
    occurred_at: datetime | None = None
    feedback: str | None = None
    next_action: str | None = None
    next_followup_at: datetime | None = None
    status: FollowUpStatus = FollowUpStatus.DONE
    check_in: GeoCheckIn | None = None


@dataclass(frozen=True)
class FollowUpChanges:
    summary: str | Unset | None = UNSET
    feedback: str | Unset | None = UNSET
    next_action: str | Unset | None = UNSET
    next_followup_at: datetime | Unset | None = UNSET
    status: FollowUpStatus | Unset | None = UNSET


@dataclass(frozen=True)
class NewTask:
    """`assignee_id` defaults to the caller; a task may concern one customer."""

    title: str
    due_at: datetime | None = None
    assignee_id: uuid.UUID | None = None
    related_type: str | None = "customer"
    related_id: uuid.UUID | None = None
    notes: str | None = None


@dataclass(frozen=True)
class TaskChanges:
    """A partial edit; a status completes, cancels or reopens the task."""

    title: str | Unset | None = UNSET
    due_at: datetime | Unset | None = UNSET
    assignee_id: uuid.UUID | Unset | None = UNSET
    status: TaskStatus | Unset | None = UNSET
    notes: str | Unset | None = UNSET
