"""Working a lead on fakes: edits and status moves, follow-ups, reassignment, reads and the
audited reveal; who may see and change which lead."""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

import pytest

from domain.customers.activity import FollowUpMethod, TaskStatus
from domain.customers.model import Source
from domain.leads.commands import ConvertLead, LogFollowUp, UpdateLead
from domain.leads.model import Lead, LeadStatus
from domain.leads.queries import LeadFilter
from domain.leads.routing import AssignedBy
from domain.shared.authz import Actor
from domain.shared.errors import (
    HiddenRecord,
    InvalidTransition,
    NotFound,
    PermissionDenied,
    StaleVersion,
    ValidationFailed,
)
from domain.shared.paging import PageRequest
from tests.fakes.leads_world import LeadsWorld


@pytest.fixture
def world() -> LeadsWorld:
    return LeadsWorld()


def field_of(error: ValidationFailed) -> str:
    return error.problems[0].field


def first_contact_task(world: LeadsWorld, lead: Lead):  # type: ignore[no-untyped-def]
    return next(t for t in world.tasks if t.related_id == lead.id)


# ---- edits and status moves ----------------------------------------------------------------------


async def test_an_edit_rescores_the_lead_and_is_recorded(world: LeadsWorld) -> None:
    lead = await world.capture("rep")
    edited = await world.leads.update(world.actor("rep"), lead.id,
                                      UpdateLead(budget=Decimal("2000000")), lead.version)
    assert edited.budget == Decimal("2000000.00") and edited.score == lead.score + 10
    assert edited.version == lead.version + 1
    assert world.timeline(lead.id)[-1].summary == "Edited: budget"
    [audited] = world.audit("lead.updated")
    assert audited.diff["budget"] == ["500000.00", "2000000.00"]


async def test_a_field_left_out_stays_and_a_field_sent_as_null_is_cleared(
        world: LeadsWorld) -> None:
    lead = await world.capture("rep")
    edited = await world.leads.update(world.actor("rep"), lead.id, UpdateLead(title=None),
                                      None)
    assert edited.title is None and edited.company == lead.company


@pytest.mark.parametrize("name", ["currency", "source", "engagement", "attribution", "status"])
def test_what_a_lead_always_has_cannot_be_emptied(name: str) -> None:
    with pytest.raises(ValidationFailed) as refused:
        UpdateLead(**{name: None})
    assert field_of(refused.value) == name


async def test_a_stale_version_is_refused_and_nothing_changes(world: LeadsWorld) -> None:
    lead = await world.capture("rep")
    await world.leads.update(world.actor("rep"), lead.id, UpdateLead(title="厂长"), lead.version)
    with pytest.raises(StaleVersion):
        await world.leads.update(world.actor("rep"), lead.id, UpdateLead(title="经理"),
                                 lead.version)
    assert world.lead(lead.id).title == "厂长"


async def test_contacting_a_lead_completes_its_first_contact_task(world: LeadsWorld) -> None:
    lead = await world.capture("rep")
    moved = await world.leads.update(world.actor("rep"), lead.id,
                                     UpdateLead(status=LeadStatus.CONTACTED), None)
    assert moved.status == LeadStatus.CONTACTED and moved.last_followup_at == world.clock.now()
    assert first_contact_task(world, lead).status == TaskStatus.DONE
    assert world.timeline(lead.id)[-1].summary == "new → contacted"
    [event] = world.events("lead.status_changed")
    assert (event.payload["from"], event.payload["to"]) == ("new", "contacted")


async def test_disqualifying_needs_a_reason_and_cancels_the_task(world: LeadsWorld) -> None:
    lead = await world.capture("rep")
    with pytest.raises(ValidationFailed) as refused:
        await world.leads.update(world.actor("rep"), lead.id,
                                 UpdateLead(status=LeadStatus.DISQUALIFIED), None)
    assert field_of(refused.value) == "disqualify_reason"
    moved = await world.leads.update(world.actor("rep"), lead.id, UpdateLead(
        status=LeadStatus.DISQUALIFIED, disqualify_reason="a student project"), None)
    assert moved.disqualify_reason == "a student project"
    assert first_contact_task(world, lead).status == TaskStatus.CANCELLED
    assert world.timeline(lead.id)[-1].summary.endswith(": a student project")


async def test_a_disqualify_reason_goes_with_the_disqualified_status(world: LeadsWorld) -> None:
    lead = await world.capture("rep")
    with pytest.raises(ValidationFailed) as refused:
        await world.leads.update(world.actor("rep"), lead.id,
                                 UpdateLead(disqualify_reason="no budget"), None)
    assert field_of(refused.value) == "disqualify_reason"


