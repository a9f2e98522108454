"""Customer routes: list and search, the customer 360 (create, read, edit, the recycle bin,
reveal, duplicates and merge, timeline, follow-ups) and the industry and region lists."""

from __future__ import annotations

import json
import uuid
from typing import Annotated, Any

from fastapi import APIRouter, Query, Request, Response
from pydantic_core import to_json

from api.deps import (
    USER_REF,
    CountedPageParams,
    Ctx,
    CurrentActor,
    IfMatch,
    PageParams,
    created,
    set_etag,
    user_ref,
    versioned,
)
from api.schemas import AUTHED, CountedListOf, DateTime, ListOf, problems
from api.v1.schemas.activity import FollowUpCreate, FollowUpOut
from api.v1.schemas.customers import (
    CustomerCreate,
    CustomerOut,
    CustomerRevealed,
    CustomerSparse,
    CustomerUpdate,
    PicklistItemOut,
    PicklistOut,
    PicklistValue,
    TimelineEntryOut,
    Tombstone,
)
from api.v1.schemas.fields_and_tags import DuplicateOut, MergeRequest
from domain.customers.model import Grade, Tier
from domain.customers.personal import normalise_email, normalise_landline, normalise_mobile
from domain.customers.ports import FollowUpFilter
from domain.customers.queries import (
    MAX_ITEMS,
    MAX_TEXT,
    MAX_VALUE_TEXT,
    SORTABLE,
    CustomerFilter,
)
from domain.shared.errors import ValidationFailed
from domain.shared.paging import Sort

router = APIRouter(prefix="/customers", tags=["customers"])
picklists = APIRouter(prefix="/picklists", tags=["picklists"])

CUSTOM_PREFIX = "cf."

_FIELD_NAMES = "|".join(CustomerOut.model_fields)
# `fields=`: names of CustomerOut, comma-separated
SPARSE_FIELDS = rf"^({_FIELD_NAMES})(,({_FIELD_NAMES}))*$"


def _custom_filters(request: Request) -> dict[str, list[Any]]:
    """cf.<key>=<value>: equality on a custom field; numbers and true/false match typed values.
    As many keys and as long values as a saved filter may have."""
    out: dict[str, list[Any]] = {}
    for key, raw in request.query_params.multi_items():
        if not key.startswith(CUSTOM_PREFIX):
            continue
        name = key[len(CUSTOM_PREFIX):]
        if len(out) >= MAX_ITEMS and name not in out:
            raise ValidationFailed.of("cf", "customer.custom_filters_too_many", max=MAX_ITEMS)
        if len(raw) > MAX_VALUE_TEXT:
            raise ValidationFailed.of(key[:MAX_TEXT], "customer.filter_text_too_long",
                                      length=len(raw), max=MAX_VALUE_TEXT)
        candidates: list[Any] = [raw]
        try:
            parsed = json.loads(raw)
            if isinstance(parsed, (int, float, bool)):
                candidates.append(parsed)
        except (ValueError, RecursionError):
            pass
        out[name] = candidates
    return out


