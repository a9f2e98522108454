"""The pipeline use cases over in-memory fakes: the default pipeline, admins defining,
reordering and retiring stages, and the requirements a stage asks of a deal."""

from __future__ import annotations

import uuid
from dataclasses import replace
from datetime import date
from decimal import Decimal

import pytest

from domain.pipeline.commands import (
    CreatePipeline,
    OpenOpportunity,
    OpportunityChanges,
    UpdateOpportunity,
)
from domain.pipeline.commands import UpdatePipeline as Update
from domain.pipeline.service import OpportunityService
from domain.pipeline.stages import Pipeline, Requirement, StageKind, StageSpec
from domain.shared.errors import NotFound, PermissionDenied, StaleVersion, ValidationFailed
from tests.fakes.pipeline import SalesTeam

RENEWALS = CreatePipeline(name="Renewals", stale_days=14, stages=(
    StageSpec(key="review", name="Usage review", probability=30),
    StageSpec(key="offer", name="Renewal offer", probability=70,
              requirements=(Requirement.AMOUNT, Requirement.EXPECTED_CLOSE_DATE)),
    StageSpec(key="renewed", name="Renewed", kind=StageKind.WON, probability=5),
    StageSpec(key="churned", name="Churned", kind=StageKind.LOST, probability=50)))


def kept(p: Pipeline) -> list[StageSpec]:
    """The pipeline's stages as an admin sends them back to keep them."""
    return [StageSpec(id=s.id, key=s.key, name=s.name, probability=s.probability, kind=s.kind,
                      requirements=s.requirements) for s in p.stages]


async def test_the_default_pipeline_is_made_on_first_use_and_only_once(
        team: SalesTeam, deals: OpportunityService) -> None:
    (first,) = await deals.list_pipelines(team.actor("rep"))
    (again,) = await deals.list_pipelines(team.actor("manager"))
    assert first.id == again.id and first.is_default and first.stale_days == 7
    assert [s.key for s in first.stages] == ["initial_contact", "needs_analysis", "proposal",
                                             "contract_signing", "won", "lost"]
    assert team.audit_actions(first.id) == ["pipeline.created"]
    assert team.state.audit[0].actor_label == "system"


@pytest.mark.parametrize("who", ["legal", "service_agent"])
async def test_pipelines_are_read_by_those_who_read_deals(team: SalesTeam,
                                                          deals: OpportunityService,
                                                          who: str) -> None:
    with pytest.raises(PermissionDenied):
        await deals.list_pipelines(team.actor(who))


async def test_admins_define_a_pipeline_whose_open_stages_come_first(
        team: SalesTeam, deals: OpportunityService) -> None:
    reordered = replace(RENEWALS, stages=(RENEWALS.stages[3], *RENEWALS.stages[:3]))
    with pytest.raises(PermissionDenied):
        await deals.create_pipeline(team.actor("manager"), reordered)
    p = await deals.create_pipeline(team.actor("admin"), reordered)
    assert [(s.key, s.probability, s.position) for s in p.stages] == [
        ("review", 30, 0), ("offer", 70, 1), ("renewed", 100, 2), ("churned", 0, 3)]
    assert not p.is_default and p.stale_days == 14
    (entry,) = [e for e in team.state.audit if e.action == "pipeline.created"
                and e.target_id == str(p.id)]
    assert entry.actor_label == "admin@example.com" and entry.diff["name"] == [None, "Renewals"]
    assert await deals.get_pipeline(team.actor("rep"), p.id) == p


async def test_a_new_default_pipeline_takes_the_flag_from_the_old_one(
        team: SalesTeam, deals: OpportunityService) -> None:
    (standard,) = await deals.list_pipelines(team.actor("admin"))
    p = await deals.create_pipeline(team.actor("admin"), replace(RENEWALS, is_default=True))
    listed = await deals.list_pipelines(team.actor("rep"))
    assert [(x.id, x.is_default) for x in listed] == [(p.id, True), (standard.id, False)]


@pytest.mark.parametrize(("stages", "field"), [
    (RENEWALS.stages[:2], "stages"),
    ((*RENEWALS.stages, StageSpec(key="review", name="Again", probability=5)), "stages.4.key"),
    ((StageSpec(key="a", name="A"), *RENEWALS.stages[1:]), "stages.0.probability"),
    ((StageSpec(key="Bad key", name="A", probability=1), *RENEWALS.stages[1:]),
     "stages.0.key"),
    ((*RENEWALS.stages[:3], replace(RENEWALS.stages[3], requirements=(Requirement.AMOUNT,))),
     "stages.3.requirements"),
])
async def test_a_malformed_definition_is_refused_naming_the_field(
        team: SalesTeam, deals: OpportunityService, stages: tuple[StageSpec, ...],
        field: str) -> None:
    with pytest.raises(ValidationFailed) as e:
        await deals.create_pipeline(team.actor("admin"), replace(RENEWALS, stages=stages))
    assert e.value.problems[0].field == field
    assert "pipeline.created" not in team.audit_actions()


