"""Changes to many records picked on a list (reassign, move, delete), one record at a time
through the same use case as a change to that record alone: each is allowed, audited and
announced exactly as it would be alone, and one that may not change is refused with its reason
while the others go through."""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass

from domain.shared.authz import Actor, Scope, require
from domain.shared.errors import DomainError, ValidationFailed

# Records one request may change: a screen's selection (a page is at most 200), and a bound on
# how long one request holds a worker (one short transaction each).
MAX_BULK = 200


@dataclass(frozen=True)
class Outcome:
    """What became of one record: done, or the error that refused it."""

    id: uuid.UUID
    error: DomainError | None = None


async def each(actor: Actor, scope: Scope, ids: Sequence[uuid.UUID],
               change: Callable[[uuid.UUID], Awaitable[object]]) -> list[Outcome]:
    """Applies `change` to every record, in the order given, once each. A caller without the
    permission at all is refused as a whole (PermissionDenied), not record by record."""
    require(actor, scope)
    unique = list(dict.fromkeys(ids))
    if not 1 <= len(unique) <= MAX_BULK:
        raise ValidationFailed.of("ids", f"must name 1 to {MAX_BULK} records")
    outcomes = []
    for record_id in unique:
        try:
            await change(record_id)
        except DomainError as e:  # this record stays as it was; the others go on
            outcomes.append(Outcome(record_id, e))
        else:
            outcomes.append(Outcome(record_id))
    return outcomes
