"""The public intake of website forms on fakes: the form's key and site, the honeypot, the
rate limits, and a visitor's text read leniently into a lead."""

from __future__ import annotations

from decimal import Decimal

import pytest

from domain.customers.model import Size, Source
from domain.leads.commands import CreateLeadForm, UpdateLeadForm
from domain.leads.forms import LeadForm
from domain.leads.intake_service import lenient_fields
from domain.leads.routing import AssignedBy
from domain.shared.errors import NotFound, PermissionDenied, RateLimited
from tests.fakes.leads_world import LeadsWorld

SITE = "https://www.example.com"
VISITOR = "203.0.113.9"
FILLED = {"name": "王小明", "company": "苏州精工自动化设备有限公司", "phone": "13912345678",
          "email": "wang@example.com", "message": "想了解二期产线的报价", "region": "east"}


@pytest.fixture
def world() -> LeadsWorld:
    return LeadsWorld()


async def form_of(world: LeadsWorld, **over: object) -> LeadForm:
    fields: dict[str, object] = {"name": "Contact us", "site_origin": SITE,
                                 "campaign": "官网", "per_ip_per_hour": 3}
    fields.update(over)
    return await world.settings.create_form(world.actor("admin"),
                                            CreateLeadForm(**fields))  # type: ignore[arg-type]


async def test_a_submission_becomes_a_routed_website_lead(world: LeadsWorld) -> None:
    await world.route(world.rule("east"))
    form = await form_of(world)
    receipt = await world.intake.submit(form.key, {**FILLED, "utm_source": "baidu"},
                                        ip=VISITOR, origin=SITE)
    assert (receipt.allowed_origin, receipt.kept) == (SITE, True)
    [lead] = world.state.table("leads").values()
    assert (lead.source, lead.form_id, lead.campaign) == (Source.WEBSITE, form.id, "官网")
    assert lead.attribution == {"utm_source": "baidu"}
    assert lead.assignment is not None and lead.assignment.by == AssignedBy.ROUND_ROBIN
    [created] = world.audit("lead.created")
    assert created.actor_label == "form:Contact us"


async def test_a_filled_honeypot_is_answered_like_any_other_and_dropped(
        world: LeadsWorld) -> None:
    form = await form_of(world)
    receipt = await world.intake.submit(form.key, {**FILLED, "fax": "0512-1234567"},
                                        ip=VISITOR, origin=SITE)
    assert (receipt.allowed_origin, receipt.kept) == (SITE, False)
    assert world.state.table("leads") == {}


async def test_an_unknown_or_switched_off_form_is_not_found(world: LeadsWorld) -> None:
    form = await form_of(world)
    with pytest.raises(NotFound):
        await world.intake.submit("lf_no-such-form", FILLED, ip=VISITOR, origin=SITE)
    await world.settings.update_form(world.actor("admin"), form.id,
                                     UpdateLeadForm(active=False), None)
    with pytest.raises(NotFound):
        await world.intake.submit(form.key, FILLED, ip=VISITOR, origin=SITE)


async def test_only_the_forms_own_site_posts_from_a_browser(world: LeadsWorld) -> None:
    await world.route(world.rule("east"))
    form = await form_of(world)
    with pytest.raises(PermissionDenied):
        await world.intake.submit(form.key, FILLED, ip=VISITOR, origin="https://evil.example")
    receipt = await world.intake.submit(form.key, FILLED, ip=VISITOR, origin=None)
    assert receipt.kept  # a server posting on the site's behalf sends no Origin


async def test_an_address_is_limited_per_form_and_told_how_long_to_wait(
        world: LeadsWorld) -> None:
    await world.route(world.rule("east"))
    form = await form_of(world, per_ip_per_hour=2)
    for _ in range(2):
        await world.intake.submit(form.key, FILLED, ip=VISITOR, origin=SITE)
    with pytest.raises(RateLimited) as limited:
        await world.intake.submit(form.key, FILLED, ip=VISITOR, origin=SITE)
    assert limited.value.retry_after_seconds == 3600
    await world.intake.submit(form.key, FILLED, ip="198.51.100.20", origin=SITE)
    assert len(world.state.table("leads")) == 3


async def test_a_form_is_limited_across_addresses(world: LeadsWorld) -> None:
    await world.route(world.rule("east"))
    form = await form_of(world, per_form_per_minute=2)
    for i in range(2):
        await world.intake.submit(form.key, FILLED, ip=f"198.51.100.{i}", origin=SITE)
    with pytest.raises(RateLimited):
        await world.intake.submit(form.key, FILLED, ip="198.51.100.9", origin=SITE)


async def test_an_address_guessing_keys_is_limited_before_any_form_is_looked_up(
        world: LeadsWorld) -> None:
    for _ in range(60):
        with pytest.raises(NotFound):
            await world.intake.submit("lf_guess", FILLED, ip=VISITOR, origin=SITE)
    with pytest.raises(RateLimited):
        await world.intake.submit("lf_guess", FILLED, ip=VISITOR, origin=SITE)


async def test_an_unlisted_industry_is_kept_in_the_attribution_not_refused(
        world: LeadsWorld) -> None:
    await world.route(world.rule("east"))
    form = await form_of(world)
    await world.intake.submit(form.key, {**FILLED, "industry": "aerospace"}, ip=VISITOR,
                              origin=SITE)
    [lead] = world.state.table("leads").values()
    assert lead.industry is None
    assert lead.attribution == {"form_industry": "aerospace"}


async def test_the_preflight_allows_the_forms_own_site_only(world: LeadsWorld) -> None:
    form = await form_of(world)
    assert await world.intake.preflight(form.key, VISITOR, SITE) == SITE
    for origin in ("https://evil.example", None):
        with pytest.raises(PermissionDenied):
            await world.intake.preflight(form.key, VISITOR, origin)


def test_what_does_not_parse_is_dropped_and_the_rest_kept() -> None:
    command = lenient_fields({
        "name": "  王小明  ", "company": "x" * 300, "budget": "about 50万",
        "company_size": "Huge", "utm_campaign": "双十一", "page_url": "https://x/contact",
        "colour": "red"})
    assert command.name == "王小明" and command.company == "x" * 200
    assert command.budget is None and command.company_size is None
    assert command.campaign == "双十一"
    assert command.attribution == {"utm_campaign": "双十一", "page_url": "https://x/contact"}


@pytest.mark.parametrize(("raw", "budget"), [("500,000", Decimal("500000.00")),
                                             ("1e20", None), ("-5", None), ("", None),
                                             ("12.346", Decimal("12.35"))])
def test_a_stated_budget_is_read_as_an_amount_or_dropped(raw: str,
                                                         budget: Decimal | None) -> None:
    assert lenient_fields({"budget": raw}).budget == budget


def test_a_known_company_size_is_read_whatever_its_case() -> None:
    assert lenient_fields({"company_size": " Large "}).company_size == Size.LARGE