@router.get(
    "", response_model=CountedListOf[CustomerOut | CustomerSparse | Tombstone],
    summary="List and search customers",
    responses=problems(*AUTHED),
    description="Filters combine with AND. `tag` (repeatable) must all match, `tag_any` any. "
    "`cf.<key>=<value>` filters on a custom field. `q` matches name, number and contact names. "
    "`phone`/`email` find a customer by a contact's exact number or address (blind index): "
    "among all the caller sees with `pii:reveal`, else among the caller's own customers; "
    "each such look-up is audited and counted per caller (429 past the limit). "
    "`updated_since` returns changes oldest first, deleted records as tombstones. "
    "`fields=name,grade` trims each item to those fields (and id).",
)
async def list_customers(
    request: Request, ctx: Ctx, actor: CurrentActor, page: CountedPageParams,
    industry: Annotated[str | None, Query(max_length=50)] = None,
    region: Annotated[str | None, Query(max_length=50)] = None,
    grade: Grade | None = None, tier: Tier | None = None,
    kind: Annotated[str | None, Query(pattern="^(company|person)$")] = None,
    owner: Annotated[str | None, Query(pattern=USER_REF, description="A user id, or 'me'")] = None,
    department_id: uuid.UUID | None = None,
    tag: Annotated[list[str], Query(max_length=20)] = [],  # noqa: B006
    tag_any: Annotated[list[str], Query(max_length=20)] = [],  # noqa: B006
    last_followup_before: DateTime | None = None, last_followup_after: DateTime | None = None,
    created_from: DateTime | None = None, created_to: DateTime | None = None,
    q: Annotated[str | None, Query(min_length=1, max_length=100)] = None,
    phone: Annotated[str | None, Query(max_length=40)] = None,
    email: Annotated[str | None, Query(max_length=254)] = None,
    updated_since: DateTime | None = None,
    deleted: Annotated[bool, Query(description="The recycle bin (managers, admins)")] = False,
    sort: Annotated[str | None, Query(examples=["-created_at"])] = None,
    fields: Annotated[str | None, Query(max_length=500, pattern=SPARSE_FIELDS,
                                        examples=["name,grade,tier"])] = None,
) -> Any:
    owner_id = user_ref(owner, actor, "owner")
    flt = CustomerFilter(
        industry=industry, region=region, grade=grade, tier=tier, kind=kind, owner_id=owner_id,
        department_id=department_id, tags_all=tag, tags_any=tag_any,
        last_followup_before=last_followup_before, last_followup_after=last_followup_after,
        created_from=created_from, created_to=created_to, custom=_custom_filters(request),
        q=q.strip() if q else None,
        phone=normalise_mobile(phone, "phone") if phone and phone.strip().startswith(("1", "+"))
        else (normalise_landline(phone, "phone") if phone else None),
        email=normalise_email(email, "email") if email else None,
        updated_since=updated_since, deleted=deleted, sort=Sort.parse(sort, SORTABLE))
    wanted = None
    if fields:
        wanted = frozenset({f.strip() for f in fields.split(",") if f.strip()} | {"id", "deleted"})
        unknown = wanted - set(CustomerOut.model_fields)
        if unknown:
            raise ValidationFailed.of("fields", "customer.unknown_fields",
                                      fields=sorted(unknown))
    # Each item comes as PostgreSQL wrote it from the masked columns (the response model
    # documents the shape; a test holds the two equal), so the page is only joined here.
    result = await ctx.customers.list_documents(actor, flt, page, wanted)
    total = b""
    if result.total is not None:
        total = (b',"total":' + to_json(result.total.count) + b',"total_is_lower_bound":'
                 + to_json(result.total.lower_bound))
    return Response(b'{"items":[' + ",".join(result.items).encode() + b'],"next_cursor":'
                    + to_json(result.next_cursor) + total + b"}", media_type="application/json")


@router.post("", response_model=CustomerOut, status_code=201, summary="Create a customer",
             responses=problems(*AUTHED, 409))
async def create_customer(
    ctx: Ctx, actor: CurrentActor, body: CustomerCreate, response: Response,
    allow_duplicate: Annotated[bool, Query(
        description="Create even when a contact's phone matches an existing customer")] = False,
) -> CustomerOut:
    c = await ctx.customers.create(actor, body.command(), allow_duplicate=allow_duplicate)
    return created(response, c, CustomerOut.of, "/api/v1/customers")


@router.get("/{customer_id}", response_model=CustomerOut, summary="Get a customer (360)",
            responses=problems(*AUTHED, 404))
async def get_customer(ctx: Ctx, actor: CurrentActor, customer_id: uuid.UUID) -> Any:
    c = await ctx.customers.get(actor, customer_id)
    # Straight from plain values, like the list (the hottest read of the API)
    response = Response(to_json(CustomerOut.plain(c)), media_type="application/json")
    set_etag(response, c.version)
    return response


@router.patch("/{customer_id}", response_model=CustomerOut,
              summary="Update a customer (send If-Match to refuse stale edits)",
              responses=problems(*AUTHED, 404, 409, 412))
async def update_customer(ctx: Ctx, actor: CurrentActor, customer_id: uuid.UUID,
                          body: CustomerUpdate, expected: IfMatch,
                          response: Response) -> CustomerOut:
    c = await ctx.customers.update(actor, customer_id, body.command(), expected)
    return versioned(response, c, CustomerOut.of)


@router.delete("/{customer_id}", status_code=204, summary="Move a customer to the recycle bin",
               responses=problems(*AUTHED, 404, 409))
async def delete_customer(ctx: Ctx, actor: CurrentActor, customer_id: uuid.UUID) -> Response:
    await ctx.customers.delete(actor, customer_id)
    return Response(status_code=204)


