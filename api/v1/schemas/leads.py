"""The lead endpoints' bodies and responses, and the commands a body becomes."""

from __future__ import annotations

import uuid
from typing import Any

from pydantic import BaseModel, Field

from api.schemas import CURRENCY, Bool, Date, DateTime, Input, omittable, sent
from api.v1.schemas.customers import Money
from domain.customers.activity import FollowUpMethod
from domain.customers.model import CustomerKind, Size, Source
from domain.customers.personal import mask_email, mask_phone
from domain.leads.commands import (
    CaptureLead,
    ConvertLead,
    CustomerFromLead,
    LogFollowUp,
    OpportunityFromLead,
    UpdateLead,
)
from domain.leads.conversion import Conversion
from domain.leads.model import Lead, LeadActivity, LeadStatus
from domain.leads.routing import AssignedBy
from domain.leads.scoring import LeadGrade, RuleKind
from domain.leads.validation import FlagCode
from domain.shared.catalogue import render


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
    currency: str = Field("CNY", min_length=3, max_length=3, pattern=CURRENCY)
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
    auto_assign: Bool = Field(False, description="Route it with the assignment rules instead "
                              "of keeping it (integrations always route)")

    def command(self) -> CaptureLead:
        return CaptureLead(
            name=self.name, company=self.company, title=self.title, phone=self.phone,
            email=self.email, industry=self.industry, region=self.region,
            company_size=self.company_size, budget=self.budget, currency=self.currency,
            message=self.message, source=self.source, campaign=self.campaign,
            attribution=self.attribution, engagement=self.engagement, owner_id=self.owner_id,
            auto_assign=self.auto_assign)


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
    currency: str | None = omittable(min_length=3, max_length=3, pattern=CURRENCY)
    message: str | None = Field(None, max_length=5000)
    source: Source | None = omittable()
    campaign: str | None = Field(None, max_length=100)
    attribution: dict[str, str] | None = omittable(max_length=20)
    engagement: int | None = omittable(ge=0, le=1_000_000)
    next_followup_at: DateTime | None = None
    status: LeadStatus | None = omittable(description="new → contacted → qualified, or "
                                      "disqualified (with disqualify_reason); disqualified → new "
                                      "reopens. Converting is POST /leads/{id}/convert")
    disqualify_reason: str | None = Field(None, max_length=500)

    def command(self) -> UpdateLead:
        return UpdateLead(
            name=sent(self, "name"), company=sent(self, "company"), title=sent(self, "title"),
            phone=sent(self, "phone"), email=sent(self, "email"),
            industry=sent(self, "industry"), region=sent(self, "region"),
            company_size=sent(self, "company_size"), budget=sent(self, "budget"),
            currency=sent(self, "currency"), message=sent(self, "message"),
            source=sent(self, "source"), campaign=sent(self, "campaign"),
            attribution=sent(self, "attribution"), engagement=sent(self, "engagement"),
            next_followup_at=sent(self, "next_followup_at"), status=sent(self, "status"),
            disqualify_reason=sent(self, "disqualify_reason"))


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
    fallback: Bool = Field(description="Parked with a manager, the queue or an administrator")
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
    phone_valid: Bool
    email: str | None = Field(description="Masked, e.g. w***@example.com")
    email_valid: Bool
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
    assigned_at: DateTime | None
    customer_id: uuid.UUID | None = Field(description="The customer it matched or became")
    opportunity_id: uuid.UUID | None
    duplicate_of_id: uuid.UUID | None
    disqualify_reason: str | None
    form_id: uuid.UUID | None
    converted_at: DateTime | None
    last_followup_at: DateTime | None
    next_followup_at: DateTime | None
    version: int
    created_at: DateTime | None
    updated_at: DateTime | None

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
    occurred_at: DateTime | None = Field(None, description="Defaults to now")
    next_followup_at: DateTime | None = None

    def command(self) -> LogFollowUp:
        return LogFollowUp(method=self.method, summary=self.summary,
                           occurred_at=self.occurred_at, next_followup_at=self.next_followup_at)


class LeadAssignIn(Input):
    owner_id: uuid.UUID | None = Field(None, description="The new owner; leave out to run the "
                                       "routing rules again")


class ConvertCustomerIn(Input):
    name: str | None = Field(None, max_length=200, description="The full legal name; defaults "
                             "to the lead's company (or name)")
    kind: CustomerKind | None = None

    def command(self) -> CustomerFromLead:
        return CustomerFromLead(name=self.name, kind=self.kind)


class ConvertOpportunityIn(Input):
    name: str | None = Field(None, max_length=200)
    amount: Money | None = Field(None, description="Defaults to the lead's budget")
    currency: str | None = Field(None, min_length=3, max_length=3, pattern=CURRENCY)
    expected_close_date: Date | None = None
    pipeline_id: uuid.UUID | None = Field(None, description="Defaults to the default pipeline")
    stage_id: uuid.UUID | None = None

    def command(self) -> OpportunityFromLead:
        return OpportunityFromLead(
            name=sent(self, "name"), amount=sent(self, "amount"),
            currency=sent(self, "currency"),
            expected_close_date=sent(self, "expected_close_date"),
            pipeline_id=sent(self, "pipeline_id"), stage_id=sent(self, "stage_id"))


class ConvertIn(Input):
    customer_id: uuid.UUID | None = Field(None, description="Link to this customer; by default "
                                          "the matching one (phone, e-mail, legal name) or a "
                                          "new one")
    customer: ConvertCustomerIn | None = None
    create_opportunity: Bool = True
    opportunity: ConvertOpportunityIn | None = None

    def command(self) -> ConvertLead:
        return ConvertLead(
            customer_id=self.customer_id,
            customer=self.customer.command() if self.customer else None,
            create_opportunity=self.create_opportunity,
            opportunity=self.opportunity.command() if self.opportunity else None)


class ConversionOut(BaseModel):
    lead: LeadOut
    customer_id: uuid.UUID
    opportunity_id: uuid.UUID | None
    customer_created: Bool = Field(description="False when it was linked to an existing one")
    converted_now: Bool = Field(description="False when the lead had been converted before")

    @classmethod
    def of(cls, c: Conversion) -> ConversionOut:
        return cls(lead=LeadOut.of(c.lead), customer_id=c.customer_id,
                   opportunity_id=c.opportunity_id, customer_created=c.customer_created,
                   converted_now=c.converted_now)


class LeadActivityOut(BaseModel):
    id: int
    at: DateTime
    kind: str = Field(examples=["assigned"])
    summary: str = Field(description="In the caller's language")
    code: str | None = Field(None, description=(
        "The summary's text code, the same in every language (none on old lines)"),
        examples=["contract.submitted"])
    actor_id: uuid.UUID | None
    actor_label: str
    data: dict[str, Any]

    @classmethod
    def of(cls, e: LeadActivity) -> LeadActivityOut:
        assert e.id is not None and e.at is not None
        summary = e.summary if isinstance(e.summary, str) else render(e.summary)
        code = None if isinstance(e.summary, str) else e.summary.code
        return cls(id=e.id, at=e.at, kind=e.kind, summary=summary, code=code,
                   actor_id=e.actor_id,
                   actor_label=e.actor_label, data=e.data)
