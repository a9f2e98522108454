"""Customer data in bulk: import 100,000 rows, export 1,000,000, count a segment.

    .venv/bin/python bench/bulk_bench.py import [--rows 100000]
    .venv/bin/python bench/bulk_bench.py import-webhooks --rows 10000
    .venv/bin/python bench/bulk_bench.py export      # needs bench/seed_customers.py --keep
    .venv/bin/python bench/bulk_bench.py export --format xlsx  # seed_customers.py --customers 100000 --keep
    .venv/bin/python bench/bulk_bench.py segment     # likewise
    .venv/bin/python bench/bulk_bench.py leads-export [--rows 100000]

import: a fresh database; a CSV of --rows rows (5 % bad rows: broken phones, unknown
industries, abbreviated names; 5 % duplicates of earlier rows) is uploaded through the API to
`crm serve`, and one `crm worker` process runs the job. Reported: upload → done wall time,
outcome counts, the worker's peak RSS (VmHWM), and the CPU seconds of the worker and of the
database's backends (steadier than the wall time on a shared machine). Each created customer's customer.created
goes to the outbox with its chunk (no webhook subscribes here: the relay publishes them).
import-webhooks: the same with --rows distinct new customers and a subscriber to
customer.created on loopback (signatures verified): time to import done, to every event
received, and how many arrived more than once.
export: on the 1,000,000-customer database left by bench/seed_customers.py, an admin exports
every customer as CSV; one `crm worker` runs the job. Reported: time, rows, size, the
worker's peak RSS, and the API's peak RSS while the file is downloaded (streamed) in full.
With --format xlsx (capped at 100,000 rows: seed that many) the downloaded workbook is also
checked: zipfile's testzip and the number of rows in its sheet.
segment: a three-condition segment (industry, annual purchase ≥ 1,000,000, no follow-up for
90 days) counted 30 times through the API as the admin (all 1,000,000 visible) and as a
manager; p50/p99 and EXPLAIN (ANALYZE) of the count.
leads-export: a fresh database with --rows leads (one captured through the API, the rest
copies of it made in SQL, statuses and sources varied); the admin exports every lead as CSV with
Chinese headers and labels (Accept-Language: zh-CN); one `crm worker` runs the job. Reported:
time, rows, size, the worker's peak RSS, and the file's header row.
"""

from __future__ import annotations

import argparse
import asyncio
import csv
import io
import json
import os
import random
import statistics
import subprocess
import sys
import time
import zipfile
from pathlib import Path
from typing import Any

import asyncpg
import httpx

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from adapters.bootstrap import build  # noqa: E402
from adapters.db.migrate import upgrade  # noqa: E402
from adapters.embedded import reachable  # noqa: E402
from bench import servers  # noqa: E402
from bench.measure import peak_rss_mb, process_cpu_seconds  # noqa: E402
from domain.identity.ports import UserFilter  # noqa: E402
from domain.shared.authz import Role, system_actor  # noqa: E402
from domain.shared.paging import PageRequest  # noqa: E402
from tests.services import create_database, drop_database, with_database  # noqa: E402

PORT = 8131
OUT = ROOT / "bench" / "out"
INDUSTRIES = ["制造业", "零售", "电子商务", "金融", "医疗", "教育", "物流", "能源"]
WORDS = ["明远", "华通", "瑞丰", "恒信", "金桥", "新元", "博远", "宏达", "天成", "中联"]


def env_for(db: str, queue: str) -> dict[str, str]:
    return {**servers.server_env(db, PORT, queue, token_minutes=240),
            "CRM_MAX_IMPORT_BYTES": str(64 * 1024 * 1024)}


async def users(db: str) -> dict[str, str]:
    """An admin, an East manager and a rep; answers their tokens."""
    c = build(servers.settings(db, token_minutes=240))
    actor = system_actor("bench")
    tokens = {}
    try:
        async with c.uow() as uow:
            existing = {u.role: u for u in (await uow.users.list(
                UserFilter(), PageRequest(limit=200))).items}
        for role in (Role.ADMIN, Role.MANAGER, Role.SALES_REP):
            user = existing.get(role)
            if user is None:
                dept = await c.identity.create_department(actor, f"Bench {role.value}", None)
                user = await c.identity.create_user(
                    actor, email=f"bench.{role.value}@example.com", name=f"Bench {role.value}",
                    role=role, department_id=dept.id, password="bench-password-1")
            tokens[role.value] = c.identity.tokens.issue_access(user, c.clock.now())[0]
    finally:
        await c.close()
    return tokens


