"""The request and response shapes of follow-ups (with a visit's check-in) and tasks."""

from __future__ import annotations

import uuid
from typing import Literal

from pydantic import BaseModel, Field

from api.schemas import NOT_BLANK, DateTime, Input, sent
from domain.customers.activity import (
    FollowUp,
    FollowUpMethod,
    FollowUpStatus,
    GeoCheckIn,
    Task,
    TaskOrigin,
    TaskStatus,
)
from domain.customers.commands import FollowUpChanges, NewFollowUp, NewTask, TaskChanges
from domain.shared.commands import UNSET


class CheckInIn(Input):
    latitude: float = Field(ge=-90, le=90, examples=[31.2304])
    longitude: float = Field(ge=-180, le=180, examples=[121.4737])
    accuracy_m: float | None = Field(None, ge=0, le=100000, examples=[15])


class FollowUpCreate(Input):
    method: FollowUpMethod = Field(examples=["visit"])
    occurred_at: DateTime | None = Field(None, description="Defaults to now")
    summary: str = Field(max_length=5000, pattern=NOT_BLANK,
                         examples=["拜访客户，确认二期采购需求"])
    feedback: str | None = Field(None, max_length=5000)
    next_action: str | None = Field(None, max_length=500, examples=["发送报价单"])
    next_followup_at: DateTime | None = None
    status: FollowUpStatus = FollowUpStatus.DONE
    check_in: CheckInIn | None = Field(None, description="A visit's geo check-in")

    def command(self) -> NewFollowUp:
        ci = self.check_in
        return NewFollowUp(
            method=self.method, summary=self.summary, occurred_at=self.occurred_at,
            feedback=self.feedback, next_action=self.next_action,
            next_followup_at=self.next_followup_at, status=self.status,
            check_in=GeoCheckIn(ci.latitude, ci.longitude, ci.accuracy_m) if ci else None)


class FollowUpCreateFor(FollowUpCreate):
    customer_id: uuid.UUID


class FollowUpUpdate(Input):
    summary: str | None = Field(None, max_length=5000)
    feedback: str | None = Field(None, max_length=5000)
    next_action: str | None = Field(None, max_length=500)
    next_followup_at: DateTime | None = None
    status: FollowUpStatus | None = None

    def command(self) -> FollowUpChanges:
        return FollowUpChanges(
            summary=sent(self, "summary"), feedback=sent(self, "feedback"),
            next_action=sent(self, "next_action"),
            next_followup_at=sent(self, "next_followup_at"), status=sent(self, "status"))


class CheckInOut(BaseModel):
    latitude: float
    longitude: float
    accuracy_m: float | None


class FollowUpOut(BaseModel):
    id: uuid.UUID
    customer_id: uuid.UUID
    owner_id: uuid.UUID
    method: FollowUpMethod
    occurred_at: DateTime
    summary: str
    feedback: str | None
    next_action: str | None
    next_followup_at: DateTime | None
    status: FollowUpStatus
    check_in: CheckInOut | None
    version: int
    created_at: DateTime | None
    updated_at: DateTime | None = Field(None, description="The time a delta sync compares")

    @classmethod
    def of(cls, f: FollowUp) -> FollowUpOut:
        ci = f.check_in
        return cls(id=f.id, customer_id=f.customer_id, owner_id=f.owner_id, method=f.method,
                   occurred_at=f.occurred_at, summary=f.summary, feedback=f.feedback,
                   next_action=f.next_action, next_followup_at=f.next_followup_at,
                   status=f.status, version=f.version, created_at=f.created_at,
                   updated_at=f.updated_at,
                   check_in=CheckInOut(latitude=ci.latitude, longitude=ci.longitude,
                                       accuracy_m=ci.accuracy_m) if ci else None)


class TaskCreate(Input):
    title: str = Field(max_length=200, pattern=NOT_BLANK, examples=["Send the quote to 明远"])
    due_at: DateTime | None = None
    assignee_id: uuid.UUID | None = Field(None, description="Defaults to you")
    related_type: Literal["customer"] | None = None
    related_id: uuid.UUID | None = None
    notes: str | None = Field(None, max_length=5000)

    def command(self) -> NewTask:
        # left out, a related record is a customer; sent as null, it names no kind at all
        related_type = sent(self, "related_type")
        return NewTask(title=self.title, due_at=self.due_at, assignee_id=self.assignee_id,
                       related_type="customer" if related_type is UNSET else related_type,
                       related_id=self.related_id, notes=self.notes)


class TaskUpdate(Input):
    title: str | None = Field(None, max_length=200)
    due_at: DateTime | None = None
    assignee_id: uuid.UUID | None = None
    status: TaskStatus | None = None
    notes: str | None = Field(None, max_length=5000)

    def command(self) -> TaskChanges:
        return TaskChanges(title=sent(self, "title"), due_at=sent(self, "due_at"),
                           assignee_id=sent(self, "assignee_id"), status=sent(self, "status"),
                           notes=sent(self, "notes"))


class TaskOut(BaseModel):
    id: uuid.UUID
    title: str
    due_at: DateTime | None
    assignee_id: uuid.UUID
    created_by: uuid.UUID | None
    related_type: str | None
    related_id: uuid.UUID | None
    status: TaskStatus
    origin: TaskOrigin
    notes: str | None
    completed_at: DateTime | None
    version: int
    created_at: DateTime | None
    updated_at: DateTime | None = Field(None, description="The time a delta sync compares")

    @classmethod
    def of(cls, t: Task) -> TaskOut:
        return cls(id=t.id, title=t.title, due_at=t.due_at, assignee_id=t.assignee_id,
                   created_by=t.created_by, related_type=t.related_type,
                   related_id=t.related_id, status=t.status, origin=t.origin, notes=t.notes,
                   completed_at=t.completed_at, version=t.version, created_at=t.created_at,
                   updated_at=t.updated_at)
