"""The RateLimiter port on Redis: a sliding-window log per key (a sorted set of hits).

A refused hit is taken out again, so Retry-After is the truth: one slot frees up then. If Redis
is away the limiter lets requests through (and logs it): losing a genuine lead is worse than a
burst.
"""

from __future__ import annotations

import contextlib
import logging
import math
import time
import uuid

from redis.asyncio import Redis
from redis.exceptions import RedisError

log = logging.getLogger("crm.ratelimit")


class RedisRateLimiter:
    def __init__(self, url: str, prefix: str) -> None:
        self._url = url
        self._prefix = prefix
        self._redis: Redis | None = None

    def _client(self) -> Redis:
        if self._redis is None:
            self._redis = Redis.from_url(self._url, socket_timeout=1, socket_connect_timeout=1)
        return self._redis

    async def hit(self, key: str, limit: int, window_seconds: int) -> int:
        now = time.time()
        k = f"{self._prefix}:{key}"
        member = f"{now:.6f}:{uuid.uuid4().hex[:8]}"
        try:
            async with self._client().pipeline(transaction=True) as pipe:
                pipe.zremrangebyscore(k, 0, now - window_seconds)
                pipe.zadd(k, {member: now})
                pipe.zcard(k)
                pipe.zrange(k, 0, 0, withscores=True)
                pipe.expire(k, window_seconds + 1)
                _, _, count, oldest, _ = await pipe.execute()
            if count <= limit:
                return 0
            await self._client().zrem(k, member)
        except (RedisError, OSError) as e:
            log.warning("rate limiter unavailable, letting the request through: %r", e)
            return 0
        first = oldest[0][1] if oldest else now
        return max(1, math.ceil(first + window_seconds - now))

    async def clear(self) -> None:
        """Forgets every counter under this prefix (tests start each case afresh)."""
        client = self._client()
        keys = [k async for k in client.scan_iter(match=f"{self._prefix}:*")]
        if keys:
            await client.delete(*keys)

    async def close(self) -> None:
        redis, self._redis = self._redis, None
        if redis is not None:
            with contextlib.suppress(RedisError, OSError):
                await redis.aclose()
