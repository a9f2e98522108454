"""Rate limits on Redis: a sliding window per key and a token bucket per key, each with a
truthful Retry-After, and a Redis outage that lets requests through (losing a lead, or the
whole API, is worse than a burst)."""

from __future__ import annotations

import asyncio
import logging
import uuid

import pytest

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


async def test_a_token_bucket_per_key_refills_at_its_rate(redis: str) -> None:
    limiter = RedisRateLimiter(redis, f"crm:test-rl:{uuid.uuid4().hex[:8]}")
    try:
        first, second, third = [await limiter.take("a", 0.01, 2) for _ in range(3)]
        assert first and first.allowed and first.remaining == 1
        assert second and second.allowed and second.remaining == 0
        assert third and not third.allowed and third.remaining == 0
        assert 90 <= third.retry_after <= 100, "one token every 100 s"
        other = await limiter.take("b", 0.01, 2)
        assert other and other.allowed, "keys are counted apart"
        quick = [await limiter.take("c", 1, 1) for _ in range(2)]
        assert [a.allowed for a in quick if a] == [True, False]
        await asyncio.sleep(1.1)  # one a second: a token is back
        again = await limiter.take("c", 20, 1)
        assert again and again.allowed
    finally:
        await limiter.clear()
        await limiter.close()


async def test_without_redis_the_buckets_let_everything_through_and_say_so_once(
        caplog: pytest.LogCaptureFixture) -> None:
    limiter = RedisRateLimiter("redis://127.0.0.1:1/0", "crm:test-rl")
    try:
        with caplog.at_level(logging.WARNING, logger="crm.ratelimit"):
            assert [await limiter.take("a", 0.01, 1) for _ in range(5)] == [None] * 5
        assert len(caplog.records) == 1, [r.getMessage() for r in caplog.records]
    finally:
        await limiter.close()


async def test_a_busy_callers_process_takes_a_few_tokens_at_once_never_more_than_granted(
        redis: str) -> None:
    prefix = f"crm:test-rl:{uuid.uuid4().hex[:8]}"
    one, other = RedisRateLimiter(redis, prefix), RedisRateLimiter(redis, prefix)
    try:
        takes = [await one.take("busy", 0.01, 1000) for _ in range(20)]
        assert [a.remaining for a in takes if a and a.allowed] == list(range(999, 979, -1))
        client = one._client()
        stored = float(await client.hget(f"{prefix}:bucket:busy", "tokens") or 0)
        assert 980 <= stored < 981, "two grants of 10 tokens, nothing spent beyond them"
        seen = await other.take("busy", 0.01, 1000)  # another web process: Redis' count
        assert seen and seen.allowed and seen.remaining == 979
        # Near empty, every request asks for its own token: the limit is exact.
        small = [await one.take("near-empty", 0.01, 30) for _ in range(31)]
        assert [bool(a and a.allowed) for a in small] == [True] * 30 + [False]
    finally:
        await one.clear()
        await one.close()
        await other.close()
