"""What a caller asks of the leads feature: one frozen command per use case that takes more
than an id. Partial updates tell a field left out (UNSET) from one cleared (None)."""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from domain.customers.activity import FollowUpMethod
from domain.customers.model import CustomerKind, Size, Source
from domain.leads.model import LeadStatus
from domain.shared.commands import UNSET, Unset
from domain.shared.errors import ValidationFailed

# ---- leads ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class CaptureLead:
    """A new inquiry as typed or sent; what is wrong with it becomes a flag, not a refusal."""

    name: str | None = None
    company: str | None = None
    title: str | None = None
    phone: str | None = None
    email: str | None = None
    industry: str | None = None
    region: str | None = None
    company_size: Size | None = None
    budget: Decimal | None = None
    currency: str = "CNY"
    message: str | None = None
    source: Source | None = None  # None: api for an integration, the form's, else other
    campaign: str | None = None
    attribution: Mapping[str, str] = field(default_factory=dict)
    engagement: int = 0
    owner_id: uuid.UUID | None = None  # give it to this person instead of routing it
    auto_assign: bool = False  # a user's lead is routed instead of kept

    def lead_fields(self) -> dict[str, Any]:
        """The attributes the Lead takes from the inquiry (owner and source are decided
        apart)."""
        return {"name": self.name, "company": self.company, "title": self.title,
                "phone": self.phone, "email": self.email, "industry": self.industry,
                "region": self.region, "company_size": self.company_size,
                "budget": self.budget, "currency": self.currency, "message": self.message,
                "campaign": self.campaign, "attribution": dict(self.attribution),
                "engagement": self.engagement}


# A lead always has these: a PATCH may change them but not clear them.
NOT_CLEARABLE = ("currency", "source", "engagement", "attribution")


@dataclass(frozen=True)
class UpdateLead:
    """An edit and/or a status move; fields left UNSET stay as they are."""

    name: str | Unset | None = UNSET
    company: str | Unset | None = UNSET
    title: str | Unset | None = UNSET
    phone: str | Unset | None = UNSET
    email: str | Unset | None = UNSET
    industry: str | Unset | None = UNSET
    region: str | Unset | None = UNSET
    company_size: Size | Unset | None = UNSET
    budget: Decimal | Unset | None = UNSET
    currency: str | Unset | None = UNSET
    message: str | Unset | None = UNSET
    source: Source | Unset | None = UNSET
    campaign: str | Unset | None = UNSET
    attribution: Mapping[str, str] | Unset | None = UNSET
    engagement: int | Unset | None = UNSET
    next_followup_at: datetime | Unset | None = UNSET
    status: LeadStatus | Unset | None = UNSET
    disqualify_reason: str | Unset | None = UNSET  # goes with status disqualified

    def __post_init__(self) -> None:
        for name in (*NOT_CLEARABLE, "status"):
            if getattr(self, name) is None:
                raise ValidationFailed.of(name, "lead.cannot_be_emptied")


@dataclass(frozen=True)
class LogFollowUp:
    """A call, mail or visit about the lead."""

    method: FollowUpMethod
    summary: str | None = None
    occurred_at: datetime | None = None  # None: now
    next_followup_at: datetime | None = None


@dataclass(frozen=True)
class CustomerFromLead:
    """How the customer a conversion creates differs from what the lead says."""

    name: str | None = None  # the full legal name; by default the lead's company, else name
    kind: CustomerKind | None = None  # by default a company when the lead names one


@dataclass(frozen=True)
class OpportunityFromLead:
    """The opportunity a conversion opens; what is left UNSET comes from the lead (name,
    amount and currency from its budget) or the default pipeline."""

    name: str | Unset | None = UNSET
    amount: Decimal | Unset | None = UNSET
    currency: str | Unset | None = UNSET
    expected_close_date: date | Unset | None = UNSET
    pipeline_id: uuid.UUID | Unset | None = UNSET
    stage_id: uuid.UUID | Unset | None = UNSET


@dataclass(frozen=True)
class ConvertLead:
    customer_id: uuid.UUID | None = None  # link to this customer instead of matching one
    customer: CustomerFromLead | None = None
    create_opportunity: bool = True
    opportunity: OpportunityFromLead | None = None


# ---- settings -------------------------------------------------------------------------------


@dataclass(frozen=True)
class ChangeAvailability:
    """A rep away or back, in or out of the rotation, or their capacity (None: no limit)."""

    away: bool | Unset | None = UNSET
    away_until: datetime | Unset | None = UNSET
    capacity: int | Unset | None = UNSET
    in_rotation: bool | Unset | None = UNSET


@dataclass(frozen=True)
class CreateLeadForm:
    name: str
    site_origin: str
    source: Source = Source.WEBSITE
    campaign: str | None = None
    honeypot_field: str = "fax"
    per_ip_per_hour: int = 5
    per_form_per_minute: int = 60


@dataclass(frozen=True)
class UpdateLeadForm:
    name: str | Unset | None = UNSET
    site_origin: str | Unset | None = UNSET
    source: Source | Unset | None = UNSET
    campaign: str | Unset | None = UNSET
    honeypot_field: str | Unset | None = UNSET
    per_ip_per_hour: int | Unset | None = UNSET
    per_form_per_minute: int | Unset | None = UNSET
    active: bool | Unset | None = UNSET
