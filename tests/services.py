"""Where the tests find PostgreSQL and Redis: the machine's own when reachable, else embedded.

In CI (CI=true) an unreachable server fails the run instead of quietly using something else.
"""

from __future__ import annotations

import os
import uuid
from pathlib import Path

import asyncpg
import pytest

from adapters.embedded import RedisProcess, reachable, start_postgres

ROOT = Path(__file__).resolve().parents[1]
IN_CI = os.environ.get("CI", "").lower() in ("1", "true", "yes")


def _unreachable(what: str) -> None:
    msg = f"{what} is not reachable on this machine"
    if IN_CI:
        pytest.exit(f"CI: {msg}; refusing to run without it", returncode=3)


def admin_database_url() -> str:
    """A URL of a database we may CREATE DATABASE from."""
    if url := os.environ.get("CRM_TEST_ADMIN_DATABASE_URL"):
        return url
    if reachable("127.0.0.1", 5432):
        return "postgresql://postgres@127.0.0.1:5432/test"
    _unreachable("PostgreSQL at 127.0.0.1:5432")
    return start_postgres(ROOT / ".crm-data" / "test-pg", database="test")


def redis_url(tmp_root: Path) -> tuple[str, RedisProcess | None]:
    if url := os.environ.get("CRM_TEST_REDIS_URL"):
        return url, None
    if reachable("127.0.0.1", 6379):
        return "redis://127.0.0.1:6379/0", None
    _unreachable("Redis at 127.0.0.1:6379")
    # Persistent as `make run`'s: the suite runs against what users run.
    proc = RedisProcess(tmp_root / "redis").start()
    return proc.url, proc


def with_database(url: str, database: str) -> str:
    from sqlalchemy.engine import make_url

    return make_url(url).set(database=database).render_as_string(hide_password=False)


async def create_database(admin_url: str, prefix: str = "crm_test") -> str:
    name = f"{prefix}_{uuid.uuid4().hex[:10]}"
    conn = await asyncpg.connect(admin_url)
    try:
        await conn.execute(f'CREATE DATABASE "{name}"')
    finally:
        await conn.close()
    return with_database(admin_url, name)


async def drop_database(admin_url: str, url: str) -> None:
    from sqlalchemy.engine import make_url

    name = make_url(url).database
    conn = await asyncpg.connect(admin_url)
    try:
        await conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    finally:
        await conn.close()

