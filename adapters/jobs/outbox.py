"""The outbox relay: moves committed outbox rows to the job queue.

A row is marked published in the same transaction that enqueued it; if Redis is away the
transaction rolls back and the rows wait. A batch's jobs go to Redis in one round trip, each
with the event id as its job id, so a row relayed twice (a crash between enqueue and commit)
is queued once; were it run twice, the consumers' processed markers make the second a no-op.

Published is not done: Redis may lose a queued job (no persistence, a failover). An event is
done when every consumer registered for its type has its processed marker (one with no
consumer, at publish). The sweep (`resend_lost`, a cron of the worker) looks at the events
published longer than the grace period ago and not done: those whose markers are all there
now are marked done, in bulk, off the consumers' path; the others are queued again under
the same job id unless Redis still holds that job (waiting, deferred or running).

With a listen URL the relay also LISTENs for the NOTIFY a trigger sends when outbox rows
commit, and wakes at once instead of at the next poll (polling stays as the safety net).
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import time
import uuid
from collections.abc import Awaitable, Callable, Mapping, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import bindparam, case, func, null, select, text, update
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

# An event is sent at most this many times (its first publish included); one whose reactions
# still have not run after that fails for a reason no resend cures, and is left to an operator.
MAX_SENDS = 10


def _publish(extra: Callable[[Any], Any] | None, consumed: Sequence[str]) -> Any:
    """Marks a batch published (and done, for types no consumer handles) and reads it back, in
    commit order, with the `extra` column computed from each row (the webhook fan-out's
    subscribers) in the same statement."""
    published = (
        update(outbox).where(outbox.c.id.in_(
            select(outbox.c.id).where(outbox.c.published_at.is_(None)).order_by(outbox.c.seq)
            .limit(bindparam("batch")).with_for_update(skip_locked=True).scalar_subquery()))
        .values(published_at=func.now(), attempts=outbox.c.attempts + 1,
                done_at=case((outbox.c.type.in_(sorted(consumed)), null()),
                             else_=func.now()))
        .returning(outbox.c.id, outbox.c.type, outbox.c.seq, outbox.c.aggregate_type,
                   outbox.c.aggregate_id, outbox.c.payload, outbox.c.occurred_at)
    ).cte("published")
    columns = [*published.c, (extra(published) if extra else null()).label("endpoint_ids")]
    return select(*columns).order_by(published.c.seq)


# The events sent longer than the grace period ago and not done, oldest first: each is marked
# done when every consumer of its type (`consumers`: type -> names) has its marker; the others
# are stamped sent now (so a job Redis still holds is looked at again one grace period later)
# and come back for the queue.
_SWEEP = text("""
WITH due AS (
    SELECT outbox.id, CAST(:consumers AS jsonb) -> outbox.type AS consumers FROM outbox
    WHERE outbox.done_at IS NULL AND outbox.published_at IS NOT NULL
      AND outbox.published_at < now() - make_interval(secs => :grace)
      AND outbox.attempts < :max_sends
    ORDER BY outbox.published_at
    LIMIT :batch
    FOR UPDATE SKIP LOCKED
), checked AS MATERIALIZED (
    -- One probe of the markers' primary key per event (consumer = ANY, event_id).
    SELECT due.id, coalesce(jsonb_array_length(due.consumers), 0) = (
        SELECT count(*) FROM processed_events
        WHERE processed_events.consumer = ANY(ARRAY(
                  SELECT jsonb_array_elements_text(due.consumers)))
          AND processed_events.event_id = due.id) AS done
    FROM due
)
UPDATE outbox SET
    done_at = CASE WHEN checked.done THEN now() END,
    published_at = CASE WHEN checked.done THEN outbox.published_at ELSE now() END
FROM checked WHERE outbox.id = checked.id
RETURNING outbox.id, outbox.type, outbox.aggregate_type, outbox.aggregate_id, outbox.payload,
          outbox.occurred_at, outbox.attempts, checked.done
""")

_RESENT = (update(outbox).where(outbox.c.id == func.any(bindparam("ids")))
           .values(attempts=outbox.c.attempts + 1))


def event_to_job(event: DomainEvent) -> dict[str, Any]:
    """The event as the relay's job carries it (plain values, whatever the queue's
    serializer)."""
    return {"type": event.type, "aggregate_type": event.aggregate_type,
            "aggregate_id": event.aggregate_id, "payload": event.payload,
            "occurred_at": event.occurred_at.isoformat()}


def _job(row: Any) -> tuple[tuple[str, dict[str, Any]], str]:
    """The relay's job of an outbox row: its arguments and its job id."""
    return (str(row.id), event_to_job(event_of(row))), f"evt:{row.id}"


