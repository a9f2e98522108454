"""In-memory fake of the contracts port: contracts with their approval steps, the approvers'
inbox, the clocks' selections, the report's reads and the stored approval policy."""

from __future__ import annotations

import copy
import uuid
from collections.abc import Sequence
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from domain.contracts.commands import DraftContract
from domain.contracts.lines import LineSpec
from domain.contracts.model import IN_FORCE, Contract, ContractStatus
from domain.contracts.policy import ApprovalPolicy
from domain.contracts.queries import (
    ContractFilter,
    DecidedRound,
    DecidedStep,
    InboxItem,
    PendingStep,
)
from domain.contracts.rounds import ApprovalStep, StepStatus
from domain.notifications.model import NotificationPreferences
from domain.shared.authz import Visibility
from domain.shared.errors import StaleVersion
from domain.shared.paging import Page, PageRequest
from tests.fakes.pipeline import SalesTeam, check_loaded, keyset, loaded, sequence
from tests.fakes.shared import FakeUnitOfWork, repository

POLICY = "approval_policy"
SMALL = Decimal("80000.00")  # below the default threshold: manager, then finance
BIG = Decimal("1200000.00")  # at or above it: manager, finance, then an executive


def contract_of(customer_id: uuid.UUID, amount: Decimal = SMALL, **over: Any) -> DraftContract:
    """A year's supply of gateways, two units, worth `amount`."""
    fields: dict[str, Any] = {
        "title": "2027 年度网关采购合同", "start_date": date(2027, 1, 1),
        "end_date": date(2027, 12, 31), "payment_terms": "30% 预付，70% 验收后",
        "lines": (LineSpec(product="工业网关 GW-200", quantity=Decimal("2"),
                           unit_price=amount / 2),), **over}
    return DraftContract(customer_id=customer_id, **fields)


async def drafted(team: SalesTeam, who: str = "rep", amount: Decimal = SMALL,
                  **over: Any) -> Contract:
    return await team.contracts().create(team.actor(who), contract_of(
        over.pop("customer_id", None) or team.customer(who).id, amount, **over))


async def submitted(team: SalesTeam, who: str = "rep", amount: Decimal = SMALL,
                    **over: Any) -> Contract:
    c = await drafted(team, who, amount, **over)
    return await team.contracts().submit(team.actor(who), c.id, None)


async def approved(team: SalesTeam, c: Contract) -> Contract:
    """Each step approved by the person it waits on."""
    service = team.contracts()
    for step in c.round_steps():
        c = await service.decide(team.actor(team.who(step.assignee_id)), c.id, step.step,
                                 True, None)
    return c


@repository("notification_preferences")
class FakeLanguages:
    """What the contract clocks ask of preferences: the language an owner reads (the team
    reads English unless a test saves another)."""

    def __init__(self, uow: FakeUnitOfWork) -> None:
        self.saved: dict[uuid.UUID, NotificationPreferences] = uow.state.table("preferences")

    async def get(self, user_id: uuid.UUID, *, for_update: bool = False
                  ) -> NotificationPreferences:
        return self.saved.get(user_id) or NotificationPreferences(user_id=user_id, locale="en")


