"""/notifications: the caller's in-app inbox."""

from __future__ import annotations

import uuid

from fastapi import APIRouter, Response

from api.deps import Ctx, CurrentActor, PageParams
from api.schemas import AUTHED, DateTime, ListOf, problems
from api.v1.schemas.identity import NotificationOut, UnreadCount
from api.v1.schemas.notify import MarkedRead

router = APIRouter(prefix="/notifications", tags=["notifications"])


@router.get("", response_model=ListOf[NotificationOut], summary="My in-app notifications",
            responses=problems(*AUTHED),
            description="Newest first. `updated_since` returns those created or changed (read) "
            "after that time, oldest change first: a phone's delta sync of its inbox.")
async def list_notifications(ctx: Ctx, actor: CurrentActor, page: PageParams,
                             unread_only: bool = False, updated_since: DateTime | None = None
                             ) -> ListOf[NotificationOut]:
    result = await ctx.notifications.inbox(actor, page, unread_only, updated_since)
    return ListOf[NotificationOut].page(result, NotificationOut.of)


@router.get("/unread-count", response_model=UnreadCount, summary="How many are unread",
            responses=problems(*AUTHED))
async def unread_count(ctx: Ctx, actor: CurrentActor) -> UnreadCount:
    return UnreadCount(unread=await ctx.notifications.unread_count(actor))


@router.post("/read-all", response_model=MarkedRead, summary="Mark all of mine as read",
             responses=problems(*AUTHED))
async def mark_all_read(ctx: Ctx, actor: CurrentActor) -> MarkedRead:
    return MarkedRead(marked=await ctx.notifications.mark_all_read(actor))


@router.post("/{notification_id}/read", status_code=204, summary="Mark one as read",
             responses=problems(*AUTHED, 404))
async def mark_read(ctx: Ctx, actor: CurrentActor, notification_id: uuid.UUID) -> Response:
    await ctx.notifications.mark_read(actor, notification_id)
    return Response(status_code=204)
