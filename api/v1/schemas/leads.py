from __future__ import annotations

import uuid
from datetime import date, datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from api.schemas import Input
from api.v1.schemas.customers import Money
from domain.customers.activity import FollowUpMethod
from domain.customers.model import CustomerKind, Size, Source
from domain.customers.personal import mask_email, mask_phone
from domain.leads.forms import LeadForm
from domain.leads.model import Lead, LeadActivity, LeadStatus
from domain.leads.routing import AssignedBy, Method, RepStatus, RoutingSettings
from domain.leads.scoring import LeadGrade, RuleKind, ScoringModel
from domain.leads.validation import FlagCode

# ---- leads ----------------------------------------------------------------------------------


class LeadCreate(Input):
    name: str | None = Field(None, max_length=100, examples=["王小明"])
    company: str | None = Field(None, max_length=200, examples=["苏州精工自动化设备有限公司"])
    title: str | None = Field(None, max_length=100, examples=["采购经理"])
    phone: str | None = Field(None, max_length=40, examples=["13812345678"],
                              description="Mobile (mainland or E.164) or landline with area "
                              "code; an invalid one is kept and flagged")
    email: str | None = Field(None, max_length=254, examples=["wang@example.com"])
    industry: str | None = Field(None, max_length=50, examples=["manufacturing"])
    region: str | None = Field(None, max_length=50, examples=["east"])
    company_size: Size | None = None
    budget: Money | None = Field(None, description="The stated budget, a decimal string")
    currency: str = Field("CNY", min_length=3, max_length=3)
    message: str | None = Field(None, max_length=5000, examples=["想了解二期产线的报价"])
    source: Source | None = Field(None, description="Channel; defaults to api for an "
                                  "integration, other for a user")
    campaign: str | None = Field(None, max_length=100, examples=["2026 Shanghai expo"])
    attribution: dict[str, str] = Field(default_factory=dict, max_length=20,
                                        examples=[{"utm_source": "baidu"}])
    engagement: int = Field(0, ge=0, le=1_000_000,
                            description="Interactions seen so far (visits, downloads, replies)")
    owner_id: uuid.UUID | None = Field(None, description="Give it to this person (managers: "
                                       "their team; reps: themselves)")
    auto_assign: bool = Field(False, description="Route it with the assignment rules instead "
                              "of keeping it (integrations always route)")


class LeadUpdate(Input):
    name: str | None = Field(None, max_length=100)
    company: str | None = Field(None, max_length=200)
    title: str | None = Field(None, max_length=100)
    phone: str | None = Field(None, max_length=40)
    email: str | None = Field(None, max_length=254)
    industry: str | None = Field(None, max_length=50)
    region: str | None = Field(None, max_length=50)
    company_size: Size | None = None
    budget: Money | None = None
    currency: str | None = Field(None, min_length=3, max_length=3)
    message: str | None = Field(None, max_length=5000)
    source: Source | None = None
    campaign: str | None = Field(None, max_length=100)
    attribution: dict[str, str] | None = Field(None, max_length=20)
    engagement: int | None = Field(None, ge=0, le=1_000_000)
    next_followup_at: datetime | None = None
    status: LeadStatus | None = Field(None, description="new → contacted → qualified, or "
                                      "disqualified (with disqualify_reason); disqualified → new "
                                      "reopens. Converting is POST /leads/{id}/convert")
    disqualify_reason: str | None = Field(None, max_length=500)


class LeadFlagOut(BaseModel):
    code: FlagCode
    reason: str
    ref_id: uuid.UUID | None = Field(description="The open lead or customer it duplicates")


class ScoreLineOut(BaseModel):
    rule: RuleKind
    points: int
    detail: str


class AssignmentOut(BaseModel):
    by: AssignedBy
    reason: str = Field(examples=["rule East: round-robin"])
    fallback: bool = Field(description="Parked with a manager, the queue or an administrator")
    rule_id: uuid.UUID | None
    rule_name: str | None
    department_id: uuid.UUID | None
    assigned_by_user: uuid.UUID | None


