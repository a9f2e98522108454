"""Task use cases: the to-do list. A rep sees the tasks it gave or was given, a manager those of
its department subtree, admins and executives all."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import datetime

from domain.audit.model import AuditEntry, field_diff
from domain.customers.access import CustomerAccess
from domain.customers.activity import Task, TaskStatus
from domain.customers.commands import NewTask, TaskChanges
from domain.customers.ports import TaskFilter
from domain.shared.authz import Actor, Principal, Role, Scope, require
from domain.shared.commands import given
from domain.shared.errors import NotFound, ValidationFailed, check_version
from domain.shared.paging import Page, PageRequest, Total
from domain.shared.ports import UnitOfWork
from domain.shared.text import Label, text


@dataclass
class TaskService:
    access: CustomerAccess

    async def _scope(self, uow: UnitOfWork, p: Principal) -> TaskFilter:
        if p.kind != "user" or p.role in (Role.ADMIN, Role.EXECUTIVE):
            return TaskFilter()
        if p.role == Role.MANAGER and p.department_id is not None:
            return TaskFilter(assignee_departments=await uow.departments.subtree(p.department_id))
        return TaskFilter(assignees=[p.id])

    async def _visible(self, uow: UnitOfWork, p: Principal, task: Task) -> bool:
        scope = await self._scope(uow, p)
        if task.created_by == p.id or task.assignee_id == p.id:
            return True
        if scope.assignees is None and scope.assignee_departments is None:
            return True
        if scope.assignee_departments is not None:
            assignee = await uow.users.get(task.assignee_id)
            return assignee is not None and assignee.department_id in scope.assignee_departments
        return False

    async def _load(self, uow: UnitOfWork, p: Principal, task_id: uuid.UUID) -> Task:
        task = await uow.tasks.get(task_id)
        if task is None or not await self._visible(uow, p, task):
            raise NotFound("task", task_id)
        return task

    async def create(self, actor: Actor, command: NewTask) -> Task:
        """Given to someone as a customer would be (the same rule); about a customer the caller
        sees, when it names one."""
        p = require(actor, Scope.CUSTOMERS_WRITE)
        access = self.access
        async with access.uow() as uow:
            assignee = command.assignee_id or p.user_id
            if assignee is None:
                raise ValidationFailed.of("assignee_id", "customer.owner_required_for_integration")
            await access.check_owner(uow, p, assignee)
            related_id = command.related_id
            if related_id is not None:
                if command.related_type != "customer":
                    raise ValidationFailed.of("related_type", "customer.related_customers_only")
                await access.load(uow, await access.visibility(uow, p), related_id)
            task = Task.create(title=command.title, assignee_id=assignee, created_by=p.id,
                               due_at=command.due_at,
                               related_type="customer" if related_id else None,
                               related_id=related_id, notes=command.notes)
            await uow.tasks.add(task)
            if related_id is not None:
                await access.note(uow, actor, related_id, "task",
                                  text("customer.line.task", title=task.title), "task",
                                  task.id, status=task.status.value)
            await uow.audit.record(AuditEntry.of(actor, "task.created", "task", task.id,
                                                 {"title": [None, task.title]}))
            await uow.commit()
            return task

    async def get(self, actor: Actor, task_id: uuid.UUID) -> Task:
        p = require(actor, Scope.CUSTOMERS_READ)
        async with self.access.uow() as uow:
            return await self._load(uow, p, task_id)

    async def list(self, actor: Actor, *, assignee: uuid.UUID | None,
                   status: TaskStatus | None, due_before: datetime | None,
                   related_id: uuid.UUID | None, page: PageRequest,
                   updated_since: datetime | None = None) -> Page[Task]:
        """Ordered by due time, undated last (by change time, oldest first, for a delta
        sync); an assignee out of the caller's sight has none."""
        p = require(actor, Scope.CUSTOMERS_READ)
        async with self.access.uow() as uow:
            flt = await self._scope(uow, p)
            if assignee is not None:
                allowed: Sequence[uuid.UUID] | None = flt.assignees
                if allowed is not None and assignee not in allowed:
                    return Page([], None, Total(0) if page.with_total else None)
                flt = replace(flt, assignees=[assignee])
            flt = replace(flt, status=status.value if status else None, due_before=due_before,
                          related_id=related_id, updated_since=updated_since)
            return await uow.tasks.list(flt, page)

    async def update(self, actor: Actor, task_id: uuid.UUID, command: TaskChanges,
                     expected_version: int | None) -> Task:
        """A change of status is written on the related customer's timeline."""
        p = require(actor, Scope.CUSTOMERS_WRITE)
        changes = given(command)
        access = self.access
        async with access.uow() as uow:
            task = await self._load(uow, p, task_id)
            check_version("task", task.version, expected_version)
            if command.assignee_id and command.assignee_id != task.assignee_id:
                await access.check_owner(uow, p, command.assignee_id)
            before = {k: getattr(task, k) for k in changes}
            was = task.status
            task.update(changes, access.clock.now())
            await uow.tasks.save(task)
            if task.related_id is not None and task.status != was:
                await access.note(uow, actor, task.related_id, "task",
                                  text("customer.line.task_status",
                                       status=Label("task_status", task.status.value),
                                       title=task.title), "task", task.id,
                                  status=task.status.value)
            await uow.audit.record(AuditEntry.of(
                actor, "task.updated", "task", task.id,
                field_diff(before, {k: getattr(task, k) for k in changes})))
            await uow.commit()
            return task
