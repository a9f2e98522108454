"""One list shape everywhere: keyset pagination with an opaque cursor."""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from domain.shared.errors import ValidationFailed

T = TypeVar("T")

DEFAULT_LIMIT = 50
MAX_LIMIT = 200
# A list's total is counted exactly up to this many rows and answered as "at least" beyond:
# the count stops reading after one row more, so its cost is bounded whatever the table's size,
# and nobody reads "10,000+" differently from "1,234,567" when deciding to narrow a filter.
TOTAL_BOUND = 10_000


@dataclass(frozen=True)
class PageRequest:
    limit: int = DEFAULT_LIMIT
    cursor: str | None = None
    max_limit: int = MAX_LIMIT  # jobs (exports) read in bigger pages than clients may ask
    with_total: bool = False  # also count the whole filtered list (see Total)

    def __post_init__(self) -> None:
        if not 1 <= self.limit <= self.max_limit:
            raise ValidationFailed.of("limit", "between", low=1, high=self.max_limit)

    def after(self) -> list[Any] | None:
        """The sort-key values of the last row of the previous page, or None on the first page."""
        return decode_cursor(self.cursor) if self.cursor else None


@dataclass(frozen=True)
class Total:
    """How many records the whole list holds: exact, or at least `count` (the bound)."""

    count: int
    lower_bound: bool = False

    @classmethod
    def of_counted(cls, found: int, bound: int = TOTAL_BOUND) -> Total:
        """A count that read at most bound + 1 rows."""
        return cls(bound, True) if found > bound else cls(found)


@dataclass(frozen=True)
class Page(Generic[T]):
    items: list[T]
    next_cursor: str | None
    # Only when the request asked for it; None too when counting took longer than allowed.
    total: Total | None = None


def encode_cursor(values: list[Any]) -> str:
    raw = json.dumps(values, separators=(",", ":"), default=str).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_cursor(cursor: str) -> list[Any]:
    try:
        padded = cursor + "=" * (-len(cursor) % 4)
        values = json.loads(base64.urlsafe_b64decode(padded.encode()))
    except (binascii.Error, ValueError, UnicodeDecodeError, RecursionError):
        raise ValidationFailed.of("cursor", "paging.bad_cursor") from None
    if not isinstance(values, list):
        raise ValidationFailed.of("cursor", "paging.bad_cursor")
    return values


def parse_sort(raw: str | None, sortable: Sequence[str]) -> tuple[str, bool] | None:
    """`?sort=name` or `?sort=-name` (descending): the field and direction, or None."""
    if not raw:
        return None
    name = raw.lstrip("-+")
    if name not in sortable:
        raise ValidationFailed.of("sort", "paging.bad_sort", choices=list(sortable))
    return name, raw.startswith("-")


@dataclass(frozen=True)
class Sort:
    """The order of a list: one field, newest or largest first unless asked otherwise."""

    field: str = "created_at"
    descending: bool = True

    @classmethod
    def parse(cls, raw: str | None, sortable: Sequence[str], default: str = "created_at"
              ) -> Sort:
        parsed = parse_sort(raw, sortable)
        return cls(*parsed) if parsed else cls(default)
