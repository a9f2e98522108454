"""Lead scoring: configurable rules give points, thresholds turn the score into a grade.

The breakdown is kept with the lead so anyone can see which rule gave what.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal
from enum import StrEnum
from typing import Any

from domain.customers.model import Size, Source
from domain.shared.errors import ValidationFailed
from domain.shared.text import Label, Text, text


class LeadGrade(StrEnum):
    HIGH = "high"
    MEDIUM = "medium"
    LOW = "low"


class RuleKind(StrEnum):
    INDUSTRY_FIT = "industry_fit"
    COMPANY_SIZE = "company_size"
    BUDGET = "budget"
    SOURCE = "source"
    COMPLETENESS = "completeness"
    ENGAGEMENT = "engagement"


# The fields the completeness rule may give points for.
COMPLETENESS_FIELDS = ("name", "company", "title", "phone", "email", "message", "industry",
                       "region", "company_size", "budget")
MAX_SCORE = 100
_POINTS = range(-100, 101)


@dataclass(frozen=True)
class Bracket:
    """`points` when the stated budget is at least `from_amount`."""

    from_amount: Decimal
    points: int


@dataclass(frozen=True)
class ScoringRule:
    kind: RuleKind
    enabled: bool = True
    # industry_fit: industry → points; company_size: size → points; source: channel → points;
    # completeness: field → points when filled
    points: dict[str, int] = field(default_factory=dict)
    brackets: tuple[Bracket, ...] = ()  # budget, highest first
    per_interaction: int = 0  # engagement
    max_points: int | None = None  # engagement cap


@dataclass(frozen=True)
class ScoreLine:
    rule: RuleKind
    points: int
    detail: Text


@dataclass(frozen=True)
class Facts:
    """What the rules look at."""

    industry: str | None = None
    company_size: str | None = None
    budget: Decimal | None = None
    source: str | None = None
    engagement: int = 0
    filled: frozenset[str] = frozenset()


@dataclass(frozen=True)
class ScoringModel:
    rules: tuple[ScoringRule, ...]
    high_from: int = 60
    medium_from: int = 35
    version: int = 1

    def __post_init__(self) -> None:
        check_model(self)

    def grade_for(self, score: int) -> LeadGrade:
        if score >= self.high_from:
            return LeadGrade.HIGH
        if score >= self.medium_from:
            return LeadGrade.MEDIUM
        return LeadGrade.LOW

    def score(self, facts: Facts) -> tuple[int, LeadGrade, list[ScoreLine]]:
        lines = [line for rule in self.rules if rule.enabled
                 for line in [_apply(rule, facts)] if line is not None]
        total = max(0, min(MAX_SCORE, sum(line.points for line in lines)))
        return total, self.grade_for(total), lines


def _apply(rule: ScoringRule, f: Facts) -> ScoreLine | None:
    k = rule.kind
    if k == RuleKind.INDUSTRY_FIT:
        pts = rule.points.get(f.industry or "", 0)
        return ScoreLine(k, pts, text("lead.score.industry",
                                         industry=f.industry or text("lead.score.unknown")))
    if k == RuleKind.COMPANY_SIZE:
        pts = rule.points.get(f.company_size or "", 0)
        return ScoreLine(k, pts, text("lead.score.company_size",
                                         size=f.company_size or text("lead.score.unknown")))
    if k == RuleKind.SOURCE:
        pts = rule.points.get(f.source or "", 0)
        return ScoreLine(k, pts, text("lead.score.source",
                                         source=Label("lead_source", f.source) if f.source
                                         else text("lead.score.unknown")))
    if k == RuleKind.BUDGET:
        if f.budget is None:
            return ScoreLine(k, 0, text("lead.score.no_budget"))
        for b in rule.brackets:
            if f.budget >= b.from_amount:
                return ScoreLine(k, b.points, text("lead.score.budget_at_least",
                                                         budget=str(f.budget),
                                                         bracket=str(b.from_amount)))
        return ScoreLine(k, 0, text("lead.score.budget_below", budget=str(f.budget)))
    if k == RuleKind.COMPLETENESS:
        have = sorted(name for name in rule.points if name in f.filled)
        pts = sum(rule.points[name] for name in have)
        return ScoreLine(k, pts, text("lead.score.filled",
                                              fields=[Label("lead_field", name) for name in have])
                         if have else text("lead.score.nothing_filled"))
    if k == RuleKind.ENGAGEMENT:
        pts = f.engagement * rule.per_interaction
        if rule.max_points is not None:
            pts = min(pts, rule.max_points)
        return ScoreLine(k, pts, text("lead.score.interactions", count=f.engagement))
    return None  # pragma: no cover - every kind is handled above


def check_model(m: ScoringModel) -> None:
    if not 0 < m.medium_from <= m.high_from <= MAX_SCORE:
        raise ValidationFailed.of("thresholds", "lead.scoring_thresholds")
    seen: set[RuleKind] = set()
    for i, rule in enumerate(m.rules):
        at = f"rules.{i}"
        if rule.kind in seen:
            raise ValidationFailed.of(f"{at}.kind", "lead.scoring_rule_twice",
                                      rule=Label("scoring_rule", rule.kind.value))
        seen.add(rule.kind)
        for key, pts in rule.points.items():
            if pts not in _POINTS:
                raise ValidationFailed.of(f"{at}.points.{key}", "between", low=-100, high=100)
            if not key or len(key) > 50:
                raise ValidationFailed.of(f"{at}.points", "lead.scoring_key_length")
        allowed: set[str] | None = {
            RuleKind.COMPANY_SIZE: {s.value for s in Size},
            RuleKind.SOURCE: {s.value for s in Source},
            RuleKind.COMPLETENESS: set(COMPLETENESS_FIELDS),
        }.get(rule.kind)
        if allowed is not None:
            unknown = sorted(set(rule.points) - allowed)
            if unknown:
                raise ValidationFailed.of(f"{at}.points.{unknown[0]}",
                                          "lead.not_one_of", choices=sorted(allowed))
        if rule.kind != RuleKind.BUDGET and rule.brackets:
            raise ValidationFailed.of(f"{at}.brackets", "lead.brackets_budget_only")
        if rule.kind == RuleKind.BUDGET:
            amounts = [b.from_amount for b in rule.brackets]
            if amounts != sorted(amounts, reverse=True) or len(set(amounts)) != len(amounts):
                raise ValidationFailed.of(f"{at}.brackets", "lead.brackets_order")
            for b in rule.brackets:
                if b.points not in _POINTS or b.from_amount < 0:
                    raise ValidationFailed.of(f"{at}.brackets",
                                              "lead.brackets_values")
        if rule.per_interaction not in _POINTS:
            raise ValidationFailed.of(f"{at}.per_interaction", "between", low=-100, high=100)
        if rule.max_points is not None and rule.max_points not in _POINTS:
            raise ValidationFailed.of(f"{at}.max_points", "between", low=-100, high=100)


DEFAULT_MODEL = ScoringModel(rules=(
    ScoringRule(RuleKind.INDUSTRY_FIT, points={
        "manufacturing": 20, "software": 20, "healthcare": 15, "finance": 15, "logistics": 10,
        "energy": 10, "construction": 10, "retail": 5, "ecommerce": 5, "education": 5,
        "food": 5}),
    ScoringRule(RuleKind.COMPANY_SIZE, points={
        "enterprise": 20, "large": 15, "medium": 10, "small": 5, "micro": 0}),
    ScoringRule(RuleKind.BUDGET, brackets=(
        Bracket(Decimal("1000000"), 25), Bracket(Decimal("200000"), 15),
        Bracket(Decimal("50000"), 8))),
    ScoringRule(RuleKind.SOURCE, points={
        "referral": 15, "partner": 12, "trade_show": 10, "website": 8, "phone": 8, "api": 5,
        "import": 3, "other": 0}),
    ScoringRule(RuleKind.COMPLETENESS, points={
        "phone": 4, "email": 4, "company": 4, "title": 2, "message": 3, "industry": 1,
        "region": 1, "company_size": 1}),
    ScoringRule(RuleKind.ENGAGEMENT, per_interaction=2, max_points=10),
))


def model_from_doc(doc: dict[str, Any] | None, version: int = 1) -> ScoringModel:
    """The stored JSON form back into a model (the adapter keeps it as a document)."""
    if not doc:
        return DEFAULT_MODEL
    return ScoringModel(
        rules=tuple(ScoringRule(
            kind=RuleKind(r["kind"]), enabled=r.get("enabled", True),
            points={k: int(v) for k, v in (r.get("points") or {}).items()},
            brackets=tuple(Bracket(Decimal(str(b["from_amount"])), int(b["points"]))
                           for b in r.get("brackets") or ()),
            per_interaction=int(r.get("per_interaction") or 0),
            max_points=r.get("max_points")) for r in doc.get("rules", [])),
        high_from=int(doc["high_from"]), medium_from=int(doc["medium_from"]), version=version)


def model_to_doc(m: ScoringModel) -> dict[str, Any]:
    return {
        "high_from": m.high_from, "medium_from": m.medium_from,
        "rules": [{"kind": r.kind.value, "enabled": r.enabled, "points": dict(r.points),
                   "brackets": [{"from_amount": str(b.from_amount), "points": b.points}
                                for b in r.brackets],
                   "per_interaction": r.per_interaction, "max_points": r.max_points}
                  for r in m.rules],
    }
