"""What the per-caller rate limit costs each request, that it holds a burst to its size, and
how fast the oversized segment filters of the security probe are now refused.

    PYTHONPATH=. .venv/bin/python bench/limits_bench.py [--requests 2000]

In-process (the app over httpx's ASGI transport, no sockets) in its own database
`crm_bench_limits`; needs PostgreSQL (CRM_BENCH_ADMIN_URL) and Redis (CRM_BENCH_REDIS_URL).
Prints (a) one bucket take against Redis, (b) GET /api/v1/me with the limiter on (limits too
high to refuse) and off, alternating rounds, (c) 800 requests from 8 concurrent senders under the
default 50/s with a burst of 200, (d) the two filters of the probe.
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import time
import uuid
from typing import Any

import httpx

from adapters.bootstrap import Container, build
from adapters.db.migrate import upgrade
from adapters.web import create_web_app
from bench import servers
from domain.shared.authz import Role, system_actor

DB = "crm_bench_limits"


def client_for(container: Container) -> httpx.AsyncClient:
    transport = httpx.ASGITransport(app=create_web_app(container), client=("203.0.113.9", 1))
    return httpx.AsyncClient(transport=transport, base_url="http://crm.bench")


async def per_request_ms(client: httpx.AsyncClient, headers: dict[str, str], n: int) -> float:
    started = time.perf_counter()
    for _ in range(n):
        r = await client.get("/api/v1/me", headers=headers)
        assert r.status_code == 200, r.text
    return (time.perf_counter() - started) * 1000 / n


async def main(args: Any) -> None:
    admin = servers.admin_url()
    db = await servers.recreate_database(admin, DB)
    await upgrade(db)
    base = servers.settings(db, queue_name=f"crm:bench-limits:{uuid.uuid4().hex[:6]}")
    containers = {
        "on": build(base.model_copy(update={"rate_limit_per_second": 1e6,
                                            "rate_limit_burst": 10_000_000})),
        "off": build(base.model_copy(update={"rate_limit_enabled": False})),
        "default": build(base),
    }
    c = containers["on"]
    try:
        dept = await c.identity.create_department(system_actor("bench"), "Sales", None)
        user = await c.identity.create_user(
            system_actor("bench"), email="rep@bench.crm", name="Rep", role=Role.SALES_REP,
            department_id=dept.id, password="bench-password-1")
        token = c.identity.tokens.issue_access(user, c.clock.now())[0]
        headers = {"Authorization": f"Bearer {token}"}

        redis = c.limiter._client()
        for label, call in (("PING", lambda _: redis.ping()), (
                "take that asks Redis", lambda n: c.limiter.take(f"bench:{n}", 50, 200))):
            times = []
            for n in range(3000):  # a fresh key each time: no lease to spend
                t0 = time.perf_counter()
                await call(n)
                times.append((time.perf_counter() - t0) * 1e6)
            times.sort()
            print(f"(a) one {label}: median {statistics.median(times):.0f} µs, "
                  f"p99 {times[int(len(times) * 0.99)]:.0f} µs (3,000 sequential)")

        results: dict[str, list[float]] = {"on": [], "off": []}
        clients = {k: client_for(containers[k]) for k in ("on", "off", "default")}
        for k in ("on", "off"):  # warm-up
            await per_request_ms(clients[k], headers, 200)
        for _ in range(3):
            for k in ("on", "off"):
                results[k].append(await per_request_ms(clients[k], headers, args.requests))
        on, off = min(results["on"]), min(results["off"])
        print(f"(b) GET /api/v1/me, best of 3 rounds of {args.requests}: limiter on "
              f"{on:.3f} ms, off {off:.3f} ms per request (+{(on - off) * 1000:.0f} µs)")

        statuses: list[int] = []

        async def sender() -> None:
            for _ in range(100):
                r = await clients["default"].get("/api/v1/me", headers=headers)
                statuses.append(r.status_code)

        started = time.perf_counter()
        await asyncio.gather(*(sender() for _ in range(8)))
        took = time.perf_counter() - started
        print(f"(c) 800 requests from 8 concurrent senders in {took:.2f} s under 50/s burst "
              f"200: {statuses.count(200)} × 200 (at most {200 + 50 * took:.0f} allowed), "
              f"{statuses.count(429)} × 429")

        # the app builds a route's state on its first request: not what is measured here
        await clients["on"].post("/api/v1/segments", headers=headers,
                                 json={"name": "warm-up", "filter": {"tags_any": ["a"] * 21}})
        for label, spec in (
                ("50,000 custom keys", {"custom": {f"k{i:05d}": "x" for i in range(50_000)}}),
                ("20,000 tags_any", {"tags_any": [f"t{i}" for i in range(20_000)]})):
            t0 = time.perf_counter()
            r = await clients["on"].post("/api/v1/segments", headers=headers,
                                         json={"name": "probe", "filter": spec})
            ms = (time.perf_counter() - t0) * 1000
            print(f"(d) a segment with {label}: {r.status_code} in {ms:.0f} ms "
                  f"({r.json()['errors'][0]['message']})")
        for client in clients.values():
            await client.aclose()
    finally:
        await c.limiter.clear()
        for container in containers.values():
            await container.close()
        await servers.drop_database(admin, DB)


if __name__ == "__main__":
    ap = argparse.ArgumentParser()
    ap.add_argument("--requests", type=int, default=2000)
    asyncio.run(main(ap.parse_args()))
