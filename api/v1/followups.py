"""Follow-up routes: the follow-ups of every customer the caller sees, recorded and edited."""

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
from api.v1.schemas.activity import FollowUpCreateFor, FollowUpOut, FollowUpUpdate
from domain.customers.ports import FollowUpFilter

router = APIRouter(prefix="/followups", tags=["followups"])


@router.get("", response_model=CountedListOf[FollowUpOut],
            summary="List follow-ups, newest first", responses=problems(*AUTHED, 404),
            description="`since`/`until` bound when they happened. `updated_since` returns "
            "those changed after that time, oldest change first (a phone's delta sync); "
            "follow-ups are never deleted: those of a customer moved to the recycle bin leave "
            "with the customer's tombstone in the customers' sync.")
async def list_followups(
    ctx: Ctx, actor: CurrentActor, page: CountedPageParams,
    customer_id: uuid.UUID | None = None,
    owner: Annotated[str | None, Query(pattern=USER_REF, description="A user id, or 'me'")] = None,
    since: DateTime | None = None, until: DateTime | None = None,
    updated_since: DateTime | None = None,
) -> CountedListOf[FollowUpOut]:
    flt = FollowUpFilter(customer_id=customer_id, owner_id=user_ref(owner, actor, "owner"),
                         since=since, until=until, updated_since=updated_since)
    result = await ctx.customers.followups.list(actor, flt, page)
    return CountedListOf[FollowUpOut].page(result, FollowUpOut.of)


@router.post("", response_model=FollowUpOut, status_code=201, summary="Record a follow-up",
             responses=problems(*AUTHED, 404))
async def create_followup(ctx: Ctx, actor: CurrentActor, body: FollowUpCreateFor) -> FollowUpOut:
    return FollowUpOut.of(await ctx.customers.followups.add(actor, body.customer_id,
                                                            body.command()))


@router.get("/{followup_id}", response_model=FollowUpOut, summary="Get a follow-up",
            responses=problems(*AUTHED, 404))
async def get_followup(ctx: Ctx, actor: CurrentActor, followup_id: uuid.UUID,
                       response: Response) -> FollowUpOut:
    f = await ctx.customers.followups.get(actor, followup_id)
    return versioned(response, f, FollowUpOut.of)


@router.patch("/{followup_id}", response_model=FollowUpOut, summary="Edit a follow-up",
              responses=problems(*AUTHED, 404, 412))
async def update_followup(ctx: Ctx, actor: CurrentActor, followup_id: uuid.UUID,
                          body: FollowUpUpdate, expected: IfMatch,
                          response: Response) -> FollowUpOut:
    f = await ctx.customers.followups.update(actor, followup_id, body.command(), expected)
    return versioned(response, f, FollowUpOut.of)
