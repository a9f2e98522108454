"""Pipelines and opportunities over HTTP: the list, the board, stage moves and history."""

from __future__ import annotations

import uuid
from typing import Annotated, Literal

from fastapi import APIRouter, Query, Response
from pydantic import Field

from api.bulk import BulkIds, BulkOut
from api.deps import (
    USER_REF,
    CountedPageParams,
    Ctx,
    CurrentActor,
    IfMatch,
    created,
    user_ref,
    versioned,
)
from api.schemas import AUTHED, CountedListOf, Date, DateTime, problems
from api.v1.schemas.pipeline import (
    BoardColumnOut,
    BoardOut,
    OpportunityCreate,
    OpportunityOut,
    OpportunityUpdate,
    PipelineCreate,
    PipelineOut,
    PipelineUpdate,
    StageVisitOut,
)
from domain.pipeline.commands import UpdateOpportunity
from domain.pipeline.model import OpportunityStatus
from domain.pipeline.queries import DEFAULT_SORT, SORTABLE, OpportunityFilter
from domain.shared import bulk
from domain.shared.authz import Scope
from domain.shared.errors import ValidationFailed
from domain.shared.paging import Sort

router = APIRouter(prefix="/opportunities", tags=["opportunities"])
pipelines = APIRouter(prefix="/pipelines", tags=["pipelines"])


@pipelines.get("", response_model=list[PipelineOut],
               summary="Pipelines with their stages (the default one first)",
               responses=problems(*AUTHED))
async def list_pipelines(ctx: Ctx, actor: CurrentActor) -> list[PipelineOut]:
    return [PipelineOut.of(p) for p in await ctx.opportunities.list_pipelines(actor)]


@pipelines.post("", response_model=PipelineOut, status_code=201,
                summary="Define a pipeline (admins)", responses=problems(*AUTHED))
async def create_pipeline(ctx: Ctx, actor: CurrentActor, body: PipelineCreate,
                          response: Response) -> PipelineOut:
    p = await ctx.opportunities.create_pipeline(actor, body.command())
    return created(response, p, PipelineOut.of, "/api/v1/pipelines")


@pipelines.get("/{pipeline_id}", response_model=PipelineOut, summary="Get a pipeline",
               responses=problems(*AUTHED, 404))
async def get_pipeline(ctx: Ctx, actor: CurrentActor, pipeline_id: uuid.UUID,
                       response: Response) -> PipelineOut:
    p = await ctx.opportunities.get_pipeline(actor, pipeline_id)
    return versioned(response, p, PipelineOut.of)


@pipelines.patch("/{pipeline_id}", response_model=PipelineOut,
                 summary="Rename, re-stage, make default or archive a pipeline (admins)",
                 responses=problems(*AUTHED, 404, 412),
                 description="`stages` replaces the stages: send an existing stage's id to "
                 "keep it; a stage that still holds opportunities cannot be removed.")
async def update_pipeline(ctx: Ctx, actor: CurrentActor, pipeline_id: uuid.UUID,
                          body: PipelineUpdate, expected: IfMatch,
                          response: Response) -> PipelineOut:
    p = await ctx.opportunities.update_pipeline(actor, pipeline_id, body.command(), expected)
    return versioned(response, p, PipelineOut.of)


@router.get(
    "", response_model=CountedListOf[OpportunityOut] | BoardOut,
    summary="List opportunities, or the kanban board of a pipeline (view=board)",
    responses=problems(*AUTHED, 404),
    description="`view=board` answers per stage of the pipeline (default: the default one) "
    "the count, the amount per currency and its weighted sum (× the stage's probability), and "
    "the first `cards` cards; a column's `next_cursor` continues with `view=list&stage_id=…`. "
    "Filters apply to both views. Sort by updated_at (default, newest first), created_at, "
    "amount, expected_close_date or stage_entered_at.",
)
async def list_opportunities(
    ctx: Ctx, actor: CurrentActor, page: CountedPageParams,
    view: Literal["list", "board"] = "list",
    cards: Annotated[int, Query(ge=1, le=50, description="Cards per column (board)")] = 20,
    pipeline_id: uuid.UUID | None = None, stage_id: uuid.UUID | None = None,
    status: OpportunityStatus | None = None,
    owner: Annotated[str | None, Query(pattern=USER_REF, description="A user id, or 'me'")] = None,
    department_id: uuid.UUID | None = None, customer_id: uuid.UUID | None = None,
    close_from: Date | None = None, close_to: Date | None = None,
    updated_since: DateTime | None = None,
    sort: Annotated[str | None, Query(examples=["-amount"])] = None,
) -> CountedListOf[OpportunityOut] | BoardOut:
    flt = OpportunityFilter(
        pipeline_id=pipeline_id, stage_id=stage_id, status=status.value if status else None,
        owner_id=user_ref(owner, actor, "owner"), department_id=department_id,
        customer_id=customer_id, close_from=close_from, close_to=close_to,
        updated_since=updated_since, sort=Sort.parse(sort, SORTABLE, default=DEFAULT_SORT))
    if view == "board":
        board = await ctx.opportunities.board(actor, flt, cards)
        stages = {s.id: s for s in board.pipeline.stages}
        return BoardOut(pipeline=PipelineOut.of(board.pipeline),
                        columns=[BoardColumnOut.of(stages[c.stage_id], c)
                                 for c in board.columns])
    return CountedListOf[OpportunityOut].page(await ctx.opportunities.list(actor, flt, page),
                                       OpportunityOut.of)


