"""What a caller may see, and how customers are filtered: one language for lists, segments,
exports and rules."""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Mapping, Sequence, Sized
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from decimal import Decimal, InvalidOperation
from typing import Any

from domain.customers.values import Grade, Tier
from domain.shared.errors import ValidationFailed
from domain.shared.paging import Sort
from domain.shared.text import Label

SORTABLE = ("created_at", "updated_at", "name", "number", "last_followup_at",
            "next_followup_at")


@dataclass(frozen=True)
class CustomerFilter:
    industry: str | None = None
    region: str | None = None
    grade: Grade | None = None
    tier: Tier | None = None
    kind: str | None = None
    owner_id: uuid.UUID | None = None
    department_id: uuid.UUID | None = None
    tags_all: Sequence[str] = ()
    tags_any: Sequence[str] = ()
    last_followup_before: datetime | None = None
    last_followup_after: datetime | None = None
    created_from: datetime | None = None
    created_to: datetime | None = None
    annual_purchase_min: Decimal | None = None
    annual_purchase_max: Decimal | None = None
    # "no follow-up for N days": resolved against the clock into last_followup_before
    no_followup_days: int | None = None
    # custom field key → the values that count as equal ("12" and 12 for a number typed as text)
    custom: dict[str, list[Any]] = field(default_factory=dict)
    q: str | None = None
    phone: str | None = None  # normalised
    email: str | None = None  # normalised
    updated_since: datetime | None = None  # delta sync: includes tombstones, oldest first
    deleted: bool = False  # the recycle bin
    sort: Sort = field(default_factory=Sort)


# ---- the filter language as data (segments, exports, rules) ---------------------------------

_SCALARS = ("industry", "region", "kind", "q")
_TIMES = ("last_followup_before", "last_followup_after", "created_from", "created_to")

# Bounds on a filter anyone may post or save: each custom key and list item is one more
# condition in every count, list and export of it, so an unbounded filter is a way to keep the
# database busy. The list endpoint's own caps (20 tags, 100 characters of search) set the scale.
MAX_ITEMS = 20  # tags_all, tags_any, custom keys, values per custom key
MAX_TEXT = 100  # industry, region, kind, q, a tag, a custom key
MAX_VALUE_TEXT = 200  # one custom field value


def _text(value: Any, where: str, limit: int = MAX_TEXT) -> str:
    text = str(value)
    if len(text) > limit:
        raise ValidationFailed.of(where, "customer.filter_text_too_long", length=len(text),
                                  max=limit)
    return text


def _few(items: Sized, where: str, what: str = "items") -> None:
    if len(items) > MAX_ITEMS:
        raise ValidationFailed.of(where, "customer.filter_too_many", count=len(items),
                                  what=Label("filter_unit", what), max=MAX_ITEMS)


def _names(items: list[Any], where: str) -> tuple[str, ...]:
    _few(items, where)
    if any(isinstance(item, (list, dict)) for item in items):
        raise ValidationFailed.of(where, "customer.filter_names_nested")
    return tuple(_text(item, where) for item in items)


def custom_values(raw: Any, where: str) -> list[Any]:
    """A custom field's candidate values: scalars only (no nested lists or objects), a few."""
    values = raw if isinstance(raw, list) else [raw]
    _few(values, where, "values")
    for value in values:
        if isinstance(value, (list, dict)):
            raise ValidationFailed.of(where, "customer.filter_values_nested")
        if isinstance(value, str):
            _text(value, where, MAX_VALUE_TEXT)
    return values


def check_custom_keys(custom: Mapping[str, Any], defined: Iterable[str],
                      where: str = "filter.custom") -> None:
    """Custom conditions name defined custom fields, nothing else."""
    known = set(defined)
    unknown = sorted(k for k in custom if k not in known)
    if unknown:
        raise ValidationFailed.of(f"{where}.{unknown[0][:MAX_TEXT]}", "custom_field.undefined")


