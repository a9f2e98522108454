"""Global search at 1,000,000 customers: 8 clients over HTTP, p50/p95/p99 of GET /api/v1/search.

    .venv/bin/python bench/search_bench.py [--customers 1000000] [--seconds 30] [--clients 8]
                                           [--reseed]

The database `bench_search` is kept between runs and reused when it holds the customers
asked for (--reseed makes it again). The organisation (HQ, 5 sales departments with a manager
and 10 reps each, an admin) is made through the use cases; customers (each with one contact)
are loaded with binary COPY, their names composed from the word lists of the Customer 360
seed (bench/c360_pools.py): city + brand + trade + legal suffix, e.g. 苏州恒通精密机械有限公司.
Their search keys are built as `domain.search.keys.search_key` builds them, from the pinyin
of each word (spelled once per distinct word, then composed), so a million names cost
seconds, not the minutes pypinyin would take name by name. The n-gram indexes are dropped for
the load and rebuilt from their own definitions afterwards; the list-document triggers are
held off (this database serves searches only).

The load: one `crm serve` (2 web processes), and 8 closed-loop clients (2 processes of 4
threads, keep-alive connections) as an admin, a manager and reps, each request a random query
from a sample of the data: Chinese words (a brand, city + brand, a contact's name), the
brand's full pinyin and its initials, customer numbers and 4-digit phone tails.
"""

from __future__ import annotations

import argparse
import asyncio
import http.client
import json
import multiprocessing as mp
import random
import statistics
import sys
import threading
import time
import urllib.parse
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import asyncpg

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench import servers  # noqa: E402
from bench.c360_pools import (  # noqa: E402
    BRAND_CHARS,
    BRAND_LENGTHS,
    CITIES,
    GIVEN_1,
    GIVEN_2,
    INDUSTRY_WORDS,
    LEGAL_SUFFIXES,
    SURNAMES,
    TITLES,
)
from domain.search.keys import spellings  # noqa: E402

DB_NAME = "bench_search"
PASSWORD = "bench-password-1"
BATCH = 50_000
OUT = servers.OUT
TABLES = ("customers", "contacts")


def db_url() -> str:
    from tests.services import with_database

    return with_database(servers.admin_url(), DB_NAME)


# ---- the organisation ------------------------------------------------------------------------


async def create_org(url: str) -> dict[str, Any]:
    from adapters.bootstrap import build
    from domain.shared.authz import Role, system_actor

    c = build(servers.settings(url))
    try:
        actor = system_actor("bench-seed")
        hq = await c.identity.create_department(actor, "总部", None)
        admin = await c.identity.create_user(actor, email="admin@search.bench", name="系统管理员",
                                              role=Role.ADMIN, department_id=hq.id,
                                              password=PASSWORD)
        org: dict[str, Any] = {"admin": str(admin.id), "departments": []}
        for d, name in enumerate(("华东销售部", "华北销售部", "华南销售部", "华中销售部", "西南销售部")):
            dept = await c.identity.create_department(actor, name, hq.id)
            manager = await c.identity.create_user(
                actor, email=f"manager{d}@search.bench", name=f"{name}经理", role=Role.MANAGER,
                department_id=dept.id, password=PASSWORD)
            reps = [str((await c.identity.create_user(
                actor, email=f"rep{d}-{r}@search.bench", name=f"销售{d}-{r}",
                role=Role.SALES_REP, department_id=dept.id, password=PASSWORD)).id)
                for r in range(10)]
            org["departments"].append({"id": str(dept.id), "manager": str(manager.id),
                                       "reps": reps})
        return org
    finally:
        await c.close()


async def issue_tokens(url: str, user_ids: dict[str, str]) -> dict[str, str]:
    from adapters.bootstrap import build

    c = build(servers.settings(url, token_minutes=24 * 60))
    try:
        out = {}
        async with c.uow() as uow:
            for key, uid in user_ids.items():
                user = await uow.users.get(uuid.UUID(uid))
                assert user is not None, uid
                out[key], _ = c.identity.tokens.issue_access(user, c.clock.now())
        return out
    finally:
        await c.close()


