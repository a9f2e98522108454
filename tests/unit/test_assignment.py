"""Routing on fakes: territory rules in order, fairness of round-robin, least-loaded following
load, capacity, away and inactive reps, and the fallback when nobody can take a lead."""

from __future__ import annotations

import uuid
from collections import Counter
from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from domain.leads.routing import (
    AssignedBy,
    Assignment,
    Availability,
    Method,
    RepState,
    RoutingRule,
    RoutingSettings,
    in_turn,
    pick,
    why_skipped,
)
from domain.shared.errors import ValidationFailed
from domain.shared.text import literal

NOW = datetime(2026, 11, 1, 9, 0, tzinfo=UTC)


class FakeDepartment:
    """The department as the use case sees it: members with loads, and the turn pointer."""

    def __init__(self, reps: list[RepState]) -> None:
        self.reps = {r.user_id: r for r in reps}
        self.last: uuid.UUID | None = None
        self.turns = 0

    def capture(self, method: Method) -> uuid.UUID | None:
        rep = pick(list(self.reps.values()), self.last, method)
        if rep is None:
            return None
        self.last = rep.user_id
        self.turns += 1
        self.reps[rep.user_id] = replace(rep, open_leads=rep.open_leads + 1)
        return rep.user_id

    def close_one(self, user_id: uuid.UUID) -> None:
        rep = self.reps[user_id]
        self.reps[user_id] = replace(rep, open_leads=rep.open_leads - 1)


def reps(n: int, **over: object) -> list[RepState]:
    return [RepState(user_id=uuid.uuid4(), **over) for _ in range(n)]  # type: ignore[arg-type]


def test_round_robin_spreads_1000_leads_over_5_reps_within_one() -> None:
    dept = FakeDepartment(reps(5))
    got = Counter(dept.capture(Method.ROUND_ROBIN) for _ in range(1000))
    assert len(got) == 5 and max(got.values()) - min(got.values()) <= 1
    assert dept.turns == 1000


@pytest.mark.parametrize("n", [1, 2, 3, 7, 999])
def test_round_robin_is_fair_at_every_moment(n: int) -> None:
    dept = FakeDepartment(reps(5))
    got = Counter(dept.capture(Method.ROUND_ROBIN) for _ in range(n))
    counts = [got.get(uid, 0) for uid in dept.reps]
    assert max(counts) - min(counts) <= 1


def test_round_robin_goes_in_a_fixed_order_whoever_joins() -> None:
    dept = FakeDepartment(reps(3))
    first_round = [dept.capture(Method.ROUND_ROBIN) for _ in range(3)]
    assert [dept.capture(Method.ROUND_ROBIN) for _ in range(3)] == first_round
    newcomer = RepState(user_id=uuid.UUID(int=0))  # sorts first: joins the next round
    dept.reps[newcomer.user_id] = newcomer
    nxt = [dept.capture(Method.ROUND_ROBIN) for _ in range(4)]
    assert set(nxt) == {*first_round, newcomer.user_id}


def test_away_inactive_and_opted_out_reps_are_skipped_without_losing_fairness() -> None:
    team = reps(5)
    team[1] = replace(team[1], away=True)
    team[2] = replace(team[2], active=False)
    team[3] = replace(team[3], in_rotation=False)
    dept = FakeDepartment(team)
    got = Counter(dept.capture(Method.ROUND_ROBIN) for _ in range(100))
    assert set(got) == {team[0].user_id, team[4].user_id}
    assert got[team[0].user_id] == got[team[4].user_id] == 50


def test_consecutive_tickets_go_round_the_reps_in_a_fixed_order() -> None:
    team = reps(5)
    def turn(ticket: int) -> uuid.UUID:
        rep = in_turn(team, ticket)
        assert rep is not None
        return rep.user_id

    got = Counter(turn(ticket) for ticket in range(1, 1001))
    assert sorted(got.values()) == [200] * 5
    firsts = [turn(ticket) for ticket in range(10, 20)]
    assert firsts[:5] == firsts[5:] and len(set(firsts[:5])) == 5


def test_a_ticket_passes_over_ineligible_reps() -> None:
    team = reps(4)
    team[1] = replace(team[1], away=True)
    team[2] = replace(team[2], capacity=2, open_leads=2)
    taken = [in_turn(team, ticket) for ticket in (7, 8, 9)]
    assert [r.user_id for r in taken if r] == [
        x.user_id for x in (taken[0], taken[1], taken[0]) if x]
    assert {r.user_id for r in taken if r} == {team[0].user_id, team[3].user_id}
    assert in_turn(reps(3, active=False), 1) is None


def test_only_sales_reps_rotate() -> None:
    manager = RepState(user_id=uuid.uuid4(), is_rep=False)
    dept = FakeDepartment([manager, *reps(2)])
    assert manager.user_id not in {dept.capture(Method.ROUND_ROBIN) for _ in range(10)}


def test_capacity_is_never_exceeded_and_the_rest_overflow() -> None:
    team = [RepState(user_id=uuid.uuid4(), capacity=3), RepState(user_id=uuid.uuid4(),
                                                                 capacity=10)]
    dept = FakeDepartment(team)
    got = [dept.capture(Method.ROUND_ROBIN) for _ in range(15)]
    assert got.count(team[0].user_id) == 3 and got.count(team[1].user_id) == 10
    assert got[-2:] == [None, None], "then nobody: the use case parks it with the manager"
    dept.close_one(team[0].user_id)
    assert dept.capture(Method.ROUND_ROBIN) == team[0].user_id, "a slot freed up"