def backends_cpu_seconds(db_url: str) -> float:
    """User + system CPU so far of the PostgreSQL backends connected to this database."""
    name = db_url.rsplit("/", 1)[-1].encode()
    total = 0
    for d in Path("/proc").iterdir():
        if not d.name.isdigit():
            continue
        try:
            cmd = (d / "cmdline").read_bytes()
            if cmd.startswith(b"postgres:") and name in cmd:
                fields = (d / "stat").read_text().rsplit(")", 1)[1].split()
                total += int(fields[11]) + int(fields[12])
        except OSError:
            continue
    return total / os.sysconf("SC_CLK_TCK")


def make_csv(rows: int, seed: int = 7) -> tuple[bytes, dict[str, int]]:
    rng = random.Random(seed)
    out = io.StringIO()
    w = csv.writer(out)
    w.writerow(["客户名称", "联系人", "手机", "邮箱", "所属行业", "标签", "年采购额"])
    made: list[list[str]] = []
    counts = {"bad": 0, "dup": 0}
    for i in range(rows):
        roll = rng.random()
        if made and roll < 0.05:
            w.writerow(rng.choice(made))  # a duplicate of an earlier row
            counts["dup"] += 1
            continue
        row = [f"{rng.choice(['上海', '北京', '深圳', '杭州', '苏州'])}{rng.choice(WORDS)}"
               f"{i:06d}科技有限公司", f"联系人{i}", f"13{rng.randint(0, 9)}{i:08d}",
               f"c{i}@example.com", rng.choice(INDUSTRIES), rng.choice(["重点客户", "展会", ""]),
               str(rng.randint(0, 3_000_000))]
        if roll < 0.10:
            counts["bad"] += 1
            kind = rng.randrange(3)
            if kind == 0:
                row[2] = "12345"
            elif kind == 1:
                row[4] = "占星术"
            else:
                row[0] = rng.choice(WORDS)
            w.writerow(row)
            continue
        made.append(row)
        w.writerow(row)
    return out.getvalue().encode("utf-8-sig"), counts


async def bench_import(rows: int) -> dict[str, Any]:
    db = await create_database(servers.admin_url(), prefix="crm_bench_import")
    env = env_for(db, f"crm:bench-import:{os.getpid()}")
    procs: list[subprocess.Popen[bytes]] = []
    try:
        await upgrade(db)
        tokens = await users(db)
        content, counts = make_csv(rows)
        procs.append(servers.start(servers.crm("serve"), env))
        base = f"http://127.0.0.1:{PORT}"
        servers.wait_ready(base)
        worker = servers.start(servers.crm("worker"), env)
        procs.append(worker)
        time.sleep(2)  # the worker's own start-up is not the import's time
        h = {"Authorization": f"Bearer {tokens['admin']}"}
        async with httpx.AsyncClient(base_url=base, timeout=120) as client:
            t0 = time.perf_counter()
            r = await client.post("/api/v1/imports", headers=h,
                                  files={"file": ("bench.csv", content)})
            if r.status_code != 202:
                raise RuntimeError(f"upload refused: {r.status_code} {r.text}")
            iid = r.json()["id"]
            while True:
                state = (await client.get(f"/api/v1/imports/{iid}", headers=h)).json()
                if state["status"] in ("done", "failed"):
                    break
                await asyncio.sleep(0.2)
            elapsed = time.perf_counter() - t0
        return {"rows": rows, "file_mb": round(len(content) / 2**20, 1), "generated": counts,
                "seconds": round(elapsed, 1), "status": state["status"],
                "outcomes": {k: state[k] for k in ("created", "updated", "merged", "skipped",
                                                   "rejected", "rows_read")},
                "worker_peak_rss_mb": round(peak_rss_mb(worker.pid), 1),
                # CPU, unlike the wall time, hardly moves when other work shares the cores
                "worker_cpu_s": round(process_cpu_seconds(worker.pid), 1),
                "database_cpu_s": round(backends_cpu_seconds(db), 1)}
    finally:
        servers.stop_all(procs)
        await drop_database(servers.admin_url(), db)


