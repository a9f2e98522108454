"""Admin-facing lead settings: scoring rules, routing rules and reps, website forms."""

from __future__ import annotations

import uuid

from fastapi import APIRouter, Response

from api.deps import Ctx, CurrentActor, IfMatch, PageParams, etag
from api.schemas import AUTHED, ListOf, problems
from api.v1.schemas.leads import (
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
from domain.leads.routing import RoutingRule, RoutingSettings
from domain.leads.scoring import Bracket, ScoringModel, ScoringRule

scoring = APIRouter(prefix="/lead-scoring", tags=["lead-scoring"])
routing = APIRouter(prefix="/lead-routing", tags=["lead-routing"])
forms = APIRouter(prefix="/lead-forms", tags=["lead-forms"])


@scoring.get("", response_model=ScoringModelOut, summary="The lead scoring rules",
             responses=problems(*AUTHED))
async def get_scoring(ctx: Ctx, actor: CurrentActor, response: Response) -> ScoringModelOut:
    model = await ctx.lead_settings.scoring(actor)
    response.headers["ETag"] = etag(model.version)
    return ScoringModelOut.of(model)


@scoring.put("", response_model=ScoringModelOut,
             summary="Replace the scoring rules and grade thresholds (admins)",
             responses=problems(*AUTHED, 412),
             description="Applies to leads captured or edited from now on.")
async def put_scoring(ctx: Ctx, actor: CurrentActor, body: ScoringModelIn, expected: IfMatch,
                      response: Response) -> ScoringModelOut:
    model = ScoringModel(
        rules=tuple(ScoringRule(kind=r.kind, enabled=r.enabled, points=dict(r.points),
                                brackets=tuple(Bracket(b.from_amount, b.points)
                                               for b in r.brackets),
                                per_interaction=r.per_interaction, max_points=r.max_points)
                    for r in body.rules),
        high_from=body.high_from, medium_from=body.medium_from)
    saved = await ctx.lead_settings.set_scoring(actor, model, expected)
    response.headers["ETag"] = etag(saved.version)
    return ScoringModelOut.of(saved)


@routing.get("", response_model=RoutingOut, summary="The lead routing rules",
             responses=problems(*AUTHED))
async def get_routing(ctx: Ctx, actor: CurrentActor, response: Response) -> RoutingOut:
    settings = await ctx.lead_settings.routing(actor)
    response.headers["ETag"] = etag(settings.version)
    return RoutingOut.of(settings)


@routing.put("", response_model=RoutingOut,
             summary="Replace the routing rules, the lead queue and the follow-up limits "
             "(admins)", responses=problems(*AUTHED, 412))
async def put_routing(ctx: Ctx, actor: CurrentActor, body: RoutingIn, expected: IfMatch,
                      response: Response) -> RoutingOut:
    settings = RoutingSettings(
        rules=tuple(RoutingRule(id=r.id or uuid.uuid4(), name=r.name.strip(),
                                department_id=r.department_id, regions=tuple(r.regions),
                                industries=tuple(r.industries), method=r.method,
                                enabled=r.enabled) for r in body.rules),
        queue_user_id=body.queue_user_id, stale_days=body.stale_days,
        first_contact_hours=body.first_contact_hours)
    saved = await ctx.lead_settings.set_routing(actor, settings, expected)
    response.headers["ETag"] = etag(saved.version)
    return RoutingOut.of(saved)


@routing.get("/reps", response_model=ListOf[RepStatusOut],
             summary="Reps with their availability, capacity and open leads",
             responses=problems(*AUTHED))
async def list_reps(ctx: Ctx, actor: CurrentActor, page: PageParams,
                    department_id: uuid.UUID | None = None) -> ListOf[RepStatusOut]:
    result = await ctx.lead_settings.reps(actor, department_id, page)
    return ListOf[RepStatusOut](items=[RepStatusOut.of(r) for r in result.items],
                                next_cursor=result.next_cursor)


@routing.patch("/reps/{user_id}", response_model=RepStatusOut,
               summary="Set a rep away, back, out of the rotation, or their capacity",
               responses=problems(*AUTHED, 404))
async def update_rep(ctx: Ctx, actor: CurrentActor, user_id: uuid.UUID,
                     body: AvailabilityIn) -> RepStatusOut:
    status = await ctx.lead_settings.set_availability(actor, user_id,
                                              body.model_dump(exclude_unset=True))
    return RepStatusOut.of(status)


@forms.get("", response_model=ListOf[LeadFormOut], summary="Website forms (admins)",
           responses=problems(*AUTHED))
async def list_forms(ctx: Ctx, actor: CurrentActor, page: PageParams) -> ListOf[LeadFormOut]:
    result = await ctx.lead_settings.forms(actor, page)
    return ListOf[LeadFormOut](items=[LeadFormOut.of(f) for f in result.items],
                               next_cursor=result.next_cursor)


@forms.post("", response_model=LeadFormOut, status_code=201,
            summary="Add a website form; its key goes into the site's HTML",
            responses=problems(*AUTHED))
async def create_form(ctx: Ctx, actor: CurrentActor, body: LeadFormCreate,
                      response: Response) -> LeadFormOut:
    form = await ctx.lead_settings.create_form(actor, body.model_dump())
    response.headers["ETag"] = etag(form.version)
    response.headers["Location"] = f"/api/v1/lead-forms/{form.id}"
    return LeadFormOut.of(form)


@forms.get("/{form_id}", response_model=LeadFormOut, summary="Get a website form",
           responses=problems(*AUTHED, 404))
async def get_form(ctx: Ctx, actor: CurrentActor, form_id: uuid.UUID,
                   response: Response) -> LeadFormOut:
    form = await ctx.lead_settings.form(actor, form_id)
    response.headers["ETag"] = etag(form.version)
    return LeadFormOut.of(form)


@forms.patch("/{form_id}", response_model=LeadFormOut,
             summary="Edit a website form (active: false turns it off)",
             responses=problems(*AUTHED, 404, 412))
async def update_form(ctx: Ctx, actor: CurrentActor, form_id: uuid.UUID,
                      body: LeadFormUpdate, expected: IfMatch,
                      response: Response) -> LeadFormOut:
    form = await ctx.lead_settings.update_form(actor, form_id, body.model_dump(exclude_unset=True),
                                       expected)
    response.headers["ETag"] = etag(form.version)
    return LeadFormOut.of(form)


@forms.post("/{form_id}/rotate-key", response_model=LeadFormOut,
            summary="Give the form a new key (the old one stops working at once)",
            responses=problems(*AUTHED, 404))
async def rotate_form_key(ctx: Ctx, actor: CurrentActor, form_id: uuid.UUID) -> LeadFormOut:
    return LeadFormOut.of(await ctx.lead_settings.update_form(actor, form_id, {}, None,
                                                      rotate_key=True))
