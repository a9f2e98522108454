"""The repositories and outside services the contracts feature needs."""

from __future__ import annotations

import builtins
import uuid
from collections.abc import Sequence
from datetime import date, datetime
from typing import Protocol

from domain.contracts.model import Contract
from domain.contracts.policy import ApprovalPolicy
from domain.contracts.queries import (
    ContractFilter,
    DecidedRound,
    DecidedStep,
    InboxItem,
    PendingStep,
)
from domain.customers.queries import Visibility
from domain.shared.paging import Page, PageRequest


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