def distinct_csv(rows: int) -> bytes:
    out = io.StringIO()
    w = csv.writer(out)
    w.writerow(["客户名称", "联系人", "手机", "所属行业"])
    for i in range(rows):
        w.writerow([f"上海{WORDS[i % len(WORDS)]}{i:06d}科技有限公司", f"联系人{i}",
                    f"139{i:08d}", "制造业"])
    return out.getvalue().encode()


async def bench_import_webhooks(rows: int) -> dict[str, Any]:
    """One import of `rows` new customers with a subscriber to customer.created on
    loopback: how long until the import is done and until every event has arrived, and
    whether each arrived once."""
    from tests.webhook_subscriber import Subscriber

    db = await create_database(servers.admin_url(), prefix="crm_bench_import_hooks")
    env = env_for(db, f"crm:bench-import-hooks:{os.getpid()}")
    procs: list[subprocess.Popen[bytes]] = []
    subscriber = await Subscriber().start()
    try:
        await upgrade(db)
        tokens = await users(db)
        procs.append(servers.start(servers.crm("serve"), env))
        base = f"http://127.0.0.1:{PORT}"
        servers.wait_ready(base)
        procs.append(servers.start(servers.crm("worker"), env))
        time.sleep(2)
        h = {"Authorization": f"Bearer {tokens['admin']}"}
        async with httpx.AsyncClient(base_url=base, timeout=120) as client:
            r = await client.post("/api/v1/webhooks", headers=h, json={
                "url": subscriber.url, "event_types": ["customer.created"],
                "allow_private": True})
            r.raise_for_status()
            subscriber.secret = r.json()["secret"]
            t0 = time.perf_counter()
            r = await client.post("/api/v1/imports", headers=h,
                                  files={"file": ("hooks.csv", distinct_csv(rows))})
            r.raise_for_status()
            iid, imported_at = r.json()["id"], None
            deadline = t0 + 1800
            while len(subscriber.accepted()) < rows and time.perf_counter() < deadline:
                if imported_at is None:
                    state = (await client.get(f"/api/v1/imports/{iid}", headers=h)).json()
                    if state["status"] in ("done", "failed"):
                        imported_at = time.perf_counter() - t0
                await asyncio.sleep(0.5)
            delivered_at = time.perf_counter() - t0
            await asyncio.sleep(5)  # a late duplicate would arrive now
        ids = [r.json["data"]["customer_id"] for r in subscriber.accepted()]
        return {"rows": rows, "import_done_s": round(imported_at or 0, 1),
                "all_delivered_s": round(delivered_at, 1), "received": len(ids),
                "distinct_customers": len(set(ids)), "duplicates": len(ids) - len(set(ids)),
                "signatures_verified": all(r.verified for r in subscriber.received)}
    finally:
        await subscriber.stop()
        servers.stop_all(procs)
        await drop_database(servers.admin_url(), db)


def seeded_db() -> str:
    return with_database(servers.admin_url(), "crm_bench_c360")


async def bench_export(fmt: str) -> dict[str, Any]:
    db = seeded_db()
    await upgrade(db)
    env = env_for(db, f"crm:bench-export:{os.getpid()}")
    tokens = await users(db)
    api = servers.start(servers.crm("serve"), env)
    worker = servers.start(servers.crm("worker"), env)
    base = f"http://127.0.0.1:{PORT}"
    try:
        servers.wait_ready(base)
        time.sleep(2)
        h = {"Authorization": f"Bearer {tokens['admin']}"}
        async with httpx.AsyncClient(base_url=base, timeout=600) as client:
            t0 = time.perf_counter()
            r = await client.post("/api/v1/exports", headers=h, json={"format": fmt})
            r.raise_for_status()
            eid = r.json()["id"]
            while True:
                state = (await client.get(f"/api/v1/exports/{eid}", headers=h)).json()
                if state["status"] in ("done", "failed"):
                    break
                await asyncio.sleep(0.5)
            job_s = time.perf_counter() - t0
            t1 = time.perf_counter()
            size = 0
            kept = io.BytesIO()
            async with client.stream("GET", f"/api/v1/exports/{eid}/download", headers=h) as s:
                async for part in s.aiter_bytes():
                    size += len(part)
                    if fmt == "xlsx":
                        kept.write(part)
            download_s = time.perf_counter() - t1
        checked = check_xlsx(kept.getvalue()) if fmt == "xlsx" else {}
        return {"format": fmt, "status": state["status"], "rows": state["rows_written"],
                **checked,
                "mb": round(size / 2**20, 1), "job_seconds": round(job_s, 1),
                "download_seconds": round(download_s, 1),
                "worker_peak_rss_mb": round(peak_rss_mb(worker.pid), 1),
                "api_peak_rss_mb": round(peak_rss_mb(api.pid), 1)}
    finally:
        servers.stop_all([worker, api])