async def test_a_status_move_outside_the_lifecycle_is_refused(world: LeadsWorld) -> None:
    lead = await world.capture("rep")
    await world.leads.update(world.actor("rep"), lead.id,
                             UpdateLead(status=LeadStatus.QUALIFIED), None)
    with pytest.raises(InvalidTransition):
        await world.leads.update(world.actor("rep"), lead.id,
                                 UpdateLead(status=LeadStatus.CONTACTED), None)
    with pytest.raises(InvalidTransition):
        await world.leads.update(world.actor("rep"), lead.id,
                                 UpdateLead(status=LeadStatus.CONVERTED), None)


async def test_a_converted_lead_refuses_edits(world: LeadsWorld) -> None:
    lead = await world.capture("rep")
    await world.leads.convert(world.actor("rep"), lead.id, ConvertLead())
    with pytest.raises(InvalidTransition):
        await world.leads.update(world.actor("rep"), lead.id, UpdateLead(title="x"), None)


async def test_an_edit_to_an_unlisted_region_is_refused_naming_it(world: LeadsWorld) -> None:
    lead = await world.capture("rep")
    with pytest.raises(ValidationFailed) as refused:
        await world.leads.update(world.actor("rep"), lead.id, UpdateLead(region="mars"), None)
    assert field_of(refused.value) == "region"


async def test_a_new_phone_is_checked_for_duplicates_again(world: LeadsWorld) -> None:
    first = await world.capture("rep")
    other = await world.capture("rep", phone="13700000001", email=None)
    edited = await world.leads.update(world.actor("rep"), other.id,
                                      UpdateLead(phone=first.phone), None)
    assert edited.duplicate_of_id == first.id


async def test_editing_needs_leads_write(world: LeadsWorld) -> None:
    lead = await world.capture("rep")
    with pytest.raises(PermissionDenied):
        await world.leads.update(world.actor("executive"), lead.id, UpdateLead(title="x"), None)


# ---- follow-ups ----------------------------------------------------------------------------------


async def test_a_followup_contacts_a_new_lead_and_completes_its_task(world: LeadsWorld) -> None:
    lead = await world.capture("rep")
    world.clock.advance(hours=2)
    later = world.clock.now() + timedelta(days=3)
    worked = await world.leads.log_followup(world.actor("rep"), lead.id, LogFollowUp(
        FollowUpMethod.PHONE, "约了下周二上门演示", next_followup_at=later))
    assert worked.status == LeadStatus.CONTACTED
    assert (worked.last_followup_at, worked.next_followup_at) == (world.clock.now(), later)
    assert first_contact_task(world, lead).status == TaskStatus.DONE
    assert world.timeline(lead.id)[-1].summary == "phone: 约了下周二上门演示"
    [audited] = world.audit("lead.followup_logged")
    assert audited.diff["followup"] == [None, "phone"]


async def test_a_followup_needs_a_time_zone(world: LeadsWorld) -> None:
    lead = await world.capture("rep")
    with pytest.raises(ValidationFailed) as refused:
        await world.leads.log_followup(world.actor("rep"), lead.id, LogFollowUp(
            FollowUpMethod.VISIT, occurred_at=datetime(2026, 11, 1, 9, 0)))
    assert field_of(refused.value) == "occurred_at"


async def test_a_closed_lead_takes_no_followups(world: LeadsWorld) -> None:
    lead = await world.capture("rep")
    await world.leads.update(world.actor("rep"), lead.id, UpdateLead(
        status=LeadStatus.DISQUALIFIED, disqualify_reason="wrong number"), None)
    with pytest.raises(InvalidTransition):
        await world.leads.log_followup(world.actor("rep"), lead.id,
                                       LogFollowUp(FollowUpMethod.EMAIL))


# ---- reassignment --------------------------------------------------------------------------------


async def test_a_manager_reassigns_and_the_open_tasks_follow(world: LeadsWorld) -> None:
    lead = await world.capture("rep")
    moved = await world.leads.assign(world.actor("east_manager"), lead.id,
                                     world.users["rep2"].id)
    assert moved.owner_id == world.users["rep2"].id
    assert moved.assignment is not None and moved.assignment.by == AssignedBy.MANUAL
    assert first_contact_task(world, lead).assignee_id == world.users["rep2"].id
    [audited] = world.audit("lead.reassigned")
    assert audited.diff["owner_id"] == [str(world.users["rep"].id), str(world.users["rep2"].id)]
    event = world.events("lead.assigned")[-1]
    assert event.payload["previous_owner_id"] == str(world.users["rep"].id)