@router.post("", response_model=OpportunityOut, status_code=201,
             summary="Open an opportunity for a customer", responses=problems(*AUTHED, 404))
async def create_opportunity(ctx: Ctx, actor: CurrentActor, body: OpportunityCreate,
                             response: Response) -> OpportunityOut:
    o = await ctx.opportunities.create(actor, body.command())
    return created(response, o, OpportunityOut.of, "/api/v1/opportunities")


@router.get("/{opportunity_id}", response_model=OpportunityOut, summary="Get an opportunity",
            responses=problems(*AUTHED, 404))
async def get_opportunity(ctx: Ctx, actor: CurrentActor, opportunity_id: uuid.UUID,
                          response: Response) -> OpportunityOut:
    o, _ = await ctx.opportunities.get(actor, opportunity_id)
    return versioned(response, o, OpportunityOut.of)


class OpportunityBulkUpdate(BulkIds):
    stage_id: uuid.UUID | None = Field(None, description="Move every deal picked to this stage")
    lost_reason: str | None = Field(None, min_length=1, max_length=500,
                                    description="With a move to the lost stage")
    owner_id: uuid.UUID | None = Field(None, description="Hand every deal picked to this owner")

    def command(self) -> UpdateOpportunity:
        if self.stage_id is None and self.owner_id is None:
            raise ValidationFailed.of("stage_id", "name a stage to move to, an owner, or both")
        return UpdateOpportunity(stage_id=self.stage_id, lost_reason=self.lost_reason,
                                 owner_id=self.owner_id)


@router.post("/bulk-update", response_model=BulkOut,
             summary="Move or reassign the opportunities picked on the list",
             responses=problems(*AUTHED),
             description="Each deal changes as by `PATCH /opportunities/{id}` with the same "
             "`stage_id`/`owner_id`: the same stage requirements, permissions, audit entry "
             "and events. The answer says how each fared (a deal missing what the stage needs "
             "answers 422 with the field) while the others are done.")
async def bulk_update_opportunities(ctx: Ctx, actor: CurrentActor,
                                    body: OpportunityBulkUpdate) -> BulkOut:
    command = body.command()
    return BulkOut.of(await bulk.each(
        actor, Scope.OPPORTUNITIES_WRITE, body.ids,
        lambda i: ctx.opportunities.update(actor, i, command, None)))


@router.patch(
    "/{opportunity_id}", response_model=OpportunityOut,
    summary="Edit an opportunity, move its stage, or reassign it",
    responses=problems(*AUTHED, 404, 409, 412),
    description="Field edits apply first, then the stage move: one request can add the amount "
    "and quote reference and enter Proposal/quote. A move checks the target stage's "
    "requirements (and those of stages it skips) and answers 422 naming what is missing; "
    "losing needs `lost_reason`.",
)
async def update_opportunity(ctx: Ctx, actor: CurrentActor, opportunity_id: uuid.UUID,
                             body: OpportunityUpdate, expected: IfMatch,
                             response: Response) -> OpportunityOut:
    o, _ = await ctx.opportunities.update(actor, opportunity_id, body.command(), expected)
    return versioned(response, o, OpportunityOut.of)


@router.get("/{opportunity_id}/history", response_model=list[StageVisitOut],
            summary="Stage history: entered, left, by whom, time in stage",
            responses=problems(*AUTHED, 404))
async def opportunity_history(ctx: Ctx, actor: CurrentActor,
                              opportunity_id: uuid.UUID) -> list[StageVisitOut]:
    visits = await ctx.opportunities.history(actor, opportunity_id)
    now = ctx.opportunities.clock.now()
    return [StageVisitOut.of(v, now) for v in visits]
