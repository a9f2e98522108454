"""Customer 360 under load at 1,000,000 customers: GET by id, filtered lists, phone lookup, q.

    .venv/bin/python bench/seed_customers.py --keep        # once (2 to 4 minutes), then:
    .venv/bin/python bench/customers_load.py [--seconds 20] [--connections 8] [--keep]

Uses the crm_bench_c360 database and bench/out/c360_sample.json left by the seed (runs the seed
first when either is missing), starts `crm serve` (one uvicorn process) against it and drives
each request shape with wrk (2 threads; bench/c360_paths.lua picks a random path per request
from the sample, so ids, phones, filters and words vary and caches do not flatter). Each shape
gets a short warm-up, then a measured run; any non-2xx answer fails the run. Then: the API
process's peak RSS (VmHWM), and EXPLAIN (ANALYZE, BUFFERS) of the statements SqlCustomers.list
issues for each list shape, captured from the repository itself, with real sample values.
Writes bench/out/c360_results.json and bench/out/c360_explain.md. Drops the database at the
end unless --keep.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import random
import re
import subprocess
import sys
import time
import uuid
from pathlib import Path
from typing import Any
from urllib.parse import quote, urlencode

import asyncpg
import httpx

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench import seed_customers as seed  # noqa: E402
from bench import servers  # noqa: E402
from bench.c360_report import explain_and_report  # noqa: E402
from bench.measure import CpuWatch, api_pids, vm_hwm, wait_quiet  # noqa: E402
from bench.seed_customers import sample_words  # noqa: E402

OUT = servers.OUT
LUA = ROOT / "bench" / "c360_paths.lua"
API = "/api/v1/customers"

# shape, role, target p99 (ms), description
SHAPES: list[tuple[str, str, float, str]] = [
    ("get", "rep", 20, "GET /customers/{id}, ids the rep owns"),
    ("get", "admin", 20, "GET /customers/{id}, any id"),
    ("filter", "manager", 50, "?industry=&region=&tag= (the team's combinations)"),
    ("filter", "rep", 50, "?industry=&region=&tag= (the rep's combinations)"),
    ("phone", "admin", 20, "?phone=<mobile>"),
    ("q", "manager", 100, "?q=<word of 3+ chars>: trade names, city+trade name, full names"),
    ("q", "rep", 100, "?q=<word of 3+ chars>"),
    ("q2", "manager", 100, "?q=<2-char word>: 2-char trade names and names"),
    ("q2", "rep", 100, "?q=<2-char word>"),
]


def build_paths(sample: dict[str, Any]) -> dict[tuple[str, str], list[str]]:
    def flt(items: list[list[str]]) -> list[str]:
        return [f"{API}?" + urlencode({"industry": i, "region": r, "tag": t}, quote_via=quote)
                for i, r, t in items]

    def words(ws: list[str]) -> list[str]:
        return [f"{API}?q={quote(w)}" for w in ws]

    return {
        ("get", "rep"): [f"{API}/{i}" for i in sample["rep_ids"]],
        ("get", "admin"): [f"{API}/{i}" for i in sample["all_ids"]],
        ("filter", "manager"): flt(sample["filters_mgr"]),
        ("filter", "rep"): flt(sample["filters_rep"]),
        ("phone", "admin"): [f"{API}?phone={p}" for p in sample["phones"]],
        ("q", "manager"): words(sample_words(sample["words_mgr"], short=False)),
        ("q", "rep"): words(sample_words(sample["words_rep"], short=False)),
        ("q2", "manager"): words(sample_words(sample["words_mgr"], short=True)),
        ("q2", "rep"): words(sample_words(sample["words_rep"], short=True)),
    }


def _ms(value: str, unit: str) -> float:
    return float(value) * {"us": 0.001, "ms": 1.0, "s": 1000.0, "m": 60000.0}[unit]


def wrk(base: str, token: str, paths_file: Path, seconds: int, connections: int,
        threads: int) -> dict[str, Any]:
    cmd = ["wrk", f"-t{threads}", f"-c{connections}", f"-d{seconds}s", "--latency",
           "--timeout", "10s", "-s", str(LUA), "-H", f"Authorization: Bearer {token}", base,
           "--", str(paths_file)]
    proc = subprocess.run(cmd, capture_output=True, text=True)
    out = proc.stdout
    if proc.returncode != 0 or "Requests/sec" not in out:
        raise RuntimeError(f"wrk failed ({proc.returncode}): {proc.stderr}\n{out}")
    non2xx = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    if non2xx:
        raise RuntimeError(f"{paths_file.name}: the API answered errors "
                           f"({non2xx.group(0)})\n{out}")
    errors = re.search(r"Socket errors: (.*)", out)
    res: dict[str, Any] = {
        "rps": float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1)),  # type: ignore[union-attr]
        "requests": int(re.search(r"(\d+) requests in", out).group(1)),  # type: ignore[union-attr]
        "socket_errors": errors.group(1) if errors else None,
    }
    for pct in ("50", "90", "99"):
        m = re.search(rf"\s{pct}%\s+([\d.]+)(us|ms|s|m)\b", out)
        assert m, out
        res[f"p{pct}"] = _ms(m.group(1), m.group(2))
    m = re.search(r"Latency\s+\S+\s+\S+\s+([\d.]+)(us|ms|s|m)\b", out)
    res["max"] = _ms(m.group(1), m.group(2)) if m else None
    if errors:
        raise RuntimeError(f"{paths_file.name}: socket errors {errors.group(1)}\n{out}")
    return res


async def check_seeded() -> dict[str, Any] | None:
    if not seed.SAMPLE_FILE.exists():
        return None
    if not await servers.database_exists(servers.admin_url(), seed.DB_NAME):
        return None
    sample = json.loads(seed.SAMPLE_FILE.read_text())
    conn = await asyncpg.connect(seed.db_url())
    try:
        n = await conn.fetchval("SELECT reltuples::bigint FROM pg_class "
                                "WHERE relname = 'customers'")
        ok = await conn.fetchval("SELECT count(*) FROM users WHERE id = $1",
                                 uuid.UUID(sample["users"]["rep"]))
    except asyncpg.PostgresError:
        return None
    finally:
        await conn.close()
    if not ok or n < 0.9 * sample["customers"]:
        return None
    return sample


# ---- main -----------------------------------------------------------------------------------

def start_server(port: int, workers: int | None = None) -> subprocess.Popen[bytes]:
    env = seed.server_env(seed.db_url(), port)
    if workers:
        env["CRM_WEB_WORKERS"] = str(workers)
    return servers.start(servers.crm("serve"), env, OUT / "c360_server.log")


def smoke(base: str, token: str, paths: list[str], role: str, shape: str) -> float:
    """A few requests by hand: 200s, and (for lists) that pages are not empty."""
    sizes = []
    with httpx.Client(base_url=base, headers={"Authorization": f"Bearer {token}"},
                      timeout=30) as client:
        for p in random.Random(3).sample(paths, min(20, len(paths))):
            r = client.get(p)
            if r.status_code != 200:
                raise RuntimeError(f"{shape}/{role}: {p} answered {r.status_code}: {r.text}")
            body = r.json()
            sizes.append(len(body["items"]) if "items" in body else 1)
    if min(sizes) == 0:
        raise RuntimeError(f"{shape}/{role}: an empty page for a sampled value: {sizes}")
    return sum(sizes) / len(sizes)


def run_load(args: Any, sample: dict[str, Any], tokens: dict[str, str],
             paths: dict[tuple[str, str], list[str]], files: dict[tuple[str, str], Path]
             ) -> tuple[list[dict[str, Any]], str]:
    proc = start_server(args.port, args.workers)
    try:
        base = f"http://127.0.0.1:{args.port}"
        servers.wait_up(f"{base}/healthz", 120)
        time.sleep(3)  # the spawned web processes
        print(f"API processes: {len(api_pids(proc.pid))}", flush=True)
        only = {s for s in args.only.split(",") if s}
        results = []
        print(f"{sample['customers']:,} customers; wrk -t{args.threads} -c{args.connections} "
              f"-d{args.seconds}s per shape (after a {args.warmup} s warm-up)", flush=True)
        for shape, role, target, desc in SHAPES:
            if only and shape not in only:
                continue
            key = (shape, role)
            per_page = smoke(base, tokens[role], paths[key], role, shape)
            before = wait_quiet(proc.pid, seed.DB_NAME, max_wait=args.quiet_wait)
            wrk(base, tokens[role], files[key], args.warmup, args.connections, args.threads)
            watch = CpuWatch(proc.pid, seed.DB_NAME)
            r = wrk(base, tokens[role], files[key], args.seconds, args.connections,
                    args.threads)
            r["foreign_cores"] = round(watch.foreign_cores(), 2)
            api_ms, pg_ms = watch.cpu_ms()
            r["api_cpu_ms"] = round(api_ms / max(1, r["requests"]), 2)
            r["pg_cpu_ms"] = round(pg_ms / max(1, r["requests"]), 2)
            r["foreign_cores_before"] = round(before, 2)
            if args.single_seconds:  # one client: the service time, without queueing
                one = wrk(base, tokens[role], files[key], args.single_seconds, 1, 1)
                r.update(single_rps=one["rps"], single_p50=one["p50"], single_p99=one["p99"])
            r.update(shape=shape, role=role, target_p99=target, desc=desc,
                     distinct_paths=len(paths[key]), items_per_page=per_page,
                     ok=r["p99"] <= target)
            results.append(r)
            print(f"  {shape:<6} {role:<8} {r['rps']:8.1f} req/s  p50 {r['p50']:7.2f}  "
                  f"p90 {r['p90']:7.2f}  p99 {r['p99']:7.2f} ms  (target {target} ms: "
                  f"{'pass' if r['ok'] else 'MISS'})  {len(paths[key])} paths, "
                  f"{per_page:.1f} items/page; others used {r['foreign_cores']:.2f} cores; "
                  f"CPU per request: API {r['api_cpu_ms']:.2f} ms, PostgreSQL "
                  f"{r['pg_cpu_ms']:.2f} ms",
                  flush=True)
            if args.single_seconds:
                print(f"  {'':<6} {'':<8} 1 client: {r['single_rps']:6.1f} req/s  "
                      f"p50 {r['single_p50']:7.2f}  p99 {r['single_p99']:7.2f} ms", flush=True)
        rss = vm_hwm(proc.pid)
        print(f"API peak RSS: {rss}", flush=True)
    finally:
        servers.stop_all([proc])
    return results, rss


async def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--seconds", type=int, default=20)
    ap.add_argument("--connections", type=int, default=8)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--warmup", type=int, default=3)
    ap.add_argument("--single-seconds", type=int, default=8,
                    help="then one client (wrk -t1 -c1) this long per shape; 0 skips it")
    ap.add_argument("--quiet-wait", type=float, default=90,
                    help="before each shape, wait up to this many seconds for other processes "
                    "to use < 0.3 cores (0: do not wait)")
    ap.add_argument("--port", type=int, default=8130)
    ap.add_argument("--workers", type=int, default=None,
                    help="web processes of crm serve (CRM_WEB_WORKERS; default: its own)")
    ap.add_argument("--customers", type=int, default=1_000_000,
                    help="for the seed, when there is none")
    ap.add_argument("--only", default="", help="comma-separated shapes, e.g. get,q")
    ap.add_argument("--explain-only", action="store_true", help="no load, just the plans")
    ap.add_argument("--no-explain", action="store_true", help="the load only, no plans")
    ap.add_argument("--keep", action="store_true", help=f"keep the {seed.DB_NAME} database")
    args = ap.parse_args()

    sample = await check_seeded()
    if sample is None:
        print(f"no seeded {seed.DB_NAME}: seeding {args.customers:,} customers first", flush=True)
        subprocess.run([sys.executable, str(ROOT / "bench" / "seed_customers.py"),
                        "--customers", str(args.customers), "--keep"], cwd=ROOT, check=True)
        sample = await check_seeded()
        assert sample is not None
    try:
        conn = await asyncpg.connect(seed.db_url())
        args.shared_buffers = await conn.fetchval("SHOW shared_buffers")
        await conn.close()
        print(f"PostgreSQL shared_buffers: {args.shared_buffers} (the working set of the "
              "lists, customers + contacts with their indexes, is ~2.2 GB)", flush=True)
        tokens = await seed.issue_tokens(seed.db_url(), sample["users"])
        paths = build_paths(sample)
        OUT.mkdir(parents=True, exist_ok=True)
        files = {}
        for (shape, role), ps in paths.items():
            f = OUT / f"paths_{shape}_{role}.txt"
            f.write_text("\n".join(ps) + "\n")
            files[(shape, role)] = f
        results, rss = ([], None) if args.explain_only else run_load(
            args, sample, tokens, paths, files)
        if args.no_explain:
            (OUT / "c360_results.json").write_text(json.dumps(
                {"results": results, "rss": rss, "workers": args.workers}, indent=1))
            return

        await explain_and_report(sample, results, rss, args)
    finally:
        if not args.keep:
            await servers.drop_database(servers.admin_url(), seed.DB_NAME)
            print(f"dropped {seed.DB_NAME} (use --keep to keep it)")


if __name__ == "__main__":
    asyncio.run(main())
