"""The Lead aggregate, its validation flags and the scoring rules: no I/O."""

from __future__ import annotations

import itertools
import uuid
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from domain.customers.model import Source
from domain.leads.forms import LeadForm, check_origin
from domain.leads.model import (
    LEAD_MOVES,
    OPEN_STATUSES,
    EventType,
    Lead,
    LeadStatus,
    matchable_contact,
)
from domain.leads.routing import AssignedBy, Assignment
from domain.leads.scoring import (
    DEFAULT_MODEL,
    Bracket,
    Facts,
    LeadGrade,
    RuleKind,
    ScoringModel,
    ScoringRule,
    model_from_doc,
    model_to_doc,
)
from domain.leads.validation import (
    FlagCode,
    email_point,
    flags_for,
    phone_point,
    spam_reason,
)
from domain.shared.catalogue import render
from domain.shared.errors import InvalidTransition, ValidationFailed
from domain.shared.text import literal

NOW = datetime(2026, 11, 1, 9, 0, tzinfo=UTC)
OWNER = uuid.uuid4()


def new_lead(**fields: Any) -> Lead:
    data: dict[str, Any] = {"name": "王小明", "company": "苏州精工自动化设备有限公司",
                            "phone": "13912345678", "email": "wang@example.com",
                            "message": "想了解报价"}
    data.update(fields)
    return Lead.capture(number="L202611000001", source=Source.WEBSITE, now=NOW,
                        created_by=None, **data)


@pytest.mark.parametrize(("phone", "email"), [
    ("13912345678", "wang@example.com"), (" +86 139-1234-5678 ", " Wang@Example.COM "),
    ("0512-6888 1234", None), ("12345", "not-an-address"), (None, "li@example.cn"),
    ("", ""), (None, None), ("+1 415 555 0100", "a@b")])
def test_the_contact_known_before_capture_is_the_one_the_lead_is_matched_on(
        phone: str | None, email: str | None) -> None:
    """A capture holds the contact it will be matched on before the lead exists (with its
    number, in one round trip); holding another one would let a duplicate through."""
    lead = new_lead(phone=phone, email=email)
    assert matchable_contact(phone, email) == lead.contact
    assert lead.contact == (lead.phone if lead.phone_valid else None,
                            lead.email if lead.email_valid else None)


def codes(lead: Lead) -> set[str]:
    return {f.code.value for f in lead.flags}


# ---- lifecycle ---------------------------------------------------------------------------------

PAIRS = [(a, b) for a, b in itertools.product(LeadStatus, LeadStatus)
         if a != b and b != LeadStatus.CONVERTED]


def lead_in(status: LeadStatus) -> Lead:
    lead = new_lead()
    lead.status = status
    lead.disqualify_reason = "x" if status == LeadStatus.DISQUALIFIED else None
    return lead


@pytest.mark.parametrize(("start", "to"), PAIRS)
def test_a_status_move_passes_exactly_when_lead_moves_allows_it(start: LeadStatus,
                                                                to: LeadStatus) -> None:
    lead = lead_in(start)
    if to in LEAD_MOVES[start]:
        lead.move(to, NOW, reason="no budget")
        assert lead.status == to and lead.version == 2
        assert lead.events[-1].type == EventType.STATUS_CHANGED
    else:
        with pytest.raises(InvalidTransition):
            lead.move(to, NOW, reason="no budget")
        assert lead.status == start


def test_the_happy_path_is_new_contacted_qualified_converted() -> None:
    lead = new_lead()
    lead.move(LeadStatus.CONTACTED, NOW)
    assert lead.last_followup_at == NOW
    lead.move(LeadStatus.QUALIFIED, NOW)
    customer, opportunity = uuid.uuid4(), uuid.uuid4()
    lead.convert(customer, opportunity, NOW, OWNER)
    assert lead.status == LeadStatus.CONVERTED and lead.converted_at == NOW
    assert (lead.customer_id, lead.opportunity_id) == (customer, opportunity)
    assert lead.events[-1].type == EventType.CONVERTED


@pytest.mark.parametrize("status", sorted(OPEN_STATUSES))
def test_any_open_lead_converts(status: LeadStatus) -> None:
    lead = lead_in(status)
    lead.convert(uuid.uuid4(), None, NOW, None)
    assert lead.status == LeadStatus.CONVERTED


@pytest.mark.parametrize("status", [LeadStatus.CONVERTED, LeadStatus.DISQUALIFIED])
def test_a_closed_lead_does_not_convert(status: LeadStatus) -> None:
    with pytest.raises(InvalidTransition):
        lead_in(status).convert(uuid.uuid4(), None, NOW, None)


