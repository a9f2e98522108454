"""The RateLimiter port on Redis: a sliding window per key, a truthful Retry-After, and a
Redis outage that lets requests through (losing a lead is worse than a burst)."""

from __future__ import annotations

import asyncio
import uuid

from adapters.ratelimit import RedisRateLimiter


async def test_a_sliding_window_per_key(redis: str) -> None:
    limiter = RedisRateLimiter(redis, f"crm:test-rl:{uuid.uuid4().hex[:8]}")
    try:
        assert [await limiter.hit("a", 3, 2) for _ in range(3)] == [0, 0, 0]
        wait = await limiter.hit("a", 3, 2)
        assert 1 <= wait <= 2
        assert await limiter.hit("b", 3, 2) == 0, "keys are counted apart"
        await asyncio.sleep(2.1)
        assert await limiter.hit("a", 3, 2) == 0, "a refused hit did not count"
    finally:
        await limiter.clear()
        await limiter.close()


async def test_without_redis_requests_go_through() -> None:
    limiter = RedisRateLimiter("redis://127.0.0.1:1/0", "crm:test-rl")
    try:
        assert [await limiter.hit("a", 1, 60) for _ in range(3)] == [0, 0, 0]
    finally:
        await limiter.close()
