"""Admin-facing lead settings: scoring rules, routing rules and reps, website forms."""

from __future__ import annotations

import uuid

from fastapi import APIRouter, Response

from api.deps import Ctx, CurrentActor, IfMatch, PageParams, created, versioned
from api.schemas import AUTHED, ListOf, problems
from api.v1.schemas.lead_settings import (
    AvailabilityIn,
    LeadFormCreate,
    LeadFormOut,
    LeadFormUpdate,
    RepStatusOut,
    RoutingIn,
    RoutingOut,
    ScoringModelIn,
    ScoringModelOut,
)

scoring = APIRouter(prefix="/lead-scoring", tags=["lead-scoring"])
routing = APIRouter(prefix="/lead-routing", tags=["lead-routing"])
forms = APIRouter(prefix="/lead-forms", tags=["lead-forms"])


@scoring.get("", response_model=ScoringModelOut, summary="The lead scoring rules",
             responses=problems(*AUTHED))
async def get_scoring(ctx: Ctx, actor: CurrentActor, response: Response) -> ScoringModelOut:
    return versioned(response, await ctx.lead_settings.scoring(actor), ScoringModelOut.of)


@scoring.put("", response_model=ScoringModelOut,
             summary="Replace the scoring rules and grade thresholds (admins)",
             responses=problems(*AUTHED, 412),
             description="Applies to leads captured or edited from now on.")
async def put_scoring(ctx: Ctx, actor: CurrentActor, body: ScoringModelIn, expected: IfMatch,
                      response: Response) -> ScoringModelOut:
    saved = await ctx.lead_settings.set_scoring(actor, body.model(), expected)
    return versioned(response, saved, ScoringModelOut.of)


@routing.get("", response_model=RoutingOut, summary="The lead routing rules",
             responses=problems(*AUTHED))
async def get_routing(ctx: Ctx, actor: CurrentActor, response: Response) -> RoutingOut:
    return versioned(response, await ctx.lead_settings.routing(actor), RoutingOut.of)


@routing.put("", response_model=RoutingOut,
             summary="Replace the routing rules, the lead queue and the follow-up limits "
             "(admins)", responses=problems(*AUTHED, 412))
async def put_routing(ctx: Ctx, actor: CurrentActor, body: RoutingIn, expected: IfMatch,
                      response: Response) -> RoutingOut:
    saved = await ctx.lead_settings.set_routing(actor, body.settings(), expected)
    return versioned(response, saved, RoutingOut.of)


@routing.get("/reps", response_model=ListOf[RepStatusOut],
             summary="Reps with their availability, capacity and open leads",
             responses=problems(*AUTHED))
async def list_reps(ctx: Ctx, actor: CurrentActor, page: PageParams,
                    department_id: uuid.UUID | None = None) -> ListOf[RepStatusOut]:
    return ListOf[RepStatusOut].page(await ctx.lead_settings.reps(actor, department_id, page),
                                     RepStatusOut.of)


@routing.patch("/reps/{user_id}", response_model=RepStatusOut,
               summary="Set a rep away, back, out of the rotation, or their capacity",
               responses=problems(*AUTHED, 404))
async def update_rep(ctx: Ctx, actor: CurrentActor, user_id: uuid.UUID,
                     body: AvailabilityIn) -> RepStatusOut:
    return RepStatusOut.of(await ctx.lead_settings.set_availability(actor, user_id,
                                                                    body.command()))


@forms.get("", response_model=ListOf[LeadFormOut], summary="Website forms (admins)",
           responses=problems(*AUTHED))
async def list_forms(ctx: Ctx, actor: CurrentActor, page: PageParams) -> ListOf[LeadFormOut]:
    return ListOf[LeadFormOut].page(await ctx.lead_settings.forms(actor, page),
                                    LeadFormOut.of)


@forms.post("", response_model=LeadFormOut, status_code=201,
            summary="Add a website form; its key goes into the site's HTML",
            responses=problems(*AUTHED))
async def create_form(ctx: Ctx, actor: CurrentActor, body: LeadFormCreate,
                      response: Response) -> LeadFormOut:
    form = await ctx.lead_settings.create_form(actor, body.command())
    return created(response, form, LeadFormOut.of, "/api/v1/lead-forms")


@forms.get("/{form_id}", response_model=LeadFormOut, summary="Get a website form",
           responses=problems(*AUTHED, 404))
async def get_form(ctx: Ctx, actor: CurrentActor, form_id: uuid.UUID,
                   response: Response) -> LeadFormOut:
    return versioned(response, await ctx.lead_settings.form(actor, form_id), LeadFormOut.of)


@forms.patch("/{form_id}", response_model=LeadFormOut,
             summary="Edit a website form (active: false turns it off)",
             responses=problems(*AUTHED, 404, 412))
async def update_form(ctx: Ctx, actor: CurrentActor, form_id: uuid.UUID,
                      body: LeadFormUpdate, expected: IfMatch,
                      response: Response) -> LeadFormOut:
    form = await ctx.lead_settings.update_form(actor, form_id, body.command(), expected)
    return versioned(response, form, LeadFormOut.of)


@forms.post("/{form_id}/rotate-key", response_model=LeadFormOut,
            summary="Give the form a new key (the old one stops working at once)",
            responses=problems(*AUTHED, 404))
async def rotate_form_key(ctx: Ctx, actor: CurrentActor, form_id: uuid.UUID) -> LeadFormOut:
    return LeadFormOut.of(await ctx.lead_settings.rotate_form_key(actor, form_id))