@router.post("/{customer_id}/restore", response_model=CustomerOut,
             summary="Restore a deleted customer", responses=problems(*AUTHED, 404, 409))
async def restore_customer(ctx: Ctx, actor: CurrentActor, customer_id: uuid.UUID
                           ) -> CustomerOut:
    return CustomerOut.of(await ctx.customers.restore(actor, customer_id))


@router.post("/{customer_id}/reveal", response_model=CustomerRevealed,
             summary="Show personal data in clear (pii:reveal; audited)",
             responses=problems(*AUTHED, 404))
async def reveal_customer(ctx: Ctx, actor: CurrentActor, customer_id: uuid.UUID
                          ) -> CustomerRevealed:
    return CustomerRevealed.of(await ctx.customers.reveal(actor, customer_id))


@router.get("/{customer_id}/duplicates", response_model=list[DuplicateOut],
            summary="Likely duplicates of this customer, with reasons and a score",
            responses=problems(*AUTHED, 404))
async def customer_duplicates(ctx: Ctx, actor: CurrentActor, customer_id: uuid.UUID
                              ) -> list[DuplicateOut]:
    found = await ctx.customers.duplicates.find(actor, customer_id)
    return [DuplicateOut(customer=CustomerOut.of(c), reasons=r, score=s) for c, r, s in found]


@router.post("/{customer_id}/merge", response_model=CustomerOut,
             summary="Merge duplicates into this customer, keeping all their history",
             responses=problems(*AUTHED, 404))
async def merge_customers(ctx: Ctx, actor: CurrentActor, customer_id: uuid.UUID,
                          body: MergeRequest) -> CustomerOut:
    return CustomerOut.of(await ctx.customers.duplicates.merge(actor, customer_id, body.from_,
                                                               body.field_choices))


@router.get("/{customer_id}/timeline", response_model=ListOf[TimelineEntryOut],
            summary="The customer's timeline, newest first", responses=problems(*AUTHED, 404))
async def customer_timeline(ctx: Ctx, actor: CurrentActor, customer_id: uuid.UUID,
                            page: PageParams) -> ListOf[TimelineEntryOut]:
    result = await ctx.customers.timeline(actor, customer_id, page)
    return ListOf[TimelineEntryOut].page(result, TimelineEntryOut.of)


@router.get("/{customer_id}/followups", response_model=ListOf[FollowUpOut],
            summary="The customer's follow-ups, newest first", responses=problems(*AUTHED, 404))
async def customer_followups(ctx: Ctx, actor: CurrentActor, customer_id: uuid.UUID,
                             page: PageParams) -> ListOf[FollowUpOut]:
    result = await ctx.customers.followups.list(actor, FollowUpFilter(customer_id=customer_id),
                                                page)
    return ListOf[FollowUpOut].page(result, FollowUpOut.of)


@router.post("/{customer_id}/followups", response_model=FollowUpOut, status_code=201,
             summary="Record a follow-up with this customer", responses=problems(*AUTHED, 404))
async def add_customer_followup(ctx: Ctx, actor: CurrentActor, customer_id: uuid.UUID,
                                body: FollowUpCreate) -> FollowUpOut:
    return FollowUpOut.of(await ctx.customers.followups.add(actor, customer_id, body.command()))


@picklists.get("/{name}", response_model=PicklistOut,
               summary="The values of an admin-managed list (industry, region)",
               responses=problems(*AUTHED, 404))
async def get_picklist(ctx: Ctx, actor: CurrentActor, name: str) -> PicklistOut:
    entries = await ctx.customers.picklist(actor, name)
    return PicklistOut(name=name, values=[entry.value for entry in entries],
                       items=[PicklistItemOut.of(entry) for entry in entries])


@picklists.post("/{name}", status_code=204, summary="Add a value to a list (admins)",
                responses=problems(*AUTHED, 404))
async def add_picklist_value(ctx: Ctx, actor: CurrentActor, name: str,
                             body: PicklistValue) -> Response:
    if body.labels is not None:
        chinese, english = body.labels.zh_cn, body.labels.en
    elif body.label is not None:
        chinese, english = body.label, None
    else:
        raise ValidationFailed.of("labels.zh-CN", "required")
    await ctx.customers.add_picklist_value(actor, name, body.value, chinese, english)
    return Response(status_code=204)
