"""Fan-out at relay time: the relay hands each batch of committed outbox rows here, inside the
transaction that marks them published, and one delivery per subscribed active endpoint is
inserted in that same transaction.

So a delivery exists exactly when its event is published (atomic, whatever crashes), events
are fanned out in commit order per record, and webhook-only events cost no queue job at all.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence

from sqlalchemy import and_, bindparam, select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.ext.asyncio import AsyncConnection

from adapters.db import tables as t
from adapters.db.repositories import columns_of
from domain.events import DomainEvent
from domain.webhooks.catalog import EVENT_TYPES
from domain.webhooks.model import Delivery

OB, E, D = t.outbox, t.webhook_endpoints, t.webhook_deliveries

_SUBSCRIBED = select(OB.c.id, OB.c.seq, OB.c.type, OB.c.aggregate_type, OB.c.aggregate_id,
                     OB.c.payload, OB.c.occurred_at, E.c.id.label("endpoint_id")).select_from(
    OB.join(E, and_(E.c.active, OB.c.type == E.c.event_types.any_(), E.c.from_seq < OB.c.seq))
).where(OB.c.id.in_(bindparam("ids", expanding=True))).order_by(OB.c.seq)

_INSERT = pg_insert(D).on_conflict_do_nothing(index_elements=["endpoint_id", "event_id"])


async def fan_out(conn: AsyncConnection, events: Sequence[tuple[uuid.UUID, str]]) -> int:
    """Deliveries for the relayed (id, type) rows; answers how many were new."""
    ids = [event_id for event_id, event_type in events if event_type in EVENT_TYPES]
    if not ids:
        return 0
    rows = (await conn.execute(_SUBSCRIBED, {"ids": ids})).all()
    if not rows:
        return 0
    deliveries = []
    for r in rows:
        event = DomainEvent(type=r.type, aggregate_type=r.aggregate_type,
                            aggregate_id=r.aggregate_id, payload=r.payload, id=r.id,
                            occurred_at=r.occurred_at)
        d = Delivery.for_event(r.endpoint_id, event, int(r.seq), r.occurred_at)
        values = columns_of(d, D)
        values.pop("created_at")
        values["status"] = d.status.value
        deliveries.append(values)
    # a trigger NOTIFYs the delivery loop when these commit
    result = await conn.execute(_INSERT, deliveries)
    return int(result.rowcount or 0)
