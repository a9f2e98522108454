"""Contacts one at a time: add, change and remove a customer's contact without sending (or
seeing) the others. Replacing the whole list on the customer needs every contact's phone
numbers in the clear, which a rep without the right to reveal them never has."""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable
from dataclasses import asdict, dataclass
from typing import Any

from domain.audit.model import field_diff
from domain.customers.access import CustomerAccess, masked_snapshot
from domain.customers.model import Contact, ContactDraft, Customer
from domain.shared.authz import Actor, Scope, require
from domain.shared.errors import NotFound, check_version
from domain.shared.ports import UnitOfWork

# What a caller may change on a contact; a field not sent keeps its value.
CONTACT_FIELDS = ("name", "title", "mobile", "landline", "email", "is_primary")


@dataclass
class ContactService:
    access: CustomerAccess

    async def add(self, actor: Actor, customer_id: uuid.UUID, draft: ContactDraft,
                  expected_version: int | None = None) -> tuple[Customer, Contact]:
        async def change(c: Customer) -> uuid.UUID:
            contact = Contact.of(len(c.contacts), ContactDraft(**{**asdict(draft), "id": None}))
            c.update({"contacts": self._primary_first([*c.contacts, contact], contact)},
                     self.access.tier_policy)
            return contact.id
        c, contact_id = await self._edit(actor, customer_id, expected_version, change)
        return c, self._find(c, contact_id)[1]

    async def change(self, actor: Actor, customer_id: uuid.UUID, contact_id: uuid.UUID,
                     changes: dict[str, Any], expected_version: int | None = None
                     ) -> tuple[Customer, Contact]:
        async def change(c: Customer) -> uuid.UUID:
            at, current = self._find(c, contact_id)
            values = {name: changes.get(name, getattr(current, name)) for name in CONTACT_FIELDS}
            contact = Contact.create(at, id=current.id, **values)
            contacts = [contact if x.id == contact_id else x for x in c.contacts]
            c.update({"contacts": self._primary_first(contacts, contact)},
                     self.access.tier_policy)
            return contact.id
        c, _ = await self._edit(actor, customer_id, expected_version, change)
        return c, self._find(c, contact_id)[1]

    async def remove(self, actor: Actor, customer_id: uuid.UUID, contact_id: uuid.UUID,
                     expected_version: int | None = None) -> Customer:
        async def change(c: Customer) -> uuid.UUID:
            self._find(c, contact_id)
            rest = [x for x in c.contacts if x.id != contact_id]
            if rest and not any(x.is_primary for x in rest):
                rest[0].is_primary = True
            c.update({"contacts": rest}, self.access.tier_policy)
            return contact_id
        c, _ = await self._edit(actor, customer_id, expected_version, change)
        return c

    @staticmethod
    def _find(c: Customer, contact_id: uuid.UUID) -> tuple[int, Contact]:
        for at, contact in enumerate(c.contacts):
            if contact.id == contact_id:
                return at, contact
        raise NotFound("contact", contact_id)

    @staticmethod
    def _primary_first(contacts: list[Contact], chosen: Contact) -> list[Contact]:
        """A contact made primary takes the mark from the one that had it."""
        if chosen.is_primary:
            for other in contacts:
                if other.id != chosen.id:
                    other.is_primary = False
        return contacts

    async def _edit(self, actor: Actor, customer_id: uuid.UUID, expected_version: int | None,
                    change: Callable[[Customer], Awaitable[uuid.UUID]]
                    ) -> tuple[Customer, uuid.UUID]:
        """Applies `change` to the locked customer (it answers the contact it touched), then
        saves and audits the customer as any other edit."""
        p = require(actor, Scope.CUSTOMERS_WRITE)
        async with self.access.uow() as uow:
            c = await self.access.load(uow, await self.access.visibility(uow, p), customer_id,
                                       lock=True)
            check_version("customer", c.version, expected_version)
            before = masked_snapshot(c)
            contact_id = await change(c)
            await self._save(uow, actor, c, before)
            await uow.commit()
        return c, contact_id

    async def _save(self, uow: UnitOfWork, actor: Actor, c: Customer,
                    before: dict[str, Any]) -> None:
        await uow.customers.save(c)
        await self.access.audit(uow, actor, "customer.updated", c,
                                field_diff(before, masked_snapshot(c)))
