"""Tasks on PostgreSQL (a call back, a quote to send, a renewal to prepare)."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.engine import Row

from adapters.db import tables
from adapters.db.base import SqlRepository, columns_of, loaded
from adapters.db.keyset import fetch_page
from domain.customers.activity import Task, TaskOrigin, TaskStatus
from domain.customers.ports import TaskFilter
from domain.shared.paging import Page, PageRequest


def _task(row: Row) -> Task:
    m = {k: v for k, v in row._mapping.items() if k in tables.tasks.c}
    m["status"], m["origin"] = TaskStatus(m["status"]), TaskOrigin(m["origin"])
    return loaded(Task(**m))


def _task_row(task: Task) -> dict[str, Any]:
    values = columns_of(task, tables.tasks)
    values.pop("created_at", None), values.pop("updated_at", None)
    values.update(status=task.status.value, origin=task.origin.value)
    return values


class SqlTasks(SqlRepository):
    """A new task is held until the commit (see HeldWrites); every read flushes first."""

    async def get(self, task_id: uuid.UUID) -> Task | None:
        await self.held.flush(self.conn)
        return await self._one(tables.tasks, _task, tables.tasks.c.id == task_id)

    async def add(self, task: Task) -> None:
        await self.held.add(self.conn, tables.tasks, [_task_row(task)])
        loaded(task)
        self.seen.append(task)

    async def save(self, task: Task) -> None:
        await self.held.flush(self.conn)
        await self._save_versioned(tables.tasks, task, "task")

    async def list(self, flt: TaskFilter, page: PageRequest) -> Page[Task]:
        await self.held.flush(self.conn)
        tasks, users = tables.tasks, tables.users
        stmt = select(tasks)
        if flt.assignees is not None:
            stmt = stmt.where(tasks.c.assignee_id.in_(list(flt.assignees)))
        if flt.assignee_departments is not None:
            stmt = stmt.where(tasks.c.assignee_id.in_(select(users.c.id).where(
                users.c.department_id.in_(list(flt.assignee_departments)))))
        if flt.status is not None:
            stmt = stmt.where(tasks.c.status == flt.status)
        if flt.due_before is not None:
            stmt = stmt.where(tasks.c.due_at < flt.due_before)
        if flt.related_id is not None:
            stmt = stmt.where(tasks.c.related_id == flt.related_id)
        if flt.updated_since is not None:
            stmt = stmt.where(tasks.c.updated_at > flt.updated_since)
            return await fetch_page(self.conn, stmt, [tasks.c.updated_at, tasks.c.id], page, _task)
        due = func.coalesce(tasks.c.due_at, datetime(9999, 1, 1, tzinfo=UTC)).label("due_key")
        return await fetch_page(self.conn, stmt.add_columns(due), [due, tasks.c.id], page, _task)
