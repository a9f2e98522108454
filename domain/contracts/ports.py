"""The repositories and outside services the contracts feature needs."""

from __future__ import annotations

import builtins
import uuid
from collections.abc import Sequence
from datetime import date, datetime
from decimal import Decimal
from typing import Protocol

from domain.contracts.model import Contract, ContractStatus
from domain.contracts.policy import ApprovalPolicy
from domain.contracts.queries import (
    ContractFilter,
    DecidedRound,
    DecidedStep,
    InboxItem,
    PendingStep,
)
from domain.customers.model import Customer
from domain.shared.authz import Actor, Principal, Visibility
from domain.shared.paging import Page, PageRequest
from domain.shared.ports import UnitOfWork


class ContractRepository(Protocol):
    async def get(self, contract_id: uuid.UUID, visibility: Visibility,
                  approver: uuid.UUID | None = None, lock: bool = False) -> Contract | None:
        """Visible when the visibility allows its owner, or `approver` is (or was) an approver
        of one of its steps."""
        ...
    async def exists(self, contract_id: uuid.UUID) -> bool: ...
    async def next_sequence(self) -> int: ...
    async def add(self, contract: Contract) -> None: ...
    async def save(self, contract: Contract) -> None: ...
    async def list(self, flt: ContractFilter, visibility: Visibility,
                   approver: uuid.UUID | None, page: PageRequest) -> Page[Contract]: ...
    async def inbox(self, user_id: uuid.UUID | None, page: PageRequest) -> Page[InboxItem]:
        """Pending steps the user may decide (assigned or escalated to them); None: all."""
        ...
    async def pending_counts(self, user_ids: Sequence[uuid.UUID]) -> dict[uuid.UUID, int]: ...
    async def pending_steps(self, limit: int) -> builtins.list[PendingStep]:
        """Open steps not yet both reminded and escalated, oldest first."""
        ...
    async def in_force_ending_by(self, day: date, today: date,
                                 limit: int) -> builtins.list[uuid.UUID]:
        """Signed or active contracts ending on or before `day` that still need a renewal
        task, or that ended before `today` and must expire."""
        ...
    async def signed_starting_by(self, day: date, limit: int) -> builtins.list[uuid.UUID]: ...
    async def decided_steps(self, since: datetime, until: datetime,
                            limit: int) -> builtins.list[DecidedStep]: ...
    async def decided_rounds(self, since: datetime, until: datetime,
                             limit: int) -> builtins.list[DecidedRound]: ...
    async def policy(self) -> ApprovalPolicy: ...
    async def save_policy(self, policy: ApprovalPolicy) -> ApprovalPolicy:
        """Stores it if the stored version is still policy.version; answers the new one."""
        ...



class Customers(Protocol):
    """What contracts need of the customers feature, inside the contract's transaction."""

    async def visibility(self, uow: UnitOfWork, p: Principal) -> Visibility:
        """The owner rule of every sales record: a rep their own, a manager the team's."""
        ...
    async def referenced(self, uow: UnitOfWork, p: Principal, customer_id: uuid.UUID
                         ) -> Customer:
        """The customer a contract names: HiddenRecord out of sight, ValidationFailed on
        customer_id when unknown."""
        ...
    async def close_deal(self, uow: UnitOfWork, actor: Actor, customer_id: uuid.UUID) -> None:
        """A contract was paid: the customer's grade becomes closed."""
        ...


class Opportunities(Protocol):
    """What a contract asks of the deal it closes, inside the contract's transaction."""

    async def check_linkable(self, uow: UnitOfWork, p: Principal, opportunity_id: uuid.UUID,
                             customer_id: uuid.UUID) -> None:
        """ValidationFailed on opportunity_id unless it is the customer's and in sight."""
        ...
    async def follow_contract(self, uow: UnitOfWork, opportunity_id: uuid.UUID, number: str,
                              status: ContractStatus) -> None:
        """The deal carries its contract's number and state."""
        ...
    async def win_by_payment(self, uow: UnitOfWork, actor: Actor, opportunity_id: uuid.UUID,
                             amount: Decimal, currency: str) -> None:
        """The contract was paid: the deal is won."""
        ...
