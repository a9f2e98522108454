"""Task routes: the to-do list, tasks given, completed and reopened."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Query, Response

from api.deps import (
    USER_REF,
    CountedPageParams,
    Ctx,
    CurrentActor,
    IfMatch,
    user_ref,
    versioned,
)
from api.schemas import AUTHED, CountedListOf, DateTime, problems
from api.v1.schemas.activity import TaskCreate, TaskOut, TaskUpdate
from domain.customers.activity import TaskStatus

router = APIRouter(prefix="/tasks", tags=["tasks"])


@router.get("", response_model=CountedListOf[TaskOut], summary="List tasks (the to-do list)",
            responses=problems(*AUTHED),
            description="`assignee=me&status=open&due_before=…` is a rep's to-do list; "
            "ordered by due time, undated last. `updated_since` returns the tasks changed "
            "after that time, oldest change first (a phone's delta sync; tasks are never "
            "deleted, so there are no tombstones).")
async def list_tasks(
    ctx: Ctx, actor: CurrentActor, page: CountedPageParams,
    assignee: Annotated[str | None, Query(pattern=USER_REF, description="A user id, or 'me'")
                        ] = None,
    status: TaskStatus | None = None, due_before: DateTime | None = None,
    related_id: uuid.UUID | None = None,
    updated_since: DateTime | None = None,
) -> CountedListOf[TaskOut]:
    result = await ctx.customers.tasks.list(
        actor, assignee=user_ref(assignee, actor, "assignee"), status=status,
        due_before=due_before, related_id=related_id, page=page, updated_since=updated_since)
    return CountedListOf[TaskOut].page(result, TaskOut.of)


@router.post("", response_model=TaskOut, status_code=201, summary="Create a task",
             responses=problems(*AUTHED, 404))
async def create_task(ctx: Ctx, actor: CurrentActor, body: TaskCreate) -> TaskOut:
    return TaskOut.of(await ctx.customers.tasks.create(actor, body.command()))


@router.get("/{task_id}", response_model=TaskOut, summary="Get a task",
            responses=problems(*AUTHED, 404))
async def get_task(ctx: Ctx, actor: CurrentActor, task_id: uuid.UUID,
                   response: Response) -> TaskOut:
    return versioned(response, await ctx.customers.tasks.get(actor, task_id), TaskOut.of)


@router.patch("/{task_id}", response_model=TaskOut, summary="Update a task (complete, reopen)",
              responses=problems(*AUTHED, 404, 409, 412))
async def update_task(ctx: Ctx, actor: CurrentActor, task_id: uuid.UUID, body: TaskUpdate,
                      expected: IfMatch, response: Response) -> TaskOut:
    task = await ctx.customers.tasks.update(actor, task_id, body.command(), expected)
    return versioned(response, task, TaskOut.of)
