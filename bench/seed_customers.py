"""Seed a Customer 360 database at scale: 1,000,000 customers, 2,000,000 contacts, 3,000,000
follow-ups, in a database of its own (crm_bench_c360).

    .venv/bin/python bench/seed_customers.py [--customers 1000000] [--workers 3] [--keep]

The organisation (HQ + 5 sales departments, a manager and 10 sales reps each, one admin) is made
through the real use cases. Customers, contacts and follow-ups are bulk-loaded with binary COPY
(asyncpg `copy_records_to_table`) from worker processes, with the secondary indexes, unique and
foreign-key constraints of the three tables dropped during the load and rebuilt from their own
definitions afterwards (so the schema ends exactly as the migrations made it), then VACUUM
ANALYZE. Each batch's list documents (customer_docs, migration 0016) are written in one
statement after its customers and contacts, through the two indexes kept, pk_customers and
ix_contacts_customer_id. Rows are written the way `adapters.db.customers.SqlCustomers` writes
them: the same search_text and name_normalised, contacts' mobiles, landlines and e-mails
encrypted with `AesGcmFieldCipher` and blind-indexed under the same kinds ("phone", "email").

Writes bench/out/c360_sample.json (user ids and tokens, existing ids, phones, filters and
search words) for bench/customers_load.py. Drops the database at the end unless --keep.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import multiprocessing as mp
import random
import sys
import time
import uuid
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import asyncpg

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench import c360_data, servers  # noqa: E402

DB_NAME = "crm_bench_c360"
OUT = servers.OUT
SAMPLE_FILE = OUT / "c360_sample.json"
PASSWORD = "bench-password-1"
BATCH = 10_000  # customers per COPY batch (and 2x contacts, 3x follow-ups)


# ---- the database and its sample ------------------------------------------------------------

def db_url() -> str:
    from tests.services import with_database

    return with_database(servers.admin_url(), DB_NAME)


def settings(url: str) -> Any:
    return servers.settings(url, token_minutes=24 * 60, field_key=c360_data.FIELD_KEY,
                            blind_index_key=c360_data.BLIND_INDEX_KEY)


def server_env(url: str, port: int) -> dict[str, str]:
    """What `crm serve` needs to read this database (the same keys as the seed)."""
    return {**servers.server_env(url, port, "crm:bench-c360", token_minutes=24 * 60),
            "CRM_FIELD_KEY": c360_data.FIELD_KEY,
            "CRM_BLIND_INDEX_KEY": c360_data.BLIND_INDEX_KEY, "CRM_ENV": "test"}


def sample_words(words: list[list[str]], short: bool) -> list[str]:
    """The sample's distinct search words of two characters (short) or of any other length."""
    out = [w for ws in words for w in ws if (len(w) == 2) == short]
    return list(dict.fromkeys(out))


# ---- building it ----------------------------------------------------------------------------

async def create_org(url: str) -> dict[str, Any]:
    """HQ + 5 sales departments, each with a manager and 10 reps; an admin; through use cases."""
    from adapters.bootstrap import build
    from domain.shared.authz import Role, system_actor

    c = build(settings(url))
    try:
        actor = system_actor("bench-seed")
        ident = c.identity
        hq = await ident.create_department(actor, "总部", None)
        admin = await ident.create_user(actor, email="admin@c360.bench", name="系统管理员",
                                        role=Role.ADMIN, department_id=hq.id,
                                        password=PASSWORD)
        names = ("华东销售部", "华北销售部", "华南销售部", "华中销售部", "西南销售部")
        rng = random.Random(7)
        depts: list[dict[str, Any]] = []
        for d, dname in enumerate(names):
            dept = await ident.create_department(actor, dname, hq.id)
            mgr = await ident.create_user(
                actor, email=f"manager{d + 1}@c360.bench",
                name=c360_data.person_name(rng) + "（经理）", role=Role.MANAGER,
                department_id=dept.id, password=PASSWORD)
            reps = []
            for r in range(10):
                rep = await ident.create_user(
                    actor, email=f"rep{d + 1}-{r + 1}@c360.bench",
                    name=c360_data.person_name(rng), role=Role.SALES_REP,
                    department_id=dept.id, password=PASSWORD)
                reps.append(str(rep.id))
            depts.append({"id": str(dept.id), "name": dname, "manager": str(mgr.id),
                          "reps": reps})
        return {"hq": str(hq.id), "admin": str(admin.id), "departments": depts}
    finally:
        await c.close()


async def issue_tokens(url: str, user_ids: dict[str, str]) -> dict[str, str]:
    """Fresh access tokens (24 h) for the given users, as the API issues them at log-in."""
    from adapters.bootstrap import build

    c = build(settings(url))
    try:
        out = {}
        async with c.uow() as uow:
            for role, uid in user_ids.items():
                user = await uow.users.get(uuid.UUID(uid))
                assert user is not None, uid
                out[role], _ = c.identity.tokens.issue_access(user, c.clock.now())
        return out
    finally:
        await c.close()


