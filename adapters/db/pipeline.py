"""Pipelines with their stages, opportunities, stage history and the board's sums."""

from __future__ import annotations

import builtins
import uuid
from collections import defaultdict
from collections.abc import Sequence
from datetime import date
from decimal import Decimal
from typing import Any

from sqlalchemy import (
    ARRAY,
    ColumnElement,
    Select,
    and_,
    bindparam,
    delete,
    func,
    insert,
    literal,
    select,
    true,
    update,
)
from sqlalchemy.dialects.postgresql import UUID
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.engine import Row

from adapters.db import tables
from adapters.db.base import SqlRepository, columns_of, loaded
from adapters.db.filters import matching, visible, within
from adapters.db.keyset import NO_AMOUNT, fetch_page, plain_value
from domain.pipeline.model import (
    ContractStatus,
    Opportunity,
    OpportunityStatus,
    Pipeline,
    Requirement,
    Stage,
    StageKind,
    StageVisit,
)
from domain.pipeline.queries import MoneyTotal, OpportunityFilter, StageTotals
from domain.search.keys import search_key
from domain.shared.authz import Visibility
from domain.shared.paging import Page, PageRequest, encode_cursor

pipelines, pipeline_stages = tables.pipelines, tables.pipeline_stages
opportunities, opportunity_totals = tables.opportunities, tables.opportunity_totals
opportunity_stage_history = tables.opportunity_stage_history
FAR_PAST = date(1900, 1, 1)


def _stage(m: Any) -> Stage:
    return Stage(id=m["id"], key=m["key"], name=m["name"], probability=m["probability"],
                 kind=StageKind(m["kind"]),
                 requirements=tuple(Requirement(r) for r in m["requirements"]),
                 position=m["position"])


class SqlPipelines(SqlRepository):
    async def _with_stages(self, rows: Sequence[Row]) -> builtins.list[Pipeline]:
        if not rows:
            return []
        stages: dict[uuid.UUID, builtins.list[Stage]] = defaultdict(list)
        for s in await self.conn.execute(
                select(pipeline_stages)
                .where(pipeline_stages.c.pipeline_id.in_([r.id for r in rows]))
                .order_by(pipeline_stages.c.pipeline_id, pipeline_stages.c.position)):
            stages[s.pipeline_id].append(_stage(s._mapping))
        out = []
        for r in rows:
            p = Pipeline(id=r.id, name=r.name, stages=stages[r.id], is_default=r.is_default,
                         stale_days=r.stale_days, active=r.active, version=r.version,
                         created_at=r.created_at, updated_at=r.updated_at)
            loaded(p)
            out.append(p)
        return out

    async def get(self, pipeline_id: uuid.UUID) -> Pipeline | None:
        rows = (await self.conn.execute(
            select(pipelines).where(pipelines.c.id == pipeline_id))).all()
        found = await self._with_stages(rows)
        return found[0] if found else None

    async def default(self) -> Pipeline | None:
        rows = (await self.conn.execute(select(pipelines).where(pipelines.c.is_default))).all()
        found = await self._with_stages(rows)
        return found[0] if found else None

    async def list(self) -> builtins.list[Pipeline]:
        rows = (await self.conn.execute(
            select(pipelines).order_by(pipelines.c.is_default.desc(), pipelines.c.name,
                                       pipelines.c.id))).all()
        return await self._with_stages(rows)

    def _stage_rows(self, p: Pipeline) -> builtins.list[dict[str, Any]]:
        return [{"id": s.id, "pipeline_id": p.id, "key": s.key, "name": s.name,
                 "position": s.position, "probability": s.probability, "kind": s.kind.value,
                 "requirements": [r.value for r in s.requirements]} for s in p.stages]

    async def add(self, pipeline: Pipeline) -> bool:
        result = await self.conn.execute(pg_insert(pipelines).values(
            id=pipeline.id, name=pipeline.name, is_default=pipeline.is_default,
            stale_days=pipeline.stale_days, active=pipeline.active, version=pipeline.version)
            .on_conflict_do_nothing())
        loaded(pipeline)
        if result.rowcount != 1:
            return False
        await self.conn.execute(insert(pipeline_stages), self._stage_rows(pipeline))
        return True

    async def save(self, pipeline: Pipeline) -> None:
        await self._update_versioned(pipelines, pipeline, "pipeline", dict(
            name=pipeline.name, is_default=pipeline.is_default, stale_days=pipeline.stale_days,
            active=pipeline.active, version=pipeline.version))
        keep = [s.id for s in pipeline.stages]
        await self.conn.execute(delete(pipeline_stages).where(
            pipeline_stages.c.pipeline_id == pipeline.id, pipeline_stages.c.id.not_in(keep)))
        stmt = pg_insert(pipeline_stages).values(self._stage_rows(pipeline))
        await self.conn.execute(stmt.on_conflict_do_update(
            index_elements=[pipeline_stages.c.id], set_={c: stmt.excluded[c] for c in (
                "key", "name", "position", "probability", "kind", "requirements")}))
        loaded(pipeline)

    async def stages_in_use(self, pipeline_id: uuid.UUID) -> set[uuid.UUID]:
        return set((await self.conn.execute(
            select(opportunities.c.stage_id).where(opportunities.c.pipeline_id == pipeline_id)
            .distinct())).scalars())

    async def clear_default(self) -> None:
        await self.conn.execute(update(pipelines).where(pipelines.c.is_default).values(
            is_default=False, version=pipelines.c.version + 1, updated_at=func.now()))


