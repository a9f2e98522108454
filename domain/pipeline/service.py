"""Pipelines and opportunities: stages with requirements, history, the board."""

from __future__ import annotations

import builtins
import dataclasses
import uuid
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from domain.audit.model import AuditEntry, field_diff
from domain.contracts.model import ContractStatus
from domain.customers.activity import ActivityEntry
from domain.customers.model import Customer
from domain.pipeline.commands import (
    CreatePipeline,
    NewOpportunity,
    OpenOpportunity,
    UpdateOpportunity,
    UpdatePipeline,
)
from domain.pipeline.model import Opportunity, StageVisit, opportunity_number
from domain.pipeline.ports import Customers
from domain.pipeline.queries import BoardColumn, MoneyTotal, OpportunityFilter
from domain.pipeline.stages import Pipeline, Stage, StageKind, default_pipeline
from domain.shared.authz import SYSTEM, Actor, Principal, Scope, Visibility, require
from domain.shared.commands import Unset, given
from domain.shared.errors import NotFound, PermissionDenied, ValidationFailed, check_version
from domain.shared.ownership import check_owner, is_team_lead
from domain.shared.paging import Page, PageRequest
from domain.shared.ports import Clock, UnitOfWork, UnitOfWorkFactory
from domain.shared.visibility import visible_or_404

MAX_BOARD_CARDS = 50
EVERYTHING = Visibility(everything=True)


def opportunity_snapshot(o: Opportunity) -> dict[str, Any]:
    return {
        "name": o.name, "customer_id": o.customer_id, "pipeline_id": o.pipeline_id,
        "stage_id": o.stage_id, "status": o.status, "owner_id": o.owner_id,
        "amount": str(o.amount) if o.amount is not None else None, "currency": o.currency,
        "expected_close_date": str(o.expected_close_date) if o.expected_close_date else None,
        "quote_reference": o.quote_reference, "contract_reference": o.contract_reference,
        "contract_status": o.contract_status, "lost_reason": o.lost_reason,
    }


@dataclass(frozen=True)
class Board:
    pipeline: Pipeline
    columns: list[BoardColumn[Opportunity]]