class LeadOut(BaseModel):
    id: uuid.UUID
    number: str = Field(examples=["L202611000042"])
    status: LeadStatus
    name: str | None
    company: str | None
    title: str | None
    phone: str | None = Field(description="Masked, e.g. 138****5678")
    phone_valid: bool
    email: str | None = Field(description="Masked, e.g. w***@example.com")
    email_valid: bool
    industry: str | None
    region: str | None
    company_size: Size | None
    budget: Money | None
    currency: str
    message: str | None
    source: Source
    campaign: str | None
    attribution: dict[str, str]
    engagement: int
    score: int = Field(ge=0, le=100)
    grade: LeadGrade
    score_breakdown: list[ScoreLineOut] = Field(description="Which rule gave what")
    flags: list[LeadFlagOut]
    owner_id: uuid.UUID
    owner_department_id: uuid.UUID | None
    assignment: AssignmentOut | None
    assigned_at: datetime | None
    customer_id: uuid.UUID | None = Field(description="The customer it matched or became")
    opportunity_id: uuid.UUID | None
    duplicate_of_id: uuid.UUID | None
    disqualify_reason: str | None
    form_id: uuid.UUID | None
    converted_at: datetime | None
    last_followup_at: datetime | None
    next_followup_at: datetime | None
    version: int
    created_at: datetime | None
    updated_at: datetime | None

    @classmethod
    def of(cls, x: Lead, reveal: bool = False) -> LeadOut:
        a = x.assignment
        assert x.owner_id is not None
        return cls(
            id=x.id, number=x.number, status=x.status, name=x.name, company=x.company,
            title=x.title,
            phone=x.phone if x.phone is None or reveal else mask_phone(x.phone),
            phone_valid=x.phone_valid,
            email=x.email if x.email is None or reveal else mask_email(x.email),
            email_valid=x.email_valid, industry=x.industry, region=x.region,
            company_size=x.company_size, budget=x.budget, currency=x.currency,
            message=x.message, source=x.source, campaign=x.campaign,
            attribution=x.attribution, engagement=x.engagement, score=x.score, grade=x.grade,
            score_breakdown=[ScoreLineOut(rule=s.rule, points=s.points, detail=s.detail)
                             for s in x.score_breakdown],
            flags=[LeadFlagOut(code=f.code, reason=f.reason, ref_id=f.ref_id) for f in x.flags],
            owner_id=x.owner_id, owner_department_id=x.owner_department_id,
            assignment=AssignmentOut(by=a.by, reason=a.reason, fallback=a.by.is_fallback,
                                     rule_id=a.rule_id, rule_name=a.rule_name,
                                     department_id=a.department_id,
                                     assigned_by_user=a.assigned_by_user) if a else None,
            assigned_at=x.assigned_at, customer_id=x.customer_id,
            opportunity_id=x.opportunity_id, duplicate_of_id=x.duplicate_of_id,
            disqualify_reason=x.disqualify_reason, form_id=x.form_id,
            converted_at=x.converted_at, last_followup_at=x.last_followup_at,
            next_followup_at=x.next_followup_at, version=x.version, created_at=x.created_at,
            updated_at=x.updated_at)


class LeadRevealed(BaseModel):
    id: uuid.UUID
    phone: str | None
    email: str | None


class LeadFollowUpIn(Input):
    method: FollowUpMethod = Field(examples=["phone"])
    summary: str | None = Field(None, max_length=5000, examples=["约了下周二上门演示"])
    occurred_at: datetime | None = Field(None, description="Defaults to now")
    next_followup_at: datetime | None = None


class LeadAssignIn(Input):
    owner_id: uuid.UUID | None = Field(None, description="The new owner; leave out to run the "
                                       "routing rules again")


class ConvertCustomerIn(Input):
    name: str | None = Field(None, max_length=200, description="The full legal name; defaults "
                             "to the lead's company (or name)")
    kind: CustomerKind | None = None


class ConvertOpportunityIn(Input):
    name: str | None = Field(None, max_length=200)
    amount: Money | None = Field(None, description="Defaults to the lead's budget")
    currency: str | None = Field(None, min_length=3, max_length=3)
    expected_close_date: date | None = None
    pipeline_id: uuid.UUID | None = Field(None, description="Defaults to the default pipeline")
    stage_id: uuid.UUID | None = None


class ConvertIn(Input):
    customer_id: uuid.UUID | None = Field(None, description="Link to this customer; by default "
                                          "the matching one (phone, e-mail, legal name) or a "
                                          "new one")
    customer: ConvertCustomerIn | None = None
    create_opportunity: bool = True
    opportunity: ConvertOpportunityIn | None = None


