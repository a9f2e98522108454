"""Query helpers every repository's lists share: who may see a record, the conditions a
list's filter sets, LIKE patterns, and lists of the code's own constants."""

from __future__ import annotations

from collections.abc import Sequence
from enum import Enum
from typing import Any

from sqlalchemy import ColumnElement, false, literal_column, or_, true

from adapters.db import tables
from domain.shared.authz import Visibility


def visible(vis: Visibility, owner_col: Any = tables.customers.c.owner_id,
            dept_col: Any = tables.customers.c.owner_department_id, *, indexable: bool = True
            ) -> ColumnElement[bool]:
    """The one query helper for record visibility. `indexable=False` states the same clause
    in a form no btree serves (IS NOT DISTINCT FROM): for a statement whose rows another
    index already narrows to the caller's (the facet keys), where the planner would otherwise
    AND in the owner index's tens of thousands of rows for nothing."""
    if vis.everything:
        return true()
    clauses = []
    if vis.owner_id is not None:
        clauses.append(owner_col == vis.owner_id if indexable
                       else owner_col.is_not_distinct_from(vis.owner_id))
    if vis.department_ids:
        depts = list(vis.department_ids)
        clauses.append(dept_col.in_(depts) if indexable
                       else or_(*(dept_col.is_not_distinct_from(d) for d in depts)))
    return or_(*clauses) if clauses else false()


def matching(*pairs: tuple[Any, object]) -> list[ColumnElement[bool]]:
    """`column == value` for each (column, value) the filter sets; None leaves the column
    unfiltered. Enum members are compared by their value."""
    return [col == (value.value if isinstance(value, Enum) else value)
            for col, value in pairs if value is not None]


def within(col: Any, since: object, until: object) -> list[ColumnElement[bool]]:
    """From `since` (included) to `until` (excluded), either end left open when None."""
    conds: list[ColumnElement[bool]] = []
    if since is not None:
        conds.append(col >= since)
    if until is not None:
        conds.append(col < until)
    return conds


def escape_like(text: str) -> str:
    """`text` matched literally inside a LIKE pattern."""
    return text.replace("\\", "\\\\").replace("%", r"\%").replace("_", r"\_")


def one_of(col: Any, constants: Sequence[str]) -> ColumnElement[bool]:
    """col IN ('a', 'b'): the code's own constants written into the SQL, not bound: the
    statement caches whole (an IN of parameters is re-rendered on every execution) and the
    planner can match the partial indexes on open leads."""
    return col.in_([literal_column(f"'{c}'") for c in constants])
