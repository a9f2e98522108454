"""The lead settings endpoints' bodies and responses: scoring, routing and reps, website
forms."""

from __future__ import annotations

import uuid

from pydantic import BaseModel, Field

from api.schemas import Bool, DateTime, Input, sent
from api.v1.schemas.customers import Money
from domain.customers.model import Source
from domain.leads.commands import ChangeAvailability, CreateLeadForm, UpdateLeadForm
from domain.leads.forms import LeadForm
from domain.leads.routing import Method, RepStatus, RoutingRule, RoutingSettings
from domain.leads.scoring import Bracket, RuleKind, ScoringModel, ScoringRule

# ---- scoring --------------------------------------------------------------------------------

# a form field name, as the domain checks it (domain/leads/forms.py)
# a site, as the domain checks it once lower-cased
ORIGIN = r"^[Hh][Tt][Tt][Pp][Ss]?://[A-Za-z0-9.\-]+(:\d{1,5})?/?$"
FORM_FIELD = r"^[A-Za-z_][A-Za-z0-9_\-]{0,49}$"


class BracketIO(Input):
    from_amount: Money = Field(description="Points when the budget is at least this")
    points: int = Field(ge=-100, le=100)


class ScoringRuleIO(Input):
    kind: RuleKind
    enabled: Bool = True
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

    def model(self) -> ScoringModel:
        return ScoringModel(
            rules=tuple(ScoringRule(kind=r.kind, enabled=r.enabled, points=dict(r.points),
                                    brackets=tuple(Bracket(b.from_amount, b.points)
                                                   for b in r.brackets),
                                    per_interaction=r.per_interaction, max_points=r.max_points)
                        for r in self.rules),
            high_from=self.high_from, medium_from=self.medium_from)


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
    enabled: Bool = True


class RoutingIn(Input):
    rules: list[RoutingRuleIO] = Field(max_length=100,
                                       description="Evaluated in order; the first match wins")
    queue_user_id: uuid.UUID | None = Field(None, description="Owner of leads no rule routes")
    stale_days: int = Field(7, ge=1, le=365, description="Days without a follow-up before an "
                            "open lead's owner is reminded (2x: their manager)")
    first_contact_hours: int = Field(24, ge=1, le=336)

    def settings(self) -> RoutingSettings:
        return RoutingSettings(
            rules=tuple(RoutingRule(id=r.id or uuid.uuid4(), name=r.name.strip(),
                                    department_id=r.department_id, regions=tuple(r.regions),
                                    industries=tuple(r.industries), method=r.method,
                                    enabled=r.enabled) for r in self.rules),
            queue_user_id=self.queue_user_id, stale_days=self.stale_days,
            first_contact_hours=self.first_contact_hours)


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
    away: Bool | None = Field(None, description="Out of office: no new leads")
    away_until: DateTime | None = Field(None, description="Back in the rotation at this time")
    capacity: int | None = Field(None, ge=0, le=100_000, description="The most open leads "
                                 "they hold before the rotation skips them (managers, admins)")
    in_rotation: Bool | None = None

    def command(self) -> ChangeAvailability:
        return ChangeAvailability(
            away=sent(self, "away"), away_until=sent(self, "away_until"),
            capacity=sent(self, "capacity"), in_rotation=sent(self, "in_rotation"))


class RepStatusOut(BaseModel):
    user_id: uuid.UUID
    name: str
    role: str
    department_id: uuid.UUID | None
    is_active: Bool
    away: Bool
    away_until: DateTime | None
    capacity: int | None
    in_rotation: Bool
    open_leads: int
    at_capacity: Bool

    @classmethod
    def of(cls, r: RepStatus) -> RepStatusOut:
        a = r.availability
        return cls(user_id=r.user_id, name=r.name, role=r.role,
                   department_id=r.department_id, is_active=r.is_active, away=a.away,
                   away_until=a.away_until, capacity=a.capacity, in_rotation=a.in_rotation,
                   open_leads=r.open_leads,
                   at_capacity=a.capacity is not None and r.open_leads >= a.capacity)


# ---- website forms --------------------------------------------------------------------------


class LeadFormCreate(Input):
    name: str = Field(min_length=1, max_length=100, examples=["Contact us (www)"])
    site_origin: str = Field(max_length=200, pattern=ORIGIN, examples=["https://www.example.com"],
                             description="The only site browsers may post the form from")
    source: Source = Source.WEBSITE
    campaign: str | None = Field(None, max_length=100)
    honeypot_field: str = Field("fax", max_length=50, pattern=FORM_FIELD,
                                description="A field the site hides "
                                "from people: a submission that fills it is dropped")
    per_ip_per_hour: int = Field(5, ge=1, le=1000)
    per_form_per_minute: int = Field(60, ge=1, le=10_000)

    def command(self) -> CreateLeadForm:
        return CreateLeadForm(
            name=self.name, site_origin=self.site_origin, source=self.source,
            campaign=self.campaign, honeypot_field=self.honeypot_field,
            per_ip_per_hour=self.per_ip_per_hour, per_form_per_minute=self.per_form_per_minute)


class LeadFormUpdate(Input):
    name: str | None = Field(None, min_length=1, max_length=100)
    site_origin: str | None = Field(None, max_length=200, pattern=ORIGIN)
    source: Source | None = None
    campaign: str | None = Field(None, max_length=100)
    honeypot_field: str | None = Field(None, max_length=50, pattern=FORM_FIELD)
    per_ip_per_hour: int | None = Field(None, ge=1, le=1000)
    per_form_per_minute: int | None = Field(None, ge=1, le=10_000)
    active: Bool | None = None

    def command(self) -> UpdateLeadForm:
        return UpdateLeadForm(
            name=sent(self, "name"), site_origin=sent(self, "site_origin"),
            source=sent(self, "source"), campaign=sent(self, "campaign"),
            honeypot_field=sent(self, "honeypot_field"),
            per_ip_per_hour=sent(self, "per_ip_per_hour"),
            per_form_per_minute=sent(self, "per_form_per_minute"), active=sent(self, "active"))


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
    active: Bool
    version: int
    created_at: DateTime | None

    @classmethod
    def of(cls, f: LeadForm) -> LeadFormOut:
        return cls(id=f.id, name=f.name, key=f.key, intake_url=f"/api/v1/intake/{f.key}",
                   site_origin=f.site_origin, source=f.source, campaign=f.campaign,
                   honeypot_field=f.honeypot_field, per_ip_per_hour=f.per_ip_per_hour,
                   per_form_per_minute=f.per_form_per_minute, active=f.active,
                   version=f.version, created_at=f.created_at)