async def drop_for_load(conn: asyncpg.Connection) -> tuple[list[str], list[str], list[str]]:
    """Drops FKs, PK/unique constraints and indexes of the three tables; answers the DDL to
    put them back: (keys, indexes, foreign keys)."""
    rels = "('customers'::regclass, 'contacts'::regclass, 'followups'::regclass)"
    fks = await conn.fetch(f"""
        SELECT conrelid::regclass::text AS tbl, conname, pg_get_constraintdef(oid) AS def
        FROM pg_constraint WHERE contype = 'f' AND (conrelid IN {rels} OR confrelid IN {rels})
        ORDER BY 1, 2""")
    # pk_customers stays too: each batch's documents are written for its customers' ids.
    keys = await conn.fetch(f"""
        SELECT conrelid::regclass::text AS tbl, conname, pg_get_constraintdef(oid) AS def
        FROM pg_constraint WHERE contype IN ('p', 'u') AND conrelid IN {rels}
          AND conname <> 'pk_customers' ORDER BY 1, 2""")
    # ix_contacts_customer_id stays: each batch's list documents (migration 0016) are written
    # from its contacts through it during the load.
    idx = await conn.fetch(f"""
        SELECT i.indexrelid::regclass::text AS name, pg_get_indexdef(i.indexrelid) AS def
        FROM pg_index i WHERE i.indrelid IN {rels}
          AND i.indexrelid <> 'ix_contacts_customer_id'::regclass
          AND NOT EXISTS (SELECT 1 FROM pg_constraint c WHERE c.conindid = i.indexrelid)
        ORDER BY 1""")
    for r in fks:
        await conn.execute(f'ALTER TABLE {r["tbl"]} DROP CONSTRAINT "{r["conname"]}"')
    for r in keys:
        await conn.execute(f'ALTER TABLE {r["tbl"]} DROP CONSTRAINT "{r["conname"]}"')
    for r in idx:
        await conn.execute(f'DROP INDEX {r["name"]}')
    return ([f'ALTER TABLE {r["tbl"]} ADD CONSTRAINT "{r["conname"]}" {r["def"]}' for r in keys],
            [r["def"] for r in idx],
            [f'ALTER TABLE {r["tbl"]} ADD CONSTRAINT "{r["conname"]}" {r["def"]}' for r in fks])


async def run_parallel(url: str, statements: list[str], sessions: int = 2,
                       label: str = "") -> None:
    queue: asyncio.Queue[str] = asyncio.Queue()
    for s in statements:
        queue.put_nowait(s)

    async def runner() -> None:
        conn = await asyncpg.connect(url)
        try:
            await conn.execute("SET maintenance_work_mem = '1GB'")
            await conn.execute("SET max_parallel_maintenance_workers = 1")
            while not queue.empty():
                stmt = queue.get_nowait()
                t = time.monotonic()
                await conn.execute(stmt)
                print(f"    {time.monotonic() - t:6.1f} s  {label}{stmt[:110]}", flush=True)
        finally:
            await conn.close()

    await asyncio.gather(*(runner() for _ in range(sessions)))


def _cost(stmt: str) -> int:
    """Biggest builds first, so two sessions finish together."""
    s = stmt.lower()
    if "gin_trgm_ops" in s:
        return 0
    if "using gin" in s:
        return 1
    if "followups" in s:
        return 2
    if "contacts" in s:
        return 3
    return 4


async def table_sizes(url: str) -> list[tuple[str, int, str, str, str]]:
    conn = await asyncpg.connect(url)
    try:
        rows = await conn.fetch("""
            SELECT c.relname, c.reltuples::bigint AS n,
                   pg_size_pretty(pg_table_size(c.oid)) AS heap,
                   pg_size_pretty(pg_indexes_size(c.oid)) AS idx,
                   pg_size_pretty(pg_total_relation_size(c.oid)) AS total
            FROM pg_class c WHERE c.relname IN ('customers', 'contacts', 'followups',
                                                'customer_docs')
            ORDER BY c.relname""")
        return [tuple(r) for r in rows]  # type: ignore[misc]
    finally:
        await conn.close()


def _subsample(rng: random.Random, items: list[Any], k: int) -> list[Any]:
    return items if len(items) <= k else rng.sample(items, k)


