"""Converting a lead: the customer (named, matched or made from the lead) with the lead's
person as a contact, and an opportunity in the default pipeline, in one transaction."""

from __future__ import annotations

import uuid
from dataclasses import dataclass

from domain.audit.model import AuditEntry, field_diff
from domain.customers.activity import ActivityEntry
from domain.customers.commands import NewCustomer
from domain.customers.model import Contact, Customer, CustomerKind, normalised_name
from domain.customers.queries import CustomerFilter
from domain.customers.service import masked_snapshot
from domain.leads.base import EVERYTHING, LeadUseCases, lead_snapshot
from domain.leads.commands import ConvertLead
from domain.leads.model import Lead, LeadStatus
from domain.leads.validation import is_landline
from domain.pipeline.commands import NewOpportunity
from domain.shared.authz import Actor, Principal, Scope, require
from domain.shared.commands import given
from domain.shared.errors import ValidationFailed
from domain.shared.paging import PageRequest
from domain.shared.ports import UnitOfWork
from domain.shared.text import text


@dataclass(frozen=True)
class Conversion:
    lead: Lead
    customer_id: uuid.UUID
    opportunity_id: uuid.UUID | None
    customer_created: bool
    converted_now: bool  # False when the lead had been converted before (an idempotent replay)


class LeadConversion(LeadUseCases):
    async def convert(self, actor: Actor, lead_id: uuid.UUID, command: ConvertLead
                      ) -> Conversion:
        """Customer (created, or the matching one linked) with its contact, and an opportunity
        in the default pipeline, in one transaction. Converting again answers the first result.
        """
        p = require(actor, Scope.LEADS_WRITE)
        async with self.uow() as uow:
            # The row lock makes a concurrent second conversion wait, then see the first.
            lead = await self._load(uow, p, lead_id, lock=True)
            if lead.status == LeadStatus.CONVERTED:
                assert lead.customer_id is not None
                return Conversion(lead, lead.customer_id, lead.opportunity_id, False, False)
            require(actor, Scope.CUSTOMERS_WRITE)
            if command.create_opportunity:
                require(actor, Scope.OPPORTUNITIES_WRITE)
            before = lead_snapshot(lead)
            customer, created = await self._customer_for(uow, actor, p, lead, command)
            opportunity = None
            if command.create_opportunity:
                opp = given(command.opportunity) if command.opportunity else {}
                opp.setdefault("name", f"{customer.name} ({lead.number})")
                if lead.budget is not None and "amount" not in opp:
                    opp["amount"] = lead.budget
                    opp.setdefault("currency", lead.currency)
                opp.setdefault("owner_id", lead.owner_id)
                opportunity = await self.opportunities.open_in(
                    uow, actor, customer, NewOpportunity(**opp), lead_id=lead.id)
            lead.convert(customer.id, opportunity.id if opportunity else None,
                         self.clock.now(), p.user_id)
            await self._close_rule_tasks(uow, actor, lead)
            await uow.leads.save(lead)
            await self._note(uow, actor, lead, "converted",
                             text("lead.converted_with_opportunity", customer=customer.number,
                                  opportunity=opportunity.number) if opportunity
                             else text("lead.converted", customer=customer.number),
                             customer_id=str(customer.id),
                             opportunity_id=str(opportunity.id) if opportunity else None)
            await uow.activity.add(ActivityEntry(
                customer_id=customer.id, kind="lead_converted",
                summary=text("lead.converted_line", number=lead.number), actor_id=p.id,
                actor_label=actor.shown_name, ref_type="lead", ref_id=lead.id))
            await uow.audit.record(AuditEntry.of(actor, "lead.converted", "lead", lead.id,
                                                 field_diff(before, lead_snapshot(lead))))
            await uow.commit()
            return Conversion(lead, customer.id, opportunity.id if opportunity else None,
                              created, True)

    async def _customer_for(self, uow: UnitOfWork, actor: Actor, p: Principal, lead: Lead,
                            command: ConvertLead) -> tuple[Customer, bool]:
        """The customer named, the one matched at capture, one with the same phone, e-mail or
        legal name, or a new one made from the lead."""
        if command.customer_id is not None:
            customer = await uow.customers.get(
                command.customer_id, await self.customers.visibility(uow, p), lock=True)
            if customer is None:
                raise ValidationFailed.of("customer_id", "lead.no_such_customer")
        else:
            customer = await _matching_customer(uow, lead)
        if customer is not None:
            await self._add_contact(uow, actor, customer, lead)
            return customer, False
        overrides = command.customer
        name = (overrides.name if overrides else None) or lead.company or lead.name
        if not name:
            raise ValidationFailed.of("customer.name", "lead.name_the_customer")
        kind = (overrides.kind if overrides else None) or (
            CustomerKind.COMPANY if lead.company else CustomerKind.PERSON)
        contact = _contact(lead, 0)
        new = NewCustomer(
            name=name, kind=kind, industry=lead.industry, region=lead.region,
            size=lead.company_size, source=lead.source, owner_id=lead.owner_id,
            key_needs=lead.message, contacts=[contact] if contact else [],
            first_contact_date=lead.last_followup_at.date() if lead.last_followup_at else None)
        return await self.customers.add(uow, actor, new), True

    async def _add_contact(self, uow: UnitOfWork, actor: Actor, customer: Customer,
                           lead: Lead) -> None:
        """The lead's person joins the customer's contacts unless already one of them."""
        contact = _contact(lead, len(customer.contacts))
        if contact is None:
            return
        known = {x for c in customer.contacts for x in (c.mobile, c.landline, c.email) if x}
        if {x for x in (contact.mobile, contact.landline, contact.email) if x} & known:
            return
        before = masked_snapshot(customer)
        customer.update({"contacts": [*customer.contacts, contact]},
                        self.customers.tier_policy)
        await uow.customers.save(customer)
        await uow.audit.record(AuditEntry.of(actor, "customer.updated", "customer", customer.id,
                                             field_diff(before, masked_snapshot(customer))))


def _contact(lead: Lead, index: int) -> Contact | None:
    """The lead's person as a customer's contact (only valid phone and e-mail), if any."""
    phone = lead.phone if lead.phone and lead.phone_valid else None
    email = lead.email if lead.email and lead.email_valid else None
    if not (lead.name or phone or email):
        return None
    return Contact.create(
        index, name=lead.name or lead.company or "—", title=lead.title,
        mobile=phone if phone and not is_landline(phone) else None,
        landline=phone if phone and is_landline(phone) else None, email=email)


async def _matching_customer(uow: UnitOfWork, lead: Lead) -> Customer | None:
    """The customer matched at capture, else one with a contact of the lead's phone or e-mail,
    else one of the same legal name (locked: the conversion adds a contact)."""
    if lead.customer_id is not None:
        found = await uow.customers.get(lead.customer_id, EVERYTHING, lock=True)
        if found is not None:
            return found
    match = await uow.leads.find_customer_by_contact(
        lead.phone if lead.phone and lead.phone_valid else None,
        lead.email if lead.email and lead.email_valid else None)
    if match is not None:
        return await uow.customers.get(match.id, EVERYTHING, lock=True)
    if lead.company:
        same = await uow.customers.list(CustomerFilter(q=lead.company), EVERYTHING,
                                        PageRequest(limit=20))
        wanted = normalised_name(lead.company)
        named = next((c for c in same.items if normalised_name(c.name) == wanted), None)
        if named is not None:
            return await uow.customers.get(named.id, EVERYTHING, lock=True)
    return None