def test_converting_is_its_own_command() -> None:
    with pytest.raises(InvalidTransition, match="convert"):
        new_lead().move(LeadStatus.CONVERTED, NOW)


@pytest.mark.parametrize("reason", [None, "", "   "])
def test_disqualifying_needs_a_reason(reason: str | None) -> None:
    lead = new_lead()
    with pytest.raises(ValidationFailed) as e:
        lead.move(LeadStatus.DISQUALIFIED, NOW, reason=reason)
    assert e.value.problems[0].field == "disqualify_reason"


def test_reopening_clears_the_reason() -> None:
    lead = new_lead()
    lead.move(LeadStatus.DISQUALIFIED, NOW, reason="duplicate")
    lead.move(LeadStatus.NEW, NOW + timedelta(hours=1))
    assert lead.disqualify_reason is None and lead.touched_at == NOW + timedelta(hours=1)


def test_a_converted_lead_refuses_edits_and_assignment() -> None:
    lead = lead_in(LeadStatus.CONVERTED)
    with pytest.raises(InvalidTransition):
        lead.update({"title": "CEO"})
    with pytest.raises(InvalidTransition):
        lead.assign(OWNER, None, Assignment(AssignedBy.MANUAL, literal("x")), NOW)


def test_a_followup_contacts_a_new_lead_and_keeps_the_latest_time() -> None:
    lead = new_lead()
    later, earlier = NOW + timedelta(days=2), NOW + timedelta(days=1)
    lead.record_followup(later, NOW + timedelta(days=9))
    assert lead.status == LeadStatus.CONTACTED and lead.version == 2
    lead.record_followup(earlier, None)
    assert lead.last_followup_at == later and lead.next_followup_at == NOW + timedelta(days=9)
    assert lead.touched_at == later
    with pytest.raises(ValidationFailed):
        lead.record_followup(datetime(2026, 11, 1, 9, 0), None)


def test_a_closed_lead_takes_no_followups() -> None:
    with pytest.raises(InvalidTransition):
        lead_in(LeadStatus.DISQUALIFIED).record_followup(NOW, None)


def test_assignment_records_the_event_and_bumps_the_version_only_on_reassignment() -> None:
    lead = new_lead()
    lead.assign(OWNER, None, Assignment(AssignedBy.ROUND_ROBIN, literal("rule x")), NOW)
    assert lead.version == 1 and lead.owner_id == OWNER and lead.assigned_at == NOW
    event = lead.events[-1]
    assert event.type == EventType.ASSIGNED and event.payload["owner_id"] == str(OWNER)
    other = uuid.uuid4()
    lead.assign(other, None, Assignment(AssignedBy.MANUAL, literal("by m")), NOW)
    assert lead.version == 2 and lead.events[-1].payload["previous_owner_id"] == str(OWNER)


# ---- edits and flags -------------------------------------------------------------------------


def test_edits_revalidate_and_a_refused_edit_changes_nothing() -> None:
    lead = new_lead(phone="123")
    assert FlagCode.INVALID_PHONE.value in codes(lead)
    lead.update({"phone": "+86 139-1234-5678"})
    assert lead.phone == "13912345678" and lead.phone_valid and not codes(lead)
    before = dict(lead.__dict__)
    with pytest.raises(ValidationFailed):
        lead.update({"title": "CTO", "budget": "-1"})
    assert lead.__dict__ == before
    with pytest.raises(ValidationFailed) as e:
        lead.update({"score": 100})
    assert e.value.problems[0].field == "score"


@pytest.mark.parametrize(("raw", "expected", "valid"), [
    ("+86 139 1234 5678", "13912345678", True), ("010 1234 5678", "010-12345678", True),
    ("+44 7911 123456", "+447911123456", True), ("12345", "12345", False),
    ("", None, None),
])
def test_phones_are_normalised_or_kept_as_typed(raw: str, expected: str | None,
                                                valid: bool | None) -> None:
    point = phone_point(raw)
    assert (point.value, point.valid) == (expected, valid) if point else expected is None


def test_emails_are_normalised_or_kept_as_typed() -> None:
    assert email_point(" Wang@Example.COM ").value == "Wang@example.com"  # type: ignore[union-attr]
    bad = email_point("wang@")
    assert bad is not None and not bad.valid


