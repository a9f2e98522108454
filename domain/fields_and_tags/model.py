"""Admin-defined structure around customers: custom fields, tags, saved segments."""

from __future__ import annotations

import re
import uuid
from dataclasses import dataclass, field
from datetime import date, datetime
from enum import StrEnum
from typing import Any

from domain.shared.errors import ValidationFailed
from domain.shared.text import Label

_KEY = re.compile(r"[a-z][a-z0-9_]{0,49}")
_COLOUR = re.compile(r"#[0-9a-fA-F]{6}")


def _display_name(raw: str, field_name: str) -> str:
    """What people read a field or a segment by: trimmed, 1 to 100 characters."""
    text = raw.strip()
    if not 1 <= len(text) <= 100:
        raise ValidationFailed.of(field_name, "length_between", min=1, max=100)
    return text


class FieldType(StrEnum):
    TEXT = "text"
    NUMBER = "number"
    DATE = "date"
    BOOLEAN = "boolean"
    SINGLE_CHOICE = "single_choice"
    MULTI_CHOICE = "multi_choice"


CHOICE_TYPES = frozenset({FieldType.SINGLE_CHOICE, FieldType.MULTI_CHOICE})


@dataclass
class CustomField:
    id: uuid.UUID
    entity: str  # "customer": the one kind of record that carries custom fields
    key: str
    label: str
    type: FieldType
    options: list[str] = field(default_factory=list)
    required: bool = False
    active: bool = True
    version: int = 1
    created_at: datetime | None = None

    @classmethod
    def define(cls, *, entity: str, key: str, label: str, type: FieldType,
               options: list[str] | None = None, required: bool = False) -> CustomField:
        if entity != "customer":
            raise ValidationFailed.of("entity", "custom_field.customers_only")
        if not _KEY.fullmatch(key):
            raise ValidationFailed.of("key", "custom_field.key_format")
        f = cls(id=uuid.uuid4(), entity=entity, key=key, label="", type=type)
        f.relabel(label)
        f.set_options(options or [])
        f.required = required
        return f

    def relabel(self, label: str) -> None:
        self.label = _display_name(label, "label")

    def set_options(self, options: list[str]) -> None:
        cleaned = [o.strip() for o in options if o.strip()]
        if self.type in CHOICE_TYPES:
            if not cleaned:
                raise ValidationFailed.of("options", "custom_field.options_needed")
            if len(set(cleaned)) != len(cleaned):
                raise ValidationFailed.of("options", "custom_field.options_distinct")
        elif cleaned:
            raise ValidationFailed.of("options", "custom_field.no_options",
                                      type=Label("field_type", self.type.value))
        self.options = cleaned

    def coerce(self, value: Any, where: str) -> Any:
        """The value as stored, or ValidationFailed naming `where`."""
        if value is None or value == "" or value == []:
            return None
        t = self.type
        if t == FieldType.TEXT:
            if not isinstance(value, str) or len(value) > 2000:
                raise ValidationFailed.of(where, "custom_field.text_value", max=2000)
            return value
        if t == FieldType.NUMBER:
            if isinstance(value, bool):
                raise ValidationFailed.of(where, "not_a_number")
            if isinstance(value, str):
                try:
                    value = float(value) if any(c in value for c in ".eE") else int(value)
                except ValueError:
                    raise ValidationFailed.of(where, "not_a_number") from None
            if not isinstance(value, (int, float)) or value != value:
                raise ValidationFailed.of(where, "not_a_number")
            return value
        if t == FieldType.DATE:
            try:
                return date.fromisoformat(str(value)).isoformat()
            except ValueError:
                raise ValidationFailed.of(where, "custom_field.date_value") from None
        if t == FieldType.BOOLEAN:
            if isinstance(value, bool):
                return value
            text = str(value).strip().lower()
            if text in ("true", "yes", "y", "1", "是"):
                return True
            if text in ("false", "no", "n", "0", "否"):
                return False
            raise ValidationFailed.of(where, "not_a_bool")
        if t == FieldType.SINGLE_CHOICE:
            if value not in self.options:
                raise ValidationFailed.of(where, "custom_field.choice_value",
                                          choices=list(self.options))
            return value
        values = value if isinstance(value, list) else [v.strip() for v in str(value).split(",")]
        bad = [v for v in values if v not in self.options]
        if bad:
            raise ValidationFailed.of(where, "custom_field.choices_value", bad=bad,
                                      choices=list(self.options))
        return list(dict.fromkeys(values))


