"""Contracts with their approval steps, the approval inbox, the clocks' queries and the policy."""

from __future__ import annotations

import builtins
import uuid
from collections.abc import Sequence
from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy import ColumnElement, and_, exists, func, literal, or_, select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.engine import Row

from adapters.db import tables
from adapters.db.base import SqlRepository, loaded
from adapters.db.filters import escape_like, matching, visible
from adapters.db.keyset import fetch_page
from adapters.db.sales_settings import read_setting, write_setting
from domain.contracts.model import (
    ApprovalStep,
    Contract,
    ContractStatus,
    LineItem,
    StepRole,
    StepStatus,
)
from domain.contracts.policy import ApprovalPolicy
from domain.contracts.queries import (
    ContractFilter,
    DecidedRound,
    DecidedStep,
    InboxItem,
    PendingStep,
)
from domain.search.keys import search_key
from domain.shared.authz import Visibility
from domain.shared.paging import Page, PageRequest

contracts, contract_steps, customers = tables.contracts, tables.contract_steps, tables.customers
POLICY = "approval_policy"
FAR_PAST = datetime(1970, 1, 1, tzinfo=UTC)
IN_FORCE = [ContractStatus.SIGNED.value, ContractStatus.ACTIVE.value]
_STEP_COLUMNS = [c.name for c in contract_steps.c]


def _step(m: Any) -> ApprovalStep:
    return ApprovalStep(
        id=m["id"], round=m["round"], step=m["step"], role=StepRole(m["role"]),
        assignee_id=m["assignee_id"], status=StepStatus(m["status"]),
        started_at=m["started_at"], reminded_at=m["reminded_at"],
        escalated_at=m["escalated_at"], escalated_to=m["escalated_to"],
        decided_by=m["decided_by"], decided_at=m["decided_at"], comment=m["comment"])


def _contract(row: Row, steps: builtins.list[ApprovalStep]) -> Contract:
    m = row._mapping
    c = Contract(
        id=m["id"], number=m["number"], customer_id=m["customer_id"], title=m["title"],
        owner_id=m["owner_id"], owner_department_id=m["owner_department_id"],
        lines=[LineItem.from_doc(d) for d in m["lines"]], currency=m["currency"],
        opportunity_id=m["opportunity_id"], start_date=m["start_date"],
        end_date=m["end_date"], payment_terms=m["payment_terms"],
        status=ContractStatus(m["status"]), round=m["round"], steps=steps,
        submitted_at=m["submitted_at"], approved_at=m["approved_at"],
        signed_at=m["signed_at"], activated_at=m["activated_at"], paid_at=m["paid_at"],
        ended_at=m["ended_at"], termination_reason=m["termination_reason"],
        renewal_task_id=m["renewal_task_id"], created_by=m["created_by"],
        deleted_at=m["deleted_at"], version=m["version"], created_at=m["created_at"],
        updated_at=m["updated_at"], customer_name=m["customer_name"] or "")
    loaded(c)
    return c


def _row(c: Contract) -> dict[str, Any]:
    return {
        "id": c.id, "number": c.number, "customer_id": c.customer_id,
        "opportunity_id": c.opportunity_id, "title": c.title, "currency": c.currency,
        "amount": c.amount, "lines": [line.to_doc() for line in c.lines],
        "start_date": c.start_date, "end_date": c.end_date, "payment_terms": c.payment_terms,
        "status": c.status.value, "round": c.round, "owner_id": c.owner_id,
        "owner_department_id": c.owner_department_id, "submitted_at": c.submitted_at,
        "approved_at": c.approved_at, "signed_at": c.signed_at,
        "activated_at": c.activated_at, "paid_at": c.paid_at, "ended_at": c.ended_at,
        "termination_reason": c.termination_reason, "renewal_task_id": c.renewal_task_id,
        "created_by": c.created_by, "deleted_at": c.deleted_at, "version": c.version,
        "search_text": search_key(c.number, c.title),
    }