@pytest.mark.parametrize(("fields", "expected"), [
    ({}, set()),
    ({"phone": "42"}, {"invalid_phone"}),
    ({"email": "nope"}, {"invalid_email"}),
    ({"phone": None, "email": None}, {"no_contact"}),
    ({"phone": "42", "email": None}, {"invalid_phone", "no_contact"}),
    ({"name": None, "company": None, "message": "?!"}, {"empty_content"}),
    ({"email": "x@mailinator.com"}, {"disposable_email"}),
    ({"message": "cheap backlinks"}, {"spam"}),
    ({"message": "http://a.cn http://b.cn www.c.cn"}, {"spam"}),
    ({"message": "a" * 20}, {"spam"}),
])
def test_validation_flags(fields: dict[str, Any], expected: set[str]) -> None:
    assert codes(new_lead(**fields)) == expected


def test_each_flag_says_why() -> None:
    lead = new_lead(phone="42", message="https://x.cn http://y.cn http://z.cn")
    reasons = {f.code: render(f.reason) for f in lead.flags}
    assert "area code" in reasons[FlagCode.INVALID_PHONE]
    assert reasons[FlagCode.SPAM] == "contains 3 links"


def test_spam_is_set_aside_as_disqualified_with_its_reason() -> None:
    lead = new_lead(message="网赚 兼职日结")
    lead.set_aside_if_spam()
    assert lead.status == LeadStatus.DISQUALIFIED
    assert lead.disqualify_reason == "spam: contains the spam phrase '网赚'"
    clean = new_lead()
    clean.set_aside_if_spam()
    assert clean.status == LeadStatus.NEW


def test_spam_reason_ignores_ordinary_inquiries() -> None:
    assert spam_reason("我们需要一条新的产线，预算五十万", "http://www.example.com/about") is None


def test_duplicates_are_flagged_with_what_they_duplicate_and_recomputed() -> None:
    lead = new_lead()
    original, customer = uuid.uuid4(), uuid.uuid4()
    lead.set_duplicates(open_lead=(original, "L1"), customer=(customer, "C1 明远"))
    assert codes(lead) == {"duplicate_lead", "existing_customer"}
    assert lead.duplicate_of_id == original and lead.customer_id == customer
    assert {f.ref_id for f in lead.flags} == {original, customer}
    lead.update({"message": "changed"})
    assert codes(lead) == {"duplicate_lead", "existing_customer"}, "edits keep them"
    lead.set_duplicates(open_lead=None, customer=None)
    assert not codes(lead) and lead.customer_id is None


def test_flags_for_directly() -> None:
    flags = flags_for(name=None, company=None, message=None, phone=None, email=None)
    assert {f.code for f in flags} == {FlagCode.NO_CONTACT, FlagCode.EMPTY_CONTENT}


# ---- scoring -----------------------------------------------------------------------------------


def test_each_rule_gives_its_points_and_says_why() -> None:
    lead = new_lead(industry="manufacturing", company_size="enterprise", budget="1000000",
                    title="厂长", region="east", engagement=3)
    lead.rescore(DEFAULT_MODEL)
    lines = {x.rule: x for x in lead.score_breakdown}
    assert lines[RuleKind.INDUSTRY_FIT].points == 20
    assert lines[RuleKind.COMPANY_SIZE].points == 20
    assert lines[RuleKind.BUDGET].points == 25
    assert lines[RuleKind.SOURCE].points == 8
    assert lines[RuleKind.COMPLETENESS].points == 20
    assert lines[RuleKind.ENGAGEMENT].points == 6
    assert lead.score == 99 and lead.grade == LeadGrade.HIGH
    assert render(lines[RuleKind.BUDGET].detail) == "budget 1000000.00 ≥ 1000000"


def test_invalid_contact_details_score_nothing_for_completeness() -> None:
    assert "phone" not in new_lead(phone="42").filled
    assert "phone" in new_lead().filled


@pytest.mark.parametrize(("score", "grade"), [(0, "low"), (34, "low"), (35, "medium"),
                                              (59, "medium"), (60, "high"), (100, "high")])
def test_thresholds_make_the_grade(score: int, grade: str) -> None:
    assert DEFAULT_MODEL.grade_for(score) == LeadGrade(grade)


