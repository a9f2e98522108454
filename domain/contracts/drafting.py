"""Contract drafts: drafting one for a customer (and its deal), reading, editing, deleting."""

from __future__ import annotations

import uuid

from domain.audit.model import field_diff
from domain.contracts.commands import DraftContract, UpdateContract
from domain.contracts.model import Contract, contract_number
from domain.contracts.queries import ContractFilter
from domain.contracts.use_case import ContractUseCases, contract_snapshot
from domain.shared.authz import Actor, Scope, require
from domain.shared.commands import given
from domain.shared.ownership import check_owner
from domain.shared.paging import Page, PageRequest
from domain.shared.text import Money, text


class Drafting(ContractUseCases):
    async def create(self, actor: Actor, command: DraftContract) -> Contract:
        p = require(actor, Scope.CONTRACTS_WRITE)
        async with self.uow() as uow:
            customer = await self.customers.referenced(uow, p, command.customer_id)
            owner_ref = command.owner_id or p.user_id or customer.owner_id
            owner_id, department_id = await check_owner(uow, p, owner_ref, "contracts")
            c = Contract.draft(
                number=contract_number(self.clock.now(), await uow.contracts.next_sequence()),
                customer_name=customer.name, owner_id=owner_id,
                owner_department_id=department_id, by=p.user_id, details=command)
            if c.opportunity_id is not None:
                await self.opportunities.check_linkable(uow, p, c.opportunity_id,
                                                        c.customer_id)
            await uow.contracts.add(c)
            await self._follow(uow, c)
            await self._timeline(uow, actor, c, "contract", text(
                "timeline.contract.drafted", number=c.number, title=c.title,
                amount=Money(c.amount, c.currency)))
            await self._audit(uow, actor, "contract.created", c,
                              field_diff(None, contract_snapshot(c)))
            await uow.commit()
            return c

    async def get(self, actor: Actor, contract_id: uuid.UUID) -> Contract:
        p = require(actor, Scope.CONTRACTS_READ)
        async with self.uow() as uow:
            return await self._load(uow, p, contract_id)

    async def list(self, actor: Actor, flt: ContractFilter, page: PageRequest
                   ) -> Page[Contract]:
        p = require(actor, Scope.CONTRACTS_READ)
        async with self.uow() as uow:
            return await uow.contracts.list(flt, await self.customers.visibility(uow, p),
                                            p.user_id, page)

    async def update(self, actor: Actor, contract_id: uuid.UUID, command: UpdateContract,
                     expected_version: int | None) -> Contract:
        """Edits the draft, then hands it to another owner."""
        p = require(actor, Scope.CONTRACTS_WRITE)
        async with self.uow() as uow:
            c = await self._load_to_change(uow, p, contract_id, expected_version)
            before = contract_snapshot(c)
            edits = given(command.changes)
            if edits:
                c.revise(command.changes)
                if "opportunity_id" in edits and c.opportunity_id is not None:
                    await self.opportunities.check_linkable(uow, p, c.opportunity_id,
                                                            c.customer_id)
            if command.owner_id is not None and command.owner_id != c.owner_id:
                c.reassign(*await check_owner(uow, p, command.owner_id, "contracts"))
            await uow.contracts.save(c)
            await self._follow(uow, c)
            diff = field_diff(before, contract_snapshot(c))
            if diff:
                # The customer's timeline shows the draft changing, not only being created.
                await self._timeline(uow, actor, c, "contract",
                                     text("timeline.contract.edited", number=c.number),
                                     changed=sorted(diff))
            await self._audit(uow, actor, "contract.updated", c, diff)
            await uow.commit()
            return c

    async def delete(self, actor: Actor, contract_id: uuid.UUID,
                     expected_version: int | None) -> None:
        p = require(actor, Scope.CONTRACTS_WRITE)
        async with self.uow() as uow:
            c = await self._load_to_change(uow, p, contract_id, expected_version)
            c.delete(self.clock.now())
            await uow.contracts.save(c)
            await self._audit(uow, actor, "contract.deleted", c)
            await uow.commit()
