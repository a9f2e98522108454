"""The fixtures several unit-test modules of one feature share, written once here.

`team` with `contracts` and `deals` is the sales organisation the contract and pipeline tests
run in; `org` with `svc` is the organisation and customer service the customer tests run in.
A module that needs something else under one of these names defines its own fixture, which
takes precedence over these.
"""

from __future__ import annotations

import pytest

from domain.contracts.service import ContractService
from domain.customers.service import CustomerService
from domain.pipeline.service import OpportunityService
from tests.fakes.pipeline import SalesTeam
from tests.fakes.shared import FakeClock, FakeUowFactory
from tests.unit.customers_helpers import Org


@pytest.fixture
def team() -> SalesTeam:
    return SalesTeam()  # its clock: Monday 30 November 2026, 09:00 in Shanghai


@pytest.fixture
def contracts(team: SalesTeam) -> ContractService:
    return team.contracts()


@pytest.fixture
def deals(team: SalesTeam) -> OpportunityService:
    return team.deals()


@pytest.fixture
def org() -> Org:
    return Org.build(FakeUowFactory())


@pytest.fixture
def svc(org: Org) -> CustomerService:
    return CustomerService(uow=org.uow, clock=FakeClock())