async def test_a_rep_cannot_reassign(world: LeadsWorld) -> None:
    lead = await world.capture("rep")
    with pytest.raises(PermissionDenied):
        await world.leads.assign(world.actor("rep"), lead.id, world.users["rep2"].id)
    assert world.lead(lead.id).owner_id == world.users["rep"].id


async def test_a_manager_cannot_reassign_outside_their_team(world: LeadsWorld) -> None:
    lead = await world.capture("rep")
    with pytest.raises(ValidationFailed) as refused:
        await world.leads.assign(world.actor("east_manager"), lead.id,
                                 world.users["north_rep"].id)
    assert field_of(refused.value) == "owner_id"


async def test_reassigning_without_an_owner_runs_the_routing_rules_again(
        world: LeadsWorld) -> None:
    lead = await world.capture("rep")
    await world.route(world.rule("north", regions=("east",)))
    moved = await world.leads.assign(world.actor("admin"), lead.id, None)
    assert moved.owner_id == world.users["north_rep"].id
    assert moved.assignment is not None and moved.assignment.by == AssignedBy.ROUND_ROBIN
    assert world.timeline(lead.id)[-1].kind == "assigned"


# ---- who sees which lead -------------------------------------------------------------------------

Use = Callable[[LeadsWorld, Actor, uuid.UUID], Awaitable[Any]]
USES: dict[str, Use] = {
    "get": lambda w, a, i: w.leads.get(a, i),
    "timeline": lambda w, a, i: w.leads.timeline(a, i, PageRequest()),
    "update": lambda w, a, i: w.leads.update(a, i, UpdateLead(title="x"), None),
    "followup": lambda w, a, i: w.leads.log_followup(a, i, LogFollowUp(FollowUpMethod.PHONE)),
    "assign": lambda w, a, i: w.leads.assign(a, i, None),
    "convert": lambda w, a, i: w.leads.convert(a, i, ConvertLead()),
    "reveal": lambda w, a, i: w.leads.reveal(a, i),
}


@pytest.mark.parametrize("use", USES)
async def test_a_lead_out_of_sight_answers_as_if_it_did_not_exist(world: LeadsWorld,
                                                                  use: str) -> None:
    lead = await world.capture("rep")
    with pytest.raises(HiddenRecord):
        await USES[use](world, world.actor("north_manager"), lead.id)
    with pytest.raises(NotFound) as unknown:
        await USES[use](world, world.actor("north_manager"), uuid.uuid4())
    assert not isinstance(unknown.value, HiddenRecord)
    assert world.lead(lead.id).version == lead.version


async def test_a_rep_sees_their_own_a_manager_their_teams_an_executive_all(
        world: LeadsWorld) -> None:
    mine = await world.capture("rep")
    theirs = await world.capture("rep2", phone="13700000001", email=None)
    north = await world.capture("north_rep", phone="13700000002", email=None)

    async def listed(who: str) -> set[uuid.UUID]:
        page = await world.leads.list(world.actor(who), LeadFilter(), PageRequest())
        return {x.id for x in page.items}

    assert await listed("rep") == {mine.id}
    assert await listed("east_manager") == {mine.id, theirs.id}
    assert await listed("executive") == {mine.id, theirs.id, north.id}
    with pytest.raises(HiddenRecord):
        await world.leads.get(world.actor("rep"), theirs.id)


async def test_reading_needs_leads_read(world: LeadsWorld) -> None:
    lead = await world.capture("rep")
    with pytest.raises(PermissionDenied):
        await world.leads.get(world.actor("finance"), lead.id)
    with pytest.raises(PermissionDenied):
        await world.leads.list(world.actor("finance"), LeadFilter(), PageRequest())


async def test_the_timeline_is_newest_first(world: LeadsWorld) -> None:
    lead = await world.capture("rep")
    await world.leads.log_followup(world.actor("rep"), lead.id, LogFollowUp(FollowUpMethod.PHONE))
    page = await world.leads.timeline(world.actor("rep"), lead.id, PageRequest())
    assert [e.kind for e in page.items] == ["followup", "assigned", "created"]


async def test_revealing_contact_details_needs_pii_reveal_and_is_audited(
        world: LeadsWorld) -> None:
    lead = await world.capture("rep", source=Source.PHONE)
    with pytest.raises(PermissionDenied):
        await world.leads.reveal(world.actor("rep"), lead.id)
    shown = await world.leads.reveal(world.actor("east_manager"), lead.id)
    assert (shown.phone, shown.email) == ("13912345678", "wang.xm@example.com")
    [audited] = world.audit("lead.revealed")
    assert audited.diff == {"revealed": ["phone", "email"]}
    assert audited.actor_label == "east_manager@example.com"
