"""Fault drill: the job worker killed with SIGKILL in the middle of its work, again and again.

    .venv/bin/python bench/drill_worker.py [--rate 10] [--kills 3] [--rows 20000] \
        [--import-kills 2]

Stream: leads are captured in this process at --rate a second (each gives its rep a
`lead_assigned` notification and sends its lead.* events to a webhook subscriber on loopback)
while `crm worker` is killed with SIGKILL --kills times, each time restarted at once; the next
kill waits until the drill has recovered from the last. Import: a --rows row CSV import whose
worker is killed --import-kills times mid-way, each time restarted at once.

Printed per part: operations, lost, duplicated, and for each kill the time to recover: the
seconds from the kill until the interrupted work had resumed (stream: until every effect of
what was committed before the kill had arrived; import: until the import committed rows
again). Duplicated webhooks are receipts of a webhook-id already received (the subscriber
de-duplicates them); "log under-counts" is how many deliveries the log says were attempted
fewer times than the subscriber received them (it must be 0).

Needs PostgreSQL (CRM_BENCH_ADMIN_URL) and Redis (CRM_BENCH_REDIS_URL) as bench/servers.py
says; works in its own database, crm_drill_worker, dropped at the end.
"""

from __future__ import annotations

import argparse
import asyncio
import csv
import io
import json
import os
import signal
import sys
import time
import uuid
from datetime import datetime
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from sqlalchemy import text  # noqa: E402

from adapters.bootstrap import Container, build  # noqa: E402
from adapters.db.migrate import upgrade  # noqa: E402
from bench import servers  # noqa: E402
from bench.leads_bench import seed_people  # noqa: E402
from domain.identity.service import principal_of  # noqa: E402
from domain.imports.commands import CreateImport  # noqa: E402
from domain.leads.commands import CaptureLead  # noqa: E402
from domain.shared.authz import Actor, Principal, Scope  # noqa: E402
from domain.webhooks.commands import CreateWebhook  # noqa: E402
from domain.webhooks.event_types import EVENT_TYPES  # noqa: E402
from tests.webhook_subscriber import Subscriber  # noqa: E402

DB = "crm_drill_worker"
QUEUE = f"crm:drill-worker:{os.getpid()}"
LEAD_TYPES = sorted(t for t in EVENT_TYPES if t.startswith("lead."))


class Worker:
    """`crm worker` as its own process, killed hard and started again."""

    def __init__(self, env: dict[str, str]) -> None:
        self.env = env
        self.proc = servers.start(servers.crm("worker"), env, servers.OUT / "drill-worker.log")

    def kill_and_restart(self) -> float:
        os.killpg(self.proc.pid, signal.SIGKILL)
        killed_at = time.time()
        self.proc.wait(10)
        self.proc = servers.start(servers.crm("worker"), self.env,
                                  servers.OUT / "drill-worker.log")
        return killed_at

    def stop(self) -> None:
        servers.stop_all([self.proc])


async def scalar(c: Container, sql: str, **params: Any) -> Any:
    async with c.engine.connect() as conn:
        return await conn.scalar(text(sql), params)


async def rows(c: Container, sql: str, **params: Any) -> list[Any]:
    async with c.engine.connect() as conn:
        return list((await conn.execute(text(sql), params)).all())


# ---- the stream: leads, their notifications and webhooks -------------------------------------


async def stream_settled(c: Container, sub: Subscriber, before: float) -> bool:
    """Every effect of the leads committed before `before` has arrived."""
    cutoff = datetime.fromtimestamp(before).astimezone()
    leads = await scalar(c, "SELECT count(*) FROM leads WHERE created_at < :t", t=cutoff)
    notified = await scalar(c, """
        SELECT count(DISTINCT lead.id) FROM leads lead JOIN notifications note
          ON note.kind = 'lead_assigned' AND note.data->>'lead_id' = lead.id::text
        WHERE lead.created_at < :t""", t=cutoff)
    events = await scalar(c, "SELECT count(*) FROM outbox WHERE type = ANY(:types) "
                          "AND occurred_at < :t", types=LEAD_TYPES, t=cutoff)
    due = {f"msg_{row.id.hex}" for row in await rows(
        c, "SELECT delivery.id FROM webhook_deliveries delivery JOIN outbox event "
           "ON event.id = delivery.event_id WHERE event.occurred_at < :t", t=cutoff)}
    got = {r.msg_id for r in sub.received if 200 <= r.status < 300}
    return bool(notified == leads and len(due) == events and due <= got)