def filter_from_dict(raw: dict[str, Any], where: str = "filter") -> CustomerFilter:
    """Parses the stored/posted form of a customer filter, naming the bad field."""
    if not isinstance(raw, dict):
        raise ValidationFailed.of(where, "not_an_object")
    known = set(_SCALARS + _TIMES) | {
        "grade", "tier", "owner_id", "department_id", "tags_all", "tags_any",
        "annual_purchase_min", "annual_purchase_max", "no_followup_days", "custom"}
    unknown = sorted(set(raw) - known)
    if unknown:
        raise ValidationFailed.of(f"{where}.{unknown[0]}", "customer.not_a_filter")
    out: dict[str, Any] = {}
    try:
        for name in _SCALARS:
            if raw.get(name) is not None:
                out[name] = _text(raw[name], f"{where}.{name}")
        for name in _TIMES:
            if raw.get(name) is not None:
                value = datetime.fromisoformat(str(raw[name]))
                if value.tzinfo is None:
                    raise ValueError("no time zone")
                out[name] = value
        if raw.get("grade") is not None:
            out["grade"] = Grade(raw["grade"])
        if raw.get("tier") is not None:
            out["tier"] = Tier(raw["tier"])
        for name in ("owner_id", "department_id"):
            if raw.get(name) is not None:
                out[name] = uuid.UUID(str(raw[name]))
        for name in ("tags_all", "tags_any"):
            if raw.get(name):
                if not isinstance(raw[name], list):
                    raise ValueError("a list")
                out[name] = _names(raw[name], f"{where}.{name}")
        for name in ("annual_purchase_min", "annual_purchase_max"):
            if raw.get(name) is not None:
                out[name] = Decimal(_text(raw[name], f"{where}.{name}", 40))
                if not out[name].is_finite():
                    raise ValueError("a number")
        if raw.get("no_followup_days") is not None:
            days = raw["no_followup_days"]
            if isinstance(days, bool) or not isinstance(days, int) or not 1 <= days <= 3650:
                raise ValueError("a number of days from 1 to 3650")
            out["no_followup_days"] = days
        if raw.get("custom"):
            custom = raw["custom"]
            if not isinstance(custom, dict):
                raise ValueError("an object")
            _few(custom, f"{where}.custom", "keys")
            out["custom"] = {_text(key, f"{where}.custom"):
                             custom_values(value, f"{where}.custom.{str(key)[:MAX_TEXT]}")
                             for key, value in custom.items()}
    except (ValueError, InvalidOperation, TypeError) as e:
        bad = next((n for n in raw if n not in out and raw.get(n) not in (None, [], {})), where)
        raise ValidationFailed.of(f"{where}.{bad}", "customer.filter_invalid",
                                  reason=str(e)) from None
    return CustomerFilter(**out)


def filter_to_dict(f: CustomerFilter) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for name in _SCALARS:
        if getattr(f, name) is not None:
            out[name] = getattr(f, name)
    for name in _TIMES:
        if getattr(f, name) is not None:
            out[name] = getattr(f, name).isoformat()
    if f.grade is not None:
        out["grade"] = f.grade.value
    if f.tier is not None:
        out["tier"] = f.tier.value
    for name in ("owner_id", "department_id"):
        if getattr(f, name) is not None:
            out[name] = str(getattr(f, name))
    for name in ("tags_all", "tags_any"):
        if getattr(f, name):
            out[name] = list(getattr(f, name))
    for name in ("annual_purchase_min", "annual_purchase_max"):
        if getattr(f, name) is not None:
            out[name] = str(getattr(f, name))
    if f.no_followup_days is not None:
        out["no_followup_days"] = f.no_followup_days
    if f.custom:
        out["custom"] = {k: list(v) for k, v in f.custom.items()}
    return out


def resolve(f: CustomerFilter, now: datetime) -> CustomerFilter:
    """Relative conditions made absolute at the moment of the query."""
    if f.no_followup_days is None:
        return f
    cutoff = now - timedelta(days=f.no_followup_days)
    before = f.last_followup_before
    return replace(f, no_followup_days=None,
                   last_followup_before=min(before, cutoff) if before else cutoff)


def is_lookup(flt: CustomerFilter) -> bool:
    """Whether the filter finds customers by a contact's phone or e-mail (see ContactLookup)."""
    return bool(flt.phone or flt.email)
