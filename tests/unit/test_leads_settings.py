"""The lead settings on fakes: the scoring model and the routing rules (versioned, admins
only), reps' availability and who may set it, and the website forms."""

from __future__ import annotations

import dataclasses
import uuid
from datetime import datetime, timedelta

import pytest

from domain.customers.model import Source
from domain.leads.commands import ChangeAvailability, CreateLeadForm, UpdateLeadForm
from domain.leads.scoring import DEFAULT_MODEL, LeadGrade, RuleKind, ScoringModel, ScoringRule
from domain.shared.errors import NotFound, PermissionDenied, StaleVersion, ValidationFailed
from domain.shared.paging import PageRequest
from tests.fakes.leads_world import LeadsWorld


@pytest.fixture
def world() -> LeadsWorld:
    return LeadsWorld()


def field_of(error: ValidationFailed) -> str:
    return error.problems[0].field


SOURCE_ONLY = ScoringModel(rules=(ScoringRule(RuleKind.SOURCE, points={"website": 40}),),
                           high_from=60, medium_from=30)


# ---- scoring -------------------------------------------------------------------------------------


async def test_the_built_in_model_scores_until_an_admin_saves_one(world: LeadsWorld) -> None:
    model = await world.settings.scoring(world.actor("rep"))
    assert model == dataclasses.replace(DEFAULT_MODEL, version=0)


async def test_an_admin_replaces_the_scoring_model_and_new_leads_follow_it(
        world: LeadsWorld) -> None:
    saved = await world.settings.set_scoring(world.actor("admin"), SOURCE_ONLY, 0)
    assert saved.version == 1 and saved.rules == SOURCE_ONLY.rules
    [audited] = world.audit("lead_scoring.updated")
    assert audited.diff["rules"] == [len(DEFAULT_MODEL.rules), 1]
    lead = await world.capture("rep")
    assert (lead.score, lead.grade) == (40, LeadGrade.MEDIUM)


async def test_a_stale_scoring_version_is_refused(world: LeadsWorld) -> None:
    await world.settings.set_scoring(world.actor("admin"), SOURCE_ONLY, None)
    with pytest.raises(StaleVersion):
        await world.settings.set_scoring(world.actor("admin"), DEFAULT_MODEL, 0)
    assert (await world.settings.scoring(world.actor("admin"))).rules == SOURCE_ONLY.rules


async def test_only_settings_writers_change_the_scoring(world: LeadsWorld) -> None:
    for who in ("east_manager", "rep"):
        with pytest.raises(PermissionDenied):
            await world.settings.set_scoring(world.actor(who), SOURCE_ONLY, None)
    with pytest.raises(PermissionDenied):
        await world.settings.scoring(world.actor("finance"))


# ---- routing -------------------------------------------------------------------------------------


async def test_routing_rules_are_saved_versioned_and_audited(world: LeadsWorld) -> None:
    saved = await world.route(world.rule("east"), queue="east_manager")
    assert saved.version == 1 and [r.name for r in saved.rules] == ["east rule"]
    again = await world.route(world.rule("north"))
    assert again.version == 2 and again.queue_user_id is None
    audited = world.audit("lead_routing.updated")
    assert audited[-1].diff["rules"] == [["east rule"], ["north rule"]]


async def test_a_stale_routing_version_is_refused(world: LeadsWorld) -> None:
    await world.route(world.rule("east"))
    current = await world.settings.routing(world.actor("admin"))
    with pytest.raises(StaleVersion):
        await world.settings.set_routing(world.actor("admin"), current, 0)


async def test_a_rule_for_an_unknown_department_is_refused(world: LeadsWorld) -> None:
    rule = dataclasses.replace(world.rule("east"), department_id=uuid.uuid4())
    with pytest.raises(ValidationFailed) as refused:
        await world.route(world.rule("north"), rule)
    assert field_of(refused.value) == "rules.1.department_id"


@pytest.mark.parametrize(("over", "at"), [({"regions": ("mars",)}, "rules.0.regions"),
                                          ({"industries": ("magic",)}, "rules.0.industries")])
async def test_a_rule_names_only_picklist_values(world: LeadsWorld, over: dict[str, tuple[str]],
                                                 at: str) -> None:
    with pytest.raises(ValidationFailed) as refused:
        await world.route(world.rule("east", **over))
    assert field_of(refused.value) == at


async def test_the_lead_queue_is_an_active_user(world: LeadsWorld) -> None:
    world.users["rep2"].is_active = False
    with pytest.raises(ValidationFailed) as refused:
        await world.route(world.rule("east"), queue="rep2")
    assert field_of(refused.value) == "queue_user_id"


async def test_only_settings_writers_change_the_routing(world: LeadsWorld) -> None:
    current = await world.settings.routing(world.actor("rep"))
    with pytest.raises(PermissionDenied):
        await world.settings.set_routing(world.actor("east_manager"), current, None)


# ---- reps ----------------------------------------------------------------------------------------


async def listed(world: LeadsWorld, who: str, department: str | None = None) -> set[str]:
    dept = world.departments[department].id if department else None
    page = await world.settings.reps(world.actor(who), dept, PageRequest())
    return {r.name for r in page.items}


