"""Follow-ups (跟进记录), tasks and the customer's timeline entries."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import Any

from domain.customers.model import EventType
from domain.customers.values import aware
from domain.shared.authz import Actor
from domain.shared.errors import InvalidTransition, ValidationFailed
from domain.shared.events import DomainEvent
from domain.shared.text import Text


class FollowUpMethod(StrEnum):
    PHONE = "phone"
    EMAIL = "email"
    VISIT = "visit"
    ONLINE_MEETING = "online_meeting"


class FollowUpStatus(StrEnum):
    DONE = "done"
    PLANNED = "planned"
    CANCELLED = "cancelled"


def _text(value: str | None, field_name: str, limit: int, required: bool = False) -> str | None:
    value = (value or "").strip() or None
    if required and value is None:
        raise ValidationFailed.of(field_name, "is required")
    if value is not None and len(value) > limit:
        raise ValidationFailed.of(field_name, f"must be at most {limit} characters")
    return value


@dataclass(frozen=True)
class GeoCheckIn:
    latitude: float
    longitude: float
    accuracy_m: float | None = None

    def __post_init__(self) -> None:
        if not -90 <= self.latitude <= 90:
            raise ValidationFailed.of("check_in.latitude", "must be between -90 and 90")
        if not -180 <= self.longitude <= 180:
            raise ValidationFailed.of("check_in.longitude", "must be between -180 and 180")
        if self.accuracy_m is not None and not 0 <= self.accuracy_m <= 100_000:
            raise ValidationFailed.of("check_in.accuracy_m", "must be between 0 and 100000")


@dataclass
class FollowUp:
    id: uuid.UUID
    customer_id: uuid.UUID
    owner_id: uuid.UUID
    method: FollowUpMethod
    occurred_at: datetime
    summary: str
    feedback: str | None = None
    next_action: str | None = None
    next_followup_at: datetime | None = None
    status: FollowUpStatus = FollowUpStatus.DONE
    check_in: GeoCheckIn | None = None
    version: int = 1
    created_at: datetime | None = None
    updated_at: datetime | None = None
    events: list[DomainEvent] = field(default_factory=list, repr=False, compare=False)

    @classmethod
    def create(cls, *, customer_id: uuid.UUID, owner_id: uuid.UUID, method: FollowUpMethod,
               occurred_at: datetime, summary: str, feedback: str | None = None,
               next_action: str | None = None, next_followup_at: datetime | None = None,
               status: FollowUpStatus = FollowUpStatus.DONE,
               check_in: GeoCheckIn | None = None) -> FollowUp:
        aware(occurred_at, "occurred_at")
        if check_in is not None and method != FollowUpMethod.VISIT:
            raise ValidationFailed.of("check_in", "only a visit carries a check-in")
        _check_next(occurred_at, next_followup_at)
        f = cls(id=uuid.uuid4(), customer_id=customer_id, owner_id=owner_id, method=method,
                occurred_at=occurred_at, summary=_text(summary, "summary", 5000, True) or "",
                feedback=_text(feedback, "feedback", 5000),
                next_action=_text(next_action, "next_action", 500),
                next_followup_at=next_followup_at, status=status, check_in=check_in)
        f.events.append(DomainEvent(EventType.FOLLOWUP_CREATED, "customer", str(customer_id), {
            "followup_id": str(f.id), "customer_id": str(customer_id),
            "owner_id": str(owner_id), "method": method.value}))
        return f

    def update(self, changes: dict[str, Any]) -> None:
        for name, limit in (("summary", 5000), ("feedback", 5000), ("next_action", 500)):
            if name in changes:
                setattr(self, name, _text(changes[name], name, limit, name == "summary"))
        if "status" in changes:
            self.status = FollowUpStatus(changes["status"])
        if "next_followup_at" in changes:
            self.next_followup_at = _check_next(self.occurred_at, changes["next_followup_at"])
        self.version += 1


def _check_next(occurred_at: datetime, next_at: datetime | None) -> datetime | None:
    aware(next_at, "next_followup_at")
    if next_at is not None and next_at < occurred_at:
        raise ValidationFailed.of("next_followup_at", "must not be before the follow-up")
    return next_at


class TaskStatus(StrEnum):
    OPEN = "open"
    DONE = "done"
    CANCELLED = "cancelled"


class TaskOrigin(StrEnum):
    MANUAL = "manual"
    RULE = "rule"


@dataclass
class Task:
    id: uuid.UUID
    title: str
    assignee_id: uuid.UUID
    created_by: uuid.UUID | None
    due_at: datetime | None = None
    related_type: str | None = None
    related_id: uuid.UUID | None = None
    status: TaskStatus = TaskStatus.OPEN
    origin: TaskOrigin = TaskOrigin.MANUAL
    notes: str | None = None
    completed_at: datetime | None = None
    version: int = 1
    created_at: datetime | None = None
    updated_at: datetime | None = None
    events: list[DomainEvent] = field(default_factory=list, repr=False, compare=False)

    @classmethod
    def create(cls, *, title: str, assignee_id: uuid.UUID, created_by: uuid.UUID | None,
               due_at: datetime | None = None, related_type: str | None = None,
               related_id: uuid.UUID | None = None, origin: TaskOrigin = TaskOrigin.MANUAL,
               notes: str | None = None) -> Task:
        if (related_type is None) != (related_id is None):
            raise ValidationFailed.of("related_id", "goes together with related_type")
        task = cls(id=uuid.uuid4(), title=_text(title, "title", 200, True) or "",
                   assignee_id=assignee_id, created_by=created_by,
                   due_at=aware(due_at, "due_at"),
                   related_type=related_type, related_id=related_id, origin=origin,
                   notes=_text(notes, "notes", 5000))
        task.events.append(DomainEvent(EventType.TASK_CREATED, "task", str(task.id), {
            "task_id": str(task.id), "assignee_id": str(assignee_id), "title": task.title}))
        return task

    def update(self, changes: dict[str, Any], now: datetime) -> None:
        if "title" in changes:
            self.title = _text(changes["title"], "title", 200, True) or ""
        if "notes" in changes:
            self.notes = _text(changes["notes"], "notes", 5000)
        if "due_at" in changes:
            self.due_at = aware(changes["due_at"], "due_at")
        if "assignee_id" in changes and changes["assignee_id"] is not None:
            self.assignee_id = changes["assignee_id"]
        if "status" in changes and changes["status"] is not None:
            self.move(TaskStatus(changes["status"]), now)
        self.version += 1

    def move(self, to: TaskStatus, now: datetime) -> None:
        if to == self.status:
            return
        if self.status != TaskStatus.OPEN and to != TaskStatus.OPEN:
            raise InvalidTransition(f"A {self.status.value} task can only be reopened")
        self.status = to
        self.completed_at = now if to == TaskStatus.DONE else None


@dataclass(frozen=True)
class ActivityEntry:
    """One line of a customer's timeline."""

    customer_id: uuid.UUID
    kind: str  # followup, task, owner_changed, stage_changed, created, deleted, restored
    # A text code with parameters, rendered in the reader's language; lines written before
    # codes existed are plain (English) words.
    summary: str | Text
    actor_id: uuid.UUID | None
    actor_label: str
    ref_type: str | None = None
    ref_id: uuid.UUID | None = None
    data: dict[str, Any] = field(default_factory=dict)
    at: datetime | None = None
    id: int | None = None

    @classmethod
    def by(cls, actor: Actor, customer_id: uuid.UUID, kind: str, summary: str | Text,
           ref_type: str | None = None, ref_id: uuid.UUID | None = None,
           data: dict[str, Any] | None = None) -> ActivityEntry:
        """A line the caller's action writes; the summary is cut to what the timeline keeps."""
        p = actor.principal
        if isinstance(summary, str):
            summary = summary[:500]
        return cls(customer_id=customer_id, kind=kind, summary=summary,
                   actor_id=p.id if p else None, actor_label=actor.shown_name,
                   ref_type=ref_type, ref_id=ref_id, data=data if data is not None else {})