async def test_restaging_keeps_ids_reorders_and_never_drops_a_stage_holding_deals(
        team: SalesTeam, deals: OpportunityService) -> None:
    admin = team.actor("admin")
    p = await deals.create_pipeline(admin, RENEWALS)
    await deals.create(team.actor("rep"), OpenOpportunity(customer_id=team.customer().id,
                                                          pipeline_id=p.id))
    review, offer, *closing = kept(p)
    with pytest.raises(ValidationFailed, match="Usage review") as e:
        await deals.update_pipeline(admin, p.id, Update(stages=(offer, *closing)), p.version)
    assert e.value.problems[0].field == "stages"
    new = StageSpec(key="negotiation", name="Negotiation", probability=85)
    changed = await deals.update_pipeline(
        admin, p.id, Update(stages=(offer, replace(review, name="Health check"), new, *closing),
                            name="Renewals 2027"), p.version)
    assert [(s.key, s.position) for s in changed.stages] == [
        ("offer", 0), ("review", 1), ("negotiation", 2), ("renewed", 3), ("churned", 4)]
    assert changed.stages[1].id == review.id and changed.stages[1].name == "Health check"
    assert changed.version == p.version + 1 and changed.name == "Renewals 2027"
    assert team.audit_actions(p.id) == ["pipeline.created", "pipeline.updated"]


async def test_a_stale_pipeline_edit_is_refused(team: SalesTeam,
                                                deals: OpportunityService) -> None:
    p = await deals.create_pipeline(team.actor("admin"), RENEWALS)
    await deals.update_pipeline(team.actor("admin"), p.id, Update(stale_days=3), p.version)
    with pytest.raises(StaleVersion):
        await deals.update_pipeline(team.actor("admin"), p.id, Update(name="Late"), p.version)
    assert (await deals.get_pipeline(team.actor("admin"), p.id)).name == "Renewals"


async def test_the_default_pipeline_stays_active_and_another_must_take_its_place(
        team: SalesTeam, deals: OpportunityService) -> None:
    admin = team.actor("admin")
    (standard,) = await deals.list_pipelines(admin)
    for command, field in ((Update(active=False), "active"),
                           (Update(is_default=False), "is_default")):
        with pytest.raises(ValidationFailed) as e:
            await deals.update_pipeline(admin, standard.id, command, None)
        assert e.value.problems[0].field == field
    archived = await deals.create_pipeline(admin, RENEWALS)
    await deals.update_pipeline(admin, archived.id, Update(active=False), None)
    with pytest.raises(ValidationFailed) as e:
        await deals.update_pipeline(admin, archived.id, Update(is_default=True), None)
    assert e.value.problems[0].field == "is_default"
    with pytest.raises(ValidationFailed) as e:
        await deals.create(team.actor("rep"), OpenOpportunity(
            customer_id=team.customer().id, pipeline_id=archived.id))
    assert e.value.problems[0].field == "pipeline_id"


async def test_an_unknown_pipeline_is_not_found(team: SalesTeam,
                                                deals: OpportunityService) -> None:
    with pytest.raises(NotFound):
        await deals.get_pipeline(team.actor("rep"), uuid.uuid4())
    with pytest.raises(NotFound):
        await deals.create(team.actor("rep"), OpenOpportunity(
            customer_id=team.customer().id, pipeline_id=uuid.uuid4()))


async def test_a_custom_stage_asks_for_what_its_admin_required(
        team: SalesTeam, deals: OpportunityService) -> None:
    p = await deals.create_pipeline(team.actor("admin"), RENEWALS)
    rep = team.actor("rep")
    o = await deals.create(rep, OpenOpportunity(customer_id=team.customer().id,
                                                pipeline_id=p.id))
    offer = p.stage_by_key("offer").id
    with pytest.raises(ValidationFailed) as e:
        await deals.update(rep, o.id, UpdateOpportunity(stage_id=offer), None)
    assert {x.field for x in e.value.problems} == {"amount", "expected_close_date"}
    moved, _ = await deals.update(rep, o.id, UpdateOpportunity(
        changes=OpportunityChanges(amount=Decimal("10.00"),
                                   expected_close_date=date(2027, 3, 1)),
        stage_id=offer), None)
    assert moved.stage_id == offer and moved.probability == 70

