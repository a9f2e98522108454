"""The Lead aggregate (线索): an inquiry on its way to becoming a customer and an opportunity."""

from __future__ import annotations

import copy
import re
import uuid
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from enum import StrEnum
from typing import Any

from domain.customers.model import Size, Source, aware, money
from domain.leads.routing import Assignment
from domain.leads.scoring import Facts, LeadGrade, ScoreLine, ScoringModel
from domain.leads.validation import (
    ContactPoint,
    FlagCode,
    LeadFlag,
    email_point,
    flags_for,
    phone_point,
)
from domain.shared.errors import DomainError, InvalidTransition, ValidationFailed
from domain.shared.events import DomainEvent
from domain.shared.text import Text


class LeadStatus(StrEnum):
    NEW = "new"
    CONTACTED = "contacted"
    QUALIFIED = "qualified"
    CONVERTED = "converted"
    DISQUALIFIED = "disqualified"


OPEN_STATUSES = frozenset({LeadStatus.NEW, LeadStatus.CONTACTED, LeadStatus.QUALIFIED})

# Moves a user makes by setting the status; converting has its own command (it creates records).
LEAD_MOVES: dict[LeadStatus, frozenset[LeadStatus]] = {
    LeadStatus.NEW: frozenset({LeadStatus.CONTACTED, LeadStatus.QUALIFIED,
                               LeadStatus.DISQUALIFIED}),
    LeadStatus.CONTACTED: frozenset({LeadStatus.QUALIFIED, LeadStatus.DISQUALIFIED}),
    LeadStatus.QUALIFIED: frozenset({LeadStatus.DISQUALIFIED}),
    LeadStatus.DISQUALIFIED: frozenset({LeadStatus.NEW}),  # reopened
    LeadStatus.CONVERTED: frozenset(),
}


class EventType:
    CREATED = "lead.created"
    ASSIGNED = "lead.assigned"
    STATUS_CHANGED = "lead.status_changed"
    CONVERTED = "lead.converted"


def matchable_contact(phone: Any, email: Any) -> tuple[str | None, str | None]:
    """What `Lead.contact` will be for a lead captured with this phone and e-mail, known
    before the lead is built (its number is drawn with the contact's lock, in one look)."""
    p = phone_point(phone) if isinstance(phone, str) else None
    e = email_point(email) if isinstance(email, str) else None
    return (p.value if p and p.valid else None, e.value if e and e.valid else None)


def lead_number(now: datetime, sequence: int) -> str:
    """L + yyyymm + a six-digit (or longer) sequence, e.g. L202611000042."""
    return f"L{now:%Y%m}{sequence:06d}"


def _text(value: Any, name: str, limit: int) -> str | None:
    text = re.sub(r"[ \t]+", " ", str(value or "")).strip() or None
    if text is not None and len(text) > limit:
        raise ValidationFailed.of(name, f"must be at most {limit} characters")
    return text


def _currency(raw: Any) -> str:
    currency = str(raw or "").upper()
    if not re.fullmatch(r"[A-Z]{3}", currency):
        raise ValidationFailed.of("currency", "must be an ISO 4217 code such as CNY")
    return currency


TEXT_LIMITS = {"name": 100, "company": 200, "title": 100, "message": 5000, "campaign": 100,
               "industry": 50, "region": 50, "disqualify_reason": 500}
VALIDATION_CODES = frozenset(FlagCode) - {FlagCode.DUPLICATE_LEAD, FlagCode.EXISTING_CUSTOMER}
DUPLICATE_CODES = frozenset({FlagCode.DUPLICATE_LEAD, FlagCode.EXISTING_CUSTOMER})


@dataclass(frozen=True)
class CustomerMatch:
    """An existing customer with a contact of the same phone or e-mail (blind index)."""

    id: uuid.UUID
    number: str
    name: str
    owner_id: uuid.UUID


