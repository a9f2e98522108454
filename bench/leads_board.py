"""(b) of bench/leads_bench.py: GET /api/v1/opportunities?view=board for a pipeline with
100,000 open opportunities (seeded with COPY), as an administrator who sees them all, with wrk;
then EXPLAIN (ANALYZE, BUFFERS) of the statements the board runs, written to
bench/out/board_explain.txt.
"""

from __future__ import annotations

import os
import random
import re
import subprocess
import time
import uuid
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

import asyncpg
import httpx

from adapters.bootstrap import Container
from adapters.db.engine import libpq_url
from adapters.db.pipeline import SqlOpportunities
from bench.servers import OUT
from domain.identity.service import principal_of
from domain.pipeline.queries import OpportunityFilter
from domain.shared.authz import Actor, Visibility


async def seed_deals(c: Container, db: str, people: dict[str, Any], deals: int) -> Any:
    admin = Actor(principal_of(people["admin"]))
    (pipeline,) = [p for p in await c.opportunities.list_pipelines(admin) if p.is_default]
    owners = [u.id for u in people["reps"]]
    east = people["east"].id
    now = datetime.now(UTC)
    rng = random.Random(5)
    conn = await asyncpg.connect(libpq_url(db))
    try:
        customers = [(uuid.uuid4(), f"C202611{i:06d}", f"第{i}号客户有限公司",
                      f"第{i}号客户有限公司", "company", "potential", "normal",
                      owners[i % len(owners)], east, f"第{i}号客户有限公司") for i in range(2000)]
        await conn.copy_records_to_table(
            "customers", records=customers,
            columns=["id", "number", "name", "name_normalised", "kind", "grade", "tier",
                     "owner_id", "owner_department_id", "search_text"])
        open_stages = pipeline.open_stages
        weights = [40, 30, 20, 10][:len(open_stages)]
        rows = []
        for i in range(deals):
            stage = rng.choices(open_stages, weights)[0]
            updated = now - timedelta(minutes=rng.randint(0, 90 * 24 * 60))
            rows.append((
                uuid.uuid4(), f"O202611{i:07d}", f"商机 {i}", customers[i % 2000][0],
                pipeline.id, stage.id, "open", stage.probability,
                Decimal(rng.randint(1_000_000, 500_000_000)) / 100,
                "USD" if rng.random() < 0.03 else "CNY", owners[i % len(owners)], east,
                updated, now, updated, updated))
        await conn.copy_records_to_table(
            "opportunities", records=rows,
            columns=["id", "number", "name", "customer_id", "pipeline_id", "stage_id", "status",
                     "probability", "amount", "currency", "owner_id", "owner_department_id",
                     "stage_entered_at", "last_activity_at", "created_at", "updated_at"])
        await conn.execute("VACUUM ANALYZE opportunities")
        await conn.execute("VACUUM ANALYZE customers")
    finally:
        await conn.close()
    return pipeline


async def explain(db: str, pipeline: Any) -> str:
    """EXPLAIN ANALYZE of the two statements the board runs, compiled from the repository."""
    from sqlalchemy.dialects.postgresql.asyncpg import dialect

    repo = SqlOpportunities(None, [])  # type: ignore[arg-type]
    flt = OpportunityFilter(pipeline_id=pipeline.id)
    everything = Visibility(everything=True)
    out = []
    conn = await asyncpg.connect(libpq_url(db))
    try:
        for name, stmt in (
            ("totals (kept by the triggers)", repo.totals_statement(flt, everything)),
            ("totals, live (what a status filter falls back to)", repo.totals_statement(
                OpportunityFilter(pipeline_id=pipeline.id, status="open"), everything)),
            ("cards", repo.cards_statement(flt, everything, [s.id for s in pipeline.stages],
                                           20)),
        ):
            compiled = stmt.compile(dialect=dialect())
            params = [compiled.params[k] for k in compiled.positiontup or []]
            sql = str(compiled)
            plan = await conn.fetch(f"EXPLAIN (ANALYZE, BUFFERS) {sql}", *params)
            shown = ", ".join(f"${i} = {p}" for i, p in enumerate(params, 1))
            out.append(f"-- {name}\n{sql}\n-- {shown}\n\n" + "\n".join(r[0] for r in plan))
    finally:
        await conn.close()
    return "\n\n".join(out)


def wrk(url: str, token: str, seconds: int, connections: int) -> dict[str, float]:
    out = subprocess.run(
        ["wrk", f"-t{min(2, connections)}", f"-c{connections}", f"-d{seconds}s", "--latency",
         "--timeout", "5s", "-H", f"Authorization: Bearer {token}", url],
        capture_output=True, text=True, check=True).stdout
    non2xx = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    if non2xx:
        raise RuntimeError(f"{url} answered errors: {non2xx.group(0)}")

    def ms(label: str) -> float:
        m = re.search(rf"{label}\s+([\d.]+)(us|ms|s)\b", out)
        assert m, out
        return float(m.group(1)) * {"us": 0.001, "ms": 1.0, "s": 1000.0}[m.group(2)]

    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))  # type: ignore[union-attr]
    return {"rps": rps, "p50": ms("50%"), "p90": ms("90%"), "p99": ms("99%")}


async def board_bench(c: Container, db: str, base: str, people: dict[str, Any], args: Any
                      ) -> None:
    """Seeds the deals, checks that the board counts them all, warms up, then measures with one
    connection and with --connections."""
    started = time.monotonic()
    pipeline = await seed_deals(c, db, people, args.deals)
    print(f"seeded {args.deals} open opportunities in {time.monotonic() - started:.1f} s")
    url = f"{base}/api/v1/opportunities?view=board&pipeline_id={pipeline.id}"
    r = httpx.get(url, headers={"Authorization": f"Bearer {people['token']}"}, timeout=10)
    board = r.json()
    total = sum(col["count"] for col in board["columns"])
    assert total >= args.deals, total
    wrk(url, people["token"], 3, args.connections)  # warm-up
    for connections in (1, args.connections):
        load = os.getloadavg()[0]
        b = wrk(url, people["token"], args.board_seconds, connections)
        print(f"(b) board of {total} deals, load average {load:.2f} before, "
              f"{connections} connection(s), "
              f"{args.board_seconds} s: {b['rps']:.1f} req/s, p50 {b['p50']:.1f} ms, "
              f"p90 {b['p90']:.1f} ms, p99 {b['p99']:.1f} ms")
    plans = await explain(db, pipeline)
    OUT.mkdir(exist_ok=True)
    (OUT / "board_explain.txt").write_text(plans + "\n")
    print(f"EXPLAIN written to {OUT / 'board_explain.txt'}")