def _opportunity(row: Row) -> Opportunity:
    m = row._mapping
    o = Opportunity(
        id=m["id"], number=m["number"], name=m["name"], customer_id=m["customer_id"],
        pipeline_id=m["pipeline_id"], stage_id=m["stage_id"], owner_id=m["owner_id"],
        owner_department_id=m["owner_department_id"], status=OpportunityStatus(m["status"]),
        probability=m["probability"], amount=m["amount"], currency=m["currency"],
        expected_close_date=m["expected_close_date"], quote_reference=m["quote_reference"],
        contract_reference=m["contract_reference"],
        contract_status=ContractStatus(m["contract_status"]) if m["contract_status"] else None,
        lost_reason=m["lost_reason"], lead_id=m["lead_id"],
        stage_entered_at=m["stage_entered_at"], last_activity_at=m["last_activity_at"],
        closed_at=m["closed_at"], created_by=m["created_by"], version=m["version"],
        created_at=m["created_at"], updated_at=m["updated_at"],
        customer_name=m.get("customer_name") or "")
    loaded(o)
    return o


# The customer's name beside each deal: a card that says "customer" helps no one.
_CUSTOMER_NAME = (select(tables.customers.c.name)
                  .where(tables.customers.c.id == opportunities.c.customer_id)
                  .scalar_subquery().label("customer_name"))


def _row(o: Opportunity) -> dict[str, Any]:
    values = columns_of(o, opportunities)
    values.pop("created_at", None), values.pop("updated_at", None)
    values.update(status=o.status.value,
                  contract_status=o.contract_status.value if o.contract_status else None,
                  search_text=search_key(o.number, o.name))
    return values


def _sort(flt: OpportunityFilter) -> tuple[builtins.list[Any], bool]:
    """Keyset keys for the list and the board's columns; nullable fields sort as a sentinel."""
    if flt.updated_since is not None:
        return [opportunities.c.updated_at, opportunities.c.id], False
    name = flt.sort.field
    if name == "number":  # unique on its own: its index serves the sort
        return [opportunities.c.number], flt.sort.descending
    col: Any = opportunities.c[name]
    if name == "amount":
        col = func.coalesce(opportunities.c.amount, NO_AMOUNT).label("sort_key")
    elif name == "expected_close_date":
        col = func.coalesce(opportunities.c.expected_close_date, FAR_PAST).label("sort_key")
    return [col, opportunities.c.id], flt.sort.descending


