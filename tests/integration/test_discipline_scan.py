"""The stale-deal scan on real PostgreSQL with a controlled clock: reminders after N days (per
pipeline), the manager after 2N, never twice for the same lapse, again after a new lapse."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest
from sqlalchemy import select

from adapters.bootstrap import Container
from adapters.db import tables
from adapters.jobs.worker import scan_followups
from domain.customers.activity import FollowUpMethod
from domain.customers.commands import NewCustomer, NewFollowUp
from domain.customers.model import CustomerKind
from domain.customers.service import CustomerService
from domain.discipline.service import FollowUpDiscipline
from domain.identity.service import principal_of
from domain.leads.commands import LogFollowUp, UpdateLead
from domain.leads.model import LeadStatus
from domain.leads.service import LeadService
from domain.pipeline.commands import CreatePipeline, OpenOpportunity
from domain.pipeline.service import OpportunityService
from domain.pipeline.stages import StageKind, StageSpec
from domain.shared.authz import Actor
from tests.conftest import World, drain
from tests.fakes.shared import FakeClock
from tests.integration.leads_helpers import capture_command, notifications


class Sales:
    def __init__(self, c: Container, clock: FakeClock) -> None:
        self.customers = CustomerService(c.uow, clock, c.customers.tier_policy)
        self.opportunities = OpportunityService(c.uow, clock, self.customers, "en")
        self.leads = LeadService(c.uow, clock, self.customers, self.opportunities)
        self.discipline = FollowUpDiscipline(c.uow, clock)


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock(datetime.now(UTC).replace(microsecond=0))


async def tasks_for(c: Container, record_id: Any) -> list[Any]:
    async with c.engine.connect() as conn:
        return list((await conn.execute(select(tables.tasks).where(
            tables.tasks.c.related_id == record_id, tables.tasks.c.notes == "followup_reminder")
            .order_by(tables.tasks.c.created_at))).all())


async def test_reminders_escalations_and_no_double_reminders(
    container: Container, world: World, clock: FakeClock
) -> None:
    s = Sales(container, clock)
    rep = Actor(principal_of(world.users["rep"]))
    admin = Actor(principal_of(world.users["admin"]))
    lead = await s.leads.capture(rep, capture_command())
    dropped = await s.leads.capture(rep, capture_command(phone="13700000001",
                                                          email="d@example.com"))
    await s.leads.update(rep, dropped.id, UpdateLead(status=LeadStatus.DISQUALIFIED,
                                                     disqualify_reason="a student project"),
                         None)
    customer = await s.customers.create(rep, NewCustomer("上海明远精密机械制造有限公司",
                                                         CustomerKind.COMPANY))
    deal = await s.opportunities.create(rep, OpenOpportunity(customer_id=customer.id))
    fast = await s.opportunities.create_pipeline(admin, CreatePipeline(
        name="Quick deals", stale_days=3, stages=(
            StageSpec(key="talk", name="Talk", probability=50),
            StageSpec(key="won", name="Won", kind=StageKind.WON),
            StageSpec(key="lost", name="Lost", kind=StageKind.LOST))))
    quick = await s.opportunities.create(rep, OpenOpportunity(customer_id=customer.id,
                                                              pipeline_id=fast.id))

    clock.advance(days=2)
    assert (await s.discipline.scan()).records == []

    clock.advance(days=1, hours=1)  # day 3: the quick pipeline's limit
    result = await s.discipline.scan()
    assert result.records == [("opportunity", quick.id, "owner")]
    (task,) = await tasks_for(container, quick.id)
    assert task.assignee_id == world.users["rep"].id and task.origin == "rule"
    # Written in the owner's language (the rep saved none: Chinese, the product's default).
    assert task.due_at == clock.now() and "已 3 天未跟进" in task.title

    clock.advance(days=4)  # day 7: the lead and the default pipeline's deal; quick at 2N
    result = await s.discipline.scan()
    assert sorted(result.records) == sorted([("lead", lead.id, "owner"),
                                             ("opportunity", deal.id, "owner"),
                                             ("opportunity", quick.id, "manager")])
    assert await tasks_for(container, dropped.id) == [], "closed leads are left alone"
    assert (await s.discipline.scan()).records == [], "never twice for the same lapse"
    assert len(await tasks_for(container, lead.id)) == 1

    await drain(container)
    rep_notes = await notifications(container, world.users["rep"].id, "followup_overdue")
    assert len(rep_notes) == 3
    (escalation,) = await notifications(container, world.users["manager"].id,
                                        "followup_escalated")
    assert quick.number in escalation.body

    clock.advance(days=1)  # day 8: the rep calls the lead
    await s.leads.log_followup(rep, lead.id, LogFollowUp(FollowUpMethod.PHONE, "回电"))
    clock.advance(days=6, hours=1)  # day 14: the deal reaches 2N; the lead is 6 days quiet
    result = await s.discipline.scan()
    assert result.records == [("opportunity", deal.id, "manager")]

    clock.advance(days=1)  # day 15: the lead's new lapse, 7 days after the call
    result = await s.discipline.scan()
    assert result.records == [("lead", lead.id, "owner")]
    assert len(await tasks_for(container, lead.id)) == 2

    # a follow-up with the customer counts for its open deals
    await s.customers.followups.add(rep, customer.id, NewFollowUp(FollowUpMethod.VISIT, "拜访"))
    clock.advance(days=7, hours=1)
    result = await s.discipline.scan()
    assert ("opportunity", deal.id, "owner") in result.records
    assert len(await tasks_for(container, deal.id)) == 2


async def test_the_cron_job_runs_the_scan(container: Container, world: World,
                                         clock: FakeClock) -> None:
    s = Sales(container, clock)
    await s.leads.capture(Actor(principal_of(world.users["rep"])), capture_command())
    clock.advance(days=30)
    assert await scan_followups({"discipline": s.discipline}) == {"reminded": 1,
                                                                  "escalated": 1}
    assert await scan_followups({"discipline": s.discipline}) == {"reminded": 0,
                                                                  "escalated": 0}
    async with container.engine.connect() as conn:
        audited = sorted((await conn.execute(
            select(tables.audit_log.c.action, tables.audit_log.c.actor_type)
            .where(tables.audit_log.c.action.like("followup.%")))).all())
    assert audited == [("followup.escalated", "system"), ("followup.reminded", "system")]
