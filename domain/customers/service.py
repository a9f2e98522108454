"""Customer 360 use cases on the customer itself: creating, reading, listing, editing (with its
contacts), reassigning, the recycle bin, revealing personal data, the timeline and the
industry and region lists. Its `followups`, `tasks` and `duplicates` hold the use cases of
those, on the same ports and the same rules of who sees what."""

from __future__ import annotations

import builtins
import json
import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field, replace

from domain.audit.model import AuditEntry, field_diff
from domain.customers.access import CustomerAccess, masked_snapshot
from domain.customers.activity import ActivityEntry
from domain.customers.commands import CustomerChanges, NewCustomer
from domain.customers.contact_service import ContactService
from domain.customers.followup_service import FollowUpService
from domain.customers.merging import DuplicateService
from domain.customers.model import Contact, ContactDraft, Customer, customer_number
from domain.customers.personal import mask_email, mask_phone
from domain.customers.queries import CustomerFilter, check_custom_keys, is_lookup, resolve
from domain.customers.task_service import TaskService
from domain.customers.values import PicklistEntry
from domain.fields_and_tags.model import validate_custom
from domain.shared.authz import Actor, Principal, Scope, Visibility, require
from domain.shared.commands import given
from domain.shared.errors import (
    Conflict,
    NotFound,
    PermissionDenied,
    ValidationFailed,
    check_version,
)
from domain.shared.ownership import TEAM_LEADS, is_team_lead
from domain.shared.paging import Page, PageRequest
from domain.shared.ports import UnitOfWork
from domain.shared.text import Label, text

__all__ = ["CustomerService", "masked_snapshot"]

PICKLISTS = ("industry", "region")
REQUIRED = ("name", "kind", "currency")


def _own_contact_ids(contacts: Sequence[ContactDraft | Contact], own: set[uuid.UUID]
                     ) -> list[ContactDraft | Contact]:
    """A client may keep the ids of the customer's own contacts, once each; any other id is
    dropped (a new one is made)."""
    seen: set[uuid.UUID] = set()
    out: list[ContactDraft | Contact] = []
    for contact in contacts:
        if isinstance(contact, ContactDraft) and contact.id is not None:
            if contact.id in own and contact.id not in seen:
                seen.add(contact.id)
            else:
                contact = replace(contact, id=None)
        out.append(contact)
    return out


def _manager_or_admin(p: Principal) -> bool:
    """The recycle bin is theirs: not a rep's, not an integration's."""
    return p.kind == "user" and p.role in TEAM_LEADS


