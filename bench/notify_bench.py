"""Event committed → in-app notification committed → e-mail accepted by an SMTP server.

    .venv/bin/python bench/notify_bench.py [--events 200] [--rate 10] [--recipients 20]

A real `crm worker` process (outbox relay + arq worker) sends to an aiosmtpd server on
loopback in this process. Each event is a `customer.reassigned` row committed to the outbox,
exactly as the customer service writes it; its consumer adds the new owner's notification,
whose e-mail delivery the worker then sends. Clocks:
  commit        the moment this script's COMMIT of the outbox row returned
  in-app        PostgreSQL delivers the NOTIFY of the `notifications` trigger (at its commit)
  e-mail        the SMTP server accepted the DATA of the message
Counts lost (no e-mail) and duplicated (a second e-mail for one event) deliveries.

Needs PostgreSQL (CRM_BENCH_ADMIN_URL, default postgresql://postgres@127.0.0.1:5432/test) and
Redis (CRM_BENCH_REDIS_URL, default redis://127.0.0.1:6379/0). Works in its own database,
crm_bench_notify, dropped at the end. Worker, SMTP server and load share the machine.
"""

from __future__ import annotations

import argparse
import asyncio
import email
import email.policy
import json
import os
import re
import statistics
import subprocess
import sys
import time
import uuid
from collections import defaultdict
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import asyncpg
from aiosmtpd.controller import Controller

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from adapters.bootstrap import build  # noqa: E402
from adapters.db.engine import libpq_url  # noqa: E402
from adapters.db.migrate import upgrade  # noqa: E402
from adapters.settings import Settings  # noqa: E402
from bench import servers  # noqa: E402
from bench.measure import pct_index  # noqa: E402
from domain.shared.authz import Role, system_actor  # noqa: E402

DB = "crm_bench_notify"
NAME = re.compile(r"bench-(\d+)-")


class Receiver:
    def __init__(self) -> None:
        self.arrivals: dict[int, list[float]] = defaultdict(list)

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        at = time.time()
        msg = email.message_from_bytes(envelope.content, policy=email.policy.default)
        m = NAME.search(str(msg["Subject"]))
        if m:
            self.arrivals[int(m.group(1))].append(at)
        return "250 OK"


def summary(label: str, seconds: list[float]) -> str:
    ms = [s * 1000 for s in seconds]
    return (f"| {label} | {len(ms)} | {statistics.median(ms):.0f} ms | {pct_index(ms, 95):.0f} ms "
            f"| {pct_index(ms, 99):.0f} ms | {max(ms):.0f} ms |")


async def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--events", type=int, default=200)
    ap.add_argument("--rate", type=float, default=10.0, help="events per second")
    ap.add_argument("--recipients", type=int, default=20)
    args = ap.parse_args()

    admin = servers.admin_url()
    url = await servers.recreate_database(admin, DB)
    await upgrade(url)
    queue = f"crm:bench:notify:{uuid.uuid4().hex[:6]}"
    settings = Settings(database_url=url, redis_url=servers.redis_url(), queue_name=queue)
    container = build(settings)
    recipients = []
    for i in range(args.recipients):
        user = await container.identity.create_user(
            system_actor("bench"), email=f"rep{i}@bench.example", name=f"Rep {i}",
            role=Role.SALES_REP, department_id=None, password="bench-password-123")
        recipients.append(user.id)
    await container.close()

    receiver = Receiver()
    smtp_port = servers.free_port()
    smtp = Controller(receiver, hostname="127.0.0.1", port=smtp_port)
    smtp.start()
    env = {**os.environ, "CRM_DATABASE_URL": url, "CRM_REDIS_URL": servers.redis_url(),
           "CRM_QUEUE_NAME": queue, "CRM_LOG_LEVEL": "WARNING", "CRM_SMTP_HOST": "127.0.0.1",
           "CRM_SMTP_PORT": str(smtp_port), "CRM_SMTP_STARTTLS": "false"}
    # Not `servers.start`: the worker's warnings and errors go to this script's output.
    worker = subprocess.Popen(servers.crm("worker"), cwd=ROOT, env=env, start_new_session=True)
    listen = await asyncpg.connect(libpq_url(url))
    notified: dict[str, float] = {}
    await listen.add_listener("crm_notifications", lambda *a: notified.setdefault(
        json.loads(a[3])["id"], time.time()))
    conn = await asyncpg.connect(libpq_url(url))
    try:
        # The welcome e-mails first, so they do not share the measured minute.
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline and await conn.fetchval(
                "SELECT count(*) FROM notification_deliveries WHERE status <> 'sent'") != 0:
            await asyncio.sleep(0.2)
        committed: dict[int, float] = {}
        events: dict[str, int] = {}
        start = time.monotonic()
        for i in range(args.events):
            await asyncio.sleep(max(0.0, start + i / args.rate - time.monotonic()))
            event_id, customer_id = uuid.uuid4(), uuid.uuid4()
            owner = recipients[i % len(recipients)]
            payload = {"customer_id": str(customer_id), "number": f"C2026110{i:05d}",
                       "name": f"bench-{i}-公司", "from_owner_id": str(uuid.uuid4()),
                       "to_owner_id": str(owner), "by": None}
            async with conn.transaction():
                await conn.execute(
                    "INSERT INTO outbox (id, type, aggregate_type, aggregate_id, payload, "
                    "occurred_at) VALUES ($1, 'customer.reassigned', 'customer', $2, $3, $4)",
                    event_id, str(customer_id), json.dumps(payload), datetime.now(UTC))
            committed[i] = time.time()
            events[str(event_id)] = i
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline and len(receiver.arrivals) < args.events:
            await asyncio.sleep(0.2)
        await asyncio.sleep(2)  # a duplicate would show up here
        rows = await conn.fetch("SELECT id, event_id FROM notifications WHERE kind = "
                                "'customer_assigned'")
        in_app = [notified[str(r["id"])] - committed[events[str(r["event_id"])]]
                  for r in rows if str(r["event_id"]) in events and str(r["id"]) in notified]
        mail = [times[0] - committed[i] for i, times in receiver.arrivals.items()]
        lost = args.events - len(receiver.arrivals)
        dup = sum(len(t) - 1 for t in receiver.arrivals.values())
        print(f"\n{args.events} events at {args.rate}/s to {args.recipients} recipients, "
              f"one `crm worker`, SMTP on loopback\n")
        print("| commit → | n | p50 | p95 | p99 | max |\n|---|---:|---:|---:|---:|---:|")
        print(summary("in-app notification committed", in_app))
        print(summary("e-mail accepted by SMTP", mail))
        print(f"\nlost e-mails: {lost}, duplicated e-mails: {dup}")
    finally:
        servers.stop_all([worker])
        smtp.stop()
        await listen.close()
        await conn.close()
        await servers.drop_database(admin, DB)


if __name__ == "__main__":
    asyncio.run(main())
