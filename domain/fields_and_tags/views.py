"""What a saved view may hold for each list it belongs to: the list's own filters (each key
checked by name), one of the list's sorts, and the columns shown. A segment is the saved view of
the customer list; the other lists' views are segments of their kind of record."""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from typing import Any

from domain.contracts.queries import SORTABLE as CONTRACT_SORTS
from domain.customers.queries import SORTABLE as CUSTOMER_SORTS
from domain.customers.queries import CustomerFilter, filter_from_dict
from domain.exports.sources import FILTERS, ExportObject
from domain.leads.queries import SORTABLE as LEAD_SORTS
from domain.pipeline.queries import SORTABLE as OPPORTUNITY_SORTS
from domain.shared.errors import ValidationFailed

# The kinds of record a view can list: those with a list people filter and sort on a screen.
SORTS: dict[ExportObject, Sequence[str]] = {
    ExportObject.CUSTOMER: CUSTOMER_SORTS, ExportObject.LEAD: LEAD_SORTS,
    ExportObject.OPPORTUNITY: OPPORTUNITY_SORTS, ExportObject.CONTRACT: CONTRACT_SORTS,
}
MAX_COLUMNS = 40
# A column is a field of the list's response (or `cf.<key>` for a custom field): the client
# owns which exist, so only the shape is checked here.
COLUMN_PATTERN = r"^[a-z][a-z0-9_]{0,62}(\.[a-z0-9_]{1,64})?$"
COLUMN = re.compile(COLUMN_PATTERN)


def check_filter(kind: ExportObject, raw: Mapping[str, Any]) -> CustomerFilter | None:
    """Refuses a filter its list would not run, naming the key; a customer filter is returned
    (its custom keys are checked against the catalogue by the caller)."""
    if kind == ExportObject.CUSTOMER:
        return filter_from_dict(dict(raw))
    FILTERS[kind].parse(dict(raw))
    return None


def check_sort(kind: ExportObject, sort: str | None) -> str | None:
    if sort is None:
        return None
    if sort.lstrip("-") not in SORTS[kind]:
        raise ValidationFailed.of("sort", f"must be one of {', '.join(SORTS[kind])} (prefix - "
                                  "for descending)")
    return sort


def check_columns(columns: Sequence[str]) -> list[str]:
    if len(columns) > MAX_COLUMNS:
        raise ValidationFailed.of("columns", f"has {len(columns)} columns; at most "
                                  f"{MAX_COLUMNS} are allowed")
    for position, column in enumerate(columns):
        if not isinstance(column, str) or not COLUMN.match(column):
            raise ValidationFailed.of(f"columns.{position}", "is not a column name")
    if len(set(columns)) != len(columns):
        raise ValidationFailed.of("columns", "names a column twice")
    return list(columns)
