"""The EXPLAIN and the written report of bench/customers_load.py: the statements
SqlCustomers.list_documents issues for each list shape, captured from the repository itself with
real sample values and EXPLAINed (ANALYZE, BUFFERS); how many rows the sampled words and filters
match; bench/out/c360_explain.md, c360_report.md and c360_results.json.
"""

from __future__ import annotations

import json
import random
import re
import subprocess
import uuid
from typing import Any

import asyncpg

from bench import seed_customers as seed
from bench.seed_customers import sample_words
from bench.servers import OUT, ROOT

# ---- EXPLAIN of the statements SqlCustomers.list_documents issues -----------------------------

async def explain_lists(sample: dict[str, Any]) -> list[dict[str, Any]]:
    """Runs the real repository (SqlCustomers.list_documents, what the endpoint serves) for one
    sample value of each list shape and role, captures the customers statement it sends, and
    EXPLAINs it with the same parameters (a custom plan, as for the first executions of a
    prepared statement), then once more under plan_cache_mode = force_generic_plan (what a
    prepared statement may switch to)."""
    from sqlalchemy import event

    from adapters.bootstrap import build
    from domain.customers.personal import normalise_mobile
    from domain.customers.queries import CustomerFilter
    from domain.identity.service import principal_of
    from domain.shared.paging import PageRequest

    c = build(seed.settings(seed.db_url()))
    rng = random.Random(5)
    words_mgr, words_rep = sample["words_mgr"], sample["words_rep"]
    q_mgr, q_rep = sample_words(words_mgr, False), sample_words(words_rep, False)
    q2_mgr, q2_rep = sample_words(words_mgr, True), sample_words(words_rep, True)
    fm, fr = rng.choice(sample["filters_mgr"]), rng.choice(sample["filters_rep"])
    cases: list[tuple[str, str, CustomerFilter]] = [
        ("filter", "manager", CustomerFilter(industry=fm[0], region=fm[1], tags_all=[fm[2]])),
        ("filter", "rep", CustomerFilter(industry=fr[0], region=fr[1], tags_all=[fr[2]])),
        ("phone", "admin", CustomerFilter(phone=normalise_mobile(rng.choice(sample["phones"])))),
        ("q", "manager", CustomerFilter(q=rng.choice(q_mgr))),
        ("q", "rep", CustomerFilter(q=rng.choice(q_rep))),
        ("q2", "manager", CustomerFilter(q=rng.choice(q2_mgr))),
        ("q2", "rep", CustomerFilter(q=rng.choice(q2_rep))),
    ]
    captured: list[tuple[str, Any]] = []

    def capture(conn: Any, cursor: Any, statement: str, parameters: Any, context: Any,
                executemany: bool) -> None:
        captured.append((statement, parameters))

    event.listen(c.engine.sync_engine, "before_cursor_execute", capture)
    results = []
    try:
        for shape, role, flt in cases:
            async with c.uow() as uow:
                user = await uow.users.get(uuid.UUID(sample["users"][role]))
                assert user is not None
                vis = await c.customers.visibility(uow, principal_of(user))
                captured.clear()
                page = await uow.customers.list_documents(flt, vis, PageRequest(), None)
                stmt, params = next((s, p) for s, p in captured if "FROM customers" in s
                                    and "contacts.customer_id IN" not in s.split("WHERE")[0])
                results.append({"shape": shape, "role": role, "filter": _describe(flt),
                                "rows": len(page.items), "sql": stmt, "params": params})
    finally:
        event.remove(c.engine.sync_engine, "before_cursor_execute", capture)
        await c.close()

    conn = await asyncpg.connect(seed.db_url())
    try:
        for r in results:
            params = list(r["params"]) if r["params"] is not None else []
            rows = await conn.fetch("EXPLAIN (ANALYZE, BUFFERS) " + r["sql"], *params)
            r["plan"] = "\n".join(x[0] for x in rows)
            # What the server's prepared statement runs once PostgreSQL's plan cache has seen
            # five executions (plan_cache_mode = auto): a generic plan when it looks no dearer.
            lits = ", ".join(_literal(p) for p in params)
            await conn.execute(f"PREPARE bench_q AS {r['sql']}")
            try:
                for _ in range(5):
                    await conn.execute(f"EXECUTE bench_q({lits})")
                rows = await conn.fetch(f"EXPLAIN (ANALYZE, BUFFERS) EXECUTE bench_q({lits})")
                r["prepared_plan"] = "\n".join(x[0] for x in rows)
                await conn.execute("SET plan_cache_mode = force_generic_plan")
                rows = await conn.fetch(f"EXPLAIN (ANALYZE, BUFFERS) EXECUTE bench_q({lits})")
                r["generic_plan"] = "\n".join(x[0] for x in rows)
            finally:
                await conn.execute("RESET plan_cache_mode")
                await conn.execute("DEALLOCATE bench_q")
            r["prepared_is_generic"] = bool(re.search(r"\$\d", r["prepared_plan"]))
            r["params"] = [str(p) for p in params]
    finally:
        await conn.close()
    return results


