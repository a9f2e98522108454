"""Who sees which customers and who may own one, and the audit and timeline lines that every
customer use case (customers, follow-ups, tasks) writes."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from typing import Any

from domain.audit.model import AuditEntry
from domain.customers.activity import ActivityEntry
from domain.customers.model import Customer, TierPolicy
from domain.customers.personal import mask_email, mask_id_card, mask_phone
from domain.identity.service import SubtreeCache
from domain.shared.authz import Actor, Principal, Role, Visibility
from domain.shared.errors import HiddenRecord, NotFound, ValidationFailed
from domain.shared.lookup import ContactLookup
from domain.shared.ownership import check_owner
from domain.shared.ports import Clock, UnitOfWork, UnitOfWorkFactory
from domain.shared.text import Text
from domain.shared.visibility import visible_or_404

SEE_ALL_ROLES = frozenset({Role.ADMIN, Role.EXECUTIVE, Role.FINANCE, Role.LEGAL,
                           Role.SERVICE_AGENT})


def masked_snapshot(c: Customer) -> dict[str, Any]:
    """The customer as the audit log keeps it: personal data masked."""
    return {
        "name": c.name, "kind": c.kind, "industry": c.industry, "region": c.region,
        "size": c.size, "source": c.source, "grade": c.grade, "tier": c.tier,
        "annual_purchase": str(c.annual_purchase) if c.annual_purchase is not None else None,
        "currency": c.currency, "owner_id": c.owner_id,
        "first_contact_date": str(c.first_contact_date) if c.first_contact_date else None,
        "next_followup_at": c.next_followup_at, "next_followup_plan": c.next_followup_plan,
        "key_needs": c.key_needs, "tags": list(c.tags), "custom": dict(c.custom),
        "id_card_number": mask_id_card(c.id_card_number) if c.id_card_number else None,
        "contacts": [{
            "name": x.name, "title": x.title,
            "mobile": mask_phone(x.mobile) if x.mobile else None,
            "landline": mask_phone(x.landline) if x.landline else None,
            "email": mask_email(x.email) if x.email else None, "primary": x.is_primary,
        } for x in c.contacts],
    }


@dataclass
class CustomerAccess:
    """The ports and rules the customer use cases share; CustomerService is one, and hands
    itself to its follow-up, task and duplicate use cases."""

    uow: UnitOfWorkFactory
    clock: Clock
    tier_policy: TierPolicy = field(default_factory=TierPolicy)
    # Reads that change nothing: each statement on its own, no BEGIN/ROLLBACK round trips.
    reader: UnitOfWorkFactory | None = None
    # A manager's department subtree for reads (get and lists), shared with IdentityService.
    subtrees: SubtreeCache = field(default_factory=SubtreeCache)
    # Finding customers by a contact's phone or e-mail: narrowed, counted and audited.
    lookup: ContactLookup = field(default_factory=ContactLookup)

    async def visibility(self, uow: UnitOfWork, p: Principal, *, read: bool = False
                         ) -> Visibility:
        """A rep sees its own customers, a manager its department subtree's, the other roles
        and integrations all. For a read (`read=True`) a manager's subtree may be up to
        `subtrees.ttl` old; writes always walk it."""
        if p.kind != "user" or p.role in SEE_ALL_ROLES:
            return Visibility(everything=True)
        if p.role == Role.MANAGER and p.department_id is not None:
            tree = self.subtrees.recall(p.department_id) if read else None
            if tree is None:
                tree = tuple(await uow.departments.subtree(p.department_id))
                self.subtrees.remember(p.department_id, tree)
            return Visibility(owner_id=p.id, department_ids=tree)
        return Visibility(owner_id=p.id)

    async def load(self, uow: UnitOfWork, vis: Visibility, customer_id: uuid.UUID, *,
                   lock: bool = False) -> Customer:
        """A live customer the caller sees; 404 otherwise (audited when it is out of sight)."""
        return await visible_or_404(uow.customers.get(customer_id, vis, lock=lock),
                                    uow.customers, "customer", customer_id)

    async def referenced(self, uow: UnitOfWork, p: Principal, customer_id: uuid.UUID
                         ) -> Customer:
        """The customer a new deal or contract names: out of sight is a 404 (audited), unknown
        a 422 on customer_id."""
        try:
            return await self.load(uow, await self.visibility(uow, p), customer_id)
        except HiddenRecord:
            raise
        except NotFound:
            raise ValidationFailed.of("customer_id", "customer.no_such_customer") from None

    async def check_owner(self, uow: UnitOfWork, p: Principal, owner_id: uuid.UUID
                          ) -> tuple[uuid.UUID, uuid.UUID | None]:
        """Checks the caller may give a customer (or a task) to this user: an active one, the
        caller itself unless a team lead, within a manager's team; answers (owner, department).
        """
        return await check_owner(uow, p, owner_id, "customers")

    async def audit(self, uow: UnitOfWork, actor: Actor, action: str, c: Customer,
                    diff: dict[str, Any] | None = None) -> None:
        await uow.audit.record(AuditEntry.of(actor, action, "customer", c.id, diff))

    async def note(self, uow: UnitOfWork, actor: Actor, customer_id: uuid.UUID, kind: str,
                   summary: Text, ref_type: str | None = None,
                   ref_id: uuid.UUID | None = None, **data: Any) -> None:
        """A line on the customer's timeline."""
        await uow.activity.add(ActivityEntry.by(actor, customer_id, kind, summary, ref_type,
                                                ref_id, data))
