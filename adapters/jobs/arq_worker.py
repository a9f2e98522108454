"""The one place that reaches inside arq: a Worker that claims a job in one Redis round trip and
polls at once when told that jobs were just queued.

Both overrides replace a public method of arq's Worker and use the state it shares with the
rest of the class (the semaphore, the job counter, the tasks). pyproject.toml pins arq to the
releases whose Worker these were written against, and tests/unit/test_arq_worker.py fails when
the methods replaced here change upstream: read the new release's worker before allowing it.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator, Callable
from typing import Any

from arq.connections import create_pool, log_redis_info
from arq.constants import in_progress_key_prefix
from arq.utils import timestamp_ms
from arq.worker import Worker

from adapters.outages import unavailable

log = logging.getLogger("crm.worker")

# arq claims a job in four round trips (WATCH, EXISTS, ZSCORE, then MULTI/PSETEX/EXEC); this
# script does the same checks and the same write in one, atomically as a script runs in Redis:
# not already in progress, still queued, due; then the in-progress key with its timeout.
# Answers the job's score, or 0 when another worker has it or it is not due.
CLAIM_SCRIPT = """
if redis.call('exists', KEYS[1]) == 1 then return 0 end
local score = redis.call('zscore', KEYS[2], ARGV[1])
if not score or tonumber(score) > tonumber(ARGV[2]) then return 0 end
redis.call('psetex', KEYS[1], ARGV[3], '1')
return tonumber(score)
"""


def _said_once(task: asyncio.Task[None]) -> None:
    """A job whose bookkeeping in Redis failed because Redis went away raises out of its task,
    which a worker that lost Redis never awaits: asyncio would log each such task with a
    traceback ("Task exception was never retrieved"). The outage is told once by the worker
    loop; anything else is logged here."""
    if task.cancelled():
        return
    exc = task.exception()
    if exc is not None and unavailable(exc) is None:
        log.error("a job's task failed", exc_info=exc)


class PromptWorker(Worker):
    """arq's Worker with two changes: a job is claimed in one round trip, and the idle wait
    between polls ends as soon as `wake` is set (the outbox relay in the same process sets it
    when it has queued jobs), instead of at the next tick."""

    def __init__(self, *args: Any, wake: asyncio.Event | None = None,
                 on_connected: Callable[[], None] | None = None, **kwargs: Any) -> None:
        """`on_connected` is told when the worker has reached Redis (an outage is over)."""
        super().__init__(*args, **kwargs)
        self.wake = wake or asyncio.Event()
        self.on_connected = on_connected
        self._claim: Any = None

    async def main(self) -> None:
        """arq's Worker.main, with the wakeable poll in place of arq.utils.poll."""
        if self._pool is None:
            self._pool = await create_pool(
                self.redis_settings, job_deserializer=self.job_deserializer,
                job_serializer=self.job_serializer, default_queue_name=self.queue_name,
                expires_extra_ms=self.expires_extra_ms)
        log.info("Starting worker for %d functions: %s", len(self.functions),
                 ", ".join(self.functions))
        await log_redis_info(self.pool, log.info)
        if self.on_connected is not None:
            self.on_connected()
        self.ctx["redis"] = self.pool
        if self.on_startup:
            await self.on_startup(self.ctx)
        async for _ in self._prompt_poll():
            await self._poll_iteration()
            if self.burst:
                if 0 <= self.max_burst_jobs <= self._jobs_started():
                    await asyncio.gather(*self.tasks.values())
                    return None
                if await self.pool.zcard(self.queue_name) == 0:
                    await asyncio.gather(*self.tasks.values())
                    return None

    async def _prompt_poll(self) -> AsyncIterator[None]:
        loop = asyncio.get_running_loop()
        while True:
            before = loop.time()
            yield None
            wait = max(0.0, self.poll_delay_s - (loop.time() - before))
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self.wake.wait(), wait)
            self.wake.clear()

    async def start_jobs(self, job_ids: list[bytes]) -> None:
        """arq's Worker.start_jobs, its claim (WATCH, EXISTS, ZSCORE, MULTI/EXEC) done by one
        script."""
        if self._claim is None:
            self._claim = self.pool.register_script(CLAIM_SCRIPT)  # EVALSHA, loaded once
        timeout_ms = int(self.in_progress_timeout_s * 1000)
        for job_id_b in job_ids:
            await self.sem.acquire()
            if self.job_counter >= self.max_jobs:
                self.sem.release()
                return None
            self.job_counter = self.job_counter + 1
            job_id = job_id_b.decode()
            score = int(await self._claim(keys=[in_progress_key_prefix + job_id, self.queue_name],
                                          args=[job_id, timestamp_ms(), timeout_ms]))
            if not score:  # another worker has it, it finished, or it was deferred
                self.job_counter = self.job_counter - 1
                self.sem.release()
                continue
            task = self.loop.create_task(self.run_job(job_id, score))
            task.add_done_callback(lambda _: self._release_sem_dec_counter_on_complete())
            task.add_done_callback(_said_once)
            self.tasks[job_id] = task
