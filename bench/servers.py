"""The servers a load script runs against: its own PostgreSQL database, `crm serve` and
`crm worker` as real processes, and the settings that let the script and those processes
trust each other's tokens.

Needs PostgreSQL (CRM_BENCH_ADMIN_URL, default postgresql://postgres@127.0.0.1:5432/test) and
Redis (CRM_BENCH_REDIS_URL, default redis://127.0.0.1:6379/0).
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import asyncpg

from adapters.settings import Settings

# httpx and tests.services are imported where they are used: the seed's worker processes import
# the seed script, hence this module, and are started inside its timed load phase.

ROOT = Path(__file__).resolve().parents[1]
OUT = ROOT / "bench" / "out"
# The script issues tokens in-process and the servers it starts check them: one key for both.
SECRET = "bench-secret-key-0123456789abcdef0123456789"


def admin_url() -> str:
    return os.environ.get("CRM_BENCH_ADMIN_URL", "postgresql://postgres@127.0.0.1:5432/test")


def redis_url() -> str:
    return os.environ.get("CRM_BENCH_REDIS_URL", "redis://127.0.0.1:6379/0")


# ---- the database ---------------------------------------------------------------------------


async def recreate_database(admin: str, name: str) -> str:
    """A fresh bench database of that name (any left by an earlier run is dropped)."""
    from tests.services import with_database

    conn = await asyncpg.connect(admin)
    try:
        await conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        await conn.execute(f'CREATE DATABASE "{name}"')
    finally:
        await conn.close()
    return with_database(admin, name)


async def drop_database(admin: str, name: str) -> None:
    conn = await asyncpg.connect(admin)
    try:
        await conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    finally:
        await conn.close()


async def database_exists(admin: str, name: str) -> bool:
    conn = await asyncpg.connect(admin)
    try:
        return bool(await conn.fetchval("SELECT 1 FROM pg_database WHERE datname = $1", name))
    finally:
        await conn.close()


# ---- settings for this process and for the servers ------------------------------------------


def settings(db: str, token_minutes: int = 120, **more: Any) -> Settings:
    """For the container the script builds in-process (to seed, to issue tokens)."""
    return Settings(env="test", database_url=db, redis_url=redis_url(), secret_key=SECRET,
                    access_token_minutes=token_minutes, **more)


def server_env(db: str, port: int, queue: str, token_minutes: int = 120) -> dict[str, str]:
    """The environment of `crm serve` and `crm worker` matching `settings`; the job worker runs
    in its own process, not inside the API."""
    return {**os.environ, "CRM_DATABASE_URL": db, "CRM_REDIS_URL": redis_url(),
            "CRM_SECRET_KEY": SECRET, "CRM_ACCESS_TOKEN_MINUTES": str(token_minutes),
            "CRM_EMBEDDED_WORKER": "false", "CRM_PORT": str(port),
            "CRM_LOG_LEVEL": "WARNING", "CRM_QUEUE_NAME": queue,
            # The load comes from a handful of users at thousands of requests a second: the
            # limiter still runs (its cost is measured) but never refuses.
            "CRM_RATE_LIMIT_PER_SECOND": "1000000", "CRM_RATE_LIMIT_BURST": "10000000"}


# ---- the processes --------------------------------------------------------------------------


def crm(*args: str) -> list[str]:
    """The command line of `crm <args>` in this interpreter."""
    return [sys.executable, "-m", "adapters.cli", *args]


def start(cmd: list[str], env: dict[str, str], log: Path | None = None
          ) -> subprocess.Popen[bytes]:
    """Runs `cmd` from the repository root in a process group of its own (stop_all stops the
    web processes `crm serve` spawns with it). Its stderr goes to `log` when given (an error
    under load is looked up there), else nowhere."""
    if log is None:
        return subprocess.Popen(cmd, cwd=ROOT, env=env, stdout=subprocess.DEVNULL,
                                stderr=subprocess.DEVNULL, start_new_session=True)
    log.parent.mkdir(exist_ok=True)
    with open(log, "wb") as f:
        return subprocess.Popen(cmd, cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=f,
                                start_new_session=True)


def stop_all(procs: list[subprocess.Popen[bytes]]) -> None:
    """SIGTERM to each server's process group (crm serve and its web processes), SIGKILL
    after 20 s."""
    for p in procs:
        if p.poll() is None:
            os.killpg(p.pid, signal.SIGTERM)
            try:
                p.wait(20)
            except subprocess.TimeoutExpired:
                os.killpg(p.pid, signal.SIGKILL)


def wait_up(url: str, seconds: float) -> None:
    """Until `url` answers at all."""
    import httpx

    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            httpx.get(url, timeout=1)
            return
        except httpx.HTTPError:
            time.sleep(0.2)
    raise RuntimeError(f"{url} did not come up")


def wait_ready(base: str) -> None:
    """Until the API at `base` says it is ready (its database and Redis reached)."""
    import httpx

    deadline = time.monotonic() + 90
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"{base}/readyz", timeout=1).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.2)
    raise RuntimeError(f"{base} did not come up")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])