def event_from_job(event_id: uuid.UUID, data: dict[str, Any]) -> DomainEvent:
    return DomainEvent(type=data["type"], aggregate_type=data["aggregate_type"],
                       aggregate_id=data["aggregate_id"], payload=data["payload"], id=event_id,
                       occurred_at=datetime.fromisoformat(data["occurred_at"]))


class OutboxRelay:
    def __init__(self, engine: AsyncEngine, queue: JobQueue, *, batch: int = 200,
                 interval: float = 0.1, max_backoff: float = 5.0,
                 listen_url: str | None = None,
                 consumers: Mapping[str, Sequence[str]],
                 grace_seconds: float = 60.0,
                 on_batch: Callable[[AsyncConnection, Sequence[Any]],
                                    Awaitable[object]] | None = None,
                 subscribers: Callable[[Any], Any] | None = None) -> None:
        """`consumers` names the consumers of each event type; events nobody handles are
        marked published and done without a job (the dispatcher would find nothing to run).
        `on_batch` gets each batch's rows inside the transaction that publishes it (the webhook
        fan-out), each with `endpoint_ids`: the column `subscribers` makes of the row, or
        NULL."""
        self._engine = engine
        self._consumers = {type_: list(names) for type_, names in consumers.items() if names}
        self._on_batch = on_batch
        self._publish = _publish(subscribers, list(self._consumers))
        self.grace_seconds = grace_seconds
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
            jobs = [_job(r) for r in rows if r.type in self._consumers]
            await self._queue.enqueue_many(JobName.HANDLE_EVENT, jobs)
            enqueued = len(jobs)
        if enqueued and self.on_enqueued is not None:  # no job, no reason to poll Redis now
            self.on_enqueued()
        return len(rows)

    async def resend_lost(self, batch: int = 1000,
                          budget_seconds: float = 10.0) -> tuple[int, int]:
        """Sweeps the events published longer than the grace period ago and not done, a batch
        at a time for up to `budget_seconds` (the next sweep goes on); answers how many it
        found done and how many it queued again. Raises QueueUnavailable (the batch at hand
        is not stamped then)."""
        done = queued = 0
        deadline = time.monotonic() + budget_seconds
        while True:
            found, done_now, queued_now = await self._sweep_batch(batch)
            done, queued = done + done_now, queued + queued_now
            if found < batch or time.monotonic() > deadline:
                return done, queued

    async def _sweep_batch(self, batch: int) -> tuple[int, int, int]:
        async with self._engine.connect() as conn, conn.begin():
            rows = (await conn.execute(_SWEEP, {
                "grace": self.grace_seconds, "max_sends": MAX_SENDS, "batch": batch,
                "consumers": json.dumps(self._consumers)})).all()
            lost = [r for r in rows if not r.done]
            queued = await self._queue.enqueue_absent(JobName.HANDLE_EVENT,
                                                      [_job(r) for r in lost])
            if queued:
                ids = [uuid.UUID(job_id.removeprefix("evt:")) for job_id in queued]
                await conn.execute(_RESENT, {"ids": ids})
        if queued:
            log.warning("queued %s events again: their reactions had not run %s s after they "
                        "were queued, and the queue no longer held them", len(queued),
                        self.grace_seconds)
            sent = set(queued)
            for event_id in (r.id for r in lost
                             if f"evt:{r.id}" in sent and r.attempts + 1 >= MAX_SENDS):
                log.error("event %s sent %s times and its reactions never all ran; it is not "
                          "sent again", event_id, MAX_SENDS)
            if self.on_enqueued is not None:
                self.on_enqueued()
        return len(rows), len(rows) - len(lost), len(queued)

    async def not_done(self) -> int:
        """Events published whose reactions have not all run yet."""
        async with self._engine.connect() as conn:
            return int(await conn.scalar(
                select(func.count()).select_from(outbox).where(
                    outbox.c.done_at.is_(None), outbox.c.published_at.is_not(None))) or 0)

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
