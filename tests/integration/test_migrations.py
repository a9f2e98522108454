"""Alembic only: upgrade → downgrade → upgrade works, and the migrations match the tables."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import inspect, text

from adapters.db.engine import build_engine
from adapters.db.migrate import downgrade, upgrade
from adapters.db.tables import metadata
from tests.services import create_database, drop_database


@pytest.fixture
async def scratch_db(admin_url: str) -> AsyncIterator[str]:
    url = await create_database(admin_url, prefix="crm_migr")
    yield url
    await drop_database(admin_url, url)


def _diff(sync_conn) -> list:  # type: ignore[no-untyped-def, type-arg]
    return compare_metadata(MigrationContext.configure(sync_conn), metadata)


async def test_upgrade_downgrade_upgrade_and_models_agree(scratch_db: str) -> None:
    await upgrade(scratch_db)
    await downgrade(scratch_db, "base")
    engine = build_engine(scratch_db, pool_size=1)
    try:
        async with engine.connect() as conn:
            tables = await conn.run_sync(lambda c: inspect(c).get_table_names())
            assert set(tables) <= {"alembic_version"}, "downgrade leaves nothing behind"
        await upgrade(scratch_db)
        async with engine.connect() as conn:
            assert await conn.run_sync(_diff) == []
            trigger = await conn.scalar(text(
                "SELECT count(*) FROM pg_trigger WHERE tgname = 'audit_log_append_only'"))
            assert trigger == 1
    finally:
        await engine.dispose()