# ---- the rows --------------------------------------------------------------------------------


def brands(n: int = 1200) -> list[str]:
    rng = random.Random(20261208)
    seen: dict[str, None] = {}
    while len(seen) < n:
        seen.setdefault("".join(c for c, _ in rng.sample(BRAND_CHARS, rng.choice(BRAND_LENGTHS))))
    return list(seen)


def person(rng: random.Random) -> str:
    surname = SURNAMES[min(int(rng.paretovariate(0.9)) - 1, len(SURNAMES) - 1)]
    if rng.random() < 0.3:
        return surname + GIVEN_1[rng.randrange(len(GIVEN_1))]
    return surname + GIVEN_2[rng.randrange(len(GIVEN_2))]


def key_of(texts: list[str], spelled: list[tuple[str, str]]) -> str:
    """What search_key(*texts) answers, from spellings composed word by word."""
    parts = [t.lower() for t in texts]
    for full, initials in spelled:
        parts += [full, initials]
    return " ".join(dict.fromkeys(p for p in parts if p))


def compose(words: list[str]) -> tuple[str, str]:
    spelled = [spellings(w) for w in words]
    return "".join(s[0] for s in spelled), "".join(s[1] for s in spelled)


def generate(n: int, org: dict[str, Any], sample: dict[str, list[str]]
             ) -> Iterator[tuple[list[tuple[Any, ...]], list[tuple[Any, ...]]]]:
    """Batches of customer and contact rows; a few of each batch's words go to the sample."""
    rng = random.Random(n)
    names = brands()
    reps = [(uuid.UUID(r), uuid.UUID(d["id"])) for d in org["departments"] for r in d["reps"]]
    t0 = datetime(2024, 1, 1, tzinfo=UTC)
    customers: list[tuple[Any, ...]] = []
    contacts: list[tuple[Any, ...]] = []
    for i in range(n):
        if len(customers) == BATCH:
            yield customers, contacts
            customers, contacts = [], []
        city = CITIES[rng.randrange(len(CITIES))][0]
        brand = names[rng.randrange(len(names))]
        trade = INDUSTRY_WORDS[rng.randrange(len(INDUSTRY_WORDS))][0]
        suffix = LEGAL_SUFFIXES[rng.randrange(len(LEGAL_SUFFIXES))]
        name = f"{city}{brand}{trade}{suffix}"
        created = t0 + timedelta(seconds=i * 90)
        number = f"C{created:%Y%m}{i + 1:07d}"
        contact = person(rng)
        mobile = f"1{rng.randrange(3, 10)}{rng.randrange(10**9):09d}"
        owner, dept = reps[rng.randrange(len(reps))]
        cid = uuid.uuid4()
        key = key_of([name, number, contact], [compose([city, brand, trade, suffix]),
                                               spellings(contact)])
        customers.append((cid, number, name, name, "company", "potential", "normal", owner,
                          dept, key, created, created))
        contacts.append((uuid.uuid4(), cid, 0, contact, TITLES[rng.randrange(len(TITLES))],
                         f"{mobile[:3]}****{mobile[-4:]}", True,
                         key_of([contact], [spellings(contact)]), [mobile[-4:]]))
        if rng.random() < 0.002:
            full, initials = compose([brand])
            sample["chinese"] += [brand, city + brand, contact]
            sample["pinyin"] += [full]
            sample["initials"] += [compose([city, brand])[1], initials if len(initials) > 2
                                   else compose([brand, trade])[1]]
            sample["numbers"] += [number, number[-7:]]
            sample["phones"] += [mobile[-4:]]
    yield customers, contacts


CUSTOMER_COLS = ("id", "number", "name", "name_normalised", "kind", "grade", "tier", "owner_id",
                 "owner_department_id", "search_text", "created_at", "updated_at")
CONTACT_COLS = ("id", "customer_id", "position", "name", "title", "mobile_masked", "is_primary",
                "search_text", "phone_tails")