def _step_row(contract_id: uuid.UUID, s: ApprovalStep) -> dict[str, Any]:
    return {"id": s.id, "contract_id": contract_id, "round": s.round, "step": s.step,
            "role": s.role.value, "assignee_id": s.assignee_id, "status": s.status.value,
            "started_at": s.started_at, "reminded_at": s.reminded_at,
            "escalated_at": s.escalated_at, "escalated_to": s.escalated_to,
            "decided_by": s.decided_by, "decided_at": s.decided_at, "comment": s.comment}


def _approver_of(user_id: uuid.UUID) -> ColumnElement[bool]:
    return exists().where(contract_steps.c.contract_id == contracts.c.id,
                          or_(contract_steps.c.assignee_id == user_id,
                              contract_steps.c.escalated_to == user_id))


def _seen_by(vis: Visibility, approver: uuid.UUID | None) -> ColumnElement[bool]:
    """The owner rule of every sales record, plus: approvers see what they are asked to decide."""
    rule = visible(vis, contracts.c.owner_id, contracts.c.owner_department_id)
    return or_(rule, _approver_of(approver)) if approver is not None and not vis.everything \
        else rule


_WITH_CUSTOMER = select(contracts, customers.c.name.label("customer_name")).select_from(
    contracts.join(customers, customers.c.id == contracts.c.customer_id))


def _sort_keys(flt: ContractFilter) -> tuple[list[Any], bool]:
    """Keyset keys of the list: the number is unique on its own (its index serves the sort);
    a nullable date sorts as a sentinel so that the keys compare."""
    if flt.updated_since is not None:
        return [contracts.c.updated_at, contracts.c.id], False
    name, descending = flt.sort.field, flt.sort.descending
    if name == "number":
        return [contracts.c.number], descending
    col: Any = contracts.c[name]
    if name == "end_date":
        col = func.coalesce(contracts.c.end_date, date(1, 1, 1)).label("sort_key")
    elif name == "signed_at":
        col = func.coalesce(contracts.c.signed_at, FAR_PAST).label("sort_key")
    return [col, contracts.c.id], descending


