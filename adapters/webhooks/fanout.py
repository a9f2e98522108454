"""Fan-out at relay time: the relay hands each batch of committed outbox rows here, inside the
transaction that marks them published, and one delivery per subscribed active endpoint is
inserted in that same transaction. Which endpoints are subscribed comes with the rows, from the
relay's own statement (`subscribers`), so a batch nobody subscribes to costs no round trip.

So a delivery exists exactly when its event is published (atomic, whatever crashes), events
are fanned out in commit order per record, and webhook-only events cost no queue job at all.
"""

from __future__ import annotations

from collections.abc import Sequence, Set
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.dialects.postgresql import aggregate_order_by
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.ext.asyncio import AsyncConnection

from adapters.db import tables
from adapters.db.base import columns_of
from adapters.db.outbox import event_of
from domain.webhooks.model import Delivery

endpoints, deliveries_table = tables.webhook_endpoints, tables.webhook_deliveries


def subscribers(published: Any) -> Any:
    """For each row the relay publishes (`published`, its CTE): the active endpoints subscribed
    to its type since before it (NULL for none), read in the relay's own statement."""
    return (select(func.array_agg(aggregate_order_by(endpoints.c.id, endpoints.c.id)))
            .where(endpoints.c.active, published.c.type == endpoints.c.event_types.any_(),
                   endpoints.c.from_seq < published.c.seq)
            .scalar_subquery())


_INSERT = pg_insert(deliveries_table).on_conflict_do_nothing(
    index_elements=["endpoint_id", "event_id"])


async def fan_out(conn: AsyncConnection, rows: Sequence[Any], fanned_out: Set[str]) -> int:
    """Deliveries for the relayed rows of the types the registry fans out (each row with its
    `subscribers`, as endpoint_ids); answers how many were new."""
    deliveries = []
    for r in rows:
        if not r.endpoint_ids or r.type not in fanned_out:
            continue
        event = event_of(r)
        for endpoint_id in r.endpoint_ids:
            d = Delivery.for_event(endpoint_id, event, int(r.seq), r.occurred_at)
            values = columns_of(d, deliveries_table)
            values.pop("created_at")
            values["status"] = d.status.value
            deliveries.append(values)
    if not deliveries:
        return 0
    # a trigger NOTIFYs the delivery loop when these commit
    result = await conn.execute(_INSERT, deliveries)
    return int(result.rowcount or 0)