@dataclass
class OpportunityService:
    uow: UnitOfWorkFactory
    clock: Clock
    customers: Customers

    # ---- pipelines --------------------------------------------------------------------------

    async def default_pipeline(self, uow: UnitOfWork) -> Pipeline:
        """The default pipeline, created on first use (racing creators agree on its ids)."""
        p = await uow.pipelines.default()
        if p is not None:
            return p
        made = await uow.pipelines.add(default_pipeline())
        p = await uow.pipelines.default()
        assert p is not None
        if made:
            await uow.audit.record(AuditEntry.of(
                SYSTEM, "pipeline.created", "pipeline", p.id,
                field_diff(None, _pipeline_snapshot(p))))
        return p

    async def _pipeline(self, uow: UnitOfWork, pipeline_id: uuid.UUID | None) -> Pipeline:
        if pipeline_id is None:
            return await self.default_pipeline(uow)
        p = await uow.pipelines.get(pipeline_id)
        if p is None:
            raise NotFound("pipeline", pipeline_id)
        return p

    async def list_pipelines(self, actor: Actor) -> builtins.list[Pipeline]:
        require(actor, Scope.OPPORTUNITIES_READ)
        async with self.uow() as uow:
            await self.default_pipeline(uow)
            pipelines = await uow.pipelines.list()
            await uow.commit()  # keeps the default pipeline made just now
            return pipelines

    async def get_pipeline(self, actor: Actor, pipeline_id: uuid.UUID) -> Pipeline:
        require(actor, Scope.OPPORTUNITIES_READ)
        async with self.uow() as uow:
            p = await self._pipeline(uow, pipeline_id)
            await uow.commit()
            return p

    async def create_pipeline(self, actor: Actor, command: CreatePipeline) -> Pipeline:
        require(actor, Scope.SETTINGS_WRITE)
        async with self.uow() as uow:
            await self.default_pipeline(uow)
            p = Pipeline.create(name=command.name, stages=command.stages,
                                stale_days=command.stale_days or 7)
            if command.is_default:
                await uow.pipelines.clear_default()
                p.is_default = True
            await uow.pipelines.add(p)
            await uow.audit.record(AuditEntry.of(actor, "pipeline.created", "pipeline", p.id,
                                                 field_diff(None, _pipeline_snapshot(p))))
            await uow.commit()
            return p

    async def update_pipeline(self, actor: Actor, pipeline_id: uuid.UUID,
                              command: UpdatePipeline, expected_version: int | None
                              ) -> Pipeline:
        require(actor, Scope.SETTINGS_WRITE)
        async with self.uow() as uow:
            p = await self._pipeline(uow, pipeline_id)
            check_version("pipeline", p.version, expected_version)
            before = _pipeline_snapshot(p)
            restaged = not isinstance(command.stages, Unset)
            in_use = await uow.pipelines.stages_in_use(p.id) if restaged else set()
            p.update(name=command.name, stale_days=command.stale_days, active=command.active,
                     stages=command.stages, stages_in_use=in_use)
            make_default = command.is_default
            if make_default and not p.is_default:
                if not p.active:
                    raise ValidationFailed.of("is_default", "an archived pipeline")
                await uow.pipelines.clear_default()
                p.is_default = True
            elif make_default is False and p.is_default:
                raise ValidationFailed.of("is_default", "make another pipeline the default")
            await uow.pipelines.save(p)
            await uow.audit.record(AuditEntry.of(actor, "pipeline.updated", "pipeline", p.id,
                                                 field_diff(before, _pipeline_snapshot(p))))
            await uow.commit()
            return p

    # ---- opportunities ----------------------------------------------------------------------

    async def visibility(self, uow: UnitOfWork, p: Principal) -> Visibility:
        """Like customers: a rep sees their own, a manager the team's, the others all."""
        return await self.customers.visibility(uow, p)

    async def _load(self, uow: UnitOfWork, vis: Visibility, opportunity_id: uuid.UUID,
                    lock: bool = False) -> Opportunity:
        return await visible_or_404(uow.opportunities.get(opportunity_id, vis, lock=lock),
                                    uow.opportunities, "opportunity", opportunity_id)

    async def create(self, actor: Actor, command: OpenOpportunity) -> Opportunity:
        p = require(actor, Scope.OPPORTUNITIES_WRITE)
        async with self.uow() as uow:
            customer = await self.customers.referenced(uow, p, command.customer_id)
            o = await self.open_in(uow, actor, customer, command)
            await uow.commit()
            return o

    async def open_in(self, uow: UnitOfWork, actor: Actor, customer: Customer,
                      details: NewOpportunity, lead_id: uuid.UUID | None = None
                      ) -> Opportunity:
        """Opens an opportunity inside the caller's transaction (lead conversion uses it)."""
        p = require(actor, Scope.OPPORTUNITIES_WRITE)
        pipeline = await self._pipeline(uow, details.pipeline_id)
        stage = pipeline.stage(details.stage_id) if details.stage_id else None
        owner_ref = details.owner_id or p.user_id or customer.owner_id
        owner_id, department_id = await check_owner(uow, p, owner_ref, "opportunities")
        now = self.clock.now()
        o = Opportunity.open(
            number=opportunity_number(now, await uow.opportunities.next_sequence()),
            name=details.name or customer.name, customer_id=customer.id,
            pipeline=pipeline, stage=stage, owner_id=owner_id,
            owner_department_id=department_id, now=now, by=p.user_id, by_label=actor.shown_name,
            lead_id=lead_id, amount=details.amount, currency=details.currency,
            expected_close_date=details.expected_close_date,
            quote_reference=details.quote_reference,
            contract_reference=details.contract_reference,
            contract_status=details.contract_status)
        o.customer_name = customer.name
        await uow.opportunities.add(o)
        stage_name = pipeline.stage(o.stage_id).name
        await self._timeline(uow, actor, o, "opportunity",
                             f"Opportunity {o.number} opened in {stage_name}",
                             stage=stage_name)
        await uow.audit.record(AuditEntry.of(actor, "opportunity.created", "opportunity", o.id,
                                             field_diff(None, opportunity_snapshot(o))))
        return o

    async def _timeline(self, uow: UnitOfWork, actor: Actor, o: Opportunity, kind: str,
                        summary: str, **data: Any) -> None:
        await uow.activity.add(ActivityEntry.by(actor, o.customer_id, kind, summary,
                                                "opportunity", o.id, data))

    async def get(self, actor: Actor, opportunity_id: uuid.UUID
                  ) -> tuple[Opportunity, Pipeline]:
        p = require(actor, Scope.OPPORTUNITIES_READ)
        async with self.uow() as uow:
            o = await self._load(uow, await self.visibility(uow, p), opportunity_id)
            return o, await self._pipeline(uow, o.pipeline_id)

    async def list(self, actor: Actor, flt: OpportunityFilter, page: PageRequest
                   ) -> Page[Opportunity]:
        p = require(actor, Scope.OPPORTUNITIES_READ)
        async with self.uow() as uow:
            return await uow.opportunities.list(flt, await self.visibility(uow, p), page)

    async def board(self, actor: Actor, flt: OpportunityFilter, cards: int) -> Board:
        """Per stage: how many, how much (per currency, and weighted), and the first cards."""
        p = require(actor, Scope.OPPORTUNITIES_READ)
        if not 1 <= cards <= MAX_BOARD_CARDS:
            raise ValidationFailed.of("limit", f"must be between 1 and {MAX_BOARD_CARDS}")
        async with self.uow() as uow:
            pipeline = await self._pipeline(uow, flt.pipeline_id)
            flt = dataclasses.replace(flt, pipeline_id=pipeline.id)
            vis = await self.visibility(uow, p)
            totals = {t.stage_id: t for t in await uow.opportunities.stage_totals(flt, vis)}
            stages = [s for s in pipeline.stages
                      if flt.stage_id is None or s.id == flt.stage_id]
            first = await uow.opportunities.first_cards(flt, vis, [s.id for s in stages], cards)
            await uow.commit()
        columns = []
        for s in stages:
            t = totals.get(s.id)
            page = first.get(s.id) or Page([], None)
            columns.append(BoardColumn(
                stage_id=s.id, count=t.count if t else 0,
                totals=[MoneyTotal(m.currency, m.amount, s.weighted(m.amount))
                        for m in (t.totals if t else [])],
                cards=page.items, next_cursor=page.next_cursor))
        return Board(pipeline, columns)

    async def update(self, actor: Actor, opportunity_id: uuid.UUID, command: UpdateOpportunity,
                     expected_version: int | None) -> tuple[Opportunity, Pipeline]:
        """Field edits, then a stage move (so one call can add the quote and enter Proposal),
        then a reassignment."""
        p = require(actor, Scope.OPPORTUNITIES_WRITE)
        async with self.uow() as uow:
            o = await self._load(uow, await self.visibility(uow, p), opportunity_id, lock=True)
            check_version("opportunity", o.version, expected_version)
            before = opportunity_snapshot(o)
            pipeline = await self._pipeline(uow, o.pipeline_id)
            owner_ref = command.owner_id
            if given(command.changes):
                o.update(command.changes)
            if command.stage_id is not None:
                await self._move(uow, actor, p, o, pipeline, pipeline.stage(command.stage_id),
                                 command.lost_reason)
            elif command.lost_reason is not None:
                raise ValidationFailed.of("lost_reason", "goes with a move to the lost stage")
            if owner_ref is not None and owner_ref != o.owner_id:
                if not is_team_lead(p):
                    raise PermissionDenied("Only managers and admins reassign opportunities")
                owner_id, department_id = await check_owner(uow, p, owner_ref, "opportunities")
                o.reassign(owner_id, department_id, p.user_id)
                await self._timeline(uow, actor, o, "owner_changed",
                                     f"Opportunity {o.number} reassigned",
                                     to_owner_id=str(owner_id))
            await uow.opportunities.save(o)
            await uow.audit.record(AuditEntry.of(actor, "opportunity.updated", "opportunity",
                                                 o.id, field_diff(before, opportunity_snapshot(o))))
            await uow.commit()
            return o, pipeline

    async def _move(self, uow: UnitOfWork, actor: Actor, p: Principal, o: Opportunity,
                    pipeline: Pipeline, to: Stage, lost_reason: str | None) -> None:
        current = pipeline.stage(o.stage_id)
        if not o.move(pipeline, to, self.clock.now(), p.user_id, actor.shown_name, lost_reason):
            return
        summary = f"Opportunity {o.number}: {current.name} → {to.name}"
        if o.lost_reason and to.kind == StageKind.LOST:
            summary += f" ({o.lost_reason})"
        await self._timeline(uow, actor, o, "stage_changed", summary, from_stage=current.key,
                             to_stage=to.key, status=o.status.value)

    async def win_by_payment(self, uow: UnitOfWork, actor: Actor, opportunity_id: uuid.UUID,
                             amount: Decimal, currency: str) -> None:
        """Its contract was paid: the deal moves to won (inside the caller's transaction)."""
        o = await uow.opportunities.get(opportunity_id, EVERYTHING, lock=True)
        if o is None:
            return
        before = opportunity_snapshot(o)
        pipeline = await self._pipeline(uow, o.pipeline_id)
        current = pipeline.stage(o.stage_id)
        p = actor.principal
        if not o.win_by_payment(pipeline, self.clock.now(), p.user_id if p else None,
                                actor.shown_name, amount, currency):
            return
        await uow.opportunities.save(o)
        won = pipeline.stage(o.stage_id)
        await self._timeline(uow, actor, o, "stage_changed",
                             f"Opportunity {o.number}: {current.name} → {won.name} "
                             "(contract paid)", from_stage=current.key, to_stage=won.key,
                             status=o.status.value)
        await uow.audit.record(AuditEntry.of(actor, "opportunity.updated", "opportunity", o.id,
                                             field_diff(before, opportunity_snapshot(o))))

    # ---- what a contract asks of its deal ---------------------------------------------------

    async def check_linkable(self, uow: UnitOfWork, p: Principal, opportunity_id: uuid.UUID,
                             customer_id: uuid.UUID) -> None:
        """A contract names a deal of its own customer that the caller can see."""
        o = await uow.opportunities.get(opportunity_id, await self.visibility(uow, p))
        if o is None or o.customer_id != customer_id:
            raise ValidationFailed.of("opportunity_id", "is not an opportunity of this customer "
                                      "that you can see")

    async def follow_contract(self, uow: UnitOfWork, opportunity_id: uuid.UUID, number: str,
                              status: ContractStatus) -> None:
        """The linked deal carries its contract's number and state (the contract-signing
        stage asks for a contract in approval or approved), in the caller's transaction."""
        o = await uow.opportunities.get(opportunity_id, EVERYTHING, lock=True)
        if o is None:
            return
        version = o.version
        o.mirror_contract(number, status)
        if o.version != version:
            await uow.opportunities.save(o)

    async def history(self, actor: Actor, opportunity_id: uuid.UUID
                      ) -> builtins.list[StageVisit]:
        p = require(actor, Scope.OPPORTUNITIES_READ)
        async with self.uow() as uow:
            await self._load(uow, await self.visibility(uow, p), opportunity_id)
            return await uow.opportunities.history(opportunity_id)


def _pipeline_snapshot(p: Pipeline) -> dict[str, Any]:
    return {"name": p.name, "is_default": p.is_default, "stale_days": p.stale_days,
            "active": p.active,
            "stages": [{"key": s.key, "name": s.name, "probability": s.probability,
                        "kind": s.kind.value, "requirements": [r.value for r in s.requirements]}
                       for s in p.stages]}

