"""The request and response shapes of customers (with their contacts), the timeline and the
industry and region lists; follow-ups and tasks are in `activity`."""

from __future__ import annotations

import uuid
from decimal import Decimal
from typing import Annotated, Any, Literal

from pydantic import BaseModel, Field, PlainSerializer

from api.schemas import (
    CURRENCY,
    NOT_BLANK,
    TAG,
    Bool,
    Date,
    DateTime,
    Input,
    decimal_text,
    omittable,
    sent,
)
from domain.customers.activity import (
    ActivityEntry,
)
from domain.customers.commands import (
    ContactDraft,
    CustomerChanges,
    NewCustomer,
)
from domain.customers.model import Contact, Customer, CustomerKind, Grade, Size, Source, Tier
from domain.customers.personal import mask_email, mask_id_card, mask_phone
from domain.shared.catalogue import render

# the domain's full legal name: at least two characters once trimmed
FULL_NAME = r"\S[\s\S]*\S"

Money = Annotated[Decimal, PlainSerializer(lambda v: f"{v:.2f}", return_type=str,
                                           when_used="json"),
                  # domain/customers/values.py: not negative, two places, below 10^16
                  *decimal_text(r"^\d{1,16}(\.\d{1,2})?$"),
                  Field(examples=["1250000.00"], description="A decimal string, never a float")]


class ContactIn(Input):
    id: uuid.UUID | None = Field(None, description="Keep an existing contact's id on update")
    name: str = Field(max_length=100, pattern=NOT_BLANK, examples=["张三"])
    title: str | None = Field(None, max_length=100, examples=["采购经理"])
    mobile: str | None = Field(None, max_length=40, examples=["13812345678"])
    landline: str | None = Field(None, max_length=40, examples=["010-12345678"])
    email: str | None = Field(None, max_length=254, examples=["zhang.san@example.com"])
    is_primary: Bool = False

    def draft(self) -> ContactDraft:
        return ContactDraft(id=self.id, name=self.name, title=self.title, mobile=self.mobile,
                            landline=self.landline, email=self.email, is_primary=self.is_primary)


class ContactOut(BaseModel):
    id: uuid.UUID
    name: str
    title: str | None
    mobile: str | None = Field(description="Masked, e.g. 138****5678")
    landline: str | None
    email: str | None
    is_primary: Bool

    @staticmethod
    def plain(c: Contact, reveal: bool = False) -> dict[str, Any]:
        """The contact as JSON-ready values (see CustomerOut.plain)."""
        mobile, landline, email = c.mobile, c.landline, c.email
        if not reveal:
            mobile = None if mobile is None else mask_phone(mobile)
            landline = None if landline is None else mask_phone(landline)
            email = None if email is None else mask_email(email)
        return {"id": str(c.id), "name": c.name, "title": c.title, "mobile": mobile,
                "landline": landline, "email": email, "is_primary": c.is_primary}


class CustomerCreate(Input):
    name: str = Field(min_length=2, max_length=200, pattern=FULL_NAME,
                      examples=["上海明远精密机械制造有限公司"],
                      description="The full legal name, no abbreviations")
    kind: CustomerKind = Field(examples=["company"])
    industry: str | None = Field(None, max_length=50, examples=["manufacturing"])
    region: str | None = Field(None, max_length=50, examples=["east"])
    size: Size | None = None
    source: Source | None = None
    # closed is earned through intent, churned after closed: a new customer starts earlier
    grade: Grade | None = Field(None, json_schema_extra={"enum": ["potential", "intent", None]})
    annual_purchase: Money | None = None
    currency: str = Field("CNY", min_length=3, max_length=3, pattern=CURRENCY)
    owner_id: uuid.UUID | None = Field(None, description="Defaults to you")
    first_contact_date: Date | None = None
    next_followup_at: DateTime | None = None
    next_followup_plan: str | None = Field(None, max_length=500)
    key_needs: str | None = Field(None, max_length=2000)
    tags: list[Annotated[str, Field(max_length=50, pattern=TAG)]] = Field(
        default_factory=list, max_length=50)
    custom: dict[str, Any] = Field(default_factory=dict)
    id_card_number: str | None = Field(None, max_length=30, description="Persons only")
    contacts: list[ContactIn] = Field(default_factory=list, max_length=50)

    def command(self) -> NewCustomer:
        return NewCustomer(
            name=self.name, kind=self.kind, industry=self.industry, region=self.region,
            size=self.size, source=self.source, grade=self.grade,
            annual_purchase=self.annual_purchase, currency=self.currency,
            owner_id=self.owner_id, first_contact_date=self.first_contact_date,
            next_followup_at=self.next_followup_at, next_followup_plan=self.next_followup_plan,
            key_needs=self.key_needs, tags=self.tags, custom=self.custom,
            id_card_number=self.id_card_number, contacts=[x.draft() for x in self.contacts])