def test_least_loaded_follows_load_then_alternates() -> None:
    a, b, c = (RepState(user_id=uuid.uuid4(), open_leads=n) for n in (5, 2, 0))
    dept = FakeDepartment([a, b, c])
    first = [dept.capture(Method.LEAST_LOADED) for _ in range(5)]
    assert first[:2] == [c.user_id, c.user_id], "the emptiest desk first"
    assert Counter(first[2:5]) == {b.user_id: 2, c.user_id: 1} or \
        Counter(first[2:5]) == {b.user_id: 1, c.user_id: 2}
    assert a.user_id not in first
    rest = [dept.capture(Method.LEAST_LOADED) for _ in range(300)]
    loads = [r.open_leads for r in dept.reps.values()]
    assert max(loads) - min(loads) <= 1, "equal loads rotate"
    assert len(set(rest[-3:])) == 3


def test_least_loaded_respects_capacity() -> None:
    light = RepState(user_id=uuid.uuid4(), open_leads=0, capacity=1)
    heavy = RepState(user_id=uuid.uuid4(), open_leads=50)
    dept = FakeDepartment([light, heavy])
    assert [dept.capture(Method.LEAST_LOADED) for _ in range(3)] == [
        light.user_id, heavy.user_id, heavy.user_id]


def test_nobody_to_pick_answers_none() -> None:
    assert pick([], None, Method.ROUND_ROBIN) is None
    assert pick(reps(3, away=True), None, Method.LEAST_LOADED) is None


@given(st.lists(st.tuples(st.integers(0, 20), st.one_of(st.none(), st.integers(0, 20)),
                          st.booleans(), st.booleans()), min_size=1, max_size=8),
       st.sampled_from(list(Method)))
def test_the_pick_is_always_an_eligible_rep_and_least_loaded_picks_a_minimum(
    specs: list[tuple[int, int | None, bool, bool]], method: Method
) -> None:
    team = [RepState(user_id=uuid.uuid4(), open_leads=load, capacity=cap, away=away,
                     active=active) for load, cap, away, active in specs]
    chosen = pick(team, None, method)
    eligible = [r for r in team if r.eligible]
    if not eligible:
        assert chosen is None
        return
    assert chosen in eligible
    if method == Method.LEAST_LOADED:
        assert chosen.open_leads == min(r.open_leads for r in eligible)


def test_why_a_rep_was_skipped() -> None:
    rep = RepState(user_id=uuid.uuid4())
    assert why_skipped(replace(rep, active=False)) == "inactive"
    assert why_skipped(replace(rep, away=True)) == "away"
    assert why_skipped(replace(rep, in_rotation=False)) == "not in the rotation"
    assert why_skipped(replace(rep, capacity=0)) == "at capacity"


def rule(name: str, regions: tuple[str, ...] = (), industries: tuple[str, ...] = (),
         enabled: bool = True) -> RoutingRule:
    return RoutingRule(id=uuid.uuid4(), name=name, department_id=uuid.uuid4(),
                       regions=regions, industries=industries, enabled=enabled)


def test_rules_are_evaluated_in_order_and_the_first_match_wins() -> None:
    east_mfg = rule("east manufacturing", ("east",), ("manufacturing",))
    east = rule("east", ("east",))
    software = rule("software anywhere", industries=("software",))
    off = rule("switched off", ("north",), enabled=False)
    s = RoutingSettings(rules=(east_mfg, east, software, off))
    assert s.match("east", "manufacturing") == east_mfg
    assert s.match("east", "retail") == east
    assert s.match("east", None) == east
    assert s.match("south", "software") == software
    assert s.match("north", "retail") is None, "a disabled rule never matches"
    assert s.match(None, None) is None


def test_routing_settings_round_trip_and_validate() -> None:
    s = RoutingSettings(rules=(rule("a", ("east",)),), queue_user_id=uuid.uuid4(),
                        stale_days=10, first_contact_hours=4)
    assert RoutingSettings.from_doc(s.to_doc(), 3) == replace(s, version=3)
    assert RoutingSettings.from_doc(None) == RoutingSettings()
    with pytest.raises(ValidationFailed) as e:
        RoutingSettings(rules=(rule("a"), rule("a")))
    assert e.value.problems[0].field == "rules.1.name"
    with pytest.raises(ValidationFailed):
        RoutingSettings(stale_days=0)


def test_an_assignment_says_whether_it_is_a_fallback_and_round_trips() -> None:
    a = Assignment(AssignedBy.QUEUE, literal("no rule"), rule_id=uuid.uuid4(), rule_name="x")
    assert Assignment.from_doc(a.to_doc()) == a
    assert {b for b in AssignedBy if b.is_fallback} == {
        AssignedBy.DEPARTMENT_MANAGER, AssignedBy.QUEUE, AssignedBy.ADMIN_FALLBACK}


def test_away_ends_by_itself_at_away_until() -> None:
    a = Availability(user_id=uuid.uuid4())
    a.update({"away": True, "away_until": NOW + timedelta(days=3)})
    assert a.is_away(NOW) and not a.is_away(NOW + timedelta(days=3))
    a.update({"away_until": None})
    assert a.is_away(NOW + timedelta(days=300)), "away until they come back"
    with pytest.raises(ValidationFailed):
        a.update({"capacity": -1})
    with pytest.raises(ValidationFailed):
        a.update({"away_until": datetime(2026, 1, 1)})