def validate_custom(values: dict[str, Any], definitions: list[CustomField], *,
                    creating: bool) -> dict[str, Any]:
    """Values checked and coerced against the definitions; required ones present."""
    by_key = {d.key: d for d in definitions if d.active}
    out: dict[str, Any] = {}
    for key, raw in values.items():
        d = by_key.get(key)
        if d is None:
            raise ValidationFailed.of(f"custom.{key}", "custom_field.undefined")
        value = d.coerce(raw, f"custom.{key}")
        if value is not None:
            out[key] = value
    missing = [d.key for d in by_key.values() if d.required and d.key not in out]
    if missing and (creating or any(k in values for k in missing)):
        raise ValidationFailed.of(f"custom.{missing[0]}", "required")
    return out


class TagCategory(StrEnum):
    BASIC = "basic"
    BEHAVIOUR = "behaviour"
    VALUE = "value"
    CUSTOM = "custom"


@dataclass
class Tag:
    id: uuid.UUID
    name: str
    category: TagCategory = TagCategory.CUSTOM
    colour: str = "#1677ff"
    version: int = 1
    created_at: datetime | None = None

    @classmethod
    def create(cls, name: str, category: TagCategory = TagCategory.CUSTOM,
               colour: str | None = None) -> Tag:
        tag = cls(id=uuid.uuid4(), name=check_tag_name(name), category=category)
        if colour is not None:
            tag.recolour(colour)
        return tag

    def recolour(self, colour: str) -> None:
        if not _COLOUR.fullmatch(colour):
            raise ValidationFailed.of("colour", "tag.colour_format")
        self.colour = colour.lower()


def check_tag_name(raw: str) -> str:
    name = raw.strip()
    if not 1 <= len(name) <= 50 or "," in name:
        raise ValidationFailed.of("name", "tag.name_format")
    return name


class SegmentSharing(StrEnum):
    PRIVATE = "private"
    DEPARTMENT = "department"


@dataclass
class Segment:
    id: uuid.UUID
    name: str
    filter: dict[str, Any]
    owner_id: uuid.UUID
    sharing: SegmentSharing = SegmentSharing.PRIVATE
    department_id: uuid.UUID | None = None
    version: int = 1
    created_at: datetime | None = None
    updated_at: datetime | None = None
    # As a saved view of a list: which list (a kind of record), its sort and chosen columns.
    object: str = "customer"
    sort: str | None = None
    columns: list[str] = field(default_factory=list)

    @classmethod
    def create(cls, *, name: str, filter: dict[str, Any], owner_id: uuid.UUID,
               sharing: SegmentSharing, department_id: uuid.UUID | None,
               object: str = "customer", sort: str | None = None,
               columns: list[str] | None = None) -> Segment:
        seg = cls(id=uuid.uuid4(), name="", filter=filter, owner_id=owner_id, object=object,
                  sort=sort, columns=list(columns or []))
        seg.rename(name)
        seg.share(sharing, department_id)
        return seg

    def rename(self, name: str) -> None:
        self.name = _display_name(name, "name")

    def share(self, sharing: SegmentSharing, department_id: uuid.UUID | None) -> None:
        if sharing == SegmentSharing.DEPARTMENT and department_id is None:
            raise ValidationFailed.of("department_id", "segment.department_required")
        self.sharing = sharing
        self.department_id = department_id if sharing == SegmentSharing.DEPARTMENT else None


@dataclass
class ListSettings:
    """One user's default way of showing one list: its columns and sort. Version 0 is the
    default nobody saved yet."""

    user_id: uuid.UUID
    object: str
    columns: list[str] = field(default_factory=list)
    sort: str | None = None
    version: int = 0
    updated_at: datetime | None = None
