"""The outbox relay: moves committed outbox rows to the job queue.

A row is marked published in the same transaction that enqueued it; if Redis is away the
transaction rolls back and the rows wait. A batch's jobs go to Redis in one round trip, each
with the event id as its job id, so a row relayed twice (a crash between enqueue and commit)
is queued once; were it run twice, the consumers' processed markers make the second a no-op.

With a listen URL the relay also LISTENs for the NOTIFY a trigger sends when outbox rows
commit, and wakes at once instead of at the next poll (polling stays as the safety net).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import uuid
from collections.abc import Awaitable, Callable, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import bindparam, func, null, select, update
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from adapters.db import tables
from adapters.db.listen import first_of, listen
from adapters.db.outbox import event_of
from adapters.outages import OUTAGES, QUEUE, Unavailable, unavailable
from domain.shared.events import DomainEvent
from domain.shared.ports import JobName, JobQueue, QueueUnavailable

log = logging.getLogger("crm.outbox")

CHANNEL = "crm_outbox"

outbox = tables.outbox
_PUBLISHED = (
    update(outbox).where(outbox.c.id.in_(
        select(outbox.c.id).where(outbox.c.published_at.is_(None)).order_by(outbox.c.seq)
        .limit(bindparam("batch")).with_for_update(skip_locked=True).scalar_subquery()))
    .values(published_at=func.now(), attempts=outbox.c.attempts + 1)
    .returning(outbox.c.id, outbox.c.type, outbox.c.seq, outbox.c.aggregate_type,
               outbox.c.aggregate_id, outbox.c.payload, outbox.c.occurred_at)).cte("published")


def _publish(extra: Callable[[Any], Any] | None) -> Any:
    """Marks a batch published and reads it back, in commit order, with the `extra` column
    computed from each row (the webhook fan-out's subscribers) in the same statement."""
    columns = [*_PUBLISHED.c, (extra(_PUBLISHED) if extra else null()).label("endpoint_ids")]
    return select(*columns).order_by(_PUBLISHED.c.seq)


def event_to_job(event: DomainEvent) -> dict[str, Any]:
    """The event as the relay's job carries it (plain values, whatever the queue's
    serializer)."""
    return {"type": event.type, "aggregate_type": event.aggregate_type,
            "aggregate_id": event.aggregate_id, "payload": event.payload,
            "occurred_at": event.occurred_at.isoformat()}


def event_from_job(event_id: uuid.UUID, data: dict[str, Any]) -> DomainEvent:
    return DomainEvent(type=data["type"], aggregate_type=data["aggregate_type"],
                       aggregate_id=data["aggregate_id"], payload=data["payload"], id=event_id,
                       occurred_at=datetime.fromisoformat(data["occurred_at"]))


class OutboxRelay:
    def __init__(self, engine: AsyncEngine, queue: JobQueue, *, batch: int = 200,
                 interval: float = 0.1, max_backoff: float = 5.0,
                 listen_url: str | None = None,
                 consumed: Callable[[str], bool] | None = None,
                 on_batch: Callable[[AsyncConnection, Sequence[Any]],
                                    Awaitable[object]] | None = None,
                 subscribers: Callable[[Any], Any] | None = None) -> None:
        """`consumed` tells whether any consumer handles an event type; events nobody handles
        are marked published without a job (the dispatcher would find nothing to run).
        `on_batch` gets each batch's rows inside the transaction that publishes it (the webhook
        fan-out), each with `endpoint_ids`: the column `subscribers` makes of the row, or
        NULL."""
        self._engine = engine
        self._consumed = consumed
        self._on_batch = on_batch
        self._publish = _publish(subscribers)
        self._queue = queue
        self._batch = batch
        self._interval = interval
        self._max_backoff = max_backoff
        self._listen_url = listen_url
        self._listening = False
        # Told when jobs went out (the worker beside the relay then polls at once).
        self.on_enqueued: Callable[[], None] | None = None

    async def relay_once(self) -> int:
        """Relays one batch; answers how many events went out. Raises QueueUnavailable."""
        async with self._engine.connect() as conn, conn.begin():
            # Marked published and read back in one statement; a failed enqueue below rolls
            # the mark back with the rest of the transaction.
            rows = (await conn.execute(self._publish, {"batch": self._batch})).all()
            if not rows:
                return 0
            if self._on_batch is not None:
                await self._on_batch(conn, rows)
            # The job carries the event (an outbox row never changes): the worker need not
            # read it back.
            jobs = [((str(r.id), event_to_job(event_of(r))), f"evt:{r.id}") for r in rows
                    if self._consumed is None or self._consumed(r.type)]
            await self._queue.enqueue_many(JobName.HANDLE_EVENT, jobs)
            enqueued = len(jobs)
        if enqueued and self.on_enqueued is not None:  # no job, no reason to poll Redis now
            self.on_enqueued()
        return len(rows)

    async def pending(self) -> int:
        async with self._engine.connect() as conn:
            return int(await conn.scalar(
                select(func.count()).select_from(outbox).where(outbox.c.published_at.is_(None)))
                or 0)

    async def run(self, stop: asyncio.Event) -> None:
        """Relays until `stop`. While Redis or PostgreSQL is away it backs off (NOTIFYs do not
        cut the wait short) and the outage is logged once, not once per try."""
        wake = asyncio.Event()
        listener = (asyncio.create_task(self._listen(wake, stop))
                    if self._listen_url else None)
        watch = OUTAGES.watch("outbox relay", first_wait=self._interval,
                              max_wait=self._max_backoff)
        backoff = self._interval
        try:
            while not stop.is_set():
                wake.clear()  # a NOTIFY arriving while we relay wakes the next round
                try:
                    sent = await self.relay_once()
                    watch.recovered()
                    backoff = self._idle_wait()
                    if sent >= self._batch:
                        continue  # more may be waiting; otherwise a NOTIFY will say so
                except QueueUnavailable as e:
                    backoff = watch.failed(Unavailable(QUEUE, str(e)))
                except Exception as e:
                    outage = unavailable(e)
                    if outage is None:
                        log.exception("outbox relay failed; retrying")
                        backoff = min(backoff * 2, self._max_backoff)
                    else:
                        backoff = watch.failed(outage)
                await first_of(stop, asyncio.Event() if watch.down else wake, backoff)
        finally:
            watch.close()
            if listener is not None:
                listener.cancel()
                with contextlib.suppress(asyncio.CancelledError, Exception):
                    await listener

    def _idle_wait(self) -> float:
        """Polling is the safety net while the LISTEN connection is up, the only way when not."""
        return max(self._interval, 1.0) if self._listening else self._interval

    async def _listen(self, wake: asyncio.Event, stop: asyncio.Event) -> None:
        assert self._listen_url is not None

        def up() -> None:
            self._listening = True
            wake.set()  # rows may have committed while we were not listening

        def down() -> None:
            self._listening = False

        await listen(self._listen_url, CHANNEL, lambda _payload: wake.set(), stop,
                     what="outbox rows", on_up=up, on_down=down)
