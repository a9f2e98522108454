"""Commit → webhook delivered, at a sustained event rate, against a real `crm worker`.

    .venv/bin/python bench/webhooks_bench.py [--rate 100] [--seconds 60] [--drain 120]

Load generator processes (2 by default) create customers through the service layer (real
transactions that write `customer.created` to the outbox) at a fixed total rate; a separate `crm worker` process runs the
outbox relay, the arq jobs (the webhook fan-out) and the delivery loop; a subscriber in a third
process listens on loopback, verifies every Standard Webhooks signature with the
`standardwebhooks` package and logs each receipt (webhook-id, record id, arrival time).

Latency: from the moment the create call returned (its transaction had committed) to the
subscriber's receipt. Lost: committed customers whose delivery never arrived. Duplicates:
receipts of a webhook-id already seen (the subscriber would de-duplicate them), counted apart.

Needs PostgreSQL (CRM_BENCH_ADMIN_URL, default postgresql://postgres@127.0.0.1:5432/test) and
Redis (CRM_BENCH_REDIS_URL, default redis://127.0.0.1:6379/0). Works in its own database,
crm_bench_webhooks, dropped at the end.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import multiprocessing
import os
import signal
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from adapters.bootstrap import Container, build  # noqa: E402
from adapters.db.migrate import upgrade  # noqa: E402
from adapters.settings import Settings  # noqa: E402
from bench import servers  # noqa: E402
from bench.measure import pct_index, process_cpu_seconds  # noqa: E402
from domain.customers.commands import NewCustomer  # noqa: E402
from domain.customers.model import CustomerKind  # noqa: E402
from domain.identity.service import principal_of  # noqa: E402
from domain.shared.authz import (  # noqa: E402
    ROLE_SCOPES,
    Actor,
    Principal,
    Role,
    system_actor,
)
from domain.webhooks.commands import CreateWebhook, UpdateWebhook  # noqa: E402

DB = "crm_bench_webhooks"
QUEUE = "crm:bench-webhooks"


# ---- the subscriber (its own process, so the load generator does not slow its clock) -------


def subscriber_process(secret: str, log_path: str, port_out: Any) -> None:
    from tests.webhook_subscriber import Received, Subscriber

    async def serve() -> None:
        log = open(log_path, "a", buffering=1)  # noqa: SIM115 - line-buffered for the reader

        def write(r: Received) -> None:
            data = json.loads(r.body)
            log.write(json.dumps({"id": r.msg_id, "record": data["data"]["id"], "at": r.at,
                                  "ok": r.verified}) + "\n")

        s = Subscriber(secret=secret, on_receive=write)
        await s.start()
        port_out.send(s.port)
        stop = asyncio.Event()
        asyncio.get_running_loop().add_signal_handler(signal.SIGTERM, stop.set)
        await stop.wait()
        await s.stop()
        log.close()

    asyncio.run(serve())


def read_log(path: str) -> list[dict[str, Any]]:
    return [json.loads(line) for line in Path(path).read_text().splitlines() if line.strip()]


# ---- the load -----------------------------------------------------------------------------


async def generate(c: Container, actor: Actor, rate: float, seconds: float,
                   committed: dict[str, tuple[float, float]], *, start_at: float | None = None,
                   tag: str = "", per_commit: int = 1) -> int:
    """Creates `rate` customers a second for `seconds` (from wall-clock `start_at`),
    `per_commit` in each transaction; records (request start, committed) per customer id."""
    rate = rate / per_commit
    n = int(rate * seconds)
    sem = asyncio.Semaphore(8)  # PostgreSQL is shared: keep each generator to a few connections
    errors = 0

    async def one(i: int) -> None:
        nonlocal errors
        async with sem:
            started = time.time()
            try:
                async with c.uow() as uow:
                    made = [await c.customers.add(
                        uow, actor, NewCustomer(f"基准{tag}{i}-{k}号精密机械有限公司",
                                                CustomerKind.COMPANY)) for k in range(per_commit)]
                    await uow.commit()
            except Exception as e:  # reported, not hidden
                errors += 1
                print(f"create {i} failed: {e!r}", file=sys.stderr)
                return
            done = time.time()
            for customer in made:
                committed[str(customer.id)] = (started, done)

    start = start_at if start_at is not None else time.time()
    tasks = []
    for i in range(n):
        delay = start + i / rate - time.time()
        if delay > 0:
            await asyncio.sleep(delay)
        tasks.append(asyncio.create_task(one(i)))
    await asyncio.gather(*tasks)
    return errors


def generator_process(db: str, admin_id: str, rate: float, seconds: float, start_at: float,
                      tag: str, out_path: str, per_commit: int) -> None:
    """One load generator in its own process (one Python process cannot create 100 customers
    a second on a busy machine): writes {id, start, committed} lines, then an errors line."""

    async def work() -> None:
        c = build(Settings(env="test", database_url=db, redis_url=servers.redis_url(),
                           queue_name=QUEUE))
        actor = Actor(principal=Principal(kind="user", id=uuid.UUID(admin_id),
                                          label="admin@bench.crm",
                                          scopes=ROLE_SCOPES[Role.ADMIN], role=Role.ADMIN))
        committed: dict[str, tuple[float, float]] = {}
        errors = await generate(c, actor, rate, seconds, committed, start_at=start_at, tag=tag,
                                per_commit=per_commit)
        await c.close()
        with open(out_path, "w") as out:
            for k, (started, done) in committed.items():
                out.write(json.dumps({"id": k, "start": started, "committed": done}) + "\n")
            out.write(json.dumps({"errors": errors}) + "\n")

    asyncio.run(work())


async def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--rate", type=float, default=100.0, help="events per second")
    ap.add_argument("--seconds", type=float, default=60.0)
    ap.add_argument("--drain", type=float, default=120.0,
                    help="how long to wait for the last deliveries")
    ap.add_argument("--warmup", type=float, default=3.0)
    ap.add_argument("--generators", type=int, default=2,
                    help="load-generating processes sharing the rate")
    ap.add_argument("--per-commit", type=int, default=1,
                    help="customers created in each transaction (events per commit)")
    args = ap.parse_args()

    admin = servers.admin_url()
    db = await servers.recreate_database(admin, DB)
    procs: list[subprocess.Popen[bytes]] = []
    sub: Any = None
    worker_log: Path | None = None
    c: Container | None = None
    log_dir = tempfile.mkdtemp(prefix="webhooks-bench-")
    log_path = str(Path(log_dir) / "receipts.jsonl")
    try:
        await upgrade(db)
        settings = Settings(env="test", database_url=db, redis_url=servers.redis_url(),
                            queue_name=QUEUE)
        c = build(settings)
        sys_actor = system_actor("bench")
        admin_user = await c.identity.create_user(
            sys_actor, email="admin@bench.crm", name="Admin", role=Role.ADMIN,
            department_id=None, password="bench-password-1")
        actor = Actor(principal=principal_of(admin_user))

        ctx = multiprocessing.get_context("spawn")  # no fork of a process with a loop running
        parent, child = ctx.Pipe()
        # the endpoint needs the port and the subscriber needs the secret: start the
        # subscriber on a fixed secret first, then register the endpoint with that secret
        probe = await c.webhooks.create(actor, CreateWebhook(
            url="http://127.0.0.1:9/", event_types=["customer.created"], allow_private=True))
        sub = ctx.Process(target=subscriber_process,
                                      args=(probe.secret, log_path, child), daemon=True)
        sub.start()
        port = parent.recv()
        await c.webhooks.update(actor, probe.id,
                                UpdateWebhook(url=f"http://127.0.0.1:{port}/hooks"), None)

        env = {**os.environ, "CRM_ENV": "test", "CRM_DATABASE_URL": db,
               "CRM_REDIS_URL": servers.redis_url(), "CRM_QUEUE_NAME": QUEUE,
               "CRM_LOG_LEVEL": "WARNING"}
        # BENCH_WORKER_CMD replaces "-m adapters.cli worker" (e.g. a profiling wrapper)
        worker_cmd = os.environ.get("BENCH_WORKER_CMD", "-m adapters.cli worker").split()
        worker_log = Path(log_dir) / "worker.log"
        procs.append(servers.start([sys.executable, *worker_cmd], env, worker_log))

        warm: dict[str, tuple[float, float]] = {}
        await generate(c, actor, 20, args.warmup, warm)
        deadline = time.monotonic() + 60
        while len({r["record"] for r in read_log(log_path)} & set(warm)) < len(warm):
            if time.monotonic() > deadline:
                raise SystemExit("warm-up deliveries did not arrive: is the worker running?")
            await asyncio.sleep(0.2)

        load_before = os.getloadavg()
        worker_cpu = process_cpu_seconds(procs[0].pid)
        committed: dict[str, tuple[float, float]] = {}
        start_at = time.time() + 3.0  # every generator process is up by then
        outs = [str(Path(log_dir) / f"gen{i}.jsonl") for i in range(args.generators)]
        gens = [ctx.Process(target=generator_process, args=(
            db, str(admin_user.id), args.rate / args.generators, args.seconds, start_at,
            f"{i}-", outs[i], args.per_commit)) for i in range(args.generators)]
        for g in gens:
            g.start()
        for g in gens:
            await asyncio.get_running_loop().run_in_executor(None, g.join)
        errors = 0
        last_commit = start_at
        for path in outs:
            for line in read_log(path):
                if "errors" in line:
                    errors += line["errors"]
                    continue
                committed[line["id"]] = (line["start"], line["committed"])
                last_commit = max(last_commit, line["committed"])
            Path(path).unlink()
        started = start_at
        took = last_commit - started
        load_during = os.getloadavg()
        deadline = time.monotonic() + args.drain
        while time.monotonic() < deadline:
            got = {r["record"] for r in read_log(log_path)}
            if set(committed) <= got:
                break
            await asyncio.sleep(0.5)
        await asyncio.sleep(2.0)  # let late duplicates show
        worker_cpu = process_cpu_seconds(procs[0].pid) - worker_cpu

        receipts = [r for r in read_log(log_path) if r["record"] in committed]
        first: dict[str, dict[str, Any]] = {}
        duplicates = 0
        seen_ids: set[str] = set()
        for r in receipts:
            if r["id"] in seen_ids:
                duplicates += 1
                continue
            seen_ids.add(r["id"])
            first.setdefault(r["record"], r)
        bad_signatures = sum(1 for r in receipts if not r["ok"])
        lost = [k for k in committed if k not in first]
        latency = [(first[k]["at"] - committed[k][1]) * 1000 for k in committed if k in first]
        from_start = [(first[k]["at"] - committed[k][0]) * 1000 for k in committed if k in first]
        commit_ms = [(v[1] - v[0]) * 1000 for v in committed.values()]

        print(f"webhooks: {len(committed)} customers committed in {took:.1f} s "
              f"({len(committed) / took:.1f}/s, target {args.rate:.0f}/s for "
              f"{args.seconds:.0f} s), {args.per_commit} per transaction, "
              f"{args.generators} generator processes, {errors} failed transactions")
        print(f"  load average before {load_before[0]:.2f}, at the end {load_during[0]:.2f} "
              f"(1 min), {os.cpu_count()} cores")
        print(f"  commit → delivered: p50 {pct_index(latency, 50):.1f} ms, p95 "
              f"{pct_index(latency, 95):.1f} ms, p99 {pct_index(latency, 99):.1f} ms, max "
              f"{max(latency, default=0):.1f} ms, "
              f"mean {statistics.fmean(latency) if latency else 0:.1f} ms")
        print(f"  request start → delivered: p50 {pct_index(from_start, 50):.1f} ms, p95 "
              f"{pct_index(from_start, 95):.1f} ms, p99 {pct_index(from_start, 99):.1f} ms; "
              f"create call p50 {pct_index(commit_ms, 50):.1f} ms, p99 "
              f"{pct_index(commit_ms, 99):.1f} ms")
        print(f"  worker process CPU: {worker_cpu:.1f} s in all, "
              f"{worker_cpu * 1000 / max(len(committed), 1):.2f} ms per event")
        print(f"  delivered {len(first)}, lost {len(lost)}, duplicated {duplicates} "
              f"(same webhook-id again), bad signatures {bad_signatures}")
        async with c.engine.connect() as conn:
            from sqlalchemy import text

            stats = (await conn.execute(text(
                "SELECT status, count(*), max(attempts) FROM webhook_deliveries GROUP BY 1"
            ))).all()
        print("  delivery rows: " + ", ".join(f"{s}={n} (max attempts {a})"
                                              for s, n, a in stats))
    finally:
        servers.stop_all(procs)
        if sub is not None and sub.is_alive():
            sub.terminate()
            sub.join(5)
        if c is not None:
            await c.close()
        await servers.drop_database(admin, DB)
        Path(log_path).unlink(missing_ok=True)
        if worker_log is not None and worker_log.exists():
            problems = [line for line in worker_log.read_text(errors="replace")
                        .splitlines() if '"level": "warning"' in line or '"level": "error"' in line
                        or "Traceback" in line]
            print(f"  worker log: {len(problems)} warning/error lines"
                  + "".join(f"\n    {line[:300]}" for line in problems[:5]))
            worker_log.unlink()
        Path(log_dir).rmdir()


if __name__ == "__main__":
    asyncio.run(main())
