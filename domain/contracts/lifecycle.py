"""Life after approval: signing, putting in force, the payment (which wins the deal and closes
the customer), fulfilment and early termination."""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable

from domain.audit.model import field_diff
from domain.contracts.model import Contract
from domain.contracts.use_case import ContractUseCases, contract_snapshot
from domain.shared.authz import Actor, Principal, Scope, require
from domain.shared.ports import UnitOfWork
from domain.shared.text import text

Step = Callable[[UnitOfWork, Principal, Contract], Awaitable[None]]


class AfterApproval(ContractUseCases):
    async def _transition(self, actor: Actor, scope: Scope, contract_id: uuid.UUID,
                          action: str, apply: Step) -> Contract:
        p = require(actor, scope)
        async with self.uow() as uow:
            c = await self._load(uow, p, contract_id, lock=True)
            before = contract_snapshot(c)
            await apply(uow, p, c)
            await uow.contracts.save(c)
            await self._follow(uow, c)
            await self._timeline(uow, actor, c, "contract", text(
                "timeline.contract.now", number=c.number, status=c.status_label))
            await self._audit(uow, actor, action, c, field_diff(before, contract_snapshot(c)))
            await uow.commit()
            return c

    async def sign(self, actor: Actor, contract_id: uuid.UUID) -> Contract:
        async def apply(uow: UnitOfWork, p: Principal, c: Contract) -> None:
            c.sign(self.clock.now(), p.user_id)
        return await self._transition(actor, Scope.CONTRACTS_WRITE, contract_id,
                                      "contract.signed", apply)

    async def activate(self, actor: Actor, contract_id: uuid.UUID) -> Contract:
        async def apply(uow: UnitOfWork, p: Principal, c: Contract) -> None:
            c.activate(self.clock.now())
        return await self._transition(actor, Scope.CONTRACTS_WRITE, contract_id,
                                      "contract.activated", apply)

    async def complete(self, actor: Actor, contract_id: uuid.UUID) -> Contract:
        async def apply(uow: UnitOfWork, p: Principal, c: Contract) -> None:
            c.complete(self.clock.now())
        return await self._transition(actor, Scope.CONTRACTS_WRITE, contract_id,
                                      "contract.completed", apply)

    async def terminate(self, actor: Actor, contract_id: uuid.UUID,
                        reason: str | None) -> Contract:
        async def apply(uow: UnitOfWork, p: Principal, c: Contract) -> None:
            c.terminate(reason, self.clock.now())
        return await self._transition(actor, Scope.CONTRACTS_WRITE, contract_id,
                                      "contract.terminated", apply)

    async def payment_received(self, actor: Actor, contract_id: uuid.UUID) -> Contract:
        """Finance confirms the money arrived: the linked deal is won and the customer closed,
        in the same transaction."""
        async def apply(uow: UnitOfWork, p: Principal, c: Contract) -> None:
            c.record_payment(self.clock.now())
            if c.opportunity_id is not None:
                await self.opportunities.win_by_payment(uow, actor, c.opportunity_id,
                                                        c.amount, c.currency)
            await self.customers.close_deal(uow, actor, c.customer_id)
        return await self._transition(actor, Scope.CONTRACTS_PAYMENTS, contract_id,
                                      "contract.payment_received", apply)