async def seed(n: int) -> dict[str, Any]:
    t = time.monotonic()
    url = await servers.recreate_database(servers.admin_url(), DB_NAME)
    from adapters.db.migrate import upgrade

    await upgrade(url)
    org = await create_org(url)
    print(f"schema and organisation: {time.monotonic() - t:.1f} s", flush=True)
    sample: dict[str, list[str]] = {k: [] for k in ("chinese", "pinyin", "initials",
                                                    "numbers", "phones")}
    conn = await asyncpg.connect(url)
    try:
        indexes = await conn.fetch(
            "SELECT indexname, indexdef FROM pg_indexes WHERE tablename = ANY($1::text[]) "
            "AND indexname NOT IN (SELECT conname FROM pg_constraint)", list(TABLES))
        for row in indexes:
            await conn.execute(f'DROP INDEX "{row["indexname"]}"')
        for table in TABLES:
            await conn.execute(f"ALTER TABLE {table} DISABLE TRIGGER ALL")
        for customers, contacts in generate(n, org, sample):
            await conn.copy_records_to_table("customers", records=customers,
                                             columns=CUSTOMER_COLS)
            await conn.copy_records_to_table("contacts", records=contacts, columns=CONTACT_COLS)
        for table in TABLES:
            await conn.execute(f"ALTER TABLE {table} ENABLE TRIGGER ALL")
        print(f"copied: {time.monotonic() - t:.1f} s", flush=True)
    finally:
        await conn.close()

    async def build(defs: list[str]) -> None:
        c = await asyncpg.connect(url)
        try:
            await c.execute("SET maintenance_work_mem = '512MB'")
            for d in defs:
                await c.execute(d)
        finally:
            await c.close()

    defs = [row["indexdef"] for row in indexes]
    await asyncio.gather(build(defs[0::2]), build(defs[1::2]))
    conn = await asyncpg.connect(url)
    try:
        # as migrations 0015 and 0021 set them: a gram's frequency varies widely
        for table, column in (("customers", 2), ("contacts", 1)):
            for name in ("bigrams", "trigrams"):
                await conn.execute(f"ALTER INDEX ix_{table}_search_{name} "
                                   f"ALTER COLUMN {column} SET STATISTICS 1000")
        await conn.execute("VACUUM ANALYZE customers")
        await conn.execute("VACUUM ANALYZE contacts")
    finally:
        await conn.close()
    print(f"indexed and analysed: {time.monotonic() - t:.1f} s", flush=True)
    info = {"customers": n, "org": org, "sample": sample, "seconds": time.monotonic() - t}
    (OUT / "search_sample.json").write_text(json.dumps(info, ensure_ascii=False))
    return info


async def seeded(n: int) -> dict[str, Any] | None:
    path = OUT / "search_sample.json"
    if not path.exists() or not await servers.database_exists(servers.admin_url(), DB_NAME):
        return None
    info = json.loads(path.read_text())
    conn = await asyncpg.connect(db_url())
    try:
        count = await conn.fetchval("SELECT count(*) FROM customers")
    finally:
        await conn.close()
    return info if count >= n and info["customers"] >= n else None


# ---- the load --------------------------------------------------------------------------------


def queries(sample: dict[str, list[str]]) -> list[str]:
    return [q for kind in ("chinese", "pinyin", "initials", "numbers", "phones")
            for q in sample[kind]]


