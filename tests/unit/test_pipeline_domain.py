"""Pipelines, stage requirements and the Opportunity aggregate: no I/O."""

from __future__ import annotations

import uuid
from dataclasses import replace
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any

import pytest

from domain.pipeline.commands import OpportunityChanges
from domain.pipeline.model import EventType, Opportunity, OpportunityStatus, StageVisit
from domain.pipeline.stages import (
    DEFAULT_PIPELINE_ID,
    Pipeline,
    StageKind,
    StageSpec,
    default_pipeline,
)
from domain.shared.errors import InvalidTransition, ValidationFailed

NOW = datetime(2026, 11, 1, 9, 0, tzinfo=UTC)
REP = uuid.uuid4()
P = default_pipeline("en")


def deal(stage: str | None = None, **fields: Any) -> Opportunity:
    return Opportunity.open(
        number="O202611000001", name="二期产线改造", customer_id=uuid.uuid4(), pipeline=P,
        stage=P.stage_by_key(stage) if stage else None, owner_id=REP, owner_department_id=None,
        now=NOW, by=REP, by_label="rep", **fields)


def move(o: Opportunity, key: str, reason: str | None = None, at: datetime = NOW) -> bool:
    return o.move(P, P.stage_by_key(key), at, REP, "rep", reason)


def edit(o: Opportunity, **changes: Any) -> None:
    o.update(OpportunityChanges(**changes))


def specs(*raw: dict[str, Any]) -> list[StageSpec]:
    return [StageSpec(**{**r, "requirements": tuple(r.get("requirements", ()))}) for r in raw]


def missing_fields(e: pytest.ExceptionInfo[ValidationFailed]) -> set[str]:
    return {p.field for p in e.value.problems}


def test_the_default_pipeline() -> None:
    assert P.id == DEFAULT_PIPELINE_ID and default_pipeline("en").stages == P.stages
    assert [s.key for s in P.stages] == ["initial_contact", "needs_analysis", "proposal",
                                         "contract_signing", "won", "lost"]
    assert [s.position for s in P.stages] == list(range(6))
    assert P.first_stage.key == "initial_contact"
    assert [s.kind for s in P.stages][-2:] == [StageKind.WON, StageKind.LOST]


def test_a_new_deal_starts_in_the_first_stage_with_its_probability_and_history() -> None:
    o = deal()
    assert o.stage_id == P.first_stage.id and o.probability == 10
    assert o.status == OpportunityStatus.OPEN and o.stage_entered_at == NOW
    (first,) = o.moves
    assert first.from_stage_id is None and first.to_stage_name == "Initial contact"
    assert o.events[0].type == EventType.CREATED


def test_proposal_needs_an_amount_and_a_quote_reference() -> None:
    o = deal()
    with pytest.raises(ValidationFailed) as e:
        move(o, "proposal")
    assert missing_fields(e) == {"amount", "quote_reference"}
    assert o.stage_id == P.first_stage.id and o.version == 1, "a refused move changes nothing"
    edit(o, amount=Decimal("0"))
    with pytest.raises(ValidationFailed) as e:
        move(o, "proposal")
    assert "amount" in missing_fields(e), "a zero amount is no amount"
    edit(o, amount=Decimal("1250000.00"), quote_reference="Q-1")
    assert move(o, "proposal") and o.probability == 50


@pytest.mark.parametrize(("status", "ok"), [(None, False), ("draft", False),
                                            ("in_approval", True), ("approved", True),
                                            ("signed", True)])
def test_contract_signing_needs_a_contract_in_approval_or_approved(status: str | None,
                                                                   ok: bool) -> None:
    o = deal(amount="10.00", quote_reference="Q")
    move(o, "proposal")
    edit(o, contract_status=status)
    if ok:
        assert move(o, "contract_signing")
    else:
        with pytest.raises(ValidationFailed) as e:
            move(o, "contract_signing")
        assert missing_fields(e) == {"contract_status"}


def test_skipping_ahead_meets_every_skipped_stages_requirements() -> None:
    o = deal()
    with pytest.raises(ValidationFailed) as e:
        move(o, "won")
    assert missing_fields(e) == {"amount", "quote_reference", "contract_status"}
    edit(o, amount=Decimal("5.00"), quote_reference="Q", contract_status="approved")
    assert move(o, "won") and o.status == OpportunityStatus.WON


