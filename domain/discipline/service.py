"""The scheduled scan for open leads and opportunities nobody has followed up on."""

from __future__ import annotations

import time
import uuid
from dataclasses import dataclass, field

from domain.audit.model import AuditEntry
from domain.customers.activity import Task, TaskOrigin
from domain.discipline.model import FollowUpLapse, LapseLevel, StaleRecord
from domain.shared.authz import system_actor
from domain.shared.catalogue import render
from domain.shared.ownership import manager_above
from domain.shared.ports import Clock, UnitOfWork, UnitOfWorkFactory
from domain.shared.text import text

REMINDER_NOTE = "followup_reminder"
SCAN = system_actor("follow-up scan")


@dataclass
class ScanResult:
    reminded: int = 0
    escalated: int = 0
    records: list[tuple[str, uuid.UUID, str]] = field(default_factory=list)


@dataclass
class FollowUpDiscipline:
    """N days without a follow-up: a reminder task and a notification for the owner; 2N days:
    the owner's manager is told. Each lapse is raised once per level, however often this runs
    (the lapse's row and the reminder commit together)."""

    uow: UnitOfWorkFactory
    clock: Clock
    batch: int = 200
    # Keeps one run well inside the job timeout; what is left waits for the next run.
    time_budget_seconds: float = 10.0

    async def scan(self) -> ScanResult:
        result = ScanResult()
        started = time.monotonic()
        while time.monotonic() - started < self.time_budget_seconds:
            if not await self._one_batch(result):
                break
        return result

    async def _one_batch(self, result: ScanResult) -> int:
        now = self.clock.now()
        raised = 0
        async with self.uow() as uow:
            routing = await uow.sales_settings.routing()
            for level in (LapseLevel.OWNER, LapseLevel.MANAGER):
                stale = await uow.lapses.stale_leads(now, routing.stale_days, level, self.batch)
                stale += await uow.lapses.stale_opportunities(now, level, self.batch)
                for record in stale:
                    if await self._raise(uow, record, level, routing.queue_user_id):
                        raised += 1
                        if level == LapseLevel.OWNER:
                            result.reminded += 1
                        else:
                            result.escalated += 1
                        result.records.append((record.record_type, record.record_id,
                                               level.value))
            await uow.commit()
        return raised

    async def _raise(self, uow: UnitOfWork, record: StaleRecord, level: LapseLevel,
                     queue_user_id: uuid.UUID | None) -> bool:
        now = self.clock.now()
        if level == LapseLevel.OWNER:
            # A task's title is the owner's to edit, so it is written once, in their language.
            owner_language = (await uow.notification_preferences.get(record.owner_id)).locale
            title = render(text("discipline.reminder_title", label=record.label,
                                days=record.days), owner_language)
            task = Task.create(
                title=title[:200],
                assignee_id=record.owner_id, created_by=None, due_at=now,
                related_type=record.record_type, related_id=record.record_id,
                origin=TaskOrigin.RULE, notes=REMINDER_NOTE)
            lapse = FollowUpLapse.raise_for(record, level, record.owner_id, now, task.id)
            if not await uow.lapses.record(lapse):
                return False
            await uow.tasks.add(task)
            await self._audit(uow, record, level, record.owner_id, task.id)
            return True
        recipient = await manager_above(uow, record.owner_department_id, exclude=record.owner_id)
        recipient = recipient or queue_user_id or await uow.reps.any_admin()
        if recipient is None:
            return False
        if not await uow.lapses.record(FollowUpLapse.raise_for(record, level, recipient, now)):
            return False
        await self._audit(uow, record, level, recipient, None)
        return True

    @staticmethod
    async def _audit(uow: UnitOfWork, record: StaleRecord, level: LapseLevel,
                     recipient: uuid.UUID, task_id: uuid.UUID | None) -> None:
        await uow.audit.record(AuditEntry.of(
            SCAN, "followup.reminded" if level == LapseLevel.OWNER else "followup.escalated",
            record.record_type, record.record_id, {
                "recipient_id": [None, str(recipient)], "since": [None, record.since.isoformat()],
                "task_id": [None, str(task_id) if task_id else None]}))