class CustomerUpdate(Input):
    name: str | None = omittable(min_length=2, max_length=200, pattern=FULL_NAME)
    kind: CustomerKind | None = omittable()
    industry: str | None = Field(None, max_length=50)
    region: str | None = Field(None, max_length=50)
    size: Size | None = None
    source: Source | None = None
    grade: Grade | None = Field(None, description="potential → intent → closed → churned; "
                                "churned → intent reactivates")
    annual_purchase: Money | None = None
    currency: str | None = omittable(min_length=3, max_length=3, pattern=CURRENCY)
    owner_id: uuid.UUID | None = Field(None, description="Reassign (managers and admins)")
    first_contact_date: Date | None = None
    next_followup_at: DateTime | None = None
    next_followup_plan: str | None = Field(None, max_length=500)
    key_needs: str | None = Field(None, max_length=2000)
    tags: list[Annotated[str, Field(max_length=50, pattern=TAG)]] | None = Field(
        None, max_length=50)
    custom: dict[str, Any] | None = None
    id_card_number: str | None = Field(None, max_length=30)
    contacts: list[ContactIn] | None = Field(None, max_length=50,
                                             description="Replaces the contact list")

    def command(self) -> CustomerChanges:
        contacts = sent(self, "contacts")
        return CustomerChanges(
            name=sent(self, "name"), kind=sent(self, "kind"), industry=sent(self, "industry"),
            region=sent(self, "region"), size=sent(self, "size"), source=sent(self, "source"),
            grade=sent(self, "grade"), annual_purchase=sent(self, "annual_purchase"),
            currency=sent(self, "currency"), owner_id=sent(self, "owner_id"),
            first_contact_date=sent(self, "first_contact_date"),
            next_followup_at=sent(self, "next_followup_at"),
            next_followup_plan=sent(self, "next_followup_plan"),
            key_needs=sent(self, "key_needs"), tags=sent(self, "tags"),
            custom=sent(self, "custom"), id_card_number=sent(self, "id_card_number"),
            contacts=[x.draft() for x in contacts] if contacts else contacts)


class CustomerOut(BaseModel):
    id: uuid.UUID
    number: str = Field(examples=["C202611000042"])
    name: str
    kind: CustomerKind
    industry: str | None
    region: str | None
    size: Size | None
    source: Source | None
    grade: Grade
    tier: Tier
    annual_purchase: Money | None
    currency: str
    owner_id: uuid.UUID
    owner_department_id: uuid.UUID | None
    first_contact_date: Date | None
    last_followup_at: DateTime | None
    next_followup_at: DateTime | None
    next_followup_plan: str | None
    key_needs: str | None
    tags: list[str]
    custom: dict[str, Any]
    id_card_number: str | None = Field(description="Masked, e.g. 110101********1234")
    contacts: list[ContactOut]
    version: int
    created_at: DateTime | None
    updated_at: DateTime | None
    deleted: Literal[False] = False

    @classmethod
    def of(cls, c: Customer, reveal: bool = False) -> CustomerOut:
        """The response model of `plain`'s values (writes and short lists; the hottest reads
        send `plain` as it is)."""
        return cls.model_validate(cls.plain(c, reveal))

    @staticmethod
    def plain(c: Customer, reveal: bool = False) -> dict[str, Any]:
        """The one definition of a customer's response: the fields in the model's order, as
        JSON-ready values for `pydantic_core.to_json` (GET, the hottest read: no model built),
        personal data masked unless revealed. Ids and enums go in as the strings they
        serialise to: to_json takes a str at C speed but looks up the type of a UUID subclass
        (asyncpg's) or an enum member every time. List pages are written by PostgreSQL
        (adapters.db.customers.DOC_FIELDS, migration 0016): tests/unit/test_customer_shape.py
        holds their fields equal to these.
        """
        card, money, dept = c.id_card_number, c.annual_purchase, c.owner_department_id
        return {
            "id": str(c.id), "number": c.number, "name": c.name, "kind": c.kind.value,
            "industry": c.industry, "region": c.region,
            "size": None if c.size is None else c.size.value,
            "source": None if c.source is None else c.source.value,
            "grade": c.grade.value, "tier": c.tier.value,
            "annual_purchase": None if money is None else f"{money:.2f}",
            "currency": c.currency, "owner_id": str(c.owner_id),
            "owner_department_id": None if dept is None else str(dept),
            "first_contact_date": c.first_contact_date, "last_followup_at": c.last_followup_at,
            "next_followup_at": c.next_followup_at, "next_followup_plan": c.next_followup_plan,
            "key_needs": c.key_needs, "tags": c.tags, "custom": c.custom,
            "id_card_number": card if card is None or reveal else mask_id_card(card),
            "contacts": [ContactOut.plain(x, reveal) for x in c.contacts], "version": c.version,
            "created_at": c.created_at, "updated_at": c.updated_at, "deleted": False}