@dataclass(frozen=True)
class LeadActivity:
    """One line of a lead's timeline."""

    lead_id: uuid.UUID
    kind: str  # created, assigned, status_changed, followup, converted, duplicate, edited
    summary: str | Text  # a text code with parameters; plain words on lines from before codes
    actor_id: uuid.UUID | None
    actor_label: str
    data: dict[str, Any] = field(default_factory=dict)
    at: datetime | None = None
    id: int | None = None


@dataclass
class Lead:
    id: uuid.UUID
    number: str
    source: Source
    status: LeadStatus = LeadStatus.NEW
    name: str | None = None
    company: str | None = None
    title: str | None = None
    phone: str | None = None  # normalised when valid; as typed (flagged) when not
    phone_valid: bool = True
    email: str | None = None
    email_valid: bool = True
    industry: str | None = None
    region: str | None = None
    company_size: Size | None = None
    budget: Decimal | None = None
    currency: str = "CNY"
    message: str | None = None
    campaign: str | None = None
    attribution: dict[str, str] = field(default_factory=dict)  # utm_* and the like
    engagement: int = 0
    score: int = 0
    grade: LeadGrade = LeadGrade.LOW
    score_breakdown: list[ScoreLine] = field(default_factory=list)
    flags: list[LeadFlag] = field(default_factory=list)
    owner_id: uuid.UUID | None = None
    owner_department_id: uuid.UUID | None = None
    assignment: Assignment | None = None
    assigned_at: datetime | None = None
    customer_id: uuid.UUID | None = None  # the existing customer it matched, or converted into
    opportunity_id: uuid.UUID | None = None
    duplicate_of_id: uuid.UUID | None = None
    disqualify_reason: str | None = None
    form_id: uuid.UUID | None = None
    converted_at: datetime | None = None
    last_followup_at: datetime | None = None
    next_followup_at: datetime | None = None
    # The last time someone worked the lead (assignment, status, follow-up): staleness runs
    # from here.
    touched_at: datetime | None = None
    created_by: uuid.UUID | None = None
    version: int = 1
    created_at: datetime | None = None
    updated_at: datetime | None = None
    events: list[DomainEvent] = field(default_factory=list, repr=False, compare=False)

    # ---- creation and edits ------------------------------------------------------------------

    @classmethod
    def capture(cls, *, number: str, source: Source, now: datetime,
                created_by: uuid.UUID | None, form_id: uuid.UUID | None = None,
                **fields: Any) -> Lead:
        lead = cls(id=uuid.uuid4(), number=number, source=source, form_id=form_id,
                   created_by=created_by, touched_at=now)
        lead._apply(fields)
        lead.events.append(DomainEvent(EventType.CREATED, "lead", str(lead.id), {
            "lead_id": str(lead.id), "number": number, "source": source.value}))
        return lead

    EDITABLE = frozenset({
        "name", "company", "title", "phone", "email", "industry", "region", "company_size",
        "budget", "currency", "message", "campaign", "source", "engagement", "attribution",
        "next_followup_at",
    })

    def update(self, changes: dict[str, Any]) -> None:
        unknown = set(changes) - self.EDITABLE
        if unknown:
            raise ValidationFailed.of(sorted(unknown)[0], "cannot be changed here")
        if self.status == LeadStatus.CONVERTED:
            raise InvalidTransition("A converted lead is kept as it was; edit the customer")
        saved = copy.deepcopy(self.__dict__)
        try:
            self._apply(changes)
        except DomainError:
            self.__dict__.update(saved)
            raise
        self.version += 1

    def _apply(self, f: dict[str, Any]) -> None:
        for name in ("name", "company", "title", "message", "campaign", "industry", "region"):
            if name in f:
                setattr(self, name, _text(f[name], name, TEXT_LIMITS[name]))
        if "phone" in f:
            self._set_contact("phone", phone_point(f["phone"]))
        if "email" in f:
            self._set_contact("email", email_point(f["email"]))
        if "company_size" in f:
            self.company_size = Size(f["company_size"]) if f["company_size"] else None
        if f.get("source"):
            self.source = Source(f["source"])
        if "budget" in f:
            self.budget = money(f["budget"], "budget")
        if "currency" in f and f["currency"] is not None:
            self.currency = _currency(f["currency"])
        if "engagement" in f and f["engagement"] is not None:
            engagement = int(f["engagement"])
            if not 0 <= engagement <= 1_000_000:
                raise ValidationFailed.of("engagement", "must be between 0 and 1000000")
            self.engagement = engagement
        if "attribution" in f:
            attribution = {str(k)[:50]: str(v)[:200] for k, v in (f["attribution"] or {}).items()}
            if len(attribution) > 20:
                raise ValidationFailed.of("attribution", "at most 20 entries")
            self.attribution = attribution
        if "next_followup_at" in f:
            self.next_followup_at = aware(f["next_followup_at"], "next_followup_at")
        self._revalidate()

    def _set_contact(self, kind: str, point: ContactPoint | None) -> None:
        setattr(self, kind, point.value if point else None)
        setattr(self, f"{kind}_valid", point.valid if point else True)

    def _revalidate(self) -> None:
        phone = ContactPoint(self.phone, self.phone_valid) if self.phone else None
        email = ContactPoint(self.email, self.email_valid) if self.email else None
        kept = [f for f in self.flags if f.code in DUPLICATE_CODES]
        self.flags = flags_for(name=self.name, company=self.company, message=self.message,
                               phone=phone, email=email) + kept

    # ---- flags, score, duplicates ----------------------------------------------------------

    def has_flag(self, code: FlagCode) -> bool:
        return any(f.code == code for f in self.flags)

    def flag(self, code: FlagCode) -> LeadFlag | None:
        return next((f for f in self.flags if f.code == code), None)

    def set_duplicates(self, *, open_lead: tuple[uuid.UUID, str] | None,
                       customer: tuple[uuid.UUID, str] | None) -> None:
        """What the blind-index lookups found: (id, label) of the open lead / the customer."""
        self.flags = [f for f in self.flags if f.code not in DUPLICATE_CODES]
        self.duplicate_of_id = open_lead[0] if open_lead else None
        if open_lead is not None:
            self.flags.append(LeadFlag(FlagCode.DUPLICATE_LEAD,
                                       f"same phone or e-mail as open lead {open_lead[1]}",
                                       open_lead[0]))
        if customer is not None:
            self.customer_id = customer[0]
            self.flags.append(LeadFlag(FlagCode.EXISTING_CUSTOMER,
                                       f"same phone or e-mail as customer {customer[1]}",
                                       customer[0]))
        elif self.status != LeadStatus.CONVERTED:
            self.customer_id = None

    def set_aside_if_spam(self) -> None:
        """Spam is kept (with its reason) but disqualified on arrival, off every rep's desk."""
        spam = self.flag(FlagCode.SPAM)
        if spam is not None and self.status == LeadStatus.NEW:
            self.status = LeadStatus.DISQUALIFIED
            self.disqualify_reason = f"spam: {spam.reason}"

    @property
    def filled(self) -> frozenset[str]:
        names = ("name", "company", "title", "message", "industry", "region", "company_size",
                 "budget")
        have = {n for n in names if getattr(self, n) not in (None, "")}
        if self.phone and self.phone_valid:
            have.add("phone")
        if self.email and self.email_valid:
            have.add("email")
        return frozenset(have)

    def rescore(self, model: ScoringModel) -> None:
        self.score, self.grade, self.score_breakdown = model.score(Facts(
            industry=self.industry,
            company_size=self.company_size.value if self.company_size else None,
            budget=self.budget, source=self.source.value, engagement=self.engagement,
            filled=self.filled))

    def engage(self) -> None:
        """The same person inquired again: one more interaction."""
        self.engagement += 1
        self.version += 1

    # ---- ownership ---------------------------------------------------------------------------

    def assign(self, owner_id: uuid.UUID, department_id: uuid.UUID | None,
               assignment: Assignment, now: datetime) -> None:
        if self.status == LeadStatus.CONVERTED:
            raise InvalidTransition("A converted lead belongs to its customer's owner")
        previous = self.owner_id
        if self.assignment is not None:
            self.version += 1
        self.owner_id, self.owner_department_id = owner_id, department_id
        self.assignment, self.assigned_at, self.touched_at = assignment, now, now
        self.events.append(DomainEvent(EventType.ASSIGNED, "lead", str(self.id), {
            "lead_id": str(self.id), "number": self.number, "label": self.label,
            "owner_id": str(owner_id), "previous_owner_id": str(previous) if previous else None,
            "by": assignment.by.value, "reason": assignment.reason, "grade": self.grade.value,
            "customer_id": str(self.customer_id) if self.customer_id else None}))

    @property
    def label(self) -> str:
        who = " / ".join(x for x in (self.company, self.name) if x)
        return f"{self.number} {who}".strip()

    @property
    def contact(self) -> tuple[str | None, str | None]:
        """The phone and e-mail it is matched on for duplicates: the valid ones."""
        return (self.phone if self.phone and self.phone_valid else None,
                self.email if self.email and self.email_valid else None)

    # ---- lifecycle ---------------------------------------------------------------------------

    @property
    def is_open(self) -> bool:
        return self.status in OPEN_STATUSES

    def move(self, to: LeadStatus, now: datetime, *, reason: str | None = None) -> None:
        if to == self.status:
            return
        if to == LeadStatus.CONVERTED:
            raise InvalidTransition("Convert a lead with POST /leads/{id}/convert")
        if to not in LEAD_MOVES[self.status]:
            allowed = ", ".join(sorted(s.value for s in LEAD_MOVES[self.status])) or "nothing"
            raise InvalidTransition(f"A lead cannot go from {self.status.value} to {to.value} "
                                    f"(from {self.status.value} it can go to: {allowed})")
        if to == LeadStatus.DISQUALIFIED:
            self.disqualify_reason = _text(reason, "disqualify_reason", 500)
            if self.disqualify_reason is None:
                raise ValidationFailed.of("disqualify_reason", "is required to disqualify")
        elif to == LeadStatus.NEW:
            self.disqualify_reason = None
        self._set_status(to)
        if to == LeadStatus.CONTACTED:
            self.last_followup_at = max(filter(None, (self.last_followup_at, now)))
        self.touched_at = now
        self.version += 1

    def _set_status(self, to: LeadStatus) -> None:
        previous, self.status = self.status, to
        self.events.append(DomainEvent(EventType.STATUS_CHANGED, "lead", str(self.id), {
            "lead_id": str(self.id), "from": previous.value, "to": to.value,
            "reason": self.disqualify_reason}))

    def record_followup(self, occurred_at: datetime, next_followup_at: datetime | None) -> None:
        """A call, mail or visit about the lead; a new lead counts as contacted from then on."""
        if not self.is_open:
            raise InvalidTransition(f"The lead is {self.status.value}; reopen it first")
        aware(occurred_at, "occurred_at")
        aware(next_followup_at, "next_followup_at")
        if self.last_followup_at is None or occurred_at > self.last_followup_at:
            self.last_followup_at = occurred_at
            if next_followup_at is not None:
                self.next_followup_at = next_followup_at
        if self.status == LeadStatus.NEW:
            self._set_status(LeadStatus.CONTACTED)
        self.touched_at = max(filter(None, (self.touched_at, occurred_at)))
        self.version += 1

    def convert(self, customer_id: uuid.UUID, opportunity_id: uuid.UUID | None,
                now: datetime, by: uuid.UUID | None) -> None:
        if not self.is_open:
            raise InvalidTransition(f"A {self.status.value} lead cannot be converted"
                                    + ("; reopen it first"
                                       if self.status == LeadStatus.DISQUALIFIED else ""))
        self.status = LeadStatus.CONVERTED
        self.customer_id, self.opportunity_id = customer_id, opportunity_id
        self.converted_at = self.touched_at = now
        self.version += 1
        self.events.append(DomainEvent(EventType.CONVERTED, "lead", str(self.id), {
            "lead_id": str(self.id), "number": self.number, "customer_id": str(customer_id),
            "opportunity_id": str(opportunity_id) if opportunity_id else None,
            "by": str(by) if by else None}))
