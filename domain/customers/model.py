"""The Customer aggregate (客户) and its contacts: creation, edits, the grade's lifecycle,
ownership, deletion and the merging of duplicates. What each field may hold is in `values`."""

from __future__ import annotations

import copy
import dataclasses
import re
import uuid
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from domain.customers.personal import (
    normalise_email,
    normalise_id_card,
    normalise_landline,
    normalise_mobile,
)
from domain.customers.values import (
    GRADE_MOVES,
    MAX_TAGS,
    CustomerKind,
    Grade,
    Size,
    Source,
    Tier,
    TierPolicy,
    aware,
    check_company_name,
    check_custom,
    check_legal_name,
    check_tags,
    customer_number,
    money,
    normalised_name,
)
from domain.shared.errors import DomainError, InvalidTransition, ValidationFailed
from domain.shared.events import DomainEvent
from domain.shared.text import Label

# Other features name these through the aggregate's module.
__all__ = [
    "GRADE_MOVES", "MAX_CONTACTS", "MAX_TAGS", "Contact", "ContactDraft", "Customer",
    "CustomerKind", "EventType", "Grade", "Size", "Source", "Tier", "TierPolicy",
    "arrange_contacts", "aware", "check_company_name", "check_custom", "check_legal_name",
    "check_tags", "customer_number", "money", "normalised_name", "updated_event",
]

MAX_CONTACTS = 50


class EventType:
    CREATED = "customer.created"
    UPDATED = "customer.updated"
    DELETED = "customer.deleted"
    RESTORED = "customer.restored"
    REASSIGNED = "customer.reassigned"
    MERGED = "customer.merged"
    FOLLOWUP_CREATED = "followup.created"
    TASK_CREATED = "task.created"


def updated_event(customer_id: uuid.UUID, fields: list[str]) -> DomainEvent:
    """What an edit of these fields emits, for changes made in bulk without loading each
    customer (bulk tagging, a tag deleted): the same event as `Customer.update`'s."""
    return DomainEvent(EventType.UPDATED, "customer", str(customer_id),
                       {"customer_id": str(customer_id), "fields": sorted(fields)})


@dataclass(frozen=True)
class ContactDraft:
    """A contact as a caller gives it, not yet checked; `id` keeps one of the customer's
    existing contacts (any other id is dropped and a new one made)."""

    name: str
    title: str | None = None
    mobile: str | None = None
    landline: str | None = None
    email: str | None = None
    is_primary: bool = False
    id: uuid.UUID | None = None


@dataclass
class Contact:
    id: uuid.UUID
    name: str
    title: str | None = None
    mobile: str | None = None
    landline: str | None = None
    email: str | None = None
    is_primary: bool = False

    @classmethod
    def create(cls, index: int, *, name: str, title: str | None = None,
               mobile: str | None = None, landline: str | None = None,
               email: str | None = None, is_primary: bool = False,
               id: uuid.UUID | None = None) -> Contact:
        at = f"contacts.{index}"
        name = name.strip()
        if not 1 <= len(name) <= 100:
            raise ValidationFailed.of(f"{at}.name", "length_between", min=1, max=100)
        if title is not None and len(title.strip()) > 100:
            raise ValidationFailed.of(f"{at}.title", "too_long", max=100)
        return cls(
            id=id or uuid.uuid4(), name=name, title=(title or "").strip() or None,
            mobile=normalise_mobile(mobile, f"{at}.mobile") if mobile else None,
            landline=normalise_landline(landline, f"{at}.landline") if landline else None,
            email=normalise_email(email, f"{at}.email") if email else None,
            is_primary=is_primary,
        )

    @classmethod
    def of(cls, index: int, given: Contact | ContactDraft | Mapping[str, Any]) -> Contact:
        """A checked contact; one already checked stays as it is (an import hands its rows
        over by field name)."""
        if isinstance(given, Contact):
            return given
        if isinstance(given, ContactDraft):
            return cls.create(index, **dataclasses.asdict(given))
        return cls.create(index, **given)