@repository("contracts")
class FakeContracts:
    def __init__(self, uow: FakeUnitOfWork) -> None:
        self.uow = uow
        self.rows: dict[uuid.UUID, Contract] = uow.state.table("contracts")
        self.settings = uow.state.table("settings")

    def _live(self) -> list[Contract]:
        return [c for c in self.rows.values() if c.deleted_at is None]

    def _steps(self) -> list[tuple[Contract, ApprovalStep]]:
        return [(c, s) for c in self._live() for s in c.steps]

    @staticmethod
    def _seen_by(c: Contract, visibility: Visibility, approver: uuid.UUID | None) -> bool:
        """The owner rule, plus: approvers see what they are (or were) asked to decide."""
        if visibility.allows(c.owner_id, c.owner_department_id):
            return True
        return approver is not None and any(approver in s.approvers() for s in c.steps)

    async def get(self, contract_id: uuid.UUID, visibility: Visibility,
                  approver: uuid.UUID | None = None, lock: bool = False) -> Contract | None:
        c = self.rows.get(contract_id)
        if c is None or c.deleted_at is not None or not self._seen_by(c, visibility, approver):
            return None
        return loaded(c)

    async def exists(self, contract_id: uuid.UUID) -> bool:
        c = self.rows.get(contract_id)
        return c is not None and c.deleted_at is None

    async def next_sequence(self) -> int:
        return sequence(self.uow.state, "contract")

    async def add(self, contract: Contract) -> None:
        contract.created_at = contract.created_at or datetime.now().astimezone()
        await self.save(contract)

    async def save(self, contract: Contract) -> None:
        check_loaded(self.rows.get(contract.id), contract, "contract")
        contract.version_loaded = contract.version  # type: ignore[attr-defined]
        kept = copy.deepcopy(contract)
        kept.events = []
        self.rows[contract.id] = kept
        self.uow.seen.append(contract)

    async def list(self, flt: ContractFilter, visibility: Visibility,
                   approver: uuid.UUID | None, page: PageRequest) -> Page[Contract]:
        found = [c for c in self._live() if self._seen_by(c, visibility, approver)
                 and all(getattr(flt, name) in (None, getattr(c, name))
                         for name in ("status", "customer_id", "owner_id", "opportunity_id"))
                 and (not flt.q or flt.q.lower() in f"{c.number} {c.title}".lower())]
        found.sort(key=lambda c: (c.created_at, str(c.id)), reverse=True)
        return keyset([loaded(c) for c in found], page)

    async def inbox(self, user_id: uuid.UUID | None, page: PageRequest) -> Page[InboxItem]:
        items = [InboxItem(
            contract_id=c.id, number=c.number, title=c.title, amount=c.amount,
            currency=c.currency, customer_id=c.customer_id, customer_name=c.customer_name,
            owner_id=c.owner_id, round=s.round, step=s.step, role=s.role,
            assignee_id=s.assignee_id, escalated_to=s.escalated_to,
            started_at=s.started_at, reminded_at=s.reminded_at, escalated_at=s.escalated_at)
            for c, s in self._steps() if s.status == StepStatus.PENDING
            and s.started_at is not None and (user_id is None or user_id in s.approvers())]
        items.sort(key=lambda i: (i.started_at, i.contract_id.hex))
        return keyset(items, page)

    async def pending_counts(self, user_ids: Sequence[uuid.UUID]) -> dict[uuid.UUID, int]:
        counts: dict[uuid.UUID, int] = {}
        for _, s in self._steps():
            if s.status == StepStatus.PENDING and s.assignee_id in user_ids:
                counts[s.assignee_id] = counts.get(s.assignee_id, 0) + 1
        return counts

    async def pending_steps(self, limit: int) -> list[PendingStep]:
        found = [PendingStep(c.id, s.round, s.step, s.started_at, s.reminded_at,
                             s.escalated_at)
                 for c, s in self._steps() if s.status == StepStatus.PENDING
                 and s.started_at is not None
                 and (s.reminded_at is None or s.escalated_at is None)]
        return sorted(found, key=lambda p: p.started_at)[:limit]

    async def in_force_ending_by(self, day: date, today: date, limit: int) -> list[uuid.UUID]:
        found = [c for c in self._live() if c.status in IN_FORCE and c.end_date is not None
                 and c.end_date <= day and (c.renewal_task_id is None or c.end_date < today)]
        return [c.id for c in sorted(found, key=lambda c: c.end_date or date.min)][:limit]

    async def signed_starting_by(self, day: date, limit: int) -> list[uuid.UUID]:
        found = [c for c in self._live() if c.status == ContractStatus.SIGNED
                 and c.start_date is not None and c.start_date <= day]
        return [c.id for c in sorted(found, key=lambda c: c.start_date or date.min)][:limit]

    async def decided_steps(self, since: datetime, until: datetime,
                            limit: int) -> list[DecidedStep]:
        found = [DecidedStep(c.id, s.round, s.step, s.role, s.status.value, s.started_at,
                             s.decided_at, s.reminded_at is not None, s.escalated_at is not None)
                 for c, s in self._steps() if s.decided_at is not None
                 and s.started_at is not None and since <= s.decided_at < until]
        return sorted(found, key=lambda d: d.decided_at)[:limit]

    async def decided_rounds(self, since: datetime, until: datetime,
                             limit: int) -> list[DecidedRound]:
        """A round runs from its first step opening to its last decision."""
        found = []
        for c in self._live():
            for last in c.steps:
                same = [s for s in c.steps if s.round == last.round]
                first = next(s for s in same if s.step == 1)
                final = last.status == StepStatus.REJECTED or (
                    last.status == StepStatus.APPROVED
                    and not any(s.step > last.step for s in same))
                if final and last.decided_at is not None and first.started_at is not None \
                        and since <= last.decided_at < until:
                    found.append(DecidedRound(c.id, last.round, first.started_at,
                                              last.decided_at, last.status.value))
        return sorted(found, key=lambda r: r.decided_at)[:limit]

    async def policy(self) -> ApprovalPolicy:
        doc, version = self.settings.get(POLICY, (None, 0))
        return ApprovalPolicy.from_doc(doc, version)

    async def save_policy(self, policy: ApprovalPolicy) -> ApprovalPolicy:
        _, version = self.settings.get(POLICY, (None, 0))
        if version != policy.version:
            raise StaleVersion("approval policy", policy.version, version)
        self.settings[POLICY] = (policy.to_doc(), version + 1)
        return ApprovalPolicy.from_doc(policy.to_doc(), version + 1)