def check_xlsx(data: bytes) -> dict[str, Any]:
    """The workbook is a sound ZIP; its sheet's rows counted (the header included)."""
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        bad = archive.testzip()
        rows = 0
        with archive.open("xl/worksheets/sheet1.xml") as sheet:
            tail = b""
            while part := sheet.read(1 << 20):
                rows += (tail + part).count(b"<row ")
                tail = part[-4:]
    return {"testzip": bad or "ok", "sheet_rows": rows}


async def bench_segment(n: int = 30) -> dict[str, Any]:
    db = seeded_db()
    await upgrade(db)
    env = env_for(db, f"crm:bench-seg:{os.getpid()}")
    tokens = await users(db)
    api = servers.start(servers.crm("serve"), env)
    base = f"http://127.0.0.1:{PORT}"
    spec = {"industry": "manufacturing", "annual_purchase_min": "1000000",
            "no_followup_days": 90}
    out: dict[str, Any] = {"filter": spec}
    try:
        servers.wait_ready(base)
        async with httpx.AsyncClient(base_url=base, timeout=60) as client:
            for role in ("admin", "manager"):
                h = {"Authorization": f"Bearer {tokens[role]}"}
                seg = (await client.post("/api/v1/segments", headers=h, json={
                    "name": f"bench {role}", "filter": spec})).json()
                times, count = [], None
                for i in range(n + 3):
                    t0 = time.perf_counter()
                    r = await client.get(f"/api/v1/segments/{seg['id']}/count", headers=h)
                    r.raise_for_status()
                    if i >= 3:  # warm-up
                        times.append((time.perf_counter() - t0) * 1000)
                    count = r.json()["count"]
                times.sort()
                out[role] = {"count": count, "p50_ms": round(statistics.median(times), 1),
                             "p99_ms": round(times[int(len(times) * 0.99) - 1], 1),
                             "max_ms": round(times[-1], 1)}
        conn = await asyncpg.connect(db)
        try:
            plan = await conn.fetch(
                "EXPLAIN (ANALYZE, BUFFERS) SELECT count(*) FROM customers WHERE true AND "
                "deleted_at IS NULL AND industry = 'manufacturing' AND annual_purchase >= "
                "1000000 AND (last_followup_at < now() - interval '90 days' OR "
                "last_followup_at IS NULL)")
            out["explain"] = [r[0] for r in plan]
        finally:
            await conn.close()
        return out
    finally:
        servers.stop_all([api])


async def seed_leads(db: str, template_id: str, rows: int) -> None:
    """rows - 1 copies of the template lead: new ids, numbers, names and creation times;
    statuses, sources and grades cycled so that every label is written."""
    conn = await asyncpg.connect(db)
    try:
        columns = [r[0] for r in await conn.fetch(
            "SELECT column_name FROM information_schema.columns WHERE table_name = 'leads' "
            "ORDER BY ordinal_position")]
        made = {
            "id": "gen_random_uuid()", "number": "'LB' || lpad(g::text, 8, '0')",
            "name": "'客户' || g", "company": "'上海' || g || '号精密机械有限公司'",
            "status": "(ARRAY['new','contacted','qualified','disqualified'])[1 + g % 4]",
            "source": "(ARRAY['website','trade_show','referral','partner'])[1 + g % 4]",
            "grade": "(ARRAY['high','medium','low'])[1 + g % 3]", "score": "g % 100",
            "created_at": "now() - g * interval '1 second'",
            "updated_at": "now() - g * interval '1 second'",
        }
        select = ", ".join(made.get(c, f"template.{c}") for c in columns)
        await conn.execute(
            f"INSERT INTO leads ({', '.join(columns)}) SELECT {select} "
            f"FROM generate_series(1, {rows - 1}) AS g, leads AS template "
            "WHERE template.id = $1", template_id)
        await conn.execute("ANALYZE leads")
    finally:
        await conn.close()