class SqlContracts(SqlRepository):
    async def _steps(self, ids: Sequence[uuid.UUID]) -> dict[uuid.UUID, list[ApprovalStep]]:
        out: dict[uuid.UUID, list[ApprovalStep]] = {i: [] for i in ids}
        if not ids:
            return out
        rows = await self.conn.execute(select(contract_steps)
                                       .where(contract_steps.c.contract_id.in_(list(ids)))
                                       .order_by(contract_steps.c.round, contract_steps.c.step))
        for r in rows:
            out[r.contract_id].append(_step(r._mapping))
        return out

    async def get(self, contract_id: uuid.UUID, visibility: Visibility,
                  approver: uuid.UUID | None = None, lock: bool = False) -> Contract | None:
        stmt = _WITH_CUSTOMER.where(contracts.c.id == contract_id, contracts.c.deleted_at.is_(None),
                                    _seen_by(visibility, approver))
        if lock:
            stmt = stmt.with_for_update(of=contracts)
        row = (await self.conn.execute(stmt)).first()
        if row is None:
            return None
        return _contract(row, (await self._steps([row.id]))[row.id])

    async def exists(self, contract_id: uuid.UUID) -> bool:
        return bool(await self.conn.scalar(select(literal(True)).where(
            contracts.c.id == contract_id, contracts.c.deleted_at.is_(None))))

    async def next_sequence(self) -> int:
        return int(await self.conn.scalar(tables.contract_number_seq.next_value()) or 0)

    async def add(self, contract: Contract) -> None:
        await self._insert_stamped(contracts, contract, _row(contract))
        await self._write_steps(contract)
        self.seen.append(contract)

    async def save(self, contract: Contract) -> None:
        values = _row(contract)
        values.pop("id")
        contract.updated_at = await self._update_versioned(contracts, contract, "contract",
                                                           values)
        loaded(contract)
        await self._write_steps(contract)
        self.seen.append(contract)

    async def _write_steps(self, c: Contract) -> None:
        if not c.steps:
            return
        stmt = pg_insert(contract_steps).values([_step_row(c.id, s) for s in c.steps])
        await self.conn.execute(stmt.on_conflict_do_update(
            index_elements=[contract_steps.c.id],
            set_={name: stmt.excluded[name] for name in _STEP_COLUMNS
                  if name not in ("id", "contract_id", "round", "step")}))

    async def list(self, flt: ContractFilter, visibility: Visibility,
                   approver: uuid.UUID | None, page: PageRequest) -> Page[Contract]:
        """A delta sync (updated_since) includes deleted drafts: the caller shows them as
        tombstones."""
        conds: list[ColumnElement[bool]] = [_seen_by(visibility, approver)]
        if flt.updated_since is not None:
            conds.append(contracts.c.updated_at > flt.updated_since)
        else:
            conds.append(contracts.c.deleted_at.is_(None))
        conds += matching(*((contracts.c[name], getattr(flt, name)) for name in (
            "customer_id", "owner_id", "opportunity_id", "status")))
        if flt.q:
            like = f"%{escape_like(flt.q.strip())}%"
            conds.append(or_(contracts.c.number.ilike(like), contracts.c.title.ilike(like)))
        keys, descending = _sort_keys(flt)
        extra = [k for k in keys if k.name not in contracts.c]
        stmt = _WITH_CUSTOMER.add_columns(*extra).where(and_(*conds))
        rows: list[Row] = []

        def keep(row: Row) -> Row:
            rows.append(row)
            return row

        result = await fetch_page(self.conn, stmt, keys, page, keep, descending=descending)
        steps = await self._steps([r.id for r in rows])
        return Page([_contract(r, steps[r.id]) for r in result.items], result.next_cursor,
                    result.total)

    async def inbox(self, user_id: uuid.UUID | None, page: PageRequest) -> Page[InboxItem]:
        conds: list[ColumnElement[bool]] = [contract_steps.c.status == StepStatus.PENDING.value,
                                            contracts.c.deleted_at.is_(None)]
        if user_id is not None:
            conds.append(or_(contract_steps.c.assignee_id == user_id,
                             contract_steps.c.escalated_to == user_id))
        stmt = (select(contract_steps, contracts.c.number, contracts.c.title, contracts.c.amount,
                       contracts.c.currency, contracts.c.customer_id, contracts.c.owner_id,
                       customers.c.name.label("customer_name"))
                .select_from(contract_steps
                             .join(contracts, contracts.c.id == contract_steps.c.contract_id)
                             .join(customers, customers.c.id == contracts.c.customer_id))
                .where(and_(*conds)))

        def item(row: Row) -> InboxItem:
            m = row._mapping
            return InboxItem(
                contract_id=m["contract_id"], number=m["number"], title=m["title"],
                amount=m["amount"], currency=m["currency"], customer_id=m["customer_id"],
                customer_name=m["customer_name"], owner_id=m["owner_id"], round=m["round"],
                step=m["step"], role=StepRole(m["role"]), assignee_id=m["assignee_id"],
                escalated_to=m["escalated_to"], started_at=m["started_at"],
                reminded_at=m["reminded_at"], escalated_at=m["escalated_at"])

        return await fetch_page(self.conn, stmt,
                                [contract_steps.c.started_at, contract_steps.c.id], page, item)

    async def pending_counts(self, user_ids: Sequence[uuid.UUID]) -> dict[uuid.UUID, int]:
        if not user_ids:
            return {}
        rows = await self.conn.execute(
            select(contract_steps.c.assignee_id, func.count()).where(
                contract_steps.c.status == StepStatus.PENDING.value,
                contract_steps.c.assignee_id.in_(list(user_ids))).group_by(contract_steps.c.assignee_id))
        return {r[0]: int(r[1]) for r in rows}

    async def pending_steps(self, limit: int) -> builtins.list[PendingStep]:
        rows = await self.conn.execute(
            select(contract_steps.c.contract_id, contract_steps.c.round, contract_steps.c.step,
                   contract_steps.c.started_at, contract_steps.c.reminded_at,
                   contract_steps.c.escalated_at)
            .where(contract_steps.c.status == StepStatus.PENDING.value,
                   or_(contract_steps.c.reminded_at.is_(None),
                       contract_steps.c.escalated_at.is_(None)))
            .order_by(contract_steps.c.started_at).limit(limit))
        return [PendingStep(r.contract_id, r.round, r.step, r.started_at, r.reminded_at,
                            r.escalated_at) for r in rows]

    async def in_force_ending_by(self, day: date, today: date, limit: int
                                 ) -> builtins.list[uuid.UUID]:
        rows = await self.conn.execute(
            select(contracts.c.id).where(
                contracts.c.status.in_(IN_FORCE), contracts.c.deleted_at.is_(None),
                contracts.c.end_date <= day,
                or_(contracts.c.renewal_task_id.is_(None), contracts.c.end_date < today))
            .order_by(contracts.c.end_date).limit(limit))
        return [r.id for r in rows]

    async def signed_starting_by(self, day: date, limit: int) -> builtins.list[uuid.UUID]:
        rows = await self.conn.execute(
            select(contracts.c.id).where(contracts.c.status == ContractStatus.SIGNED.value,
                                 contracts.c.deleted_at.is_(None), contracts.c.start_date <= day)
            .order_by(contracts.c.start_date).limit(limit))
        return [r.id for r in rows]

    async def decided_steps(self, since: datetime, until: datetime,
                            limit: int) -> builtins.list[DecidedStep]:
        rows = await self.conn.execute(
            select(contract_steps).where(contract_steps.c.decided_at >= since,
                                         contract_steps.c.decided_at < until,
                             contract_steps.c.started_at.is_not(None))
            .order_by(contract_steps.c.decided_at).limit(limit))
        return [DecidedStep(r.contract_id, r.round, r.step, StepRole(r.role), r.status,
                            r.started_at, r.decided_at, r.reminded_at is not None,
                            r.escalated_at is not None) for r in rows]

    async def decided_rounds(self, since: datetime, until: datetime,
                             limit: int) -> builtins.list[DecidedRound]:
        """A round runs from its first step opening to its last decision (the rejection, or
        the final approval)."""
        first = contract_steps.alias("first")
        last = contract_steps.alias("last")
        later = contract_steps.alias("later")
        stmt = (select(last.c.contract_id, last.c.round, last.c.status, last.c.decided_at,
                       first.c.started_at)
                .join(first, and_(first.c.contract_id == last.c.contract_id,
                                  first.c.round == last.c.round, first.c.step == 1))
                .where(last.c.decided_at >= since, last.c.decided_at < until,
                       or_(last.c.status == StepStatus.REJECTED.value,
                           and_(last.c.status == StepStatus.APPROVED.value,
                                ~exists().where(later.c.contract_id == last.c.contract_id,
                                                later.c.round == last.c.round,
                                                later.c.step > last.c.step))))
                .order_by(last.c.decided_at).limit(limit))
        return [DecidedRound(r.contract_id, r.round, r.started_at, r.decided_at, r.status)
                for r in await self.conn.execute(stmt)]

    async def policy(self) -> ApprovalPolicy:
        doc, version = await read_setting(self.conn, POLICY)
        return ApprovalPolicy.from_doc(doc, version)

    async def save_policy(self, policy: ApprovalPolicy) -> ApprovalPolicy:
        version = await write_setting(self.conn, POLICY, policy.to_doc(), policy.version)
        return ApprovalPolicy.from_doc(policy.to_doc(), version)
