"""Alembic, driven from code (`crm db upgrade`, tests). Runs in a thread: env.py owns its loop."""

from __future__ import annotations

import asyncio
from pathlib import Path

from alembic import command
from alembic.config import Config

ROOT = Path(__file__).resolve().parents[2]


def alembic_config(url: str) -> Config:
    cfg = Config(str(ROOT / "alembic.ini"))
    cfg.set_main_option("script_location", str(ROOT / "migrations"))
    cfg.attributes["url"] = url
    return cfg


def upgrade_sync(url: str, revision: str = "head") -> None:
    command.upgrade(alembic_config(url), revision)


def downgrade_sync(url: str, revision: str) -> None:
    command.downgrade(alembic_config(url), revision)


async def upgrade(url: str, revision: str = "head") -> None:
    await asyncio.to_thread(upgrade_sync, url, revision)
    if revision == "head":
        await refresh_shipped_templates(url)


async def refresh_shipped_templates(url: str) -> None:
    """The shipped notification templates as the code has them: a kind added since the last
    migration gets its templates on the next `crm db upgrade` (custom ones are untouched)."""
    from adapters.db.engine import build_engine
    from adapters.db.notifications import seed_default_templates

    engine = build_engine(url, pool_size=1)
    try:
        async with engine.begin() as conn:
            await seed_default_templates(conn)
    finally:
        await engine.dispose()


async def downgrade(url: str, revision: str) -> None:
    await asyncio.to_thread(downgrade_sync, url, revision)