def test_starting_further_along_needs_the_earlier_requirements_too() -> None:
    with pytest.raises(ValidationFailed):
        deal("proposal")
    assert deal("proposal", amount="1.00", quote_reference="Q").probability == 50
    with pytest.raises(ValidationFailed):
        deal("won", amount="1.00", quote_reference="Q", contract_status="approved")


def test_moving_back_needs_only_the_target_stage() -> None:
    o = deal(amount="1.00", quote_reference="Q")
    move(o, "proposal")
    edit(o, amount=None)
    assert move(o, "needs_analysis") and o.probability == 20


def test_winning_and_losing_close_the_deal_and_reopening_opens_it() -> None:
    o = deal(amount="1.00", quote_reference="Q", contract_status="approved")
    move(o, "won", at=NOW + timedelta(days=1))
    assert o.status == OpportunityStatus.WON and o.closed_at == NOW + timedelta(days=1)
    assert o.probability == 100
    with pytest.raises(ValidationFailed) as e:
        move(o, "lost")
    assert missing_fields(e) == {"lost_reason"}
    move(o, "lost", "budget frozen")
    assert o.status == OpportunityStatus.LOST and o.probability == 0
    assert o.lost_reason == "budget frozen"
    move(o, "needs_analysis")
    assert o.status == OpportunityStatus.OPEN and o.closed_at is None
    assert o.lost_reason is None


def test_a_lost_deal_needs_nothing_but_a_reason() -> None:
    o = deal()
    assert move(o, "lost", "no need")


def test_every_move_is_recorded_with_who_and_when() -> None:
    o = deal(amount="1.00", quote_reference="Q")
    o.moves.clear()
    later = NOW + timedelta(hours=5)
    move(o, "needs_analysis", at=later)
    assert not move(o, "needs_analysis"), "staying put is not a move"
    (m,) = o.moves
    assert m.from_stage_id == P.first_stage.id and m.at == later and m.by == REP
    assert o.events[-1].type == EventType.STAGE_CHANGED
    assert o.events[-1].payload["from"] == "initial_contact"
    assert o.stage_entered_at == later and o.last_activity_at == later and o.version == 2


def test_time_in_stage() -> None:
    visit = StageVisit(uuid.uuid4(), "Proposal/quote", NOW, REP, "rep")
    assert visit.duration_seconds(NOW + timedelta(hours=2)) == 7200
    left = StageVisit(uuid.uuid4(), "x", NOW, REP, "rep", left_at=NOW + timedelta(minutes=1))
    assert left.duration_seconds(NOW + timedelta(days=9)) == 60


def test_the_weighted_amount_uses_the_stage_probability() -> None:
    o = deal(amount="1000.00", quote_reference="Q")
    assert o.weighted_amount == Decimal("100.00")
    move(o, "proposal")
    assert o.weighted_amount == Decimal("500.00")
    assert P.stage_by_key("proposal").weighted(Decimal("333.33")) == Decimal("166.67")
    assert deal().weighted_amount is None


@pytest.mark.parametrize(("changes", "field"), [
    ({"amount": "-1"}, "amount"), ({"amount": "1.001"}, "amount"),
    ({"currency": "yuan"}, "currency"), ({"name": ""}, "name"),
    ({"contract_status": "maybe"}, None),
])
def test_bad_edits_are_refused(changes: dict[str, Any], field: str | None) -> None:
    o = deal()
    with pytest.raises((ValidationFailed, ValueError)) as e:
        edit(o, **changes)
    if field is not None and isinstance(e.value, ValidationFailed):
        assert e.value.problems[0].field == field


def test_reassigning_records_both_owners() -> None:
    o = deal()
    other = uuid.uuid4()
    o.reassign(other, None, REP)
    assert o.owner_id == other and o.version == 2
    assert o.events[-1].payload["from_owner_id"] == str(REP)
    o.reassign(other, None, REP)
    assert o.version == 2


def test_a_deal_stays_in_its_own_pipeline() -> None:
    other = Pipeline.create(name="Other", stages=specs(
        {"key": "a", "name": "A", "probability": 1}, {"key": "w", "name": "W", "kind": "won"},
        {"key": "l", "name": "L", "kind": "lost"}))
    with pytest.raises(InvalidTransition):
        deal().ensure_in(other)


# ---- defining pipelines ------------------------------------------------------------------------

WON = {"key": "won", "name": "Won", "kind": "won"}
LOST = {"key": "lost", "name": "Lost", "kind": "lost"}