async def stream_drill(c: Container, actor: Actor, worker: Worker, sub: Subscriber,
                       rate: float, kills: int, burst: int) -> dict[str, Any]:
    made: list[uuid.UUID] = []
    stop = asyncio.Event()
    numbers = iter(range(10**9))

    async def capture_one() -> uuid.UUID:
        n = next(numbers)
        lead = await c.leads.capture(actor, CaptureLead(
            name=f"访客{n}", company=f"演练第{n}精密机械有限公司", phone=f"139{n:08d}",
            email=f"drill{n}@example.com", region="east", industry="manufacturing",
            message="想了解二期产线的报价"))
        made.append(lead.id)
        return lead.id

    async def burst_of(n: int) -> list[uuid.UUID]:
        gate = asyncio.Semaphore(10)

        async def one() -> uuid.UUID:
            async with gate:
                return await capture_one()

        return list(await asyncio.gather(*(one() for _ in range(n))))

    async def steady() -> None:
        while not stop.is_set():
            await capture_one()
            await asyncio.sleep(1 / rate)

    capturing = asyncio.create_task(steady())
    recoveries, outstanding = [], []
    for _ in range(kills):
        await asyncio.sleep(3)
        # A burst faster than the worker drains it, and the kill once the worker is in the
        # middle of it: some of its leads' reps are told, not all.
        ids = [str(i) for i in await burst_of(burst)]
        told = 0
        while told == 0:
            told = await scalar(c, "SELECT count(DISTINCT data->>'lead_id') FROM notifications "
                                   "WHERE kind = 'lead_assigned' AND data->>'lead_id' = ANY(:ids)",
                                ids=ids)
            await asyncio.sleep(0.01)
        killed_at = worker.kill_and_restart()
        outstanding.append(burst - told)
        while not await stream_settled(c, sub, killed_at):
            await asyncio.sleep(0.2)
        recoveries.append(round(time.time() - killed_at, 1))
    await asyncio.sleep(3)
    stop.set()
    await capturing
    deadline = time.time() + 120
    while not await stream_settled(c, sub, time.time()) and time.time() < deadline:
        await asyncio.sleep(0.5)

    notes = await rows(c, "SELECT data->>'lead_id' AS lead_id, count(*) AS n FROM notifications "
                          "WHERE kind = 'lead_assigned' GROUP BY 1")
    per_lead = {r.lead_id: r.n for r in notes}
    deliveries = await rows(c, "SELECT id, attempts FROM webhook_deliveries")
    events = await scalar(c, "SELECT count(*) FROM outbox WHERE type = ANY(:types)",
                          types=LEAD_TYPES)
    receipts: dict[str, int] = {}
    for r in sub.received:
        receipts[r.msg_id] = receipts.get(r.msg_id, 0) + 1
    ids = {f"msg_{d.id.hex}": d.attempts for d in deliveries}
    return {
        "leads": len(made),
        "notifications lost": sum(1 for lead in made if str(lead) not in per_lead),
        "notifications duplicated": sum(n - 1 for n in per_lead.values() if n > 1),
        "webhook events": events,
        "webhooks lost": events - len(ids) + sum(1 for m in ids if m not in receipts),
        "webhooks duplicated (same webhook-id again)": sum(n - 1 for n in receipts.values()),
        "log under-counts": sum(1 for m, attempts in ids.items() if attempts < receipts.get(m, 0)),
        "kills": kills,
        "burst leads whose rep was not told yet at each kill": outstanding,
        "time to recover, s": recoveries,
    }


# ---- the import ------------------------------------------------------------------------------


def import_file(n: int) -> bytes:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(["客户名称", "联系人", "手机", "邮箱", "所属行业"])
    writer.writerows([f"演练导入{i:06d}有限公司", f"联系人{i}", f"137{i:08d}", "", "制造业"]
                     for i in range(n))
    return out.getvalue().encode()


async def import_drill(c: Container, actor: Actor, worker: Worker, n: int,
                       kills: int) -> dict[str, Any]:
    imp = await c.imports.create(actor, CreateImport("drill.csv", import_file(n)))

    async def state() -> Any:
        return await c.imports.get(actor, imp.id)

    recoveries = []
    for k in range(kills):
        # kill when the import has gone a share of the way
        while (await state()).next_row < n * (k + 1) / (kills + 2):
            await asyncio.sleep(0.05)
        at_kill = (await state()).next_row
        killed_at = worker.kill_and_restart()
        while (await state()).next_row <= at_kill:
            await asyncio.sleep(0.1)
        recoveries.append(round(time.time() - killed_at, 1))
    deadline = time.time() + 600
    while (done := await state()).status.value not in ("done", "failed") \
            and time.time() < deadline:
        await asyncio.sleep(0.5)
    count = await scalar(c, "SELECT count(*) FROM customers WHERE name LIKE '演练导入%'")
    distinct = await scalar(c, "SELECT count(DISTINCT name) FROM customers "
                               "WHERE name LIKE '演练导入%'")
    return {"rows": n, "status": done.status.value, "created": done.created,
            "rejected": done.rejected, "lost": n - distinct,
            "duplicated": count - distinct, "kills": kills, "time to recover, s": recoveries}


async def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--rate", type=float, default=10.0, help="leads captured a second")
    ap.add_argument("--kills", type=int, default=3, help="kills during the stream")
    ap.add_argument("--burst", type=int, default=100,
                    help="leads captured at once before each kill")
    ap.add_argument("--rows", type=int, default=20000, help="rows of the import")
    ap.add_argument("--import-kills", type=int, default=2)
    args = ap.parse_args()

    admin = servers.admin_url()
    db = await servers.recreate_database(admin, DB)
    c: Container | None = None
    worker: Worker | None = None
    sub = await Subscriber().start()
    try:
        await upgrade(db)
        c = build(servers.settings(db, queue_name=QUEUE))
        people = await seed_people(c)
        actor = Actor(principal=principal_of(people["admin"]))
        endpoint = await c.webhooks.create(actor, CreateWebhook(
            url=sub.url, event_types=LEAD_TYPES, allow_private=True))
        sub.secret = endpoint.secret
        # An integration captures the leads: they are routed, and their reps told.
        website = Actor(principal=Principal(kind="api_key", id=uuid.uuid4(), label="website",
                                            scopes=frozenset({Scope.LEADS_WRITE})))
        worker = Worker(servers.server_env(db, servers.free_port(), QUEUE))
        results = {
            "date": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()),
            "load average": os.getloadavg()[0],
            "stream": await stream_drill(c, website, worker, sub, args.rate, args.kills,
                                         args.burst),
            "import": await import_drill(c, actor, worker, args.rows, args.import_kills),
        }
        print(json.dumps(results, ensure_ascii=False, indent=2))
    finally:
        if worker is not None:
            worker.stop()
        await sub.stop()
        if c is not None:
            await c.close()
        await servers.drop_database(admin, DB)


if __name__ == "__main__":
    asyncio.run(main())
