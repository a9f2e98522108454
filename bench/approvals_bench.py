"""Approve → the next approver is told: in-app notification committed, e-mail accepted by SMTP.

    .venv/bin/python bench/approvals_bench.py [--approvals 300] [--approvers 4]

Real `crm serve` and `crm worker` processes, a real SMTP server (aiosmtpd on loopback) and
PostgreSQL and Redis. Contracts below the executive threshold are drafted and submitted first
(step 1: the East manager, step 2: finance). Then `--approvers` concurrent clients act as
managers of their own departments: each approves step 1 of one contract over HTTP and waits for
finance to be told, then takes the next. The clock runs from just before the request is sent to
(a) the NOTIFY of a bench-only trigger on `notifications`, delivered when the worker's
transaction commits, and (b) the moment the SMTP server accepted the e-mail naming the
contract. Works in its own database, crm_bench_approvals, dropped at the end.
"""

from __future__ import annotations

import argparse
import asyncio
import email
import email.policy
import os
import re
import statistics
import sys
import time
from collections.abc import Callable
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any

import asyncpg
import httpx
from aiosmtpd.controller import Controller

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from adapters.bootstrap import build  # noqa: E402
from adapters.db.engine import libpq_url  # noqa: E402
from adapters.db.migrate import upgrade  # noqa: E402
from adapters.settings import Settings  # noqa: E402
from bench import servers  # noqa: E402
from bench.measure import cpu_seconds, pct  # noqa: E402
from domain.contracts.commands import DraftContract, LineSpec  # noqa: E402
from domain.customers.commands import NewCustomer  # noqa: E402
from domain.customers.model import CustomerKind  # noqa: E402
from domain.identity.service import principal_of  # noqa: E402
from domain.shared.authz import Actor, Role, system_actor  # noqa: E402

DB = "crm_bench_approvals"
PORT = 8111
QUEUE = "crm:bench-approvals"
NUMBER = re.compile(r"HT\d{12,}")

NOTIFY_TRIGGER = [
    """CREATE FUNCTION bench_notification() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
        IF NEW.kind = 'approval_requested' AND NEW.data->>'step' = '2' THEN
            PERFORM pg_notify('bench_notification', NEW.data->>'contract_number');
        END IF;
        RETURN NULL;
    END $$""",
    """CREATE TRIGGER bench_notification AFTER INSERT ON notifications
        FOR EACH ROW EXECUTE FUNCTION bench_notification()""",
]


class Arrivals:
    """Futures keyed by contract number, resolved by whichever signal comes (even early)."""

    def __init__(self) -> None:
        self.waiting: dict[str, asyncio.Future[float]] = {}
        self.early: dict[str, float] = {}
        self.loop = asyncio.get_event_loop()

    def arrived(self, key: str, at: float) -> None:
        fut = self.waiting.get(key)
        if fut is not None and not fut.done():
            fut.set_result(at)
        else:
            self.early[key] = at

    def arrived_threadsafe(self, key: str, at: float) -> None:
        self.loop.call_soon_threadsafe(self.arrived, key, at)

    async def wait(self, key: str, timeout: float = 60) -> float:
        if key in self.early:
            return self.early.pop(key)
        fut: asyncio.Future[float] = self.loop.create_future()
        self.waiting[key] = fut
        try:
            return await asyncio.wait_for(fut, timeout)
        finally:
            self.waiting.pop(key, None)


class Mailbox:
    """aiosmtpd handler: notes when each message naming a contract was accepted."""

    def __init__(self, on_arrival: Callable[[str, float], None], recipient: str) -> None:
        self.on_arrival = on_arrival  # called from the SMTP server's thread
        self.recipient = recipient  # only the next approver's mail counts
        self.count = 0

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        at = time.perf_counter()
        msg = email.message_from_bytes(envelope.content, policy=email.policy.default)
        text = str(msg["subject"] or "")
        for part in msg.walk():
            if part.get_content_maintype() == "text":
                text += part.get_content()
        self.count += 1
        if self.recipient not in envelope.rcpt_tos:
            return "250 Message accepted for delivery"
        for number in set(NUMBER.findall(text)):
            self.on_arrival(number, at)
        return "250 Message accepted for delivery"


async def settle(db: str, timeout: float = 120) -> None:
    """Waits until the worker has sent every delivery owed so far."""
    conn = await asyncpg.connect(libpq_url(db))
    try:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            owed = await conn.fetchval(
                "SELECT (SELECT count(*) FROM outbox WHERE published_at IS NULL)"
                " + (SELECT count(*) FROM notification_deliveries WHERE status = 'pending')")
            if owed == 0:
                return
            await asyncio.sleep(0.5)
        raise RuntimeError("the worker did not catch up with the seed's notifications")
    finally:
        await conn.close()


