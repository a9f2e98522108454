"""A connection abandoned inside its transaction (a job cancelled mid-statement) does not keep
its row locks: the server ends the session, and the job's retry gets the row."""

from __future__ import annotations

import contextlib

import pytest
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError

from adapters.db.engine import IDLE_IN_TRANSACTION_MS, build_engine


async def test_the_engine_tells_the_server_to_end_idle_transactions(database_url: str) -> None:
    engine = build_engine(database_url, pool_size=1)
    try:
        async with engine.connect() as conn:
            shown = await conn.scalar(text("SHOW idle_in_transaction_session_timeout"))
        assert shown == f"{IDLE_IN_TRANSACTION_MS // 1000}s"
    finally:
        await engine.dispose()


async def test_an_abandoned_transaction_releases_its_locks(database_url: str) -> None:
    abandoning = build_engine(database_url, pool_size=1, idle_in_transaction_ms=300)
    retrying = build_engine(database_url, pool_size=1)
    try:
        async with retrying.begin() as conn:
            await conn.execute(text("CREATE TABLE IF NOT EXISTS lock_probe (id int PRIMARY KEY)"))
            await conn.execute(text("INSERT INTO lock_probe VALUES (1) ON CONFLICT DO NOTHING"))
        held = await abandoning.connect()
        await held.begin()
        await held.execute(text("SELECT id FROM lock_probe WHERE id = 1 FOR UPDATE"))
        # The holder goes quiet; the retry waits on the lock only until the server ends it.
        async with retrying.begin() as conn:
            await conn.execute(text("SET LOCAL lock_timeout = '10s'"))
            got = await conn.scalar(text("SELECT id FROM lock_probe WHERE id = 1 FOR UPDATE"))
        assert got == 1
        with pytest.raises(DBAPIError):
            await held.execute(text("SELECT 1"))
        with contextlib.suppress(DBAPIError):
            await held.close()
    finally:
        async with retrying.begin() as conn:
            await conn.execute(text("DROP TABLE IF EXISTS lock_probe"))
        await abandoning.dispose()
        await retrying.dispose()
