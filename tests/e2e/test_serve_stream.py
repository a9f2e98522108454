"""`crm serve` as a real process: the SSE stream gets a notification the worker made, and a
SIGTERM ends open streams instead of hanging the shutdown."""

from __future__ import annotations

import asyncio
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

from adapters.demo import DEMO_PASSWORD
from tests.integration.notify_helpers import free_port
from tests.services import create_database, drop_database

ROOT = Path(__file__).resolve().parents[2]


async def _token(client: httpx.AsyncClient, email: str) -> dict[str, str]:
    r = await client.post("/api/v1/auth/token", data={"username": email,
                                                      "password": DEMO_PASSWORD})
    assert r.status_code == 200, r.text
    return {"Authorization": f"Bearer {r.json()['access_token']}"}


@pytest.mark.slow
async def test_stream_over_crm_serve_and_clean_shutdown(admin_url: str, redis: str) -> None:
    db = await create_database(admin_url, prefix="crm_e2e")
    port = free_port()
    env = {**os.environ, "CRM_DATABASE_URL": db, "CRM_REDIS_URL": redis, "CRM_PORT": str(port),
           "CRM_QUEUE_NAME": f"crm:e2e:{port}", "CRM_LOG_LEVEL": "WARNING",
           "CRM_SSE_KEEPALIVE_SECONDS": "1"}
    proc = subprocess.Popen([sys.executable, "-m", "adapters.cli", "serve", "--demo"], cwd=ROOT,
                            env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                            start_new_session=True)
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        async with httpx.AsyncClient(base_url=base, timeout=10) as client:
            while time.monotonic() < deadline:
                assert proc.poll() is None, "crm serve exited"
                try:
                    if (await client.get("/readyz", timeout=1)).status_code == 200:
                        break
                except httpx.HTTPError:
                    pass
                await asyncio.sleep(0.2)
            admin = await _token(client, "admin@demo.crm")
            rep = await _token(client, "rep@demo.crm")
            rep_id = (await client.get("/api/v1/me", headers=rep)).json()["id"]
            async with client.stream("GET", "/api/v1/notifications/stream",
                                     headers=rep) as stream:
                lines = stream.aiter_lines()
                assert await anext(lines) == ": connected"
                created = await client.post(
                    "/api/v1/customers", headers=admin, params={"allow_duplicate": "true"},
                    json={"name": "杭州澄明光电科技有限公司", "kind": "company"})
                assert created.status_code == 201, created.text
                moved = await client.patch(f"/api/v1/customers/{created.json()['id']}",
                                           headers=admin, json={"owner_id": rep_id})
                assert moved.status_code == 200, moved.text
                event = None
                async with asyncio.timeout(15):
                    async for line in lines:
                        # The demo's own notifications for the rep (its seeded contract's
                        # approval) may still be arriving: wait for this one.
                        if line.startswith("data: "):
                            event = json.loads(line[6:])
                            if event["kind"] == "customer_assigned":
                                break
                assert event is not None and event["kind"] == "customer_assigned"
                assert event["data"]["customer_id"] == created.json()["id"]
                os.killpg(proc.pid, signal.SIGTERM)  # while the stream is open
                async with asyncio.timeout(15):
                    rest = [line async for line in lines]  # ends: no hang
                assert not any(x.startswith("data: ") for x in rest)
        assert await asyncio.to_thread(proc.wait, 20) == 0
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait(10)
        await drop_database(admin_url, db)
