"""Alembic environment: async engine, metadata from adapters/db/tables/."""

from __future__ import annotations

import asyncio

from alembic import context
from sqlalchemy.engine import Connection

from adapters.db.engine import build_engine
from adapters.db.tables import metadata
from adapters.db.tables.audit import include_name

config = context.config
target_metadata = metadata


def _url() -> str:
    url = config.attributes.get("url") or config.get_main_option("sqlalchemy.url")
    if not url:
        from adapters.settings import Settings

        url = Settings().database_url
    if not url:
        raise RuntimeError("no database URL: set CRM_DATABASE_URL or use `crm db upgrade`")
    return url


def _run(connection: Connection) -> None:
    context.configure(connection=connection, target_metadata=target_metadata,
                      compare_type=True, compare_server_default=False,
                      include_name=include_name)
    with context.begin_transaction():
        # Several API processes may start at once: one migrates, the others wait.
        connection.exec_driver_sql("SELECT pg_advisory_xact_lock(7744001)")
        context.run_migrations()


async def _run_async() -> None:
    engine = build_engine(_url(), pool_size=1)
    async with engine.connect() as conn:
        await conn.run_sync(_run)
        await conn.commit()
    await engine.dispose()


if context.is_offline_mode():
    context.configure(url=_url(), target_metadata=target_metadata, literal_binds=True)
    with context.begin_transaction():
        context.run_migrations()
else:
    asyncio.run(_run_async())
