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


async def downgrade(url: str, revision: str) -> None:
    await asyncio.to_thread(downgrade_sync, url, revision)