def test_the_score_stays_between_0_and_100_and_disabled_rules_are_left_out() -> None:
    high = ScoringModel(rules=(ScoringRule(RuleKind.INDUSTRY_FIT, points={"x": 100}),
                               ScoringRule(RuleKind.SOURCE, points={"website": 100})))
    assert high.score(Facts(industry="x", source="website"))[0] == 100
    low = ScoringModel(rules=(ScoringRule(RuleKind.INDUSTRY_FIT, points={"x": -50}),
                              ScoringRule(RuleKind.SOURCE, points={"website": 9},
                                          enabled=False)))
    score, grade, lines = low.score(Facts(industry="x", source="website"))
    assert (score, grade) == (0, LeadGrade.LOW)
    assert [x.rule for x in lines] == [RuleKind.INDUSTRY_FIT]


def test_budget_brackets_take_the_highest_met() -> None:
    m = ScoringModel(rules=(ScoringRule(RuleKind.BUDGET, brackets=(
        Bracket(Decimal("100"), 30), Bracket(Decimal("10"), 10))),))
    assert [m.score(Facts(budget=Decimal(b)))[0] for b in ("5", "10", "99.99", "100")] == [
        0, 10, 10, 30]
    assert render(m.score(Facts())[2][0].detail) == "no budget stated"


def test_engagement_is_capped() -> None:
    m = ScoringModel(rules=(ScoringRule(RuleKind.ENGAGEMENT, per_interaction=3,
                                        max_points=10),))
    assert m.score(Facts(engagement=2))[0] == 6 and m.score(Facts(engagement=50))[0] == 10


@pytest.mark.parametrize(("model", "field"), [
    (dict(high_from=30, medium_from=40), "thresholds"),
    (dict(rules=(ScoringRule(RuleKind.SOURCE), ScoringRule(RuleKind.SOURCE))), "rules.1.kind"),
    (dict(rules=(ScoringRule(RuleKind.SOURCE, points={"pigeon": 1}),)),
     "rules.0.points.pigeon"),
    (dict(rules=(ScoringRule(RuleKind.COMPANY_SIZE, points={"large": 500}),)),
     "rules.0.points.large"),
    (dict(rules=(ScoringRule(RuleKind.BUDGET, brackets=(
        Bracket(Decimal("1"), 1), Bracket(Decimal("2"), 2))),)), "rules.0.brackets"),
    (dict(rules=(ScoringRule(RuleKind.SOURCE, brackets=(Bracket(Decimal("1"), 1),)),)),
     "rules.0.brackets"),
    (dict(rules=(ScoringRule(RuleKind.COMPLETENESS, points={"shoe_size": 1}),)),
     "rules.0.points.shoe_size"),
])
def test_a_malformed_model_is_refused_naming_the_field(model: dict[str, Any],
                                                       field: str) -> None:
    with pytest.raises(ValidationFailed) as e:
        ScoringModel(**{"rules": (), **model})
    assert e.value.problems[0].field == field


def test_the_model_round_trips_through_its_document() -> None:
    assert model_from_doc(model_to_doc(DEFAULT_MODEL), 4) == ScoringModel(
        rules=DEFAULT_MODEL.rules, high_from=60, medium_from=35, version=4)
    assert model_from_doc(None) == DEFAULT_MODEL


@given(st.integers(0, 1000), st.sampled_from(["manufacturing", "retail", None]),
       st.one_of(st.none(), st.decimals(0, 10_000_000, places=2)))
def test_any_lead_scores_between_0_and_100_with_a_consistent_grade(
    engagement: int, industry: str | None, budget: Decimal | None
) -> None:
    score, grade, lines = DEFAULT_MODEL.score(Facts(industry=industry, budget=budget,
                                                    engagement=engagement))
    assert 0 <= score <= 100 and grade == DEFAULT_MODEL.grade_for(score)
    assert score == max(0, min(100, sum(x.points for x in lines)))


# ---- website forms -----------------------------------------------------------------------------


def test_a_form_gets_an_unguessable_key_and_its_site_origin() -> None:
    form = LeadForm.create(name="Contact", site_origin="HTTPS://WWW.Example.com/",
                           created_by=None)
    assert form.key.startswith("lf_") and len(form.key) > 20
    assert form.site_origin == "https://www.example.com"
    assert form.allows_origin("https://www.example.com") and form.allows_origin(None)
    assert not form.allows_origin("https://www.example.com.evil.net")
    old = form.key
    form.rotate_key()
    assert form.key != old and form.version == 2


@pytest.mark.parametrize("origin", ["www.example.com", "https://example.com/contact",
                                    "ftp://example.com", "javascript:alert(1)"])
def test_a_site_origin_is_a_scheme_and_a_host(origin: str) -> None:
    with pytest.raises(ValidationFailed):
        check_origin(origin)
