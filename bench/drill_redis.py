"""Fault drill: Redis loses its memory with jobs queued, against real `crm serve` and `crm worker`.

    .venv/bin/python bench/drill_redis.py [--leads 300] [--grace 5] [--outage 2] [--wait 90]

A private Redis without persistence (`--save ''`, no AOF: a cache-configured Redis) on a free
port; the API and the worker use it. The worker is paused (SIGSTOP) while the leads are
captured through the API (each one routed to a rep: a `lead.assigned` event whose consumer
tells the rep) and this script's relay queues their jobs, as a busy worker would have them
queued; then the worker resumes, and 0.5 s into its drain Redis is killed (SIGKILL) and,
`--outage` seconds later, started again empty. The script then waits for every lead's
notification (at most `--wait` seconds) and prints:

- operations: leads captured (201), and how many of their jobs were queued when Redis died;
- lost: leads whose rep was never told; duplicated: notifications beyond one per lead;
- recovered in: from Redis's restart to the last lead told.

With `--grace 3600` no event is sent again within the wait: what the relay lost before the
outbox sweep existed. `--sweep-cost N` measures the sweep itself instead (see sweep_cost).

Needs PostgreSQL (CRM_BENCH_ADMIN_URL, default postgresql://postgres@127.0.0.1:5432/test).
Works in its own database, crm_drill_redis, dropped at the end.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import asyncpg
import httpx

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from adapters.bootstrap import build  # noqa: E402
from adapters.db.engine import libpq_url  # noqa: E402
from adapters.db.migrate import upgrade  # noqa: E402
from adapters.embedded import RedisProcess  # noqa: E402
from bench import servers  # noqa: E402
from bench.leads_bench import seed_people  # noqa: E402

DB = "crm_drill_redis"
QUEUE = "crm:drill-redis"


def lead_body(n: int) -> dict[str, Any]:
    return {"name": f"访客{n}", "company": f"苏州第{n}精密机械有限公司",
            "phone": f"139{n:08d}", "email": f"drill{n}@example.com", "region": "east",
            "industry": "manufacturing", "source": "website"}


async def capture(base: str, key: str, n: int, concurrency: int = 8) -> list[str]:
    """n leads through the API, `concurrency` at a time; answers their ids."""
    ids: list[str] = []
    numbers = iter(range(n))
    async with httpx.AsyncClient(base_url=base, headers={"X-API-Key": key},
                                 timeout=30) as client:
        async def submitter() -> None:
            for i in numbers:
                r = await client.post("/api/v1/leads", json=lead_body(i))
                if r.status_code != 201:
                    raise RuntimeError(f"capture failed: {r.status_code} {r.text}")
                ids.append(r.json()["id"])

        await asyncio.gather(*(submitter() for _ in range(concurrency)))
    return ids


async def told(conn: asyncpg.Connection) -> dict[str, int]:
    rows = await conn.fetch("SELECT data->>'lead_id' AS lead_id, count(*) AS n "
                            "FROM notifications WHERE kind = 'lead_assigned' GROUP BY 1")
    return {row["lead_id"]: int(row["n"]) for row in rows}


def signal_group(proc: subprocess.Popen[bytes], sig: int) -> None:
    os.killpg(proc.pid, sig)


async def drill(args: argparse.Namespace) -> dict[str, Any]:
    admin = servers.admin_url()
    db = await servers.recreate_database(admin, DB)
    redis_dir = Path(tempfile.mkdtemp(prefix="crm-drill-redis-"))
    port = servers.free_port()
    redis = RedisProcess(redis_dir, port=port, persist=False).start()
    procs: list[subprocess.Popen[bytes]] = []
    c = None
    conn: asyncpg.Connection | None = None
    try:
        await upgrade(db)
        c = build(servers.settings(db, queue_name=QUEUE).model_copy(
            update={"redis_url": redis.url, "outbox_grace_seconds": args.grace}))
        people = await seed_people(c)
        api_port = servers.free_port()
        env = {**servers.server_env(db, api_port, QUEUE), "CRM_REDIS_URL": redis.url,
               "CRM_OUTBOX_GRACE_SECONDS": str(args.grace), "CRM_WEB_WORKERS": "1"}
        procs.append(servers.start(servers.crm("serve"), env, servers.OUT / "drill-serve.log"))
        worker = servers.start(servers.crm("worker"), env, servers.OUT / "drill-worker.log")
        procs.append(worker)
        base = f"http://127.0.0.1:{api_port}"
        servers.wait_ready(base)
        conn = await asyncpg.connect(libpq_url(db))
        # The seed's own events (users created: welcomed) handled before the drill begins.
        while (await c.relay.pending() or await conn.fetchval(
                "SELECT count(*) FROM notifications WHERE kind = 'welcome'") < len(people["reps"]) + 2):
            await asyncio.sleep(0.2)

        signal_group(worker, signal.SIGSTOP)  # busy elsewhere: the jobs wait in Redis
        ids = await capture(base, people["key"], args.leads)
        while await c.relay.relay_once():
            pass
        pool = await c.queue.pool()
        queued = int(await pool.zcard(QUEUE))
        await c.queue.close()
        signal_group(worker, signal.SIGCONT)
        await asyncio.sleep(0.5)
        redis.stop(hard=True)
        at_kill = await told(conn)
        await asyncio.sleep(args.outage)
        redis = RedisProcess(redis_dir, port=port, persist=False).start()
        restarted = time.monotonic()

        recovered: float | None = None
        deadline = restarted + args.wait
        while time.monotonic() < deadline:
            if len(await told(conn)) == len(ids):
                recovered = time.monotonic() - restarted
                break
            await asyncio.sleep(0.2)
        await asyncio.sleep(2.0)  # a second send, were there one, has time to show
        final = await told(conn)
        return {
            "leads": len(ids), "queued_at_kill": queued,
            "told_before_kill": len(at_kill),
            "lost": sum(1 for i in ids if final.get(i, 0) == 0),
            "duplicated": sum(n - 1 for n in final.values() if n > 1),
            "recovered_s": None if recovered is None else round(recovered, 1),
            "grace_s": args.grace, "outage_s": args.outage,
        }
    finally:
        if conn is not None:
            await conn.close()
        for proc in procs:
            if proc.poll() is None:
                signal_group(proc, signal.SIGCONT)
        servers.stop_all(procs)
        if c is not None:
            await c.close()
        redis.stop()
        await servers.drop_database(admin, DB)


async def sweep_cost(events: int) -> dict[str, Any]:
    """What the sweep costs when nothing was lost: `events` lead.assigned events published
    two minutes ago whose consumer has its marker, marked done by sweeps; and when all were
    lost, queued again (Redis answering, its queue empty)."""
    admin = servers.admin_url()
    db = await servers.recreate_database(admin, DB)
    redis_dir = Path(tempfile.mkdtemp(prefix="crm-drill-redis-"))
    redis = RedisProcess(redis_dir, port=servers.free_port(), persist=False).start()
    c = None
    try:
        await upgrade(db)
        c = build(servers.settings(db, queue_name=QUEUE).model_copy(
            update={"redis_url": redis.url}))
        conn = await asyncpg.connect(libpq_url(db))
        try:
            seed = f"""
                INSERT INTO outbox (id, type, aggregate_type, aggregate_id, payload,
                                    occurred_at, published_at, attempts)
                SELECT gen_random_uuid(), 'lead.assigned', 'lead', gen_random_uuid()::text,
                       '{{"lead_id": "x"}}', now(), now() - interval '2 minutes', 1
                FROM generate_series(1, {events})"""
            await conn.execute(seed)
            await conn.execute("INSERT INTO processed_events (consumer, event_id) "
                               "SELECT 'notify.lead_assigned', id FROM outbox")
            await conn.execute("ANALYZE outbox; ANALYZE processed_events")
            t0 = time.perf_counter()
            done, _ = await c.relay.resend_lost(budget_seconds=600)
            done_s = time.perf_counter() - t0
            await conn.execute(seed)  # as many again, their jobs lost
            await conn.execute("ANALYZE outbox")
            t0 = time.perf_counter()
            _, resent = await c.relay.resend_lost(budget_seconds=600)
            resent_s = time.perf_counter() - t0
        finally:
            await conn.close()
        return {"events": events, "done": done, "done_ms_per_1000": done_s / done * 1e6,
                "resent": resent, "resent_ms_per_1000": resent_s / resent * 1e6}
    finally:
        if c is not None:
            await c.close()
        redis.stop()
        await servers.drop_database(admin, DB)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--leads", type=int, default=300)
    ap.add_argument("--grace", type=float, default=5.0)
    ap.add_argument("--outage", type=float, default=2.0)
    ap.add_argument("--wait", type=float, default=90.0)
    ap.add_argument("--sweep-cost", type=int, metavar="EVENTS",
                    help="measure the sweep over EVENTS events instead of running the drill")
    args = ap.parse_args()
    if args.sweep_cost:
        cost = asyncio.run(sweep_cost(args.sweep_cost))
        print("sweep: {done} events found done, {done_ms_per_1000:.0f} ms per 1,000; "
              "{resent} lost events queued again, {resent_ms_per_1000:.0f} ms per 1,000"
              .format(**cost))
        return
    result = asyncio.run(drill(args))
    print("operations: {leads} leads captured, {queued_at_kill} jobs queued, "
          "{told_before_kill} told before Redis died".format(**result))
    print("lost: {lost}   duplicated: {duplicated}   recovered in: {recovered_s} s "
          "(grace {grace_s} s, outage {outage_s} s)".format(**result))


if __name__ == "__main__":
    main()
