"""The repositories and outside services the pipeline feature needs."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from typing import Protocol

from domain.customers.model import Customer
from domain.pipeline.model import Opportunity, StageVisit
from domain.pipeline.queries import OpportunityFilter, StageTotals
from domain.pipeline.stages import Pipeline
from domain.shared.authz import Principal, Visibility
from domain.shared.paging import Page, PageRequest
from domain.shared.ports import UnitOfWork


class Customers(Protocol):
    """What deals need of the customers feature: who sees which records, and the customer a
    new deal names."""

    async def visibility(self, uow: UnitOfWork, p: Principal) -> Visibility:
        """A rep sees their own, a manager the team's, the other roles all."""
        ...
    async def referenced(self, uow: UnitOfWork, p: Principal, customer_id: uuid.UUID
                         ) -> Customer:
        """The customer by id: out of the caller's sight is HiddenRecord, unknown a
        ValidationFailed on customer_id."""
        ...


class PipelineRepository(Protocol):
    async def get(self, pipeline_id: uuid.UUID) -> Pipeline | None: ...
    async def default(self) -> Pipeline | None: ...
    async def add(self, pipeline: Pipeline) -> bool:
        """False (and nothing done) when a pipeline with its id, or a default, exists."""
        ...
    async def save(self, pipeline: Pipeline) -> None: ...
    async def list(self) -> list[Pipeline]: ...
    async def stages_in_use(self, pipeline_id: uuid.UUID) -> set[uuid.UUID]: ...
    async def clear_default(self) -> None: ...


class OpportunityRepository(Protocol):
    async def get(self, opportunity_id: uuid.UUID, visibility: Visibility,
                  lock: bool = False) -> Opportunity | None: ...
    async def exists(self, opportunity_id: uuid.UUID) -> bool: ...
    async def add(self, opportunity: Opportunity) -> None: ...
    async def save(self, opportunity: Opportunity) -> None: ...
    async def next_sequence(self) -> int: ...
    async def stage_totals(self, flt: OpportunityFilter,
                           visibility: Visibility) -> list[StageTotals]: ...
    async def first_cards(self, flt: OpportunityFilter, visibility: Visibility,
                          stage_ids: Sequence[uuid.UUID],
                          limit: int) -> dict[uuid.UUID, Page[Opportunity]]:
        """The first page of each stage's column, in one round trip."""
        ...
    async def history(self, opportunity_id: uuid.UUID) -> list[StageVisit]: ...
    async def list(self, flt: OpportunityFilter, visibility: Visibility,
                   page: PageRequest) -> Page[Opportunity]: ...

