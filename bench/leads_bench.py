"""Leads and the pipeline under load, through HTTP against real `crm serve` and `crm worker`.

    .venv/bin/python bench/leads_bench.py [--seconds 30] [--submitters 8]
                                          [--deals 100000] [--board-seconds 20] [--connections 4]

(a) capture → assigned → notification committed: each submitter POSTs a lead (an integration's
    API key, region east, so every capture routes round-robin in ONE department of five reps),
    then waits for the assignee's in-app notification. The clock runs from just
    before the request is sent to the moment PostgreSQL delivers the NOTIFY of a bench-only
    trigger on `notifications`, which it does when the worker's transaction commits (the
    trigger reads the lead id from the notification itself, whichever transaction wrote it).
(b) GET /api/v1/opportunities?view=board for a pipeline with 100,000 open opportunities
    (seeded with COPY), as an administrator who sees them all, with wrk.

Needs PostgreSQL (CRM_BENCH_ADMIN_URL, default postgresql://postgres@127.0.0.1:5432/test),
Redis (CRM_BENCH_REDIS_URL, default redis://127.0.0.1:6379/0) and wrk. Works in its own
database, crm_bench_leads, dropped at the end. Servers and load generator share the machine.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import statistics
import subprocess
import sys
import time
import uuid
from pathlib import Path
from typing import Any

import asyncpg

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from adapters.bootstrap import Container, build  # noqa: E402
from adapters.db.engine import libpq_url  # noqa: E402
from adapters.db.migrate import upgrade  # noqa: E402
from bench import servers  # noqa: E402
from bench.leads_board import board_bench  # noqa: E402
from bench.measure import cpu_seconds, pct, postgres_cpu_seconds  # noqa: E402
from domain.leads.routing import RoutingRule, RoutingSettings  # noqa: E402
from domain.shared.authz import Role, Scope, system_actor  # noqa: E402

DB = "crm_bench_leads"
PORT = 8110

NOTIFY_TRIGGER = [
    """CREATE FUNCTION bench_notification() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
        PERFORM pg_notify('bench_notification', coalesce(NEW.data->>'lead_id', ''));
        RETURN NULL;
    END $$""",
    """CREATE TRIGGER bench_notification AFTER INSERT ON notifications
        FOR EACH ROW EXECUTE FUNCTION bench_notification()""",
]


async def seed_people(c: Container) -> dict[str, Any]:
    sys_actor = system_actor("bench")
    hq = await c.identity.create_department(sys_actor, "HQ", None)
    east = await c.identity.create_department(sys_actor, "East sales", hq.id)
    admin = await c.identity.create_user(sys_actor, email="admin@bench.crm", name="Admin",
                                         role=Role.ADMIN, department_id=hq.id,
                                         password="bench-password-1")
    await c.identity.create_user(sys_actor, email="manager@bench.crm", name="Manager",
                                 role=Role.MANAGER, department_id=east.id,
                                 password="bench-password-1")
    reps = [await c.identity.create_user(sys_actor, email=f"rep{i}@bench.crm", name=f"Rep {i}",
                                         role=Role.SALES_REP, department_id=east.id,
                                         password="bench-password-1") for i in range(5)]
    await c.lead_settings.set_routing(sys_actor, RoutingSettings(rules=(RoutingRule(
        id=uuid.uuid4(), name="East", department_id=east.id, regions=("east",)),)), None)
    _, key = await c.identity.create_api_key(sys_actor, "bench website sync",
                                             {Scope.LEADS_WRITE, Scope.LEADS_READ})
    token, _ = c.identity.tokens.issue_access(admin, c.clock.now())
    return {"east": east, "admin": admin, "reps": reps, "key": key, "token": token}


# ---- (a) capture → notification ----------------------------------------------------------------


class Connection:
    """A bare HTTP/1.1 keep-alive connection: a POST, its status and JSON body. The load
    generator shares the two cores with the servers; httpx cost ~3 ms of CPU per request,
    this ~0.5 ms, which leaves the rest to the system being measured."""

    def __init__(self, host: str, port: int, headers: dict[str, str]) -> None:
        self.host, self.port = host, port
        self.head = "".join(f"{k}: {v}\r\n" for k, v in headers.items())
        self.reader: asyncio.StreamReader | None = None
        self.writer: asyncio.StreamWriter | None = None
        self.used = 0.0

    async def post(self, path: str, body: dict[str, Any]) -> tuple[int, Any]:
        if self.writer is not None and time.monotonic() - self.used > 4:
            await self.close()  # uvicorn closes a keep-alive connection idle for 5 s
        if self.writer is None:
            self.reader, self.writer = await asyncio.open_connection(self.host, self.port)
        assert self.reader is not None
        data = json.dumps(body).encode()
        self.writer.write(
            (f"POST {path} HTTP/1.1\r\nHost: {self.host}\r\n{self.head}"
             f"Content-Type: application/json\r\nContent-Length: {len(data)}\r\n\r\n"
             ).encode() + data)
        head = (await self.reader.readuntil(b"\r\n\r\n")).decode("latin-1").split("\r\n")
        status = int(head[0].split()[1])
        length = next(int(h.split(":", 1)[1]) for h in head
                      if h.lower().startswith("content-length:"))
        answer = json.loads(await self.reader.readexactly(length))
        self.used = time.monotonic()
        return status, answer

    async def close(self) -> None:
        if self.writer is not None:
            self.writer.close()
            self.reader = self.writer = None


async def capture_bench(base: str, db: str, key: str, seconds: int, submitters: int,
                        think_ms: float, burst_gap_ms: float | None = None,
                        region: str = "east") -> dict[str, float]:
    """Each submitter: (think,) submit, wait for the notification, again. think_ms = 0 is a
    flat-out closed loop (it measures capacity: at saturation latency is queueing); a think
    time (exponential, this mean) is people and integrations submitting as they do.

    With burst_gap_ms the submitters move together: all of them submit at the same moment,
    each waits for its notification, and when the last one has it they all wait the gap and
    submit again (eight people pressing "send" at once, over and over)."""
    loop = asyncio.get_running_loop()
    waiting: dict[str, asyncio.Future[float]] = {}
    early: dict[str, float] = {}

    def on_notify(_conn: Any, _pid: int, _channel: str, lead_id: str) -> None:
        at = time.perf_counter()
        fut = waiting.get(lead_id)
        if fut is not None and not fut.done():
            fut.set_result(at)
        else:
            early[lead_id] = at

    listener = await asyncpg.connect(libpq_url(db))
    await listener.add_listener("bench_notification", on_notify)
    e2e: list[float] = []
    response: list[float] = []
    counter = iter(range(10**9))
    warm_until = time.monotonic() + 3
    stop_at = warm_until + seconds
    host, port = base.removeprefix("http://").split(":")
    clients = [Connection(host, int(port), {"X-API-Key": key}) for _ in range(submitters)]

    async def one(client: Connection) -> None:
        n = next(counter)
        body = {"name": f"访客{n}", "company": f"苏州第{n}精密机械有限公司",
                "phone": f"139{n:08d}", "email": f"visitor{n}@example.com",
                "region": region, "industry": "manufacturing", "budget": "300000",
                "message": "想了解二期产线的报价", "source": "website"}
        t0 = time.perf_counter()
        status, answer = await client.post("/api/v1/leads", body)
        t1 = time.perf_counter()
        if status != 201:
            raise RuntimeError(f"capture failed: {status} {answer}")
        lead_id = answer["id"]
        if lead_id in early:
            notified = early.pop(lead_id)
        else:
            fut: asyncio.Future[float] = loop.create_future()
            waiting[lead_id] = fut
            notified = await asyncio.wait_for(fut, 30)
            waiting.pop(lead_id, None)
        if time.monotonic() > warm_until:
            e2e.append((notified - t0) * 1000)
            response.append((t1 - t0) * 1000)

    async def submitter(client: Connection) -> None:
        rng = random.Random()
        while time.monotonic() < stop_at:
            if think_ms:
                await asyncio.sleep(rng.expovariate(1000 / think_ms))
            await one(client)

    async def together() -> None:
        while time.monotonic() < stop_at:
            await asyncio.gather(*[one(c) for c in clients])
            await asyncio.sleep((burst_gap_ms or 0) / 1000)

    started = time.monotonic()
    try:
        if burst_gap_ms is not None:
            await together()
        else:
            await asyncio.gather(*[submitter(c) for c in clients])
    finally:
        for c in clients:
            await c.close()
    elapsed = time.monotonic() - started - 3
    await listener.close()
    return {"n": len(e2e), "per_s": len(e2e) / elapsed,
            "e2e_p50": statistics.median(e2e), "e2e_p95": pct(e2e, 95),
            "e2e_p99": pct(e2e, 99), "e2e_max": max(e2e),
            "resp_p50": statistics.median(response), "resp_p99": pct(response, 99)}


async def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--seconds", type=int, default=30)
    ap.add_argument("--submitters", type=int, default=8)
    ap.add_argument("--deals", type=int, default=100_000)
    ap.add_argument("--board-seconds", type=int, default=20)
    ap.add_argument("--connections", type=int, default=4)
    ap.add_argument("--only", choices=["capture", "board"], default=None)
    ap.add_argument("--workers", type=int, default=None,
                    help="web processes of crm serve (CRM_WEB_WORKERS; default: its own)")
    ap.add_argument("--think-ms", type=float, nargs="+", default=[0, 250],
                    help="mean think time of each submitter; one run per value")
    ap.add_argument("--burst-gap-ms", type=float, nargs="*", default=[],
                    help="also: all submitters at once, this gap between rounds; a run each")
    ap.add_argument("--region", default="east",
                    help="the captures' region: east routes by the rule, any other region has "
                         "no rule and goes to the fallback owner (no turn to take)")
    args = ap.parse_args()

    admin = servers.admin_url()
    db = await servers.recreate_database(admin, DB)
    procs: list[subprocess.Popen[bytes]] = []
    c: Container | None = None
    try:
        await upgrade(db)
        c = build(servers.settings(db, queue_name="crm:bench-leads"))
        people = await seed_people(c)
        conn = await asyncpg.connect(libpq_url(db))
        for statement in NOTIFY_TRIGGER:
            await conn.execute(statement)
        await conn.close()

        env = servers.server_env(db, PORT, "crm:bench-leads")
        if args.workers:
            env["CRM_WEB_WORKERS"] = str(args.workers)
        procs.append(servers.start(servers.crm("serve"), env, servers.OUT / "serve.log"))
        procs.append(servers.start(servers.crm("worker"), env, servers.OUT / "worker.log"))
        base = f"http://127.0.0.1:{PORT}"
        servers.wait_ready(base)
        # The other web processes are fresh interpreters that take a few seconds to listen;
        # connections made before then would all be the first process's.
        time.sleep(5)

        runs = [(think, None) for think in args.think_ms] + [
            (0.0, gap) for gap in args.burst_gap_ms]
        for think, gap in ([] if args.only == "board" else runs):
            load = os.getloadavg()[0]
            cpu_before = [cpu_seconds(p.pid) for p in procs]
            client_before = time.process_time()
            pg_before = postgres_cpu_seconds()
            a = await capture_bench(base, db, people["key"], args.seconds, args.submitters,
                                    think, gap, args.region)
            cpu = [(cpu_seconds(p.pid) - b) * 1000 / max(a["n"], 1)
                   for p, b in zip(procs, cpu_before, strict=True)]
            client_ms = (time.process_time() - client_before) * 1000 / max(a["n"], 1)
            pg_ms = (postgres_cpu_seconds() - pg_before) * 1000 / max(a["n"], 1)
            pacing = (f"all at once, {gap:.0f} ms between rounds" if gap is not None
                      else f"think {think:.0f} ms")
            print(f"(a) capture → notification committed, {args.submitters} submitters, "
                  f"{pacing}, region {args.region}, {args.seconds} s (after 3 s warm-up), "
                  f"load average {load:.2f} before")
            print(f"    {a['n']} captures, {a['per_s']:.1f}/s; end to end p50 "
                  f"{a['e2e_p50']:.1f} ms, p95 {a['e2e_p95']:.1f} ms, p99 {a['e2e_p99']:.1f} ms,"
                  f" max {a['e2e_max']:.1f} ms; HTTP response p50 {a['resp_p50']:.1f} ms, "
                  f"p99 {a['resp_p99']:.1f} ms; CPU per capture: serve {cpu[0]:.1f} ms, "
                  f"worker {cpu[1]:.1f} ms, PostgreSQL {pg_ms:.1f} ms, "
                  f"this load generator {client_ms:.1f} ms")
        if args.only == "capture":
            return

        await board_bench(c, db, base, people, args)
    finally:
        if c is not None:
            await c.close()
        servers.stop_all(procs)
        await servers.drop_database(admin, DB)


if __name__ == "__main__":
    asyncio.run(main())
