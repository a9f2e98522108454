"""What every contract use case shares: its ports, loading a contract the caller may see, the
audit trail, the customer's timeline, and the deal that follows its contract."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Any

from domain.audit.model import AuditEntry
from domain.contracts.model import Contract
from domain.contracts.ports import Customers, Opportunities
from domain.customers.activity import ActivityEntry
from domain.shared.authz import Actor, Principal, Visibility
from domain.shared.errors import check_version
from domain.shared.ports import Clock, UnitOfWork, UnitOfWorkFactory
from domain.shared.text import Text
from domain.shared.visibility import visible_or_404

EVERYTHING = Visibility(everything=True)


def contract_snapshot(c: Contract) -> dict[str, Any]:
    return {
        "title": c.title, "customer_id": c.customer_id, "opportunity_id": c.opportunity_id,
        "owner_id": c.owner_id, "status": c.status, "amount": str(c.amount),
        "currency": c.currency, "lines": [line.to_doc() for line in c.lines],
        "start_date": str(c.start_date) if c.start_date else None,
        "end_date": str(c.end_date) if c.end_date else None,
        "payment_terms": c.payment_terms, "termination_reason": c.termination_reason,
    }


@dataclass
class ContractUseCases:
    uow: UnitOfWorkFactory
    clock: Clock
    customers: Customers
    opportunities: Opportunities

    async def _load(self, uow: UnitOfWork, p: Principal, contract_id: uuid.UUID,
                    lock: bool = False) -> Contract:
        """A contract the caller's team owns, or one they are (or were) asked to approve."""
        vis = await self.customers.visibility(uow, p)
        return await visible_or_404(
            uow.contracts.get(contract_id, vis, approver=p.user_id, lock=lock),
            uow.contracts, "contract", contract_id)

    async def _load_to_change(self, uow: UnitOfWork, p: Principal, contract_id: uuid.UUID,
                              expected_version: int | None) -> Contract:
        """The contract locked for a change, still at the version the caller read."""
        c = await self._load(uow, p, contract_id, lock=True)
        check_version("contract", c.version, expected_version)
        return c

    async def _audit(self, uow: UnitOfWork, actor: Actor, action: str, c: Contract,
                     diff: dict[str, Any] | None = None) -> None:
        await uow.audit.record(AuditEntry.of(actor, action, "contract", c.id, diff or {}))

    async def _timeline(self, uow: UnitOfWork, actor: Actor, c: Contract, kind: str,
                        summary: str | Text, **data: Any) -> None:
        await uow.activity.add(ActivityEntry.by(actor, c.customer_id, kind, summary, "contract",
                                                c.id, data))

    async def _follow(self, uow: UnitOfWork, c: Contract) -> None:
        """The linked deal carries the contract's number and state."""
        if c.opportunity_id is not None:
            await self.opportunities.follow_contract(uow, c.opportunity_id, c.number, c.status)
