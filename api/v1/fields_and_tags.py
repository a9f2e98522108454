"""Routes of custom fields, the tag catalogue and bulk tagging, and saved segments."""

from __future__ import annotations

import uuid

from fastapi import APIRouter, Response

from api.deps import Ctx, CurrentActor, IfMatch, PageParams, versioned
from api.schemas import AUTHED, ListOf, problems
from api.v1.schemas.customers import CustomerOut
from api.v1.schemas.fields_and_tags import (
    CustomFieldCreate,
    CustomFieldOut,
    CustomFieldUpdate,
    Retag,
    Retagged,
    SegmentCount,
    SegmentCreate,
    SegmentOut,
    SegmentUpdate,
    TagCreate,
    TagOut,
    TagUpdate,
)
from domain.customers.queries import filter_from_dict
from domain.exports.sources import ExportObject

custom_fields = APIRouter(prefix="/custom-fields", tags=["custom-fields"])
tags = APIRouter(prefix="/tags", tags=["tags"])
segments = APIRouter(prefix="/segments", tags=["segments"])


@custom_fields.get("", response_model=list[CustomFieldOut], summary="Custom field definitions",
                   responses=problems(*AUTHED))
async def list_custom_fields(ctx: Ctx, actor: CurrentActor) -> list[CustomFieldOut]:
    return [CustomFieldOut.of(f) for f in await ctx.catalog.custom_fields(actor)]


@custom_fields.post("", response_model=CustomFieldOut, status_code=201,
                    summary="Define a custom field (admins)", responses=problems(*AUTHED, 409))
async def create_custom_field(ctx: Ctx, actor: CurrentActor, body: CustomFieldCreate
                              ) -> CustomFieldOut:
    return CustomFieldOut.of(await ctx.catalog.define_field(
        actor, key=body.key, label=body.label, type=body.type, options=body.options,
        required=body.required, entity=body.entity))


@custom_fields.patch("/{field_id}", response_model=CustomFieldOut,
                     summary="Change a custom field (admins)",
                     responses=problems(*AUTHED, 404, 412))
async def update_custom_field(ctx: Ctx, actor: CurrentActor, field_id: uuid.UUID,
                              body: CustomFieldUpdate, expected: IfMatch,
                              response: Response) -> CustomFieldOut:
    f = await ctx.catalog.change_field(actor, field_id, body.command(), expected)
    return versioned(response, f, CustomFieldOut.of)


@tags.get("", response_model=list[TagOut], summary="The tag catalogue",
          responses=problems(*AUTHED))
async def list_tags(ctx: Ctx, actor: CurrentActor) -> list[TagOut]:
    return [TagOut.of(t) for t in await ctx.catalog.tags(actor)]


@tags.post("", response_model=TagOut, status_code=201, summary="Create a tag",
           responses=problems(*AUTHED, 409))
async def create_tag(ctx: Ctx, actor: CurrentActor, body: TagCreate) -> TagOut:
    return TagOut.of(await ctx.catalog.create_tag(actor, body.name, body.category, body.colour))


# `:uuid`: a sibling fixed path (apply, directory, event-types) is never read as an id,
# so another method on it is a 405, not a 422 about the id
@tags.patch("/{tag_id:uuid}", response_model=TagOut,
            summary="Rename, recategorise or recolour a tag (admins; renames every customer's)",
            responses=problems(*AUTHED, 404))
async def update_tag(ctx: Ctx, actor: CurrentActor, tag_id: uuid.UUID, body: TagUpdate
                     ) -> TagOut:
    return TagOut.of(await ctx.catalog.change_tag(actor, tag_id, body.command()))


@tags.delete("/{tag_id:uuid}", status_code=204,
             summary="Delete a tag and take it off every customer (admins)",
             responses=problems(*AUTHED, 404))
async def delete_tag(ctx: Ctx, actor: CurrentActor, tag_id: uuid.UUID) -> Response:
    await ctx.catalog.delete_tag(actor, tag_id)
    return Response(status_code=204)


@tags.post("/apply", response_model=Retagged,
           summary="Bulk tag / untag every customer a filter finds (that you may edit)",
           responses=problems(*AUTHED))
async def apply_tags(ctx: Ctx, actor: CurrentActor, body: Retag) -> Retagged:
    changed = await ctx.catalog.retag(actor, filter_from_dict(body.filter), body.add,
                                      body.remove)
    return Retagged(customers=changed)


@segments.get("", response_model=ListOf[SegmentOut],
              summary="My saved views and segments, and those shared with my departments",
              responses=problems(*AUTHED),
              description="A segment is a saved view of a list: of customers (with members, a "
              "count and exports) or of leads, opportunities or contracts (filters, sort and "
              "columns to open that list with). `object` keeps the views of one list.")
async def list_segments(ctx: Ctx, actor: CurrentActor, page: PageParams,
                        object: ExportObject | None = None) -> ListOf[SegmentOut]:
    result = await ctx.catalog.list_segments(actor, page, object.value if object else None)
    return ListOf[SegmentOut].page(result, SegmentOut.of)


@segments.post("", response_model=SegmentOut, status_code=201, summary="Save a segment",
               responses=problems(*AUTHED))
async def create_segment(ctx: Ctx, actor: CurrentActor, body: SegmentCreate) -> SegmentOut:
    return SegmentOut.of(await ctx.catalog.create_segment(actor, body.command()))


@segments.get("/{segment_id}", response_model=SegmentOut, summary="Get a segment",
              responses=problems(*AUTHED, 404))
async def get_segment(ctx: Ctx, actor: CurrentActor, segment_id: uuid.UUID,
                      response: Response) -> SegmentOut:
    return versioned(response, await ctx.catalog.get_segment(actor, segment_id), SegmentOut.of)


@segments.patch("/{segment_id}", response_model=SegmentOut, summary="Change a segment",
                responses=problems(*AUTHED, 404, 412))
async def update_segment(ctx: Ctx, actor: CurrentActor, segment_id: uuid.UUID,
                         body: SegmentUpdate, expected: IfMatch, response: Response
                         ) -> SegmentOut:
    seg = await ctx.catalog.update_segment(actor, segment_id, body.command(), expected)
    return versioned(response, seg, SegmentOut.of)


@segments.delete("/{segment_id}", status_code=204, summary="Delete a segment",
                 responses=problems(*AUTHED, 404))
async def delete_segment(ctx: Ctx, actor: CurrentActor, segment_id: uuid.UUID) -> Response:
    await ctx.catalog.delete_segment(actor, segment_id)
    return Response(status_code=204)


@segments.get("/{segment_id}/count", response_model=SegmentCount,
              summary="How many customers are in the segment now (that you may see)",
              responses=problems(*AUTHED, 404, 503))
async def segment_count(ctx: Ctx, actor: CurrentActor, segment_id: uuid.UUID) -> SegmentCount:
    return SegmentCount(count=await ctx.catalog.segment_count(actor, segment_id))


@segments.get("/{segment_id}/members", response_model=ListOf[CustomerOut],
              summary="The customers in the segment now", responses=problems(*AUTHED, 404))
async def segment_members(ctx: Ctx, actor: CurrentActor, segment_id: uuid.UUID,
                          page: PageParams) -> ListOf[CustomerOut]:
    result = await ctx.catalog.segment_members(actor, segment_id, page)
    return ListOf[CustomerOut].page(result, CustomerOut.of)