class CustomerSparse(BaseModel):
    """A customer trimmed by `fields=`: its id and the fields asked for, nothing else."""

    id: uuid.UUID
    number: str | None = None
    name: str | None = None
    kind: CustomerKind | None = None
    industry: str | None = None
    region: str | None = None
    size: Size | None = None
    source: Source | None = None
    grade: Grade | None = None
    tier: Tier | None = None
    annual_purchase: Money | None = None
    currency: str | None = None
    owner_id: uuid.UUID | None = None
    owner_department_id: uuid.UUID | None = None
    first_contact_date: Date | None = None
    last_followup_at: DateTime | None = None
    next_followup_at: DateTime | None = None
    next_followup_plan: str | None = None
    key_needs: str | None = None
    tags: list[str] | None = None
    custom: dict[str, Any] | None = None
    id_card_number: str | None = None
    contacts: list[ContactOut] | None = None
    version: int | None = None
    created_at: DateTime | None = None
    updated_at: DateTime | None = None
    deleted: Literal[False] = False


class Tombstone(BaseModel):
    """A deleted record in a delta sync (updated_since)."""

    id: uuid.UUID
    deleted: Literal[True] = True
    version: int
    updated_at: DateTime | None
    merged_into: uuid.UUID | None = Field(None, description="Set when a merge folded it away")


class CustomerRevealed(BaseModel):
    id: uuid.UUID
    id_card_number: str | None
    contacts: list[ContactOut]

    @classmethod
    def of(cls, c: Customer) -> CustomerRevealed:
        full = CustomerOut.plain(c, reveal=True)
        return cls.model_validate({name: full[name] for name in cls.model_fields})


class TimelineEntryOut(BaseModel):
    id: int
    at: DateTime
    kind: str = Field(examples=["followup"])
    summary: str = Field(description="In the caller's language")
    code: str | None = Field(None, description=(
        "The summary's text code, the same in every language (none on old lines)"),
        examples=["contract.submitted"])
    actor_id: uuid.UUID | None
    actor_label: str
    ref_type: str | None
    ref_id: uuid.UUID | None
    data: dict[str, Any]

    @classmethod
    def of(cls, e: ActivityEntry) -> TimelineEntryOut:
        assert e.id is not None and e.at is not None
        summary = e.summary if isinstance(e.summary, str) else render(e.summary)
        code = None if isinstance(e.summary, str) else e.summary.code
        return cls(id=e.id, at=e.at, kind=e.kind, summary=summary, code=code,
                   actor_id=e.actor_id,
                   actor_label=e.actor_label, ref_type=e.ref_type, ref_id=e.ref_id, data=e.data)


class PicklistValue(Input):
    value: str = Field(min_length=1, max_length=50, pattern=r"^[a-z0-9_\-]+$",
                       examples=["robotics"])
    label: str = Field(min_length=1, max_length=100, examples=["机器人 Robotics"])


class PicklistOut(BaseModel):
    name: str
    values: list[str]
