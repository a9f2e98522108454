"""A PostgreSQL LISTEN connection kept up for as long as asked: the outbox relay, the webhook
deliverer and the notification feed each hold one, and poll as a safety net beside it."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable

import asyncpg

from adapters.outages import OUTAGES, unavailable

log = logging.getLogger("crm.listen")


async def first_of(a: asyncio.Event, b: asyncio.Event, seconds: float | None) -> None:
    """Until either event is set, or `seconds` pass."""
    waiters = {asyncio.ensure_future(a.wait()), asyncio.ensure_future(b.wait())}
    try:
        await asyncio.wait(waiters, timeout=seconds, return_when=asyncio.FIRST_COMPLETED)
    finally:
        for w in waiters:
            w.cancel()


async def listen(url: str, channel: str, on_payload: Callable[[str], None],
                 stop: asyncio.Event, *, what: str, retry_seconds: float = 5.0,
                 on_up: Callable[[], None] | None = None,
                 on_down: Callable[[], None] | None = None) -> None:
    """Calls on_payload for each NOTIFY on the channel until `stop`; reconnects after a lost
    connection. on_up runs once listening (rows may have committed while nobody listened),
    on_down when the connection is gone. While the database is away it retries quietly (the
    outage is logged once for the process)."""
    watch = OUTAGES.watch(f"LISTEN for {what}", first_wait=min(1.0, retry_seconds),
                          max_wait=retry_seconds)
    try:
        while not stop.is_set():
            conn = None
            try:
                conn = await asyncpg.connect(url, timeout=5)
                lost = asyncio.Event()
                conn.add_termination_listener(lambda _c, lost=lost: lost.set())
                await conn.add_listener(channel, lambda _c, _pid, _ch, payload: on_payload(payload))
                watch.recovered()
                if on_up is not None:
                    on_up()
                await first_of(stop, lost, None)
            except Exception as e:  # whatever it was, polling goes on and we try again
                outage = unavailable(e)
                if outage is None:
                    log.warning("cannot LISTEN for %s (%r); retrying in %s s", what, e,
                                retry_seconds)
                await first_of(stop, asyncio.Event(),
                               retry_seconds if outage is None else watch.failed(outage))
            finally:
                if on_down is not None:
                    on_down()
                if conn is not None:
                    with contextlib.suppress(Exception):
                        await conn.close(timeout=2)
    finally:
        watch.close()
