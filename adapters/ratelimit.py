"""Rate limits on Redis, two ways:

- the RateLimiter port: a sliding-window log per key (a sorted set of hits), for a few
  requests per minute (public forms, log-ins). A refused hit is taken out again, so
  Retry-After is the truth: one slot frees up then.
- the TokenBuckets port: a token bucket per key, taken from in one Lua script (atomic across
  web processes, on Redis' own clock), for the per-caller limit on every API request; a busy
  caller's process takes a few tokens at a time (see LEASE_SHARE).

If Redis is away both let requests through: losing a genuine lead, or the whole API, is worse
than a burst. The buckets say so once per outage (they are asked on every request) and do not
ask again for a few seconds, so an unreachable Redis costs no request a connect timeout.
"""

from __future__ import annotations

import contextlib
import logging
import math
import time
import uuid
from dataclasses import dataclass

from redis.asyncio import Redis
from redis.commands.core import AsyncScript
from redis.exceptions import RedisError

from domain.shared.ports import Allowance

log = logging.getLogger("crm.ratelimit")

# KEYS[1]: the bucket; ARGV: tokens per second, burst, the share of the tokens left a web
# process may take at once, the most it may take. Returns {tokens granted, tokens left}. Time
# is kept in whole milliseconds (exact in a Lua number, unlike seconds with a fraction).
TAKE_TOKENS = """
local per_ms = tonumber(ARGV[1]) / 1000
local burst = tonumber(ARGV[2])
local share = tonumber(ARGV[3])
local most = tonumber(ARGV[4])
local clock = redis.call('TIME')
local now = tonumber(clock[1]) * 1000 + math.floor(tonumber(clock[2]) / 1000)
local bucket = redis.call('HMGET', KEYS[1], 'tokens', 'at')
local tokens = tonumber(bucket[1]) or burst
local at = tonumber(bucket[2]) or now
tokens = math.min(burst, tokens + math.max(0, now - at) * per_ms)
local granted = 0
if tokens >= 1 then
  granted = math.max(1, math.min(most, math.floor(tokens * share)))
  tokens = tokens - granted
end
redis.call('HSET', KEYS[1], 'tokens', tostring(tokens), 'at', tostring(now))
redis.call('PEXPIRE', KEYS[1], math.ceil(burst / per_ms) + 1000)
return {granted, tostring(tokens)}
"""

# A busy caller's requests need not each ask Redis: while its bucket is well filled, a web
# process takes a few tokens at once (a twentieth of those left, at most ten) and spends them
# itself for up to a second. The limit is never exceeded (what a process spends Redis has
# granted); tokens a process leaves unspent are lost, which only a bucket far from empty can
# afford. Near empty each request asks for its one token, and the limit is exact.
LEASE_SHARE = 0.05
LEASE_MOST = 10
LEASE_SECONDS = 1.0
LEASES_KEPT = 10_000  # callers remembered per process before the expired ones are dropped

# After a failed call the buckets are not asked again for this long.
PAUSE_AFTER_FAILURE_SECONDS = 5.0


@dataclass
class _Lease:
    """Tokens a web process took from a bucket and spends itself until `until`."""

    left: int
    until: float  # time.monotonic()
    behind: int  # tokens the bucket held in Redis after the grant
    full_in: int


class RedisRateLimiter:
    def __init__(self, url: str, prefix: str) -> None:
        self._url = url
        self._prefix = prefix
        self._redis: Redis | None = None
        self._take: AsyncScript | None = None
        self._paused_until = 0.0
        self._down = False
        self._leases: dict[str, _Lease] = {}

    def _client(self) -> Redis:
        if self._redis is None:
            self._redis = Redis.from_url(self._url, socket_timeout=1, socket_connect_timeout=1)
            self._take = self._redis.register_script(TAKE_TOKENS)
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

    async def take(self, key: str, per_second: float, burst: int) -> Allowance | None:
        now = time.monotonic()
        lease = self._leases.get(key)
        if lease is not None and lease.left > 0 and lease.until > now:
            lease.left -= 1
            return Allowance(allowed=True, remaining=lease.behind + lease.left, retry_after=0,
                             full_in=lease.full_in)
        if self._paused_until > now:
            return None
        self._client()
        assert self._take is not None
        try:
            granted, left = await self._take(keys=[f"{self._prefix}:bucket:{key}"],
                                             args=[per_second, burst, LEASE_SHARE, LEASE_MOST])
        except (RedisError, OSError) as e:
            if not self._down:
                log.warning("rate limits are off while Redis is unavailable: %r", e)
                self._down = True
            self._paused_until = time.monotonic() + PAUSE_AFTER_FAILURE_SECONDS
            return None
        if self._down:
            log.warning("Redis answers again: rate limits apply")
            self._down = False
        tokens, granted = float(left), int(granted)
        full_in = math.ceil(max(0.0, burst - tokens) / per_second)
        self._leases.pop(key, None)
        if granted > 1:
            self._keep(key, _Lease(left=granted - 1, until=now + LEASE_SECONDS,
                                   behind=math.floor(tokens), full_in=full_in))
        return Allowance(
            allowed=granted > 0, remaining=math.floor(tokens) + max(0, granted - 1),
            retry_after=0 if granted else max(1, math.ceil((1 - tokens) / per_second)),
            full_in=full_in)

    def _keep(self, key: str, lease: _Lease) -> None:
        if len(self._leases) >= LEASES_KEPT:
            now = time.monotonic()
            self._leases = {k: v for k, v in self._leases.items() if v.until > now}
        if len(self._leases) < LEASES_KEPT:
            self._leases[key] = lease

    async def clear(self) -> None:
        """Forgets every counter under this prefix (tests start each case afresh)."""
        client = self._client()
        self._leases.clear()
        keys = [k async for k in client.scan_iter(match=f"{self._prefix}:*")]
        if keys:
            await client.delete(*keys)

    async def close(self) -> None:
        redis, self._redis, self._take = self._redis, None, None
        if redis is not None:
            with contextlib.suppress(RedisError, OSError):
                await redis.aclose()