def stages(*open_stages: dict[str, Any]) -> list[StageSpec]:
    return specs(*open_stages, WON, LOST)


@pytest.mark.parametrize(("defined", "field"), [
    (specs(WON, LOST), "stages"),
    (stages({"key": "A", "name": "A", "probability": 1}), "stages.0.key"),
    (stages({"key": "a", "name": "A", "probability": 1}, {"key": "a", "name": "B",
                                                          "probability": 2}), "stages.1.key"),
    (stages({"key": "a", "name": "A", "probability": 1}, {"key": "b", "name": "a",
                                                          "probability": 2}), "stages.1.name"),
    (stages({"key": "a", "name": "A"}), "stages.0.probability"),
    (stages({"key": "a", "name": "A", "probability": 101}), "stages.0.probability"),
    (stages({"key": "a", "name": "A", "probability": 1, "requirements": ["vibes"]}),
     "stages.0.requirements"),
    (specs({"key": "a", "name": "A", "probability": 1}, WON,
           {**WON, "key": "won2", "name": "W2"}, LOST), "stages"),
    (specs({"key": "a", "name": "A", "probability": 1}, WON,
           {**LOST, "requirements": ["amount"]}), "stages.2.requirements"),
])
def test_a_malformed_pipeline_is_refused_naming_the_field(defined: list[StageSpec],
                                                          field: str) -> None:
    with pytest.raises(ValidationFailed) as e:
        Pipeline.create(name="P", stages=defined)
    assert e.value.problems[0].field == field


def test_open_stages_keep_their_order_and_won_and_lost_go_last() -> None:
    p = Pipeline.create(name="P", stages=specs(
        LOST, {"key": "b", "name": "B", "probability": 40},
        WON, {"key": "a", "name": "A", "probability": 60}))
    assert [s.key for s in p.stages] == ["b", "a", "won", "lost"]
    assert [s.probability for s in p.stages] == [40, 60, 100, 0]


def test_restaging_keeps_ids_and_refuses_to_drop_a_stage_in_use() -> None:
    p = Pipeline.create(name="P", stages=stages({"key": "a", "name": "A", "probability": 10},
                                                {"key": "b", "name": "B", "probability": 20}))
    a, b = p.stages[0], p.stages[1]
    keep = [StageSpec(id=s.id, key=s.key, name=s.name, probability=s.probability,
                      kind=s.kind) for s in p.stages]
    with pytest.raises(ValidationFailed, match="A"):
        p.update(stages=keep[1:], stages_in_use={a.id})
    p.update(stages=[replace(keep[0], name="Renamed"), *keep[2:]], stages_in_use={a.id})
    assert p.stages[0].id == a.id and p.stages[0].name == "Renamed"
    assert b.id not in {s.id for s in p.stages} and p.version == 2
    with pytest.raises(ValidationFailed) as e:
        p.update(stages=[replace(keep[0], id=uuid.uuid4()), *keep[2:]])
    assert e.value.problems[0].field == "stages.0.id"


def test_the_default_pipeline_cannot_be_archived() -> None:
    p = default_pipeline("en")
    with pytest.raises(ValidationFailed):
        p.update(active=False)
    other = Pipeline.create(name="Old", stages=stages({"key": "a", "name": "A",
                                                      "probability": 1}))
    other.update(active=False, stale_days=30)
    assert not other.active and other.stale_days == 30
    with pytest.raises(ValidationFailed):
        Opportunity.open(number="O1", name="x", customer_id=uuid.uuid4(), pipeline=other,
                         stage=None, owner_id=REP, owner_department_id=None, now=NOW, by=REP,
                         by_label="rep")


def test_expected_close_date_requirement() -> None:
    p = Pipeline.create(name="P", stages=stages({"key": "a", "name": "A", "probability": 1},
                                                {"key": "b", "name": "B", "probability": 2,
                                                 "requirements": ["expected_close_date"]}))
    o = Opportunity.open(number="O1", name="x", customer_id=uuid.uuid4(), pipeline=p,
                         stage=None, owner_id=REP, owner_department_id=None, now=NOW, by=REP,
                         by_label="rep")
    with pytest.raises(ValidationFailed) as e:
        o.move(p, p.stage_by_key("b"), NOW, REP, "rep")
    assert missing_fields(e) == {"expected_close_date"}
    edit(o, expected_close_date=date(2026, 12, 31))
    assert o.move(p, p.stage_by_key("b"), NOW, REP, "rep")