def _literal(value: Any) -> str:
    if isinstance(value, (list, tuple)):
        return "ARRAY[" + ", ".join(_literal(v) for v in value) + "]::text[]"
    if isinstance(value, int):
        return str(value)
    return "'" + str(value).replace("'", "''") + "'"


def _describe(flt: Any) -> str:
    parts = []
    for name in ("industry", "region", "tags_all", "q", "phone"):
        v = getattr(flt, name)
        if v:
            parts.append(f"{name}={list(v) if name == 'tags_all' else v}")
    return ", ".join(parts)


def _exec_ms(plan: str) -> float:
    m = re.search(r"Execution Time: ([\d.]+) ms", plan)
    return float(m.group(1)) if m else float("nan")


async def match_counts(sample: dict[str, Any], per_kind: int = 12) -> dict[str, Any]:
    """How many visible rows the sample's words and filters match (not just the first page)."""
    org, users = sample["org"], sample["users"]
    dept = next(d for d in org["departments"] if d["manager"] == users["manager"])

    def visible(role: str, first: int) -> tuple[str, list[Any]]:
        if role == "manager":
            return (f"(owner_id = ${first} OR owner_department_id = ${first + 1})",
                    [uuid.UUID(users["manager"]), uuid.UUID(dept["id"])])
        return f"owner_id = ${first}", [uuid.UUID(users["rep"])]

    def summary(counts: list[int]) -> dict[str, int]:
        counts.sort()
        return {"median": counts[len(counts) // 2], "min": counts[0], "max": counts[-1]}

    rng = random.Random(11)
    out: dict[str, Any] = {}
    conn = await asyncpg.connect(seed.db_url())
    try:
        for kind, short in (("q", False), ("q2", True)):
            for role in ("manager", "rep"):
                words = sample_words(
                    sample[f"words_{'mgr' if role == 'manager' else 'rep'}"], short)
                clause, args = visible(role, 2)
                counts = [await conn.fetchval(
                    f"SELECT count(*) FROM customers WHERE deleted_at IS NULL AND {clause} "
                    "AND search_text ILIKE $1", f"%{w.lower()}%", *args)
                    for w in rng.sample(words, min(per_kind, len(words)))]
                out[f"{kind}/{role}"] = summary(counts)
        for role in ("manager", "rep"):
            items = sample[f"filters_{'mgr' if role == 'manager' else 'rep'}"]
            clause, args = visible(role, 4)
            counts = [await conn.fetchval(
                f"SELECT count(*) FROM customers WHERE deleted_at IS NULL AND {clause} AND "
                "industry = $1 AND region = $2 AND tags @> ARRAY[$3]::text[]", i, r, t, *args)
                for i, r, t in rng.sample(items, min(per_kind, len(items)))]
            out[f"filter/{role}"] = summary(counts)
    finally:
        await conn.close()
    return out


# ---- the report ------------------------------------------------------------------------------

def _git() -> str:
    def run(*cmd: str) -> str:
        return subprocess.run(["git", *cmd], cwd=ROOT, capture_output=True, text=True).stdout
    dirty = len([x for x in run("status", "--porcelain", "--untracked-files=no").splitlines()])
    return run("rev-parse", "--short", "HEAD").strip() + (
        f" + {dirty} files changed in the working tree" if dirty else "")


def report(sample: dict[str, Any], results: list[dict[str, Any]], rss: str | None,
           counts: dict[str, Any], plans: list[dict[str, Any]], args: Any) -> str:
    """A markdown section: the table, the rows the sampled values match, and the plans."""
    out = [f"Code: {_git()}; {sample['customers']:,} customers; API processes: "
           f"{args.workers or 'default (one per core)'}; wrk -t{args.threads} "
           f"-c{args.connections} -d{args.seconds}s per shape after a {args.warmup} s warm-up; "
           f"then wrk -t1 -c1 -d{args.single_seconds}s; PostgreSQL shared_buffers "
           f"{args.shared_buffers}.\n",
           "| shape | role | req/s | p50 | p90 | p99 | target p99 | | 1 client p50 | "
           "1 client p99 | CPU/request API + PG | rows matched (median) | other load |",
           "|---|---|---:|---:|---:|---:|---:|---|---:|---:|---:|---:|---:|"]
    for r in results:
        c = counts.get(f"{r['shape']}/{r['role']}")
        out.append(
            f"| {r['shape']} | {r['role']} | {r['rps']:.1f} | {r['p50']:.1f} ms | "
            f"{r['p90']:.1f} ms | **{r['p99']:.1f} ms** | {r['target_p99']:.0f} ms | "
            f"{'pass' if r['ok'] else '**miss**'} | {r.get('single_p50', 0):.1f} ms | "
            f"{r.get('single_p99', 0):.1f} ms | {r.get('api_cpu_ms', 0):.1f} + "
            f"{r.get('pg_cpu_ms', 0):.1f} ms | {c['median'] if c else '1'} | "
            f"{r['foreign_cores']:.2f} cores |")
    out.append(f"\nAPI process peak RSS: {rss}.\n")
    for p in plans:
        kind = "generic" if p["prepared_is_generic"] else "custom"
        out.append(f"#### {p['shape']} as {p['role']} ({p['filter']}; {p['rows']} rows)\n")
        out.append(f"Custom plan {_exec_ms(p['plan']):.1f} ms; as the server's prepared "
                   f"statement after five runs: {kind} plan, "
                   f"{_exec_ms(p['prepared_plan']):.1f} ms.\n")
        out.append("```\n" + p["plan"] + "\n```\n")
    return "\n".join(out)


# ---- after the load -------------------------------------------------------------------------

async def explain_and_report(sample: dict[str, Any], results: list[dict[str, Any]],
                             rss: str | None, args: Any) -> None:
    """The plans and the rows matched, printed and written with the load's results."""
    print("EXPLAIN (ANALYZE, BUFFERS) of the list statements …", flush=True)
    plans = await explain_lists(sample)
    counts = await match_counts(sample)
    md = []
    for p in plans:
        md.append(f"#### {p['shape']} as {p['role']}: {p['filter']} "
                  f"({p['rows']} rows on the page)\n")
        md.append("```sql\n" + p["sql"].strip() + "\n-- " + repr(p["params"]) + "\n```\n")
        md.append(f"With the values (custom plan), {_exec_ms(p['plan']):.1f} ms:\n")
        md.append("```\n" + p["plan"] + "\n```\n")
        kind = "a generic plan" if p["prepared_is_generic"] else "still a custom plan"
        md.append(f"As a prepared statement after five executions (plan_cache_mode = auto: "
                  f"{kind}), {_exec_ms(p['prepared_plan']):.1f} ms:\n")
        md.append("```\n" + p["prepared_plan"] + "\n```\n")
        md.append(f"Generic plan (force_generic_plan), {_exec_ms(p['generic_plan']):.1f} ms:"
                  "\n")
        md.append("```\n" + p["generic_plan"] + "\n```\n")
    (OUT / "c360_explain.md").write_text("\n".join(md))
    for p in plans:
        print(f"  {p['shape']:<6} {p['role']:<8} custom {_exec_ms(p['plan']):8.1f} ms   "
              f"prepared x6 {_exec_ms(p['prepared_plan']):8.1f} ms "
              f"({'generic' if p['prepared_is_generic'] else 'custom'})   "
              f"generic {_exec_ms(p['generic_plan']):8.1f} ms   {p['filter']}")
    print("rows matched by the sampled values (visible to the role):")
    for k, v in counts.items():
        print(f"  {k:<16} median {v['median']}, min {v['min']}, max {v['max']}")
    (OUT / "c360_report.md").write_text(report(sample, results, rss, counts, plans, args))
    (OUT / "c360_results.json").write_text(json.dumps(
        {"results": results, "rss": rss, "counts": counts, "plans": plans,
         "seconds": args.seconds, "connections": args.connections,
         "threads": args.threads}, ensure_ascii=False, indent=1, default=str))
    print("written: bench/out/c360_results.json, bench/out/c360_report.md, "
          "bench/out/c360_explain.md")
    failed = [f"{r['shape']}/{r['role']}" for r in results if not r["ok"]]
    if results:
        print("targets: " + ("all met" if not failed else "MISSED: " + ", ".join(failed)))
