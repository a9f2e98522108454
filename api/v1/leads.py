"""The lead endpoints: capture, list and read, edit and move, follow-ups, reassignment,
conversion, the timeline and the audited reveal."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Query, Response
from pydantic import Field

from api.bulk import BulkIds, BulkOut
from api.deps import (
    USER_REF,
    CountedPageParams,
    Ctx,
    CurrentActor,
    IfMatch,
    PageParams,
    created,
    user_ref,
    versioned,
)
from api.schemas import AUTHED, CountedListOf, DateTime, ListOf, problems
from api.v1.schemas.leads import (
    ConversionOut,
    ConvertIn,
    LeadActivityOut,
    LeadAssignIn,
    LeadCreate,
    LeadFollowUpIn,
    LeadOut,
    LeadRevealed,
    LeadUpdate,
)
from domain.customers.model import Source
from domain.leads.model import LeadStatus
from domain.leads.queries import SORTABLE, LeadFilter
from domain.leads.routing import AssignedBy
from domain.leads.scoring import LeadGrade
from domain.leads.validation import FlagCode, email_point, phone_point
from domain.shared import bulk
from domain.shared.authz import Scope
from domain.shared.errors import ValidationFailed
from domain.shared.paging import Sort

router = APIRouter(prefix="/leads", tags=["leads"])


@router.get(
    "", response_model=CountedListOf[LeadOut], summary="List and search leads",
    responses=problems(*AUTHED, 429),
    description="Filters combine with AND. `open=true` keeps new, contacted and qualified. "
    "`flag=duplicate_lead` finds flagged leads; `fallback=true` those parked with a manager, "
    "the queue or an administrator (nobody routed them). `phone`/`email` match exactly (blind "
    "index), among all the caller sees with `pii:reveal`, else among the caller's own leads; "
    "each such look-up is audited and counted per caller (429 past the limit). "
    "`updated_since` returns changes oldest first. Sort by created_at, updated_at, "
    "score or number (prefix - for descending; default -created_at).",
)
async def list_leads(
    ctx: Ctx, actor: CurrentActor, page: CountedPageParams,
    status: LeadStatus | None = None,
    open: Annotated[bool, Query(description="Only new, contacted and qualified")] = False,
    grade: LeadGrade | None = None, source: Source | None = None,
    campaign: Annotated[str | None, Query(max_length=100)] = None,
    owner: Annotated[str | None, Query(pattern=USER_REF, description="A user id, or 'me'")] = None,
    department_id: uuid.UUID | None = None,
    flag: FlagCode | None = None,
    routed_by: AssignedBy | None = None,
    fallback: Annotated[bool, Query(description="Only leads nobody routed")] = False,
    customer_id: uuid.UUID | None = None, form_id: uuid.UUID | None = None,
    q: Annotated[str | None, Query(min_length=1, max_length=100,
                                   description="Part of the number, name or company")] = None,
    phone: Annotated[str | None, Query(max_length=40)] = None,
    email: Annotated[str | None, Query(max_length=254)] = None,
    created_from: DateTime | None = None, created_to: DateTime | None = None,
    updated_since: DateTime | None = None,
    sort: Annotated[str | None, Query(examples=["-score"])] = None,
) -> CountedListOf[LeadOut]:
    phone_value = email_value = None
    if phone:
        point = phone_point(phone)
        if point is None or not point.valid:
            raise ValidationFailed.of("phone", "lead.not_a_phone")
        phone_value = point.value
    if email:
        e = email_point(email)
        if e is None or not e.valid:
            raise ValidationFailed.of("email", "invalid_email")
        email_value = e.value
    flt = LeadFilter(
        status=status, open_only=open, grade=grade, source=source, campaign=campaign,
        owner_id=user_ref(owner, actor, "owner"), department_id=department_id,
        flag=flag.value if flag else None, routed_by=routed_by.value if routed_by else None,
        fallback_only=fallback, customer_id=customer_id, form_id=form_id,
        q=q.strip() if q else None, phone=phone_value, email=email_value,
        created_from=created_from, created_to=created_to, updated_since=updated_since,
        sort=Sort.parse(sort, SORTABLE, default="created_at"))
    return CountedListOf[LeadOut].page(await ctx.leads.list(actor, flt, page), LeadOut.of)


@router.post(
    "", response_model=LeadOut, status_code=201, summary="Capture a lead",
    responses=problems(*AUTHED),
    description="Validated (problems become flags with a reason, not refusals), scored and "
    "graded, checked for duplicates (an existing customer's inquiry goes to its owner), and "
    "assigned in the same transaction: a user keeps what they enter unless `auto_assign`; an "
    "integration's leads are always routed. The owner gets a first-contact task.",
)
async def create_lead(ctx: Ctx, actor: CurrentActor, body: LeadCreate,
                      response: Response) -> LeadOut:
    lead = await ctx.leads.capture(actor, body.command())
    return created(response, lead, LeadOut.of, "/api/v1/leads")


class LeadBulkAssign(BulkIds):
    owner_id: uuid.UUID = Field(description="The new owner of every lead picked")


@router.post("/bulk-assign", response_model=BulkOut,
             summary="Reassign the leads picked on the list (managers and admins)",
             responses=problems(*AUTHED),
             description="Each lead is reassigned as by `POST /leads/{id}/assign`: the same "
             "permissions, audit entry, timeline entry and events. The answer says how each "
             "fared; one refused (not seen, no permission) leaves the others done.")
async def bulk_assign_leads(ctx: Ctx, actor: CurrentActor, body: LeadBulkAssign) -> BulkOut:
    return BulkOut.of(await bulk.each(actor, Scope.LEADS_WRITE, body.ids,
                                      lambda i: ctx.leads.assign(actor, i, body.owner_id)))


@router.get("/{lead_id}", response_model=LeadOut,
            summary="Get a lead, with its score breakdown, flags and assignment",
            responses=problems(*AUTHED, 404))
async def get_lead(ctx: Ctx, actor: CurrentActor, lead_id: uuid.UUID,
                   response: Response) -> LeadOut:
    return versioned(response, await ctx.leads.get(actor, lead_id), LeadOut.of)


@router.patch("/{lead_id}", response_model=LeadOut,
              summary="Edit a lead or move its status (send If-Match to refuse stale edits)",
              responses=problems(*AUTHED, 404, 409, 412))
async def update_lead(ctx: Ctx, actor: CurrentActor, lead_id: uuid.UUID, body: LeadUpdate,
                      expected: IfMatch, response: Response) -> LeadOut:
    lead = await ctx.leads.update(actor, lead_id, body.command(), expected)
    return versioned(response, lead, LeadOut.of)


@router.post("/{lead_id}/assign", response_model=LeadOut,
             summary="Reassign a lead (managers and admins), or run the routing rules again",
             responses=problems(*AUTHED, 404, 409))
async def assign_lead(ctx: Ctx, actor: CurrentActor, lead_id: uuid.UUID,
                      body: LeadAssignIn) -> LeadOut:
    return LeadOut.of(await ctx.leads.assign(actor, lead_id, body.owner_id))


@router.post(
    "/{lead_id}/convert", response_model=ConversionOut,
    summary="Convert a lead into a customer (new or matched) and an opportunity",
    responses=problems(*AUTHED, 404, 409),
    description="One transaction. The customer is the one named, the one the lead matched, "
    "one with the same phone, e-mail or legal name, or a new one with the lead's person as its "
    "contact; the opportunity opens in the default pipeline (amount = the stated budget). "
    "Converting again answers the first result (`converted_now: false`).",
)
async def convert_lead(ctx: Ctx, actor: CurrentActor, lead_id: uuid.UUID,
                       body: ConvertIn) -> ConversionOut:
    return ConversionOut.of(await ctx.leads.convert(actor, lead_id, body.command()))


@router.post("/{lead_id}/followups", response_model=LeadOut, status_code=201,
             summary="Log a call, mail or visit (a new lead becomes contacted)",
             responses=problems(*AUTHED, 404, 409))
async def log_lead_followup(ctx: Ctx, actor: CurrentActor, lead_id: uuid.UUID,
                            body: LeadFollowUpIn) -> LeadOut:
    return LeadOut.of(await ctx.leads.log_followup(actor, lead_id, body.command()))


@router.get("/{lead_id}/timeline", response_model=ListOf[LeadActivityOut],
            summary="The lead's timeline, newest first", responses=problems(*AUTHED, 404))
async def lead_timeline(ctx: Ctx, actor: CurrentActor, lead_id: uuid.UUID,
                        page: PageParams) -> ListOf[LeadActivityOut]:
    return ListOf[LeadActivityOut].page(await ctx.leads.timeline(actor, lead_id, page),
                                        LeadActivityOut.of)


@router.post("/{lead_id}/reveal", response_model=LeadRevealed,
             summary="Show the lead's phone and e-mail in clear (pii:reveal; audited)",
             responses=problems(*AUTHED, 404))
async def reveal_lead(ctx: Ctx, actor: CurrentActor, lead_id: uuid.UUID) -> LeadRevealed:
    lead = await ctx.leads.reveal(actor, lead_id)
    return LeadRevealed(id=lead.id, phone=lead.phone, email=lead.email)