class ConversionOut(BaseModel):
    lead: LeadOut
    customer_id: uuid.UUID
    opportunity_id: uuid.UUID | None
    customer_created: bool = Field(description="False when it was linked to an existing one")
    converted_now: bool = Field(description="False when the lead had been converted before")


class LeadActivityOut(BaseModel):
    id: int
    at: datetime
    kind: str = Field(examples=["assigned"])
    summary: str
    actor_id: uuid.UUID | None
    actor_label: str
    data: dict[str, Any]

    @classmethod
    def of(cls, e: LeadActivity) -> LeadActivityOut:
        assert e.id is not None and e.at is not None
        return cls(id=e.id, at=e.at, kind=e.kind, summary=e.summary, actor_id=e.actor_id,
                   actor_label=e.actor_label, data=e.data)


# ---- scoring --------------------------------------------------------------------------------


class BracketIO(Input):
    from_amount: Money = Field(description="Points when the budget is at least this")
    points: int = Field(ge=-100, le=100)


class ScoringRuleIO(Input):
    kind: RuleKind
    enabled: bool = True
    points: dict[str, int] = Field(default_factory=dict, max_length=100, description=(
        "industry_fit: industry → points; company_size: size → points; source: channel → "
        "points; completeness: field → points when filled"))
    brackets: list[BracketIO] = Field(default_factory=list, max_length=20,
                                      description="budget: highest first")
    per_interaction: int = Field(0, ge=-100, le=100, description="engagement")
    max_points: int | None = Field(None, ge=-100, le=100, description="engagement cap")


class ScoringModelIn(Input):
    rules: list[ScoringRuleIO] = Field(max_length=len(RuleKind))
    high_from: int = Field(60, ge=1, le=100, description="Score from which a lead is high")
    medium_from: int = Field(35, ge=1, le=100)


class ScoringModelOut(BaseModel):
    rules: list[ScoringRuleIO]
    high_from: int
    medium_from: int
    version: int

    @classmethod
    def of(cls, m: ScoringModel) -> ScoringModelOut:
        return cls(high_from=m.high_from, medium_from=m.medium_from, version=m.version, rules=[
            ScoringRuleIO(kind=r.kind, enabled=r.enabled, points=dict(r.points),
                          brackets=[BracketIO(from_amount=b.from_amount, points=b.points)
                                    for b in r.brackets],
                          per_interaction=r.per_interaction, max_points=r.max_points)
            for r in m.rules])


# ---- routing --------------------------------------------------------------------------------


class RoutingRuleIO(Input):
    id: uuid.UUID | None = Field(None, description="Kept across edits; new rules get one")
    name: str = Field(min_length=1, max_length=100, examples=["East China manufacturing"])
    department_id: uuid.UUID
    regions: list[str] = Field(default_factory=list, max_length=50, examples=[["east"]],
                               description="Empty = any region")
    industries: list[str] = Field(default_factory=list, max_length=50,
                                  description="Empty = any industry")
    method: Method = Method.ROUND_ROBIN
    enabled: bool = True


class RoutingIn(Input):
    rules: list[RoutingRuleIO] = Field(max_length=100,
                                       description="Evaluated in order; the first match wins")
    queue_user_id: uuid.UUID | None = Field(None, description="Owner of leads no rule routes")
    stale_days: int = Field(7, ge=1, le=365, description="Days without a follow-up before an "
                            "open lead's owner is reminded (2x: their manager)")
    first_contact_hours: int = Field(24, ge=1, le=336)


class RoutingOut(BaseModel):
    rules: list[RoutingRuleIO]
    queue_user_id: uuid.UUID | None
    stale_days: int
    first_contact_hours: int
    version: int

    @classmethod
    def of(cls, s: RoutingSettings) -> RoutingOut:
        return cls(queue_user_id=s.queue_user_id, stale_days=s.stale_days,
                   first_contact_hours=s.first_contact_hours, version=s.version, rules=[
                       RoutingRuleIO(id=r.id, name=r.name, department_id=r.department_id,
                                     regions=list(r.regions), industries=list(r.industries),
                                     method=r.method, enabled=r.enabled) for r in s.rules])


