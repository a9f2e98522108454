"""Who gets a new lead: territory rules in order, then a rep inside the department.

The rules and the choice are plain functions over data so they are tested without a database;
the use case supplies the reps (with their load) and the department's turn: a ticket number
for round-robin, the last rep served (under a lock) for least-loaded.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Any

from domain.shared.errors import ValidationFailed
from domain.shared.text import Text, literal


class Method(StrEnum):
    ROUND_ROBIN = "round_robin"
    LEAST_LOADED = "least_loaded"


class AssignedBy(StrEnum):
    """How the current owner was chosen; shown with the lead so the routing is visible."""

    ROUND_ROBIN = "round_robin"
    LEAST_LOADED = "least_loaded"
    DEPARTMENT_MANAGER = "department_manager"  # no rep available in the matched department
    QUEUE = "queue"  # no rule matched, or nobody in the department could take it
    ADMIN_FALLBACK = "admin_fallback"  # neither a manager nor a queue was configured
    MANUAL = "manual"  # a manager's override, or an owner named at capture
    CREATOR = "creator"  # a user entered the lead and keeps it
    CUSTOMER_OWNER = "customer_owner"  # the inquirer is already someone's customer
    DUPLICATE_OWNER = "duplicate_owner"  # the inquirer already has an open lead

    @property
    def is_fallback(self) -> bool:
        return self in (AssignedBy.DEPARTMENT_MANAGER, AssignedBy.QUEUE,
                        AssignedBy.ADMIN_FALLBACK)


@dataclass(frozen=True)
class Assignment:
    by: AssignedBy
    reason: Text  # words as a code, so each reader sees them in their own language
    rule_id: uuid.UUID | None = None
    rule_name: str | None = None
    department_id: uuid.UUID | None = None
    assigned_by_user: uuid.UUID | None = None  # the manager behind a manual override

    def to_doc(self) -> dict[str, Any]:
        return {"by": self.by.value, "reason": self.reason.to_json(),
                "rule_id": str(self.rule_id) if self.rule_id else None,
                "rule_name": self.rule_name,
                "department_id": str(self.department_id) if self.department_id else None,
                "assigned_by_user": str(self.assigned_by_user) if self.assigned_by_user else None}

    @classmethod
    def from_doc(cls, d: dict[str, Any]) -> Assignment:
        def u(key: str) -> uuid.UUID | None:
            return uuid.UUID(d[key]) if d.get(key) else None

        return cls(by=AssignedBy(d["by"]), reason=_reason(d.get("reason")), rule_id=u("rule_id"),
                   rule_name=d.get("rule_name"), department_id=u("department_id"),
                   assigned_by_user=u("assigned_by_user"))


def _reason(stored: Any) -> Text:
    """A stored reason: a text code, or the English words written before reasons had codes."""
    if isinstance(stored, dict):
        return Text.from_json(stored)
    return literal(str(stored or ""))


@dataclass(frozen=True)
class RoutingRule:
    """Leads from these regions and/or industries go to this department (empty = any)."""

    id: uuid.UUID
    name: str
    department_id: uuid.UUID
    regions: tuple[str, ...] = ()
    industries: tuple[str, ...] = ()
    method: Method = Method.ROUND_ROBIN
    enabled: bool = True

    def matches(self, region: str | None, industry: str | None) -> bool:
        if not self.enabled:
            return False
        if self.regions and region not in self.regions:
            return False
        return not (self.industries and industry not in self.industries)


@dataclass(frozen=True)
class RoutingSettings:
    rules: tuple[RoutingRule, ...] = ()
    # The owner of leads no rule routes (a sales-ops person or a shared "lead desk" user).
    queue_user_id: uuid.UUID | None = None
    # Days without a follow-up before an open lead's owner is reminded (2x: the manager).
    stale_days: int = 7
    first_contact_hours: int = 24
    version: int = 0

    def __post_init__(self) -> None:
        if not 1 <= self.stale_days <= 365:
            raise ValidationFailed.of("stale_days", "between", low=1, high=365)
        if not 1 <= self.first_contact_hours <= 24 * 14:
            raise ValidationFailed.of("first_contact_hours", "between", low=1, high=336)
        names: set[str] = set()
        for i, r in enumerate(self.rules):
            if not 1 <= len(r.name.strip()) <= 100:
                raise ValidationFailed.of(f"rules.{i}.name", "lead.name_length", min=1, max=100)
            if r.name in names:
                raise ValidationFailed.of(f"rules.{i}.name", "lead.rule_name_taken")
            names.add(r.name)

    def match(self, region: str | None, industry: str | None) -> RoutingRule | None:
        return next((r for r in self.rules if r.matches(region, industry)), None)

    def to_doc(self) -> dict[str, Any]:
        return {
            "queue_user_id": str(self.queue_user_id) if self.queue_user_id else None,
            "stale_days": self.stale_days, "first_contact_hours": self.first_contact_hours,
            "rules": [{"id": str(r.id), "name": r.name, "department_id": str(r.department_id),
                       "regions": list(r.regions), "industries": list(r.industries),
                       "method": r.method.value, "enabled": r.enabled} for r in self.rules],
        }

    @classmethod
    def from_doc(cls, d: dict[str, Any] | None, version: int = 0) -> RoutingSettings:
        if not d:
            return cls(version=version)
        return cls(
            rules=tuple(RoutingRule(
                id=uuid.UUID(r["id"]), name=r["name"], department_id=uuid.UUID(r["department_id"]),
                regions=tuple(r.get("regions") or ()), industries=tuple(r.get("industries") or ()),
                method=Method(r.get("method", "round_robin")), enabled=r.get("enabled", True))
                for r in d.get("rules", [])),
            queue_user_id=uuid.UUID(d["queue_user_id"]) if d.get("queue_user_id") else None,
            stale_days=int(d.get("stale_days", 7)),
            first_contact_hours=int(d.get("first_contact_hours", 24)), version=version)


@dataclass
class Availability:
    """A rep's routing settings: away (out of office), capacity and rotation membership."""

    user_id: uuid.UUID
    away: bool = False
    away_until: datetime | None = None  # back automatically at this time
    capacity: int | None = None  # the most open leads they should hold; None = no limit
    in_rotation: bool = True
    version: int = 0

    def is_away(self, now: datetime) -> bool:
        return self.away and (self.away_until is None or now < self.away_until)

    def update(self, changes: dict[str, Any]) -> None:
        if "capacity" in changes:
            cap = changes["capacity"]
            if cap is not None and not 0 <= cap <= 100_000:
                raise ValidationFailed.of("capacity", "between", low=0, high=100_000)
            self.capacity = cap
        if "away_until" in changes:
            until = changes["away_until"]
            if until is not None and until.tzinfo is None:
                raise ValidationFailed.of("away_until", "lead.needs_time_zone")
            self.away_until = until
        for name in ("away", "in_rotation"):
            if changes.get(name) is not None:
                setattr(self, name, bool(changes[name]))
        self.version += 1


