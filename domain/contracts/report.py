"""How long approvals take: per step role and per round, in wall-clock and working hours."""

from __future__ import annotations

import statistics
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from domain.contracts.rounds import StepRole
from domain.contracts.use_case import ContractUseCases
from domain.shared.authz import Actor, Scope, require
from domain.shared.errors import ValidationFailed
from domain.shared.paging import PageRequest

REPORT_LIMIT = 100_000  # decisions read per report
PENDING_LIMIT = 1000
DAY_SECONDS = 86400


@dataclass(frozen=True)
class Durations:
    count: int
    avg_hours: float | None
    median_hours: float | None
    p95_hours: float | None
    max_hours: float | None
    avg_working_hours: float | None


@dataclass(frozen=True)
class StepTimes:
    role: StepRole
    durations: Durations
    approved: int
    rejected: int
    reminded: int
    escalated: int


@dataclass(frozen=True)
class ApprovalTimes:
    since: datetime
    until: datetime
    steps: list[StepTimes]
    rounds: Durations
    rounds_within_one_day: float | None  # share of decided rounds decided in under 24 h
    pending: dict[str, int] = field(default_factory=dict)


def _durations(seconds: list[float], working: list[float]) -> Durations:
    if not seconds:
        return Durations(0, None, None, None, None, None)
    hours = sorted(s / 3600 for s in seconds)
    p95 = hours[min(len(hours) - 1, max(0, round(0.95 * len(hours)) - 1))]
    return Durations(len(hours), round(statistics.fmean(hours), 2),
                     round(statistics.median(hours), 2), round(p95, 2), round(hours[-1], 2),
                     round(statistics.fmean(working) / 3600, 2) if working else None)


class Reporting(ContractUseCases):
    async def approval_times(self, actor: Actor, since: datetime | None,
                             until: datetime | None) -> ApprovalTimes:
        require(actor, Scope.REPORTS_READ)
        until = until or self.clock.now()
        since = since or until - timedelta(days=30)
        if since >= until:
            raise ValidationFailed.of("since", "contract.since_after_until")
        async with self.uow() as uow:
            policy = await uow.contracts.policy()
            steps = await uow.contracts.decided_steps(since, until, REPORT_LIMIT)
            rounds = await uow.contracts.decided_rounds(since, until, REPORT_LIMIT)
            pending = await uow.contracts.inbox(
                None, PageRequest(limit=PENDING_LIMIT, max_limit=PENDING_LIMIT))
        cal = policy.calendar
        out = []
        for role in StepRole:
            mine = [s for s in steps if s.role == role]
            if not mine:
                continue
            wall = [(s.decided_at - s.started_at).total_seconds() for s in mine]
            work = [cal.working_seconds(s.started_at, s.decided_at) for s in mine]
            out.append(StepTimes(
                role=role, durations=_durations(wall, work),
                approved=sum(1 for s in mine if s.status == "approved"),
                rejected=sum(1 for s in mine if s.status == "rejected"),
                reminded=sum(1 for s in mine if s.reminded),
                escalated=sum(1 for s in mine if s.escalated)))
        round_wall = [(r.decided_at - r.submitted_at).total_seconds() for r in rounds]
        round_work = [cal.working_seconds(r.submitted_at, r.decided_at) for r in rounds]
        waiting: dict[str, int] = {}
        for item in pending.items:
            waiting[item.role.value] = waiting.get(item.role.value, 0) + 1
        return ApprovalTimes(
            since=since, until=until, steps=out, rounds=_durations(round_wall, round_work),
            rounds_within_one_day=round(sum(1 for s in round_wall if s < DAY_SECONDS)
                                        / len(round_wall), 3) if round_wall else None,
            pending=waiting)
