"""The JobQueue port on arq/Redis. arq stays behind this port so it can be replaced."""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Sequence
from datetime import timedelta
from typing import Any

from arq import create_pool
from arq.connections import ArqRedis, RedisSettings
from arq.constants import in_progress_key_prefix, job_key_prefix
from arq.jobs import serialize_job
from arq.utils import timestamp_ms, to_ms
from redis.exceptions import RedisError

from domain.shared.ports import JobName, QueueUnavailable

log = logging.getLogger("crm.queue")

# A job not started within this window is dropped by arq; long enough for any outage we plan for.
JOB_EXPIRY = timedelta(days=7)

# KEYS: the queue, then each job's key and in-progress key; ARGV: the score (now) and the job
# key's lifetime in ms, then each job's id and serialized job. Queues the jobs Redis holds
# neither queued nor running; answers their ids.
ENQUEUE_ABSENT_SCRIPT = """
local queued = {}
for i = 2, #KEYS, 2 do
  local id = ARGV[i + 1]
  if redis.call('exists', KEYS[i]) == 0 and redis.call('exists', KEYS[i + 1]) == 0 then
    redis.call('psetex', KEYS[i], ARGV[2], ARGV[i + 2])
    redis.call('zadd', KEYS[1], ARGV[1], id)
    queued[#queued + 1] = id
  end
end
return queued
"""


def redis_settings(url: str) -> RedisSettings:
    settings = RedisSettings.from_dsn(url)
    # Fail fast: the outbox keeps events safe while Redis is away, so no long retry loops here.
    settings.conn_retries = 0
    settings.conn_timeout = 2
    return settings


class ArqQueue:
    def __init__(self, url: str, queue_name: str) -> None:
        self._settings = redis_settings(url)
        self.queue_name = queue_name
        self._pool: ArqRedis | None = None
        self._enqueue_absent: Any = None

    async def pool(self) -> ArqRedis:
        if self._pool is None:
            self._pool = await create_pool(self._settings, default_queue_name=self.queue_name)
        return self._pool

    async def enqueue(self, job: JobName, *args: Any, job_id: str) -> None:
        try:
            pool = await self.pool()
            await pool.enqueue_job(job.value, *args, _job_id=job_id, _expires=JOB_EXPIRY)
        except (RedisError, OSError, ConnectionError) as e:
            await self._drop_pool()
            raise QueueUnavailable(str(e)) from e

    async def enqueue_many(self, job: JobName,
                           jobs: Sequence[tuple[tuple[Any, ...], str]]) -> None:
        """What arq's enqueue_job writes, for every job in one MULTI/EXEC: one round trip in
        all instead of three a job. Without enqueue_job's check that the id is not already
        queued (a WATCH and an EXISTS): the queue is a sorted set, so an id queued twice is
        there once; a job running under that id removes it from the queue when it ends; and
        the outbox's consumers are idempotent besides."""
        if not jobs:
            return
        try:
            pool = await self.pool()
            now = timestamp_ms()
            expires = to_ms(JOB_EXPIRY)
            async with pool.pipeline(transaction=True) as pipe:
                for args, job_id in jobs:
                    pipe.psetex(job_key_prefix + job_id, expires, serialize_job(
                        job.value, args, {}, None, now, serializer=pool.job_serializer))
                pipe.zadd(self.queue_name, {job_id: now for _, job_id in jobs})
                await pipe.execute()
        except (RedisError, OSError, ConnectionError) as e:
            await self._drop_pool()
            raise QueueUnavailable(str(e)) from e

    async def enqueue_absent(self, job: JobName,
                             jobs: Sequence[tuple[tuple[Any, ...], str]]) -> list[str]:
        """The check arq's enqueue_job makes (the id is neither queued nor running), for every
        job in one script: a job Redis still holds is left as it is (a deferred retry keeps its
        time), one it lost is queued. Answers the ids queued."""
        if not jobs:
            return []
        try:
            pool = await self.pool()
            if self._enqueue_absent is None:
                self._enqueue_absent = pool.register_script(ENQUEUE_ABSENT_SCRIPT)
            keys = [self.queue_name]
            values: list[Any] = [timestamp_ms(), to_ms(JOB_EXPIRY)]
            for args, job_id in jobs:
                keys += [job_key_prefix + job_id, in_progress_key_prefix + job_id]
                values += [job_id, serialize_job(job.value, args, {}, None, values[0],
                                                 serializer=pool.job_serializer)]
            queued = await self._enqueue_absent(keys=keys, args=values)
        except (RedisError, OSError, ConnectionError) as e:
            await self._drop_pool()
            raise QueueUnavailable(str(e)) from e
        return [i.decode() if isinstance(i, bytes) else str(i) for i in queued]

    async def ping(self) -> bool:
        try:
            pool = await self.pool()
            return bool(await pool.ping())
        except (RedisError, OSError, ConnectionError):
            await self._drop_pool()
            return False

    async def _drop_pool(self) -> None:
        pool, self._pool = self._pool, None
        self._enqueue_absent = None
        if pool is not None:
            with contextlib.suppress(RedisError, OSError, ConnectionError):
                await pool.aclose()

    async def close(self) -> None:
        await self._drop_pool()