async def seed(n: int, workers: int) -> dict[str, Any]:
    timings: dict[str, float] = {}
    t_all = time.monotonic()

    def phase(name: str, t: float) -> None:
        timings[name] = round(time.monotonic() - t, 1)
        print(f"[{timings[name]:7.1f} s] {name}", flush=True)

    t = time.monotonic()
    url = await servers.recreate_database(servers.admin_url(), DB_NAME)
    from adapters.db.migrate import upgrade

    await upgrade(url)
    phase("create database + migrate", t)

    t = time.monotonic()
    org = await create_org(url)
    phase("organisation through the use cases (56 users, argon2)", t)

    t = time.monotonic()
    conn = await asyncpg.connect(url)
    try:
        keys, indexes, fks = await drop_for_load(conn)
    finally:
        await conn.close()
    phase(f"drop {len(keys)} keys, {len(indexes)} indexes, {len(fks)} foreign keys", t)

    reps = [(uuid.UUID(r), uuid.UUID(d["id"])) for d in org["departments"] for r in d["reps"]]
    sample_dept = org["departments"][0]
    now = datetime.now(UTC).replace(microsecond=0)
    cfg = {"url": url, "n": n, "t0": now - c360_data.THREE_YEARS, "now": now, "reps": reps,
           "seed": 42, "sample_rep": uuid.UUID(sample_dept["reps"][0]),
           "sample_dept": uuid.UUID(sample_dept["id"])}
    batches = [(s, min(s + BATCH, n)) for s in range(0, n, BATCH)]
    samples: dict[str, list[Any]] = {k: [] for k in (
        "rep_ids", "all_ids", "phones", "filters_rep", "filters_mgr", "words_rep", "words_mgr")}
    t = time.monotonic()
    done = 0
    ctx = mp.get_context("spawn")
    with ctx.Pool(workers, initializer=c360_data.worker_init, initargs=(cfg,)) as pool:
        for res in pool.imap_unordered(c360_data.run_batch, batches):
            for k in samples:
                samples[k].extend(res[k])
            done += res["rows"]
            if done % 100_000 < BATCH:
                el = time.monotonic() - t
                print(f"    {done:>9,} customers  {el:6.1f} s  {done / el:8.0f}/s", flush=True)
    phase(f"generate + encrypt + COPY {n:,} customers, {2 * n:,} contacts, "
          f"{3 * n:,} follow-ups ({workers} workers)", t)

    t = time.monotonic()
    await run_parallel(url, keys, label="")
    phase("primary keys and unique constraints", t)
    t = time.monotonic()
    await run_parallel(url, sorted(indexes, key=_cost))
    phase("secondary indexes", t)
    t = time.monotonic()
    await run_parallel(url, fks, sessions=1)  # they lock the same tables
    phase("foreign keys (validated)", t)

    t = time.monotonic()
    conn = await asyncpg.connect(url)
    try:
        await conn.execute("SELECT setval('customer_number_seq', $1)", n)
    finally:
        await conn.close()
    await run_parallel(url, [f"VACUUM (ANALYZE) {tb}" for tb in (
        "followups", "contacts", "customers", "customer_docs")])
    phase("setval + VACUUM ANALYZE", t)
    timings["total"] = round(time.monotonic() - t_all, 1)
    print(f"[{timings['total']:7.1f} s] total", flush=True)

    sizes = await table_sizes(url)
    print(f"    {'table':<10} {'rows':>10} {'heap':>9} {'indexes':>9} {'total':>9}")
    for name, rows, heap, idx, total in sizes:
        print(f"    {name:<10} {rows:>10,} {heap:>9} {idx:>9} {total:>9}")

    rng = random.Random(99)
    users = {"rep": sample_dept["reps"][0], "manager": sample_dept["manager"],
             "admin": org["admin"]}
    sample = {
        "database": DB_NAME, "customers": n, "seeded_at": now.isoformat(),
        "timings_s": timings, "sizes": [list(s) for s in sizes],
        "org": org, "users": users, "tokens": await issue_tokens(url, users),
        "rep_ids": _subsample(rng, samples["rep_ids"], 5000),
        "all_ids": _subsample(rng, samples["all_ids"], 5000),
        "phones": _subsample(rng, samples["phones"], 5000),
        "filters_rep": _subsample(rng, samples["filters_rep"], 3000),
        "filters_mgr": _subsample(rng, samples["filters_mgr"], 3000),
        "words_rep": _subsample(rng, samples["words_rep"], 3000),
        "words_mgr": _subsample(rng, samples["words_mgr"], 3000),
    }
    OUT.mkdir(parents=True, exist_ok=True)
    SAMPLE_FILE.write_text(json.dumps(sample, ensure_ascii=False))
    print(f"sample: {SAMPLE_FILE.relative_to(ROOT)} ({len(sample['rep_ids'])} rep ids, "
          f"{len(sample['all_ids'])} ids, {len(sample['phones'])} phones)")
    return sample


async def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--customers", type=int, default=1_000_000)
    ap.add_argument("--workers", type=int, default=3,
                    help="generator processes (each with its own COPY connection)")
    ap.add_argument("--keep", action="store_true", help=f"keep the {DB_NAME} database")
    args = ap.parse_args()
    try:
        await seed(args.customers, args.workers)
    finally:
        if not args.keep:
            await servers.drop_database(servers.admin_url(), DB_NAME)
            print(f"dropped {DB_NAME} (use --keep to keep it)")


if __name__ == "__main__":
    asyncio.run(main())