async def bench_leads_export(rows: int) -> dict[str, Any]:
    db = await create_database(servers.admin_url(), prefix="crm_bench_leads_export")
    env = env_for(db, f"crm:bench-leads-export:{os.getpid()}")
    procs: list[subprocess.Popen[bytes]] = []
    try:
        await upgrade(db)
        tokens = await users(db)
        h = {"Authorization": f"Bearer {tokens['admin']}"}
        procs.append(servers.start(servers.crm("serve"), env))
        base = f"http://127.0.0.1:{PORT}"
        servers.wait_ready(base)
        async with httpx.AsyncClient(base_url=base, timeout=600) as client:
            template = await client.post("/api/v1/leads", headers=h, json={
                "name": "王小明", "company": "苏州精工自动化设备有限公司", "title": "采购经理",
                "phone": "13912345678", "email": "wang.xm@example.com",
                "industry": "manufacturing", "region": "east", "company_size": "large",
                "budget": "500000.00", "source": "website"})
            template.raise_for_status()
            t_seed = time.perf_counter()
            await seed_leads(db, template.json()["id"], rows)
            seed_s = time.perf_counter() - t_seed
            worker = servers.start(servers.crm("worker"), env)
            procs.append(worker)
            time.sleep(2)
            t0 = time.perf_counter()
            r = await client.post("/api/v1/exports", headers={**h, "Accept-Language": "zh-CN"},
                                  json={"object": "lead"})
            r.raise_for_status()
            eid = r.json()["id"]
            while True:
                state = (await client.get(f"/api/v1/exports/{eid}", headers=h)).json()
                if state["status"] in ("done", "failed"):
                    break
                await asyncio.sleep(0.5)
            job_s = time.perf_counter() - t0
            t1 = time.perf_counter()
            size, head = 0, b""
            async with client.stream("GET", f"/api/v1/exports/{eid}/download", headers=h) as s:
                async for part in s.aiter_bytes():
                    size += len(part)
                    if len(head) < 4096:
                        head += part[:4096]
            download_s = time.perf_counter() - t1
        header = head.decode("utf-8-sig", errors="replace").splitlines()[0]
        return {"rows_seeded": rows, "seed_seconds": round(seed_s, 1),
                "status": state["status"], "rows": state["rows_written"],
                "locale": state["locale"], "header": header,
                "mb": round(size / 2**20, 1), "job_seconds": round(job_s, 1),
                "rows_per_second": round(state["rows_written"] / job_s),
                "download_seconds": round(download_s, 1),
                "worker_peak_rss_mb": round(peak_rss_mb(worker.pid), 1)}
    finally:
        servers.stop_all(procs)
        await drop_database(servers.admin_url(), db)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("what", choices=["import", "import-webhooks", "export", "segment",
                                     "leads-export"])
    ap.add_argument("--rows", type=int, default=100_000)
    ap.add_argument("--format", choices=["csv", "xlsx"], default="csv", help="of the export")
    args = ap.parse_args()
    if not reachable("127.0.0.1", 5432):
        raise SystemExit("needs PostgreSQL on 127.0.0.1:5432 (CRM_BENCH_ADMIN_URL)")
    result = asyncio.run({"import": lambda: bench_import(args.rows),
                          "import-webhooks": lambda: bench_import_webhooks(args.rows),
                          "export": lambda: bench_export(args.format),
                          "segment": bench_segment,
                          "leads-export": lambda: bench_leads_export(args.rows)}[args.what]())
    OUT.mkdir(exist_ok=True)
    name = f"{args.what}_xlsx" if args.format == "xlsx" else args.what
    (OUT / f"bulk_{name}.json").write_text(json.dumps(result, indent=2,
                                                           ensure_ascii=False))
    print(json.dumps(result, indent=2, ensure_ascii=False))


if __name__ == "__main__":
    main()
