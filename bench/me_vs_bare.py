"""GET /api/v1/me against a bare Starlette endpoint doing the same work, at 16 connections.

    .venv/bin/python bench/me_vs_bare.py [--seconds 15] [--connections 16] [--rounds 2]

Needs wrk (apt-get install wrk) and a PostgreSQL to create a throwaway database in
(CRM_BENCH_ADMIN_URL, default postgresql://postgres@127.0.0.1:5432/test; embedded otherwise).
Both servers are single uvicorn processes (uvloop + httptools) on this machine; wrk runs beside
them. Rounds alternate bare → API so drift hits both alike.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import re
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from adapters.bootstrap import build  # noqa: E402
from adapters.db.migrate import upgrade  # noqa: E402
from adapters.embedded import reachable, start_postgres  # noqa: E402
from bench import servers  # noqa: E402
from domain.shared.authz import Role, system_actor  # noqa: E402
from tests.services import create_database, drop_database  # noqa: E402


def admin_url() -> str:
    if url := os.environ.get("CRM_BENCH_ADMIN_URL"):
        return url
    if reachable("127.0.0.1", 5432):
        return "postgresql://postgres@127.0.0.1:5432/test"
    return start_postgres(ROOT / ".crm-data" / "bench-pg", database="test")


def wrk(url: str, token: str, seconds: int, connections: int) -> tuple[float, float]:
    out = subprocess.run(
        ["wrk", "-t2", f"-c{connections}", f"-d{seconds}s", "--latency",
         "-H", f"Authorization: Bearer {token}", url],
        capture_output=True, text=True, check=True).stdout
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))  # type: ignore[union-attr]
    p99 = re.search(r"99%\s+([\d.]+)(us|ms|s)", out)
    assert p99, out
    factor = {"us": 0.001, "ms": 1.0, "s": 1000.0}[p99.group(2)]
    non2xx = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    if non2xx:
        raise RuntimeError(f"{url} answered errors: {non2xx.group(0)}")
    return rps, float(p99.group(1)) * factor


async def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--seconds", type=int, default=15)
    ap.add_argument("--connections", type=int, default=16)
    ap.add_argument("--rounds", type=int, default=2)
    args = ap.parse_args()

    admin = admin_url()
    db = await create_database(admin, prefix="crm_bench")
    procs: list[subprocess.Popen[bytes]] = []
    try:
        await upgrade(db)
        c = build(servers.settings(db))
        user = await c.identity.create_user(
            system_actor("bench"), email="bench@example.com", name="Bench", role=Role.MANAGER,
            department_id=None, password="bench-password-1")
        token, _ = c.identity.tokens.issue_access(user, c.clock.now())
        await c.close()

        env = {**servers.server_env(db, 8102, "crm:bench"), "PORT": "8101",
               # like for like with the bare endpoint: one process, the caller looked up
               # in PostgreSQL on every request
               "CRM_WEB_WORKERS": "1", "CRM_CALLER_CACHE_SECONDS": "0"}
        procs.append(servers.start([sys.executable, "bench/bare_me.py"], env))
        procs.append(servers.start(servers.crm("serve"), env))
        bare_url, api_url = "http://127.0.0.1:8101/me", "http://127.0.0.1:8102/api/v1/me"
        servers.wait_up(bare_url, 60)
        servers.wait_up(api_url, 60)
        for url in (bare_url, api_url):  # warm up pools and caches
            wrk(url, token, 3, args.connections)
        results: dict[str, list[tuple[float, float]]] = {"bare": [], "api": []}
        for _ in range(args.rounds):
            results["bare"].append(wrk(bare_url, token, args.seconds, args.connections))
            results["api"].append(wrk(api_url, token, args.seconds, args.connections))
        print(f"{args.connections} connections, {args.seconds} s x {args.rounds} rounds")
        for name, runs in results.items():
            for rps, p99 in runs:
                print(f"  {name:<5} {rps:9.1f} req/s   p99 {p99:7.2f} ms")
        bare = sum(r for r, _ in results["bare"]) / args.rounds
        api = sum(r for r, _ in results["api"]) / args.rounds
        print(f"mean: bare {bare:.1f} req/s, API {api:.1f} req/s, "
              f"ratio API/bare = {api / bare:.2f}")
    finally:
        servers.stop_all(procs)
        await drop_database(admin, db)


if __name__ == "__main__":
    asyncio.run(main())
