"""The outbox relay: moves committed outbox rows to the job queue.

A row is marked published in the same transaction that enqueued it; if Redis is away the
transaction rolls back and the rows wait. Enqueueing uses the event id as the job id, so a row
relayed twice (a crash between enqueue and commit) is still one job.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging

from sqlalchemy import func, select, update
from sqlalchemy.ext.asyncio import AsyncEngine

from adapters.db import tables as t
from domain.ports import JobName, JobQueue, QueueUnavailable

log = logging.getLogger("crm.outbox")


class OutboxRelay:
    def __init__(self, engine: AsyncEngine, queue: JobQueue, *, batch: int = 200,
                 interval: float = 0.1, max_backoff: float = 5.0) -> None:
        self._engine = engine
        self._queue = queue
        self._batch = batch
        self._interval = interval
        self._max_backoff = max_backoff

    async def relay_once(self) -> int:
        """Relays one batch; answers how many events went out. Raises QueueUnavailable."""
        o = t.outbox
        async with self._engine.connect() as conn, conn.begin():
            ids = list((await conn.execute(
                select(o.c.id).where(o.c.published_at.is_(None)).order_by(o.c.seq)
                .limit(self._batch).with_for_update(skip_locked=True)
            )).scalars())
            if not ids:
                return 0
            for event_id in ids:
                await self._queue.enqueue(JobName.HANDLE_EVENT, str(event_id),
                                          job_id=f"evt:{event_id}")
            await conn.execute(update(o).where(o.c.id.in_(ids)).values(
                published_at=func.now(), attempts=o.c.attempts + 1))
        return len(ids)

    async def pending(self) -> int:
        o = t.outbox
        async with self._engine.connect() as conn:
            return int(await conn.scalar(
                select(func.count()).select_from(o).where(o.c.published_at.is_(None))) or 0)

    async def run(self, stop: asyncio.Event) -> None:
        backoff = self._interval
        while not stop.is_set():
            try:
                sent = await self.relay_once()
                backoff = self._interval
                if sent:
                    continue
            except QueueUnavailable as e:
                log.warning("queue unavailable, outbox keeps the events: %s", e)
                backoff = min(backoff * 2, self._max_backoff)
            except Exception:
                log.exception("outbox relay failed; retrying")
                backoff = min(backoff * 2, self._max_backoff)
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), backoff)
