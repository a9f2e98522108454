"""The `crm` command line: backup/restore round trip, creating users."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from sqlalchemy import select

from adapters.bootstrap import Container
from adapters.db import tables
from adapters.db.engine import build_engine
from tests.conftest import World
from tests.services import create_database, drop_database

ROOT = Path(__file__).resolve().parents[2]


# Backups are encrypted with CRM_BACKUP_KEY: a fixed test key (base64 of 32 bytes).
BACKUP_KEY = "dGVzdC1iYWNrdXAta2V5LTAxMjM0NTY3ODlhYmNkZWY="


def crm(*args: str, database_url: str, redis_url: str,
        extra: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "CRM_DATABASE_URL": database_url, "CRM_REDIS_URL": redis_url,
           "CRM_LOG_LEVEL": "WARNING", "CRM_BACKUP_KEY": BACKUP_KEY, **(extra or {})}
    return subprocess.run([sys.executable, "-m", "adapters.cli", *args], cwd=ROOT, env=env,
                          capture_output=True, text=True, timeout=120)


async def test_a_restored_backup_has_the_users(container: Container, world: World,
                                               admin_url: str, tmp_path: Path) -> None:
    settings = container.settings
    assert settings.database_url and settings.redis_url
    dump = tmp_path / "crm.dump"
    done = crm("db", "backup", str(dump), database_url=settings.database_url,
               redis_url=settings.redis_url)
    assert done.returncode == 0, done.stderr
    assert dump.stat().st_size > 0
    target = await create_database(admin_url, prefix="crm_restore")
    try:
        done = crm("db", "restore", str(dump), database_url=target, redis_url=settings.redis_url)
        assert done.returncode == 0, done.stderr
        engine = build_engine(target, pool_size=1)
        try:
            async with engine.connect() as conn:
                emails = set((await conn.execute(select(tables.users.c.email))).scalars())
        finally:
            await engine.dispose()
        assert emails == {u.email for u in world.users.values()}
    finally:
        await drop_database(admin_url, target)


async def test_users_create_from_the_command_line(container: Container, world: World) -> None:
    settings = container.settings
    assert settings.database_url and settings.redis_url
    done = crm("users", "create", "--email", "Ops@Example.com", "--name", "Ops", "--role",
               "manager", "--department", "North sales", "--password", "long-enough-pass",
               database_url=settings.database_url, redis_url=settings.redis_url)
    assert done.returncode == 0, done.stderr
    async with container.uow() as uow:
        user = await uow.users.get_by_email("ops@example.com")
    assert user is not None and user.role.value == "manager"
    assert user.department_id == world.departments["north"].id
    again = crm("users", "create", "--email", "ops@example.com", "--name", "Ops", "--role",
                "manager", "--password", "long-enough-pass",
                database_url=settings.database_url, redis_url=settings.redis_url)
    assert again.returncode == 1 and "already exists" in again.stderr
