"""What the custom field, tag and segment use cases are asked to change. A field left None
(or UNSET, where None has a meaning of its own) is left as it is."""

from __future__ import annotations

import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from domain.fields_and_tags.model import SegmentSharing, TagCategory
from domain.shared.commands import UNSET, Unset


@dataclass(frozen=True)
class FieldChanges:
    label: str | None = None
    options: Sequence[str] | None = None
    required: bool | None = None
    active: bool | None = None


@dataclass(frozen=True)
class TagChanges:
    """A rename reaches every customer that bears the tag."""

    name: str | None = None
    category: TagCategory | None = None
    colour: str | None = None


@dataclass(frozen=True)
class NewSegment:
    """`filter` is the customer filter language as stored (see customers.queries)."""

    name: str
    filter: Mapping[str, Any]
    sharing: SegmentSharing = SegmentSharing.PRIVATE
    department_id: uuid.UUID | None = None
    object: str = "customer"  # the list it is a view of (views.SORTS names them)
    sort: str | None = None  # one of that list's sorts, - for descending
    columns: Sequence[str] = ()  # the columns shown, in order


@dataclass(frozen=True)
class SegmentChanges:
    """`department_id` counts only with `sharing`; left UNSET, the segment keeps its own."""

    name: str | None = None
    filter: Mapping[str, Any] | None = None
    sharing: SegmentSharing | None = None
    department_id: uuid.UUID | Unset | None = UNSET
    sort: str | Unset | None = UNSET  # None: the list's default order
    columns: Sequence[str] | None = None