@dataclass(frozen=True)
class RepState:
    """One member of a department as routing sees them at this instant."""

    user_id: uuid.UUID
    active: bool = True
    is_rep: bool = True  # sales reps rotate; others only when they opt in
    away: bool = False
    capacity: int | None = None
    in_rotation: bool = True
    open_leads: int = 0

    @property
    def eligible(self) -> bool:
        at_capacity = self.capacity is not None and self.open_leads >= self.capacity
        return self.active and self.is_rep and self.in_rotation and not self.away \
            and not at_capacity


@dataclass(frozen=True)
class RepStatus:
    """A rep as the routing screen lists them."""

    user_id: uuid.UUID
    name: str
    email: str
    role: str
    department_id: uuid.UUID | None
    is_active: bool
    availability: Availability
    open_leads: int


def why_skipped(r: RepState) -> str:
    if not r.active:
        return "inactive"
    if not r.is_rep or not r.in_rotation:
        return "not in the rotation"
    if r.away:
        return "away"
    return "at capacity"


def pick(reps: Sequence[RepState], last_user_id: uuid.UUID | None,
         method: Method) -> RepState | None:
    """The next rep: round-robin after the last one served, or the least loaded.

    Reps are taken in a fixed order (by id) so the turn pointer means the same thing to every
    process; ties in load are broken in turn order, so equal loads rotate too.
    """
    ordered = sorted(reps, key=lambda r: str(r.user_id))
    if not ordered:
        return None
    start = 0
    if last_user_id is not None:
        after = [i for i, r in enumerate(ordered) if str(r.user_id) > str(last_user_id)]
        start = after[0] if after else 0
    turn_order = ordered[start:] + ordered[:start]
    eligible = [r for r in turn_order if r.eligible]
    if not eligible:
        return None
    if method == Method.LEAST_LOADED:
        return min(eligible, key=lambda r: r.open_leads)  # min keeps the first of equals
    return eligible[0]


def in_turn(reps: Sequence[RepState], ticket: int) -> RepState | None:
    """Round-robin by ticket: of the eligible reps in the fixed order (by id), the one whose
    place the ticket names (ticket mod their number). Consecutive tickets go round the reps
    one after the other. A rep who joins, leaves or comes back shifts the others' places
    once, by one."""
    eligible = sorted((r for r in reps if r.eligible), key=lambda r: str(r.user_id))
    return eligible[ticket % len(eligible)] if eligible else None