def client(port: int, tokens: list[str], qs: list[str], seconds: float, warmup: float,
           out: Any) -> None:
    """One process: a thread per token, each a keep-alive connection in a closed loop."""
    latencies: list[list[float]] = [[] for _ in tokens]
    errors: list[str] = []

    def loop(i: int) -> None:
        rng = random.Random(i)
        conn = http.client.HTTPConnection("127.0.0.1", port)
        headers = {"Authorization": f"Bearer {tokens[i]}"}
        start = time.monotonic()
        while (now := time.monotonic()) - start < warmup + seconds:
            q = urllib.parse.quote(rng.choice(qs))
            t = time.perf_counter()
            conn.request("GET", f"/api/v1/search?q={q}&limit=5", headers=headers)
            r = conn.getresponse()
            body = r.read()
            if r.status != 200:
                errors.append(f"{r.status} {body[:200]!r}")
            elif now - start >= warmup:
                latencies[i].append((time.perf_counter() - t) * 1000)

    threads = [threading.Thread(target=loop, args=(i,)) for i in range(len(tokens))]
    for th in threads:
        th.start()
    for th in threads:
        th.join()
    out.put({"latencies": [x for xs in latencies for x in xs], "errors": errors[:5],
             "error_count": len(errors)})


def percentile(xs: list[float], p: float) -> float:
    return xs[min(len(xs) - 1, round(p / 100 * (len(xs) - 1)))]


def run_load(port: int, tokens: dict[str, str], qs: list[str], clients: int, seconds: float
             ) -> dict[str, Any]:
    order = ["admin", "manager", "rep0", "rep1", "rep2", "manager2", "rep3", "admin"]
    picked = [tokens[order[i % len(order)]] for i in range(clients)]
    results: Any = mp.Queue()
    procs = [mp.Process(target=client, args=(port, picked[half::2], qs, seconds, 3.0, results))
             for half in range(2)]
    for p in procs:
        p.start()
    parts = [results.get() for _ in procs]
    for p in procs:
        p.join()
    lat = sorted(x for part in parts for x in part["latencies"])
    errors = sum(part["error_count"] for part in parts)
    if errors:
        raise RuntimeError(f"{errors} errors, e.g. {parts[0]['errors'] or parts[1]['errors']}")
    return {"requests": len(lat), "rps": len(lat) / seconds, "p50": percentile(lat, 50),
            "p95": percentile(lat, 95), "p99": percentile(lat, 99), "max": lat[-1],
            "mean": statistics.fmean(lat)}


async def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--customers", type=int, default=1_000_000)
    ap.add_argument("--seconds", type=float, default=30)
    ap.add_argument("--clients", type=int, default=8)
    ap.add_argument("--reseed", action="store_true")
    args = ap.parse_args()
    OUT.mkdir(exist_ok=True)
    info = None if args.reseed else await seeded(args.customers)
    if info is None:
        info = await seed(args.customers)
        print(f"seeded {args.customers:,} customers in {info['seconds']:.0f} s", flush=True)
    org = info["org"]
    users = {"admin": org["admin"], "manager": org["departments"][0]["manager"],
             "manager2": org["departments"][1]["manager"],
             **{f"rep{i}": org["departments"][i]["reps"][0] for i in range(4)}}
    tokens = await issue_tokens(db_url(), users)
    qs = queries(info["sample"])
    port = servers.free_port()
    env = {**servers.server_env(db_url(), port, f"bench:search:{uuid.uuid4().hex[:6]}",
                                token_minutes=24 * 60),
           "CRM_WEB_WORKERS": "2", "CRM_LOOKUPS_PER_MINUTE": "1000000"}
    proc = servers.start(servers.crm("serve"), env, OUT / "search_server.log")
    try:
        servers.wait_ready(f"http://127.0.0.1:{port}")
        result = run_load(port, tokens, qs, args.clients, args.seconds)
    finally:
        servers.stop_all([proc])
    result.update(customers=args.customers, clients=args.clients, queries=len(qs),
                  at=datetime.now(UTC).isoformat(timespec="seconds"))
    (OUT / "search_results.json").write_text(json.dumps(result, indent=1))
    print(f"{result['requests']} searches in {args.seconds:.0f} s ({result['rps']:.0f}/s) at "
          f"{args.clients} clients over {len(qs)} queries: p50 {result['p50']:.1f} ms, "
          f"p95 {result['p95']:.1f} ms, p99 {result['p99']:.1f} ms, max {result['max']:.1f} ms")


if __name__ == "__main__":
    asyncio.run(main())