async def test_the_routing_screen_shows_each_caller_their_part(world: LeadsWorld) -> None:
    assert await listed(world, "admin") == {"east_manager", "north_manager", "rep", "rep2",
                                            "north_rep"}
    assert await listed(world, "east_manager") == {"east_manager", "rep", "rep2"}
    assert await listed(world, "rep") == {"rep"}
    assert await listed(world, "east_manager", "north") == set()
    assert await listed(world, "admin", "north") == {"north_manager", "north_rep"}


async def test_a_rep_sets_themself_away(world: LeadsWorld) -> None:
    back = world.clock.now() + timedelta(days=7)
    status = await world.settings.set_availability(
        world.actor("rep"), world.users["rep"].id, ChangeAvailability(away=True, away_until=back))
    assert (status.availability.away, status.availability.away_until) == (True, back)
    [audited] = world.audit("rep_availability.updated")
    assert audited.diff["away"] == [False, True]


async def test_a_rep_cannot_set_their_own_capacity(world: LeadsWorld) -> None:
    with pytest.raises(PermissionDenied):
        await world.settings.set_availability(world.actor("rep"), world.users["rep"].id,
                                              ChangeAvailability(capacity=50))


async def test_a_manager_sets_a_team_members_capacity_and_lifts_it_with_null(
        world: LeadsWorld) -> None:
    rep = world.users["rep"].id
    status = await world.settings.set_availability(world.actor("east_manager"), rep,
                                                   ChangeAvailability(capacity=3))
    assert status.availability.capacity == 3
    status = await world.settings.set_availability(world.actor("east_manager"), rep,
                                                   ChangeAvailability(away=False))
    assert status.availability.capacity == 3  # left out: kept
    status = await world.settings.set_availability(world.actor("east_manager"), rep,
                                                   ChangeAvailability(capacity=None))
    assert status.availability.capacity is None


@pytest.mark.parametrize(("who", "whom"), [("east_manager", "north_rep"), ("rep", "rep2")])
async def test_someone_out_of_the_callers_team_is_not_found(world: LeadsWorld, who: str,
                                                            whom: str) -> None:
    with pytest.raises(NotFound):
        await world.settings.set_availability(world.actor(who), world.users[whom].id,
                                              ChangeAvailability(away=True))


async def test_away_until_needs_a_time_zone(world: LeadsWorld) -> None:
    with pytest.raises(ValidationFailed) as refused:
        await world.settings.set_availability(
            world.actor("rep"), world.users["rep"].id,
            ChangeAvailability(away_until=datetime(2026, 12, 1)))
    assert field_of(refused.value) == "away_until"


# ---- website forms -------------------------------------------------------------------------------


async def test_an_admin_adds_a_form_with_a_public_key(world: LeadsWorld) -> None:
    form = await world.settings.create_form(world.actor("admin"), CreateLeadForm(
        name="Contact us", site_origin="https://www.Example.com/", campaign="2026 expo"))
    assert form.key.startswith("lf_") and form.site_origin == "https://www.example.com"
    assert (form.source, form.honeypot_field, form.per_ip_per_hour) == (Source.WEBSITE, "fax", 5)
    [audited] = world.audit("lead_form.created")
    assert audited.diff["campaign"] == [None, "2026 expo"]
    assert await world.settings.form(world.actor("admin"), form.id) == form


async def test_a_form_needs_a_site_origin(world: LeadsWorld) -> None:
    with pytest.raises(ValidationFailed) as refused:
        await world.settings.create_form(world.actor("admin"), CreateLeadForm(
            name="Contact us", site_origin="www.example.com/contact"))
    assert field_of(refused.value) == "site_origin"


async def test_a_form_edit_changes_only_what_is_sent(world: LeadsWorld) -> None:
    form = await world.settings.create_form(world.actor("admin"), CreateLeadForm(
        name="Contact us", site_origin="https://www.example.com", campaign="2026 expo"))
    edited = await world.settings.update_form(world.actor("admin"), form.id,
                                              UpdateLeadForm(active=False), form.version)
    assert (edited.active, edited.campaign, edited.version) == (False, "2026 expo", 2)
    cleared = await world.settings.update_form(world.actor("admin"), form.id,
                                               UpdateLeadForm(campaign=None), None)
    assert cleared.campaign is None
    with pytest.raises(StaleVersion):
        await world.settings.update_form(world.actor("admin"), form.id,
                                         UpdateLeadForm(active=True), form.version)


async def test_rotating_a_forms_key_retires_the_old_one(world: LeadsWorld) -> None:
    form = await world.settings.create_form(world.actor("admin"), CreateLeadForm(
        name="Contact us", site_origin="https://www.example.com"))
    rotated = await world.settings.rotate_form_key(world.actor("admin"), form.id)
    assert rotated.key != form.key and rotated.version == form.version + 1
    assert world.audit("lead_form.updated")[-1].diff == {"key": ["(old)", "(rotated)"]}


async def test_forms_are_for_settings_writers_and_an_unknown_one_is_not_found(
        world: LeadsWorld) -> None:
    with pytest.raises(PermissionDenied):
        await world.settings.create_form(world.actor("east_manager"), CreateLeadForm(
            name="Contact us", site_origin="https://www.example.com"))
    with pytest.raises(PermissionDenied):
        await world.settings.forms(world.actor("rep"), PageRequest())
    for use in (world.settings.form(world.actor("admin"), uuid.uuid4()),
                world.settings.rotate_form_key(world.actor("admin"), uuid.uuid4())):
        with pytest.raises(NotFound):
            await use