@dataclass
class CustomerService(CustomerAccess):
    followups: FollowUpService = field(init=False, repr=False)
    tasks: TaskService = field(init=False, repr=False)
    contacts: ContactService = field(init=False, repr=False)
    duplicates: DuplicateService = field(init=False, repr=False)

    def __post_init__(self) -> None:
        self.followups = FollowUpService(self)
        self.tasks = TaskService(self)
        self.contacts = ContactService(self)
        self.duplicates = DuplicateService(self)

    # ---- creating -----------------------------------------------------------------------------

    async def create(self, actor: Actor, command: NewCustomer, *,
                     allow_duplicate: bool = False) -> Customer:
        """A contact phone another customer has already is a conflict unless allowed."""
        require(actor, Scope.CUSTOMERS_WRITE)
        async with self.uow() as uow:
            c = await self.add(uow, actor, command, allow_duplicate=allow_duplicate)
            await uow.commit()
            return c

    async def add(self, uow: UnitOfWork, actor: Actor, command: NewCustomer, *,
                  allow_duplicate: bool = True) -> Customer:
        """Creates a customer inside the caller's transaction (lead conversion uses it too,
        having matched duplicates itself)."""
        p = require(actor, Scope.CUSTOMERS_WRITE)
        custom = validate_custom(dict(command.custom),
                                 list(await uow.custom_fields.list("customer")), creating=True)
        owner_ref = command.owner_id or p.user_id
        if owner_ref is None:
            raise ValidationFailed.of("owner_id", "customer.owner_required_for_integration")
        owner_id, department_id = await self.check_owner(uow, p, owner_ref)
        await self._check_picklists(uow, command.industry, command.region)
        Customer.check_starting_grade(command.grade)
        number = customer_number(self.clock.now(), await uow.customers.next_sequence())
        c = Customer.create(
            number=number, name=command.name, kind=command.kind, owner_id=owner_id,
            owner_department_id=department_id, tier_policy=self.tier_policy, created_by=p.id,
            industry=command.industry, region=command.region, size=command.size,
            source=command.source, grade=command.grade,
            annual_purchase=command.annual_purchase, currency=command.currency,
            first_contact_date=command.first_contact_date,
            next_followup_at=command.next_followup_at,
            next_followup_plan=command.next_followup_plan, key_needs=command.key_needs,
            tags=list(command.tags), custom=custom, id_card_number=command.id_card_number,
            contacts=_own_contact_ids(command.contacts, set()))
        if not allow_duplicate:
            await self._refuse_duplicate_phone(uow, p, c)
        await uow.customers.add(c)
        await uow.tags.ensure(c.tags)
        await self.audit(uow, actor, "customer.created", c, field_diff(None, masked_snapshot(c)))
        await self.note(uow, actor, c.id, "created", text("customer.line.created",
                                                            number=c.number))
        return c

    async def _check_picklists(self, uow: UnitOfWork, industry: str | None, region: str | None
                               ) -> None:
        for name, value in (("industry", industry), ("region", region)):
            if value and value not in await uow.picklists.values(name):
                raise ValidationFailed.of(name, "customer.not_in_picklist", value=value,
                                          list=Label("picklist", name))

    async def _refuse_duplicate_phone(self, uow: UnitOfWork, p: Principal, c: Customer) -> None:
        phones = [n for x in c.contacts for n in (x.mobile, x.landline) if n]
        if not phones:
            return
        for existing in await uow.customers.with_phones(phones):
            if existing.id == c.id:
                continue
            vis = await self.visibility(uow, p)
            if vis.allows(existing.owner_id, existing.owner_department_id):
                raise Conflict("customer.duplicate_phone_visible", existing_id=existing.id,
                               name=existing.name, number=existing.number)
            raise Conflict("customer.duplicate_phone_hidden")

    # ---- reading ------------------------------------------------------------------------------

    async def get(self, actor: Actor, customer_id: uuid.UUID) -> Customer:
        p = require(actor, Scope.CUSTOMERS_READ)
        async with (self.reader or self.uow)() as uow:
            return await self.load(uow, await self.visibility(uow, p, read=True), customer_id)

    async def list(self, actor: Actor, flt: CustomerFilter, page: PageRequest) -> Page[Customer]:
        p = require(actor, Scope.CUSTOMERS_READ)
        await self._admit_lookup(actor, flt)
        async with (self.reader or self.uow)() as uow:
            vis = await self._list_visibility(uow, p, flt)
            found = await uow.customers.list(resolve(flt, self.clock.now()), vis, page)
        await self._audit_lookup(actor, flt, [c.id for c in found.items])
        return found

    async def list_documents(self, actor: Actor, flt: CustomerFilter, page: PageRequest,
                             fields: frozenset[str] | None = None) -> Page[str]:
        """The same page as `list`, each item the customer's JSON document (masked)."""
        p = require(actor, Scope.CUSTOMERS_READ)
        await self._admit_lookup(actor, flt)
        async with (self.reader or self.uow)() as uow:
            vis = await self._list_visibility(uow, p, flt)
            found = await uow.customers.list_documents(resolve(flt, self.clock.now()), vis,
                                                       page, fields)
        if is_lookup(flt):
            await self._audit_lookup(actor, flt, [json.loads(doc)["id"] for doc in found.items])
        return found

    async def _list_visibility(self, uow: UnitOfWork, p: Principal, flt: CustomerFilter
                               ) -> Visibility:
        vis = await self.visibility(uow, p, read=True)
        if flt.custom:
            check_custom_keys(flt.custom, [f.key for f in await uow.custom_fields.list("customer")],
                              "cf")
        if flt.deleted and not _manager_or_admin(p):
            raise PermissionDenied("customer.recycle_bin_forbidden")
        return self.lookup.narrow(p, vis) if is_lookup(flt) else vis

    async def _admit_lookup(self, actor: Actor, flt: CustomerFilter) -> None:
        if is_lookup(flt):
            await self.lookup.admit(actor)

    async def _audit_lookup(self, actor: Actor, flt: CustomerFilter,
                            found: Sequence[object]) -> None:
        """Written like a reveal, found or not: a walk through numbers shows in the log."""
        if not is_lookup(flt):
            return
        async with self.uow() as uow:
            await uow.audit.record(AuditEntry.of(actor, "customer.looked_up", "customer", None, {
                "phone": mask_phone(flt.phone) if flt.phone else None,
                "email": mask_email(flt.email) if flt.email else None,
                "found": [str(customer_id) for customer_id in found]}))
            await uow.commit()

    async def timeline(self, actor: Actor, customer_id: uuid.UUID, page: PageRequest
                       ) -> Page[ActivityEntry]:
        p = require(actor, Scope.CUSTOMERS_READ)
        async with self.uow() as uow:
            await self.load(uow, await self.visibility(uow, p), customer_id)
            return await uow.activity.list(customer_id, page)

    async def reveal(self, actor: Actor, customer_id: uuid.UUID) -> Customer:
        """Cleartext personal data, for those who may see it, always audited."""
        p = require(actor, Scope.CUSTOMERS_READ)
        async with self.uow() as uow:
            c = await self.load(uow, await self.visibility(uow, p), customer_id)
            require(actor, Scope.PII_REVEAL)
            fields = ["contacts"] + (["id_card_number"] if c.id_card_number else [])
            await self.audit(uow, actor, "customer.revealed", c, {"revealed": fields})
            await uow.commit()
            return c

    # ---- editing ------------------------------------------------------------------------------

    async def update(self, actor: Actor, customer_id: uuid.UUID, command: CustomerChanges,
                     expected_version: int | None) -> Customer:
        """Changes the fields sent; an owner sent reassigns (team leads only)."""
        changes = given(command)
        for name in REQUIRED:
            if name in changes and changes[name] is None:
                raise ValidationFailed.of(name, "customer.cannot_be_emptied")
        p = require(actor, Scope.CUSTOMERS_WRITE)
        new_owner = changes.pop("owner_id", None)
        async with self.uow() as uow:
            c = await self.load(uow, await self.visibility(uow, p), customer_id, lock=True)
            check_version("customer", c.version, expected_version)
            before = masked_snapshot(c)
            await self._check_picklists(uow, changes.get("industry"), changes.get("region"))
            if "custom" in changes:
                changes["custom"] = validate_custom(
                    dict(changes["custom"] or {}),
                    list(await uow.custom_fields.list("customer")), creating=False)
            if changes.get("contacts"):
                changes["contacts"] = _own_contact_ids(changes["contacts"],
                                                       {x.id for x in c.contacts})
            if changes:
                c.update(changes, self.tier_policy)
            if new_owner is not None and new_owner != c.owner_id:
                await self._reassign(uow, actor, p, c, new_owner)
            await uow.customers.save(c)
            await uow.tags.ensure(c.tags)
            await self.audit(uow, actor, "customer.updated", c,
                             field_diff(before, masked_snapshot(c)))
            await uow.commit()
            return c

    async def _reassign(self, uow: UnitOfWork, actor: Actor, p: Principal, c: Customer,
                        owner_ref: uuid.UUID) -> None:
        if not is_team_lead(p):
            raise PermissionDenied("customer.reassign_forbidden")
        previous = c.owner_id
        owner_id, department_id = await self.check_owner(uow, p, owner_ref)
        c.reassign(owner_id, department_id, by=p.id)
        await self.note(uow, actor, c.id, "owner_changed", text("customer.line.owner_changed"),
                        from_owner_id=str(previous), to_owner_id=str(owner_id))
        await uow.audit.record(AuditEntry.of(actor, "customer.reassigned", "customer", c.id,
                                             {"owner_id": [str(previous), str(owner_id)]}))

    async def close_deal(self, uow: UnitOfWork, actor: Actor, customer_id: uuid.UUID) -> None:
        """A contract's payment arrived: the customer's grade becomes closed (inside the
        caller's transaction; the caller has already checked it may act on the contract)."""
        c = await uow.customers.get(customer_id, Visibility(everything=True), lock=True)
        if c is None:
            return
        before = masked_snapshot(c)
        if not c.close_deal():
            return
        await uow.customers.save(c)
        await self.note(uow, actor, c.id, "grade_changed",
                        text("customer.line.grade_paid",
                             before=Label("customer_grade", str(before["grade"])),
                             after=Label("customer_grade", "closed")), grade="closed")
        await self.audit(uow, actor, "customer.updated", c,
                         field_diff(before, masked_snapshot(c)))

    # ---- the recycle bin ----------------------------------------------------------------------

    async def delete(self, actor: Actor, customer_id: uuid.UUID) -> None:
        p = self._recycler(actor)
        async with self.uow() as uow:
            c = await self.load(uow, await self.visibility(uow, p), customer_id, lock=True)
            c.delete(self.clock.now())
            await uow.customers.save(c)
            await self.audit(uow, actor, "customer.deleted", c)
            await self.note(uow, actor, c.id, "deleted", text("customer.line.deleted"))
            await uow.commit()

    async def restore(self, actor: Actor, customer_id: uuid.UUID) -> Customer:
        p = self._recycler(actor)
        async with self.uow() as uow:
            vis = await self.visibility(uow, p)
            c = await uow.customers.get(customer_id, vis, include_deleted=True, lock=True)
            if c is None:
                raise NotFound("customer", customer_id)
            c.restore()
            await uow.customers.save(c)
            await self.audit(uow, actor, "customer.restored", c)
            await self.note(uow, actor, c.id, "restored", text("customer.line.restored"))
            await uow.commit()
            return c

    def _recycler(self, actor: Actor) -> Principal:
        p = require(actor, Scope.CUSTOMERS_WRITE)
        if not _manager_or_admin(p):
            raise PermissionDenied("customer.delete_forbidden")
        return p

    # ---- picklists (industry, region) ---------------------------------------------------------

    async def picklist(self, actor: Actor, name: str) -> builtins.list[PicklistEntry]:
        """The list's values, by value, each with its words in every language."""
        require(actor, Scope.CUSTOMERS_READ)
        if name not in PICKLISTS:
            raise NotFound("picklist", name)
        async with self.uow() as uow:
            return sorted(await uow.picklists.entries(name), key=lambda entry: entry.value)

    async def add_picklist_value(self, actor: Actor, name: str, value: str, label: str,
                                 label_en: str | None = None) -> None:
        """Adds a value, or gives an existing one new words: `label` in Chinese (required),
        `label_en` in English (the Chinese words when not given)."""
        require(actor, Scope.SETTINGS_WRITE)
        if name not in PICKLISTS:
            raise NotFound("picklist", name)
        entry = PicklistEntry.of(value, label, label_en)
        async with self.uow() as uow:
            await uow.picklists.add(name, entry)
            await uow.audit.record(AuditEntry.of(actor, "picklist.value_added", "picklist", name,
                                                 {"value": [None, value],
                                                  "labels": [None, entry.labels]}))
            await uow.commit()