def arrange_contacts(contacts: list[Contact]) -> list[Contact]:
    """Exactly one primary contact whenever there are contacts (the first, unless one is named)."""
    if len(contacts) > MAX_CONTACTS:
        raise ValidationFailed.of("contacts", "customer.contacts_too_many",
                                  max=MAX_CONTACTS)
    primaries = [c for c in contacts if c.is_primary]
    if len(primaries) > 1:
        raise ValidationFailed.of("contacts", "customer.one_primary_contact")
    if contacts and not primaries:
        contacts[0].is_primary = True
    return contacts


@dataclass
class Customer:
    id: uuid.UUID
    number: str
    name: str
    kind: CustomerKind
    owner_id: uuid.UUID
    owner_department_id: uuid.UUID | None
    grade: Grade = Grade.POTENTIAL
    tier: Tier = Tier.NORMAL
    industry: str | None = None
    region: str | None = None
    size: Size | None = None
    source: Source | None = None
    annual_purchase: Decimal | None = None
    currency: str = "CNY"
    first_contact_date: date | None = None
    last_followup_at: datetime | None = None
    next_followup_at: datetime | None = None
    next_followup_plan: str | None = None
    key_needs: str | None = None
    tags: list[str] = field(default_factory=list)
    custom: dict[str, Any] = field(default_factory=dict)
    id_card_number: str | None = None
    contacts: list[Contact] = field(default_factory=list)
    created_by: uuid.UUID | None = None
    version: int = 1
    created_at: datetime | None = None
    updated_at: datetime | None = None
    deleted_at: datetime | None = None
    merged_into_id: uuid.UUID | None = None
    events: list[DomainEvent] = field(default_factory=list, repr=False, compare=False)

    # ---- creation and edits ------------------------------------------------------------------

    @classmethod
    def create(cls, *, number: str, name: str, kind: CustomerKind, owner_id: uuid.UUID,
               owner_department_id: uuid.UUID | None, tier_policy: TierPolicy,
               created_by: uuid.UUID | None, **fields: Any) -> Customer:
        customer = cls(id=uuid.uuid4(), number=number, name=check_legal_name(name), kind=kind,
                       owner_id=owner_id, owner_department_id=owner_department_id,
                       created_by=created_by)
        if kind == CustomerKind.COMPANY:
            check_company_name(customer.name)
        initial_grade = fields.pop("grade", None)
        if initial_grade is not None:  # a new record may start at any grade (e.g. imported)
            customer.grade = Grade(initial_grade)
        customer._apply(fields, tier_policy)
        customer.events.append(DomainEvent(
            EventType.CREATED, "customer", str(customer.id),
            {"customer_id": str(customer.id), "number": number, "owner_id": str(owner_id)}))
        return customer

    def assign_number(self, number: str) -> None:
        """The number of a customer drafted before its number was drawn (an import draws a
        chunk's numbers in one round trip): its created event carries it, as a single
        create's does."""
        self.number = number
        for event in self.events:
            if event.type == EventType.CREATED:
                event.payload["number"] = number

    EDITABLE = frozenset({
        "name", "kind", "industry", "region", "size", "source", "annual_purchase", "currency",
        "first_contact_date", "next_followup_at", "next_followup_plan", "key_needs", "tags",
        "custom", "id_card_number", "contacts", "grade",
    })

    def update(self, changes: dict[str, Any], tier_policy: TierPolicy) -> None:
        unknown = set(changes) - self.EDITABLE
        if unknown:
            raise ValidationFailed.of(sorted(unknown)[0], "customer.not_editable_here")
        self._ensure_live()
        saved = copy.deepcopy(self.__dict__)
        try:
            self._apply(changes, tier_policy)
        except DomainError:
            self.__dict__.update(saved)  # a refused edit leaves the customer as it was
            raise
        self.version += 1
        self.events.append(DomainEvent(
            EventType.UPDATED, "customer", str(self.id),
            {"customer_id": str(self.id), "fields": sorted(changes)}))

    def _apply(self, f: dict[str, Any], tier_policy: TierPolicy) -> None:
        if "name" in f:
            self.name = check_legal_name(f["name"])
        if "kind" in f:
            self.kind = CustomerKind(f["kind"])
        for text_field, limit in (("industry", 50), ("region", 50), ("next_followup_plan", 500),
                                  ("key_needs", 2000)):
            if text_field in f:
                value = (f[text_field] or "").strip() or None
                if value is not None and len(value) > limit:
                    raise ValidationFailed.of(text_field, "too_long", max=limit)
                setattr(self, text_field, value)
        if "size" in f:
            self.size = Size(f["size"]) if f["size"] else None
        if "source" in f:
            self.source = Source(f["source"]) if f["source"] else None
        if "currency" in f:
            currency = (f["currency"] or "").upper()
            if not re.fullmatch(r"[A-Z]{3}", currency):
                raise ValidationFailed.of("currency", "customer.currency_code")
            self.currency = currency
        if "annual_purchase" in f:
            self.annual_purchase = money(f["annual_purchase"], "annual_purchase")
        if "first_contact_date" in f:
            self.first_contact_date = f["first_contact_date"]
        if "next_followup_at" in f:
            self.next_followup_at = aware(f["next_followup_at"], "next_followup_at")
        if "tags" in f:
            self.tags = check_tags(list(f["tags"] or []))
        if "custom" in f:
            self.custom = check_custom(dict(f["custom"] or {}))
        if "id_card_number" in f:
            raw = f["id_card_number"]
            self.id_card_number = normalise_id_card(raw) if raw else None
        if self.id_card_number is not None and self.kind != CustomerKind.PERSON:
            raise ValidationFailed.of("id_card_number", "customer.id_card_person_only")
        if "contacts" in f:
            self.contacts = arrange_contacts([
                Contact.of(i, c) for i, c in enumerate(f["contacts"] or [])])
        if "grade" in f and f["grade"] is not None and Grade(f["grade"]) != self.grade:
            self.move_grade(Grade(f["grade"]))
        if self.kind == CustomerKind.COMPANY and ("name" in f or "kind" in f):
            check_company_name(self.name)
        self.tier = tier_policy.tier_for(self.annual_purchase)

    def close_deal(self) -> bool:
        """A paid contract makes the customer closed, by way of intent when it was not there
        yet; False when it already was."""
        path = {Grade.POTENTIAL: [Grade.INTENT, Grade.CLOSED], Grade.INTENT: [Grade.CLOSED],
                Grade.CHURNED: [Grade.INTENT, Grade.CLOSED], Grade.CLOSED: []}[self.grade]
        if not path:
            return False
        for grade in path:
            self.move_grade(grade)
        self.version += 1
        self.events.append(DomainEvent(EventType.UPDATED, "customer", str(self.id),
                                       {"customer_id": str(self.id), "fields": ["grade"]}))
        return True

    @staticmethod
    def check_starting_grade(grade: Grade | None) -> None:
        """A customer someone enters starts as potential or one move on, as an edit of a new
        potential customer would allow; closed is earned through intent (imports of history
        are not held to this)."""
        if grade is not None and grade != Grade.POTENTIAL and grade not in GRADE_MOVES[
            Grade.POTENTIAL
        ]:
            first, second = sorted({Grade.POTENTIAL.value} | {g.value for g in GRADE_MOVES[
                Grade.POTENTIAL]})
            raise ValidationFailed.of(
                "grade", "customer.starting_grade", first=Label("customer_grade", first),
                second=Label("customer_grade", second), grade=Label("customer_grade", grade.value))

    def move_grade(self, to: Grade) -> None:
        if to not in GRADE_MOVES[self.grade]:
            raise InvalidTransition(
                "customer.grade_move", from_grade=Label("customer_grade", self.grade.value),
                to_grade=Label("customer_grade", to.value),
                allowed=[Label("customer_grade", g) for g in sorted(GRADE_MOVES[self.grade])])
        self.grade = to

    # ---- ownership, follow-ups, deletion ---------------------------------------------------

    def reassign(self, owner_id: uuid.UUID, owner_department_id: uuid.UUID | None,
                 by: uuid.UUID | None) -> None:
        self._ensure_live()
        if owner_id == self.owner_id:
            return
        previous = self.owner_id
        self.owner_id = owner_id
        self.owner_department_id = owner_department_id
        self.version += 1
        self.events.append(DomainEvent(
            EventType.REASSIGNED, "customer", str(self.id),
            {"customer_id": str(self.id), "number": self.number, "name": self.name,
             "from_owner_id": str(previous), "to_owner_id": str(owner_id),
             "by": str(by) if by else None}))

    def record_followup(self, occurred_at: datetime, next_followup_at: datetime | None,
                        next_action: str | None) -> None:
        """Kept by the system: the latest follow-up time and the plan it sets."""
        self._ensure_live()
        if self.last_followup_at is None or occurred_at > self.last_followup_at:
            self.last_followup_at = occurred_at
            if next_followup_at is not None or next_action is not None:
                self.next_followup_at = next_followup_at
                self.next_followup_plan = next_action
        day = occurred_at.date()
        if self.first_contact_date is None or day < self.first_contact_date:
            self.first_contact_date = day
        self.version += 1

    def delete(self, now: datetime) -> None:
        self._ensure_live()
        self.deleted_at = now
        self.version += 1
        self.events.append(DomainEvent(EventType.DELETED, "customer", str(self.id),
                                       {"customer_id": str(self.id)}))

    def restore(self) -> None:
        if self.deleted_at is None:
            raise InvalidTransition("customer.not_deleted")
        if self.merged_into_id is not None:
            raise InvalidTransition("customer.merged_away")
        self.deleted_at = None
        self.version += 1
        self.events.append(DomainEvent(EventType.RESTORED, "customer", str(self.id),
                                       {"customer_id": str(self.id)}))

    # ---- merging duplicates -------------------------------------------------------------------

    def absorb(self, others: list[Customer], chosen: dict[str, Any],
               tier_policy: TierPolicy) -> None:
        """Takes in what the duplicates know. `chosen` holds the field values picked by the
        person merging; everything else keeps this record's value, gaps filled from others."""
        self._ensure_live()
        for name, value in chosen.items():
            setattr(self, name, value)
        for other in others:
            for name in ("industry", "region", "size", "source", "key_needs",
                         "next_followup_plan", "annual_purchase"):
                if getattr(self, name) in (None, "") and name not in chosen:
                    setattr(self, name, getattr(other, name))
            self.tags = check_tags(self.tags + [t for t in other.tags if t not in self.tags])
            self.custom = {**other.custom, **self.custom} if "custom" not in chosen else self.custom
            if other.last_followup_at and (self.last_followup_at is None
                                           or other.last_followup_at > self.last_followup_at):
                self.last_followup_at = other.last_followup_at
            if other.first_contact_date and (self.first_contact_date is None
                                             or other.first_contact_date < self.first_contact_date):
                self.first_contact_date = other.first_contact_date
            known = {v for c in self.contacts for v in (c.mobile, c.landline, c.email) if v}
            for contact in other.contacts:
                values = {v for v in (contact.mobile, contact.landline, contact.email) if v}
                if values and values <= known:
                    continue
                known |= values
                self.contacts.append(replace(contact, id=uuid.uuid4(), is_primary=False))
        self.contacts = arrange_contacts(self.contacts)
        self.tier = tier_policy.tier_for(self.annual_purchase)
        self.version += 1
        self.events.append(DomainEvent(
            EventType.MERGED, "customer", str(self.id),
            {"customer_id": str(self.id), "merged": [str(o.id) for o in others]}))

    def fold_into(self, survivor_id: uuid.UUID, now: datetime) -> None:
        self._ensure_live()
        self.deleted_at = now
        self.merged_into_id = survivor_id
        self.version += 1
        self.events.append(DomainEvent(
            EventType.DELETED, "customer", str(self.id),
            {"customer_id": str(self.id), "merged_into": str(survivor_id)}))

    def _ensure_live(self) -> None:
        if self.deleted_at is not None:
            raise InvalidTransition("customer.deleted_restore_first")

    @property
    def primary_contact(self) -> Contact | None:
        return next((c for c in self.contacts if c.is_primary), None)