async def seed(settings: Settings, approvers: int, approvals: int) -> dict[str, Any]:
    """HQ with finance; per approver a sales department with a manager and a rep, and that
    rep's submitted contracts waiting for the manager."""
    c = build(settings)
    try:
        sys_actor = system_actor("bench")
        hq = await c.identity.create_department(sys_actor, "HQ", None)
        await c.identity.create_user(sys_actor, email="finance@bench.crm", name="Finance",
                                     role=Role.FINANCE, department_id=hq.id,
                                     password="bench-password-1")
        teams = []
        for i in range(approvers):
            dept = await c.identity.create_department(sys_actor, f"Sales {i}", hq.id)
            manager = await c.identity.create_user(
                sys_actor, email=f"manager{i}@bench.crm", name=f"Manager {i}",
                role=Role.MANAGER, department_id=dept.id, password="bench-password-1")
            rep = await c.identity.create_user(
                sys_actor, email=f"rep{i}@bench.crm", name=f"Rep {i}", role=Role.SALES_REP,
                department_id=dept.id, password="bench-password-1")
            actor = Actor(principal_of(rep))
            customer = await c.customers.create(actor, NewCustomer(
                f"苏州第{i}精密机械制造有限公司", CustomerKind.COMPANY))
            contracts = []
            for n in range(approvals // approvers + 1):
                k = await c.contracts.create(actor, DraftContract(
                    customer_id=customer.id, title=f"年度采购合同 {i}-{n}",
                    start_date=date(2027, 1, 1), end_date=date(2027, 12, 31),
                    lines=(LineSpec(product="GW-200", quantity=Decimal("4"),
                                    unit_price=Decimal("12500.00")),)))
                k = await c.contracts.submit(actor, k.id, None)
                contracts.append((str(k.id), k.number))
            token, _ = c.identity.tokens.issue_access(manager, c.clock.now())
            teams.append({"token": token, "contracts": contracts})
        return {"teams": teams}
    finally:
        await c.close()


async def run(base: str, db: str, teams: list[dict[str, Any]], approvals: int,
              arrivals_inapp: Arrivals, arrivals_mail: Arrivals) -> dict[str, list[float]]:
    listener = await asyncpg.connect(libpq_url(db))
    await listener.add_listener(
        "bench_notification",
        lambda _c, _p, _ch, number: arrivals_inapp.arrived(number, time.perf_counter()))
    inapp: list[float] = []
    mail: list[float] = []
    response: list[float] = []
    budget = iter(range(approvals))

    async def approver(team: dict[str, Any]) -> None:
        async with httpx.AsyncClient(base_url=base, timeout=30, headers={
                "Authorization": f"Bearer {team['token']}"}) as client:
            for contract_id, number in team["contracts"]:
                if next(budget, None) is None:
                    return
                t0 = time.perf_counter()
                r = await client.post(f"/api/v1/contracts/{contract_id}/approvals/1/approve",
                                      json={"comment": "同意"})
                t1 = time.perf_counter()
                if r.status_code != 200:
                    raise RuntimeError(f"approve failed: {r.status_code} {r.text}")
                noted = await arrivals_inapp.wait(number)
                mailed = await arrivals_mail.wait(number)
                inapp.append((noted - t0) * 1000)
                mail.append((mailed - t0) * 1000)
                response.append((t1 - t0) * 1000)

    await asyncio.gather(*[approver(t) for t in teams])
    await listener.close()
    return {"inapp": inapp, "mail": mail, "response": response}


def summary(name: str, values: list[float]) -> str:
    return (f"{name}: n={len(values)} p50 {statistics.median(values):.0f} ms, "
            f"p95 {pct(values, 95):.0f} ms, p99 {pct(values, 99):.0f} ms, "
            f"max {max(values):.0f} ms")


async def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--approvals", type=int, default=300)
    ap.add_argument("--approvers", type=int, default=4)
    args = ap.parse_args()

    admin = servers.admin_url()
    db = await servers.recreate_database(admin, DB)
    arrivals_inapp, arrivals_mail = Arrivals(), Arrivals()
    mailbox = Mailbox(arrivals_mail.arrived_threadsafe, "finance@bench.crm")
    smtp_port = servers.free_port()
    controller = Controller(mailbox, hostname="127.0.0.1", port=smtp_port)
    controller.start()
    procs = []
    try:
        await upgrade(db)
        conn = await asyncpg.connect(libpq_url(db))
        for statement in NOTIFY_TRIGGER:
            await conn.execute(statement)
        await conn.close()
        settings = servers.settings(db, queue_name=QUEUE)
        started = time.monotonic()
        seeded = await seed(settings, args.approvers, args.approvals)
        print(f"seeded {args.approvers} teams and their submitted contracts in "
              f"{time.monotonic() - started:.1f} s")
        env = {**servers.server_env(db, PORT, QUEUE), "CRM_SMTP_HOST": "127.0.0.1",
               "CRM_SMTP_PORT": str(smtp_port), "CRM_SMTP_STARTTLS": "false"}
        procs.append(servers.start(servers.crm("serve"), env, servers.OUT / "serve.log"))
        procs.append(servers.start(servers.crm("worker"), env, servers.OUT / "worker.log"))
        base = f"http://127.0.0.1:{PORT}"
        servers.wait_ready(base)
        await settle(db)  # the submissions' own notifications and e-mails go out first
        load = os.getloadavg()[0]
        cpu_before = [cpu_seconds(p.pid) for p in procs]
        started = time.monotonic()
        result = await run(base, db, seeded["teams"], args.approvals, arrivals_inapp,
                           arrivals_mail)
        elapsed = time.monotonic() - started
        n = len(result["inapp"])
        cpu = [(cpu_seconds(p.pid) - b) * 1000 / max(n, 1)
               for p, b in zip(procs, cpu_before, strict=True)]
        print(f"{n} approvals by {args.approvers} concurrent approvers in {elapsed:.1f} s "
              f"({n / elapsed:.1f}/s), load average {load:.2f} before; "
              f"{mailbox.count} e-mails accepted in all")
        print("  " + summary("approve → next approver's in-app notification committed",
                             result["inapp"]))
        print("  " + summary("approve → its e-mail accepted by the SMTP server",
                             result["mail"]))
        print("  " + summary("approve HTTP response", result["response"]))
        print(f"  CPU per approval: serve {cpu[0]:.1f} ms, worker {cpu[1]:.1f} ms")
    finally:
        servers.stop_all(procs)
        controller.stop()
        await servers.drop_database(admin, DB)


if __name__ == "__main__":
    asyncio.run(main())