def _totals_can_answer(flt: OpportunityFilter) -> bool:
    """The kept totals know pipeline, stage, owner and department; nothing else."""
    return (flt.status is None and flt.customer_id is None and flt.close_from is None
            and flt.close_to is None and flt.updated_since is None)


class SqlOpportunities(SqlRepository):
    async def get(self, opportunity_id: uuid.UUID, visibility: Visibility,
                  lock: bool = False) -> Opportunity | None:
        stmt = select(opportunities, _CUSTOMER_NAME).where(
            opportunities.c.id == opportunity_id,
            visible(visibility, opportunities.c.owner_id, opportunities.c.owner_department_id))
        if lock:
            stmt = stmt.with_for_update(of=opportunities)
        row = (await self.conn.execute(stmt)).first()
        return _opportunity(row) if row else None

    async def exists(self, opportunity_id: uuid.UUID) -> bool:
        return bool(await self.conn.scalar(select(literal(True)).where(
            opportunities.c.id == opportunity_id)))

    async def next_sequence(self) -> int:
        return int(await self.conn.scalar(tables.opportunity_number_seq.next_value()) or 0)

    async def add(self, opportunity: Opportunity) -> None:
        await self._insert_stamped(opportunities, opportunity, _row(opportunity))
        await self._write_moves(opportunity)
        self.seen.append(opportunity)

    async def save(self, opportunity: Opportunity) -> None:
        await self._save_versioned(opportunities, opportunity, "opportunity")
        await self._write_moves(opportunity)

    async def _write_moves(self, o: Opportunity) -> None:
        for move in o.moves:
            if move.from_stage_id is not None:
                await self.conn.execute(update(opportunity_stage_history).where(
                    opportunity_stage_history.c.opportunity_id == o.id,
                    opportunity_stage_history.c.left_at.is_(None)).values(
                    left_at=move.at, left_by=move.by))
            await self.conn.execute(insert(opportunity_stage_history).values(
                opportunity_id=o.id, stage_id=move.to_stage_id, stage_name=move.to_stage_name,
                entered_at=move.at, entered_by=move.by, entered_by_label=move.by_label))
        o.moves.clear()

    def _conds(self, flt: OpportunityFilter, vis: Visibility
               ) -> builtins.list[ColumnElement[bool]]:
        conds: builtins.list[ColumnElement[bool]] = [
            visible(vis, opportunities.c.owner_id, opportunities.c.owner_department_id)]
        conds += matching(*((opportunities.c[name], getattr(flt, name)) for name in (
            "pipeline_id", "stage_id", "status", "owner_id", "customer_id")),
            (opportunities.c.owner_department_id, flt.department_id))
        conds += within(opportunities.c.expected_close_date, flt.close_from, flt.close_to)
        if flt.updated_since is not None:
            conds.append(opportunities.c.updated_at > flt.updated_since)
        return conds

    async def list(self, flt: OpportunityFilter, visibility: Visibility,
                   page: PageRequest) -> Page[Opportunity]:
        keys, descending = _sort(flt)
        extra = [k for k in keys if k.name not in opportunities.c]
        stmt = select(opportunities, _CUSTOMER_NAME, *extra).where(
            and_(*self._conds(flt, visibility)))
        return await fetch_page(self.conn, stmt, keys, page, _opportunity,
                                descending=descending)

    def totals_statement(self, flt: OpportunityFilter, visibility: Visibility) -> Select:
        """Count and sum per stage and currency. From the trigger-kept totals (a few hundred
        rows) when the filter is one they can answer, else from the deals themselves."""
        if _totals_can_answer(flt):
            totals = opportunity_totals
            conds = [visible(visibility, totals.c.owner_id, totals.c.owner_department_id)]
            conds += matching(*((totals.c[name], getattr(flt, name)) for name in (
                "pipeline_id", "stage_id", "owner_id")),
                (totals.c.owner_department_id, flt.department_id))
            return (select(totals.c.stage_id, totals.c.currency, func.sum(totals.c.n).label("n"),
                           func.sum(totals.c.amount).label("amount"))
                    .where(and_(*conds), totals.c.n > 0)
                    .group_by(totals.c.stage_id, totals.c.currency))
        return (select(opportunities.c.stage_id, opportunities.c.currency, func.count().label("n"),
                       func.coalesce(func.sum(opportunities.c.amount), 0).label("amount"))
                .where(and_(*self._conds(flt, visibility)))
                .group_by(opportunities.c.stage_id, opportunities.c.currency))

    async def stage_totals(self, flt: OpportunityFilter,
                           visibility: Visibility) -> builtins.list[StageTotals]:
        rows = await self.conn.execute(self.totals_statement(flt, visibility))
        counts: dict[uuid.UUID, int] = defaultdict(int)
        money: dict[uuid.UUID, builtins.list[MoneyTotal]] = defaultdict(list)
        for r in rows:
            counts[r.stage_id] += int(r.n)
            if r.amount:
                money[r.stage_id].append(MoneyTotal(r.currency, Decimal(r.amount),
                                                    Decimal("0")))
        return [StageTotals(stage_id, n, sorted(money[stage_id], key=lambda m: m.currency))
                for stage_id, n in counts.items() if n]

    def cards_statement(self, flt: OpportunityFilter, visibility: Visibility,
                        stage_ids: Sequence[uuid.UUID], limit: int) -> Select:
        """Each stage's first `limit` + 1 cards through one LATERAL join (an index scan of
        ix_opportunities_cards per stage, stopping after limit + 1 rows)."""
        keys, descending = _sort(flt)
        # An array parameter, not VALUES: the statement's shape stays the same from request to
        # request, so SQLAlchemy compiles it once and asyncpg prepares it once.
        stages = func.unnest(bindparam("stage_ids", list(stage_ids),
                                       type_=ARRAY(UUID(as_uuid=True)))
                             ).table_valued("sid").render_derived(name="s")
        extra = [k for k in keys if k.name not in opportunities.c]
        order = [k.desc() for k in keys] if descending else keys
        column_of = (select(opportunities, _CUSTOMER_NAME, *extra)
                     .where(opportunities.c.stage_id == stages.c.sid,
                                              *self._conds(flt, visibility))
                     .order_by(*order).limit(limit + 1).lateral("o"))
        return select(stages.c.sid, *column_of.c).select_from(stages.join(column_of, true()))

    async def first_cards(self, flt: OpportunityFilter, visibility: Visibility,
                          stage_ids: Sequence[uuid.UUID],
                          limit: int) -> dict[uuid.UUID, Page[Opportunity]]:
        if not stage_ids:
            return {}
        keys, _ = _sort(flt)
        rows = (await self.conn.execute(
            self.cards_statement(flt, visibility, stage_ids, limit))).all()
        grouped: dict[uuid.UUID, builtins.list[Row]] = defaultdict(list)
        for r in rows:
            grouped[r.sid].append(r)
        out: dict[uuid.UUID, Page[Opportunity]] = {}
        for sid in stage_ids:
            chunk = grouped.get(sid, [])
            more = len(chunk) > limit
            chunk = chunk[:limit]
            cursor = None
            if more and chunk:
                last = chunk[-1]._mapping
                cursor = encode_cursor([plain_value(last[k.name]) for k in keys])
            out[sid] = Page([_opportunity(r) for r in chunk], cursor)
        return out

    async def history(self, opportunity_id: uuid.UUID) -> builtins.list[StageVisit]:
        rows = await self.conn.execute(
            select(opportunity_stage_history)
            .where(opportunity_stage_history.c.opportunity_id == opportunity_id)
            .order_by(opportunity_stage_history.c.id))
        return [StageVisit(stage_id=r.stage_id, stage_name=r.stage_name,
                           entered_at=r.entered_at, entered_by=r.entered_by,
                           entered_by_label=r.entered_by_label, left_at=r.left_at,
                           left_by=r.left_by) for r in rows]

