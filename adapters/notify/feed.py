"""New notifications as they commit, for the SSE stream: one LISTEN connection per process.

A trigger on `notifications` NOTIFYs `crm_notifications` with the row's id and user; this hub
hands each id to the streams of that user, which load the row and send it. NOTIFY is delivered
on commit, so a stream never shows a notification that was rolled back.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import uuid
from typing import Any

from sqlalchemy import select, tuple_
from sqlalchemy.ext.asyncio import AsyncEngine

from adapters.db import tables
from adapters.db.listen import listen
from adapters.db.notifications import notification_of
from domain.notifications.model import Notification
from domain.notifications.ports import FeedClosed

log = logging.getLogger("crm.feed")

CHANNEL = "crm_notifications"
_CLOSED = object()


class _Subscription:
    def __init__(self, feed: PgNotificationFeed, user_id: uuid.UUID) -> None:
        self.feed = feed
        self.user_id = user_id
        self.queue: asyncio.Queue[Any] = asyncio.Queue()

    async def next(self, wait_seconds: float) -> Notification | None:
        try:
            item = await asyncio.wait_for(self.queue.get(), wait_seconds)
        except TimeoutError:
            return None
        if item is _CLOSED:
            raise FeedClosed()
        return await self.feed.load(item, self.user_id)

    def close(self) -> None:
        self.feed.unsubscribe(self)


class PgNotificationFeed:
    def __init__(self, engine: AsyncEngine, listen_url: str) -> None:
        self._engine = engine
        self._url = listen_url
        self._subs: dict[uuid.UUID, set[_Subscription]] = {}
        self._task: asyncio.Task[None] | None = None
        self._ready = asyncio.Event()
        self._stop = asyncio.Event()

    @property
    def subscribers(self) -> int:
        return sum(len(s) for s in self._subs.values())

    async def subscribe(self, user_id: uuid.UUID) -> _Subscription:
        if self._stop.is_set():
            raise FeedClosed()
        if self._task is None or self._task.done():
            self._task = asyncio.create_task(self._listen())
        sub = _Subscription(self, user_id)
        self._subs.setdefault(user_id, set()).add(sub)
        # Listening before the stream says it is connected: nothing committed after that
        # moment is missed (unless the database connection drops; clients then re-read).
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._ready.wait(), 5)
        return sub

    def unsubscribe(self, sub: _Subscription) -> None:
        subs = self._subs.get(sub.user_id)
        if subs is not None:
            subs.discard(sub)
            if not subs:
                del self._subs[sub.user_id]

    async def load(self, notification_id: uuid.UUID, user_id: uuid.UUID
                   ) -> Notification | None:
        rows = tables.notifications
        async with self._engine.connect() as conn:
            row = (await conn.execute(select(rows).where(
                rows.c.id == notification_id, rows.c.user_id == user_id))).first()
        return notification_of(row) if row else None

    async def since(self, user_id: uuid.UUID, notification_id: uuid.UUID,
                    limit: int) -> list[Notification]:
        rows = tables.notifications
        last = select(rows.c.created_at, rows.c.id).where(
            rows.c.id == notification_id, rows.c.user_id == user_id).cte("last")
        async with self._engine.connect() as conn:
            found = (await conn.execute(
                select(rows).join(last, tuple_(rows.c.created_at, rows.c.id)
                                  > tuple_(last.c.created_at, last.c.id))
                .where(rows.c.user_id == user_id).order_by(rows.c.created_at, rows.c.id)
                .limit(limit)
            )).all()
        return [notification_of(r) for r in found]

    def _heard(self, payload: str) -> None:
        try:
            data = json.loads(payload)
            user_id, notification_id = uuid.UUID(data["user_id"]), uuid.UUID(data["id"])
        except (ValueError, KeyError, TypeError):
            log.warning("ignoring a malformed %s payload: %r", CHANNEL, payload[:200])
            return
        for sub in self._subs.get(user_id, ()):
            sub.queue.put_nowait(notification_id)

    async def _listen(self) -> None:
        await listen(self._url, CHANNEL, self._heard, self._stop, what="notifications",
                     retry_seconds=2.0, on_up=self._ready.set, on_down=self._ready.clear)

    async def close(self) -> None:
        """Ends every open stream (shutdown) and the LISTEN connection."""
        self._stop.set()
        for subs in list(self._subs.values()):
            for sub in list(subs):
                sub.queue.put_nowait(_CLOSED)
        task, self._task = self._task, None
        if task is not None:
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await asyncio.wait_for(task, 5)
