"""`crm serve --demo` as a real process: migrations, demo data, the API and the worker."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest

from adapters.demo import DEMO_PASSWORD
from tests.services import create_database, drop_database

ROOT = Path(__file__).resolve().parents[2]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture
async def server(admin_url: str, redis: str) -> AsyncIterator[str]:
    db = await create_database(admin_url, prefix="crm_e2e")
    port = _free_port()
    env = {**os.environ, "CRM_DATABASE_URL": db, "CRM_REDIS_URL": redis, "CRM_PORT": str(port),
           "CRM_QUEUE_NAME": f"crm:e2e:{port}", "CRM_LOG_LEVEL": "WARNING"}
    proc = subprocess.Popen([sys.executable, "-m", "adapters.cli", "serve", "--demo"], cwd=ROOT,
                            env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                            start_new_session=True)
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            assert proc.poll() is None, proc.stdout.read().decode() if proc.stdout else ""
            try:
                if httpx.get(f"{base}/readyz", timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            time.sleep(0.2)
        yield base
    finally:
        os.killpg(proc.pid, signal.SIGTERM)
        proc.wait(20)
        await drop_database(admin_url, db)


@pytest.mark.slow
async def test_serve_starts_ready_and_the_demo_admin_signs_in(server: str) -> None:
    async with httpx.AsyncClient(base_url=server, timeout=10) as client:
        ready = await client.get("/readyz")
        assert ready.status_code == 200 and ready.json()["checks"] == {
            "database": True, "redis": True}
        r = await client.post("/api/v1/auth/token",
                              data={"username": "admin@demo.crm", "password": DEMO_PASSWORD})
        assert r.status_code == 200, r.text
        headers = {"Authorization": f"Bearer {r.json()['access_token']}"}
        me = await client.get("/api/v1/me", headers=headers)
        assert me.json()["role"] == "admin"
        users = await client.get("/api/v1/users", headers=headers, params={"limit": 200})
        assert {u["role"] for u in users.json()["items"]} == {
            "admin", "manager", "sales_rep", "finance", "executive", "legal", "service_agent"}
        # the in-process worker delivered the welcome notification through the outbox
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            inbox = (await client.get("/api/v1/notifications", headers=headers)).json()
            if inbox["items"]:
                break
            time.sleep(0.2)
        assert "welcome" in [n["kind"] for n in inbox["items"]]
        # the demo sales rep has customers with masked contacts, follow-ups and tasks
        r = await client.post("/api/v1/auth/token",
                              data={"username": "rep@demo.crm", "password": DEMO_PASSWORD})
        rep = {"Authorization": f"Bearer {r.json()['access_token']}"}
        customers = (await client.get("/api/v1/customers", headers=rep)).json()["items"]
        assert len(customers) == 3
        assert all("****" in c["contacts"][0]["mobile"] for c in customers)
        assert all(c["last_followup_at"] for c in customers)
        todo = (await client.get("/api/v1/tasks?assignee=me", headers=rep)).json()["items"]
        assert len(todo) == 3
        # their contracts: one waits for the manager, one is approved and signed
        contracts = (await client.get("/api/v1/contracts", headers=rep)).json()["items"]
        assert sorted(k["status"] for k in contracts) == ["in_approval", "signed"]
        r = await client.post("/api/v1/auth/token",
                              data={"username": "manager@demo.crm", "password": DEMO_PASSWORD})
        manager = {"Authorization": f"Bearer {r.json()['access_token']}"}
        inbox = (await client.get("/api/v1/approvals", headers=manager)).json()["items"]
        waiting = next(k["id"] for k in contracts if k["status"] == "in_approval")
        assert waiting in [i["contract_id"] for i in inbox]


def _children(pid: int) -> list[int]:
    out: list[int] = []
    for task in Path(f"/proc/{pid}/task").iterdir():
        out += [int(c) for c in (task / "children").read_text().split()]
    return out


def _web_children(pid: int) -> list[int]:
    """The spawned web processes (not multiprocessing's resource tracker)."""
    return [c for c in _children(pid)
            if b"spawn_main" in Path(f"/proc/{c}/cmdline").read_bytes()]


def _alive(pid: int) -> bool:
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return False
    return stat.rsplit(")", 1)[1].split()[0] != "Z"


@pytest.mark.slow
async def test_serve_with_two_web_processes_shares_the_port_runs_the_worker_once_and_stops(
        admin_url: str, redis: str) -> None:
    import asyncpg

    db = await create_database(admin_url, prefix="crm_e2e")
    port = _free_port()
    env = {**os.environ, "CRM_DATABASE_URL": db, "CRM_REDIS_URL": redis, "CRM_PORT": str(port),
           "CRM_QUEUE_NAME": f"crm:e2e:{port}", "CRM_LOG_LEVEL": "WARNING"}
    proc = subprocess.Popen([sys.executable, "-m", "adapters.cli", "serve", "--demo",
                             "--workers", "2"], cwd=ROOT, env=env, stdout=subprocess.PIPE,
                            stderr=subprocess.STDOUT, start_new_session=True)
    base = f"http://127.0.0.1:{port}"
    stopped = False
    try:
        deadline = time.monotonic() + 60
        ready = False
        while time.monotonic() < deadline and not ready:
            assert proc.poll() is None, proc.stdout.read().decode() if proc.stdout else ""
            try:
                ready = httpx.get(f"{base}/readyz", timeout=1).status_code == 200
            except httpx.HTTPError:
                time.sleep(0.2)
        assert ready
        children = _web_children(proc.pid)
        assert len(children) == 1
        # The child answers on the shared port: with the first process stopped, a new
        # connection can only be accepted by the child.
        os.kill(proc.pid, signal.SIGSTOP)
        try:
            for _ in range(5):
                r = httpx.get(f"{base}/readyz", timeout=10)
                assert r.status_code == 200 and r.json()["checks"]["database"] is True
        finally:
            os.kill(proc.pid, signal.SIGCONT)
        # The relay and the webhook deliverer (the job worker's side) run in one process only:
        # one LISTEN on each of their channels (each web process may hold its own LISTEN for
        # the notification stream; that one is per process on purpose).
        listening = ("SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() "
                     "AND query LIKE 'LISTEN %' AND query LIKE $1")
        conn = await asyncpg.connect(db)
        try:
            deadline = time.monotonic() + 20
            while time.monotonic() < deadline and not await conn.fetchval(
                    listening, "%crm_outbox%"):
                time.sleep(0.2)
            time.sleep(1)  # a second relay would be listening by now too
            assert await conn.fetchval(listening, "%crm_outbox%") == 1
            assert await conn.fetchval(listening, "%crm_webhooks%") == 1
        finally:
            await conn.close()
        # SIGTERM to the first process alone stops the web children too, cleanly.
        os.kill(proc.pid, signal.SIGTERM)
        assert proc.wait(30) == 0
        stopped = True
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline and any(_alive(c) for c in children):
            time.sleep(0.1)
        assert not any(_alive(c) for c in children)
    finally:
        if not stopped:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait(20)
        await drop_database(admin_url, db)