class AvailabilityIn(Input):
    away: bool | None = Field(None, description="Out of office: no new leads")
    away_until: datetime | None = Field(None, description="Back in the rotation at this time")
    capacity: int | None = Field(None, ge=0, le=100_000, description="The most open leads "
                                 "they hold before the rotation skips them (managers, admins)")
    in_rotation: bool | None = None


class RepStatusOut(BaseModel):
    user_id: uuid.UUID
    name: str
    email: str
    role: str
    department_id: uuid.UUID | None
    is_active: bool
    away: bool
    away_until: datetime | None
    capacity: int | None
    in_rotation: bool
    open_leads: int
    at_capacity: bool

    @classmethod
    def of(cls, r: RepStatus) -> RepStatusOut:
        a = r.availability
        return cls(user_id=r.user_id, name=r.name, email=r.email, role=r.role,
                   department_id=r.department_id, is_active=r.is_active, away=a.away,
                   away_until=a.away_until, capacity=a.capacity, in_rotation=a.in_rotation,
                   open_leads=r.open_leads,
                   at_capacity=a.capacity is not None and r.open_leads >= a.capacity)


# ---- website forms --------------------------------------------------------------------------


class LeadFormCreate(Input):
    name: str = Field(min_length=1, max_length=100, examples=["Contact us (www)"])
    site_origin: str = Field(max_length=200, examples=["https://www.example.com"],
                             description="The only site browsers may post the form from")
    source: Source = Source.WEBSITE
    campaign: str | None = Field(None, max_length=100)
    honeypot_field: str = Field("fax", max_length=50, description="A field the site hides "
                                "from people: a submission that fills it is dropped")
    per_ip_per_hour: int = Field(5, ge=1, le=1000)
    per_form_per_minute: int = Field(60, ge=1, le=10_000)


class LeadFormUpdate(Input):
    name: str | None = Field(None, min_length=1, max_length=100)
    site_origin: str | None = Field(None, max_length=200)
    source: Source | None = None
    campaign: str | None = Field(None, max_length=100)
    honeypot_field: str | None = Field(None, max_length=50)
    per_ip_per_hour: int | None = Field(None, ge=1, le=1000)
    per_form_per_minute: int | None = Field(None, ge=1, le=10_000)
    active: bool | None = None


class LeadFormOut(BaseModel):
    id: uuid.UUID
    name: str
    key: str = Field(description="Public: it goes into the site's HTML")
    intake_url: str = Field(examples=["/api/v1/intake/lf_3m…"])
    site_origin: str
    source: Source
    campaign: str | None
    honeypot_field: str
    per_ip_per_hour: int
    per_form_per_minute: int
    active: bool
    version: int
    created_at: datetime | None

    @classmethod
    def of(cls, f: LeadForm) -> LeadFormOut:
        return cls(id=f.id, name=f.name, key=f.key, intake_url=f"/api/v1/intake/{f.key}",
                   site_origin=f.site_origin, source=f.source, campaign=f.campaign,
                   honeypot_field=f.honeypot_field, per_ip_per_hour=f.per_ip_per_hour,
                   per_form_per_minute=f.per_form_per_minute, active=f.active,
                   version=f.version, created_at=f.created_at)


class IntakeSubmission(BaseModel):
    """What a website form posts (JSON or urlencoded). Unknown fields are ignored; numbers are
    read as text; what does not parse (a budget of "about 50万") is dropped, not refused."""

    model_config = ConfigDict(extra="allow", coerce_numbers_to_str=True)

    name: str | None = Field(None, max_length=100)
    company: str | None = Field(None, max_length=200)
    title: str | None = Field(None, max_length=100)
    phone: str | None = Field(None, max_length=40)
    email: str | None = Field(None, max_length=254)
    message: str | None = Field(None, max_length=5000)
    industry: str | None = Field(None, max_length=50)
    region: str | None = Field(None, max_length=50)
    company_size: str | None = Field(None, max_length=20)
    budget: str | None = Field(None, max_length=30)
    utm_source: str | None = Field(None, max_length=200)
    utm_medium: str | None = Field(None, max_length=200)
    utm_campaign: str | None = Field(None, max_length=200)
    utm_term: str | None = Field(None, max_length=200)
    utm_content: str | None = Field(None, max_length=200)
    page_url: str | None = Field(None, max_length=500)
    referrer: str | None = Field(None, max_length=500)


class IntakeReceived(BaseModel):
    status: str = Field("received", examples=["received"])

