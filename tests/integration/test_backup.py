"""Encrypted backups: `crm db backup` → `crm db restore` into a fresh database gives back every
table; a wrong key or an altered file is refused before the database is touched; the backup
directory keeps the newest N, also when the daily job makes them."""

from __future__ import annotations

import asyncio
import base64
import io
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from pathlib import Path

import httpx
import pytest
from sqlalchemy import text

from adapters.bootstrap import Container
from adapters.crypto.backup_stream import decrypt_stream
from adapters.db.engine import build_engine
from adapters.db.tables import metadata
from adapters.jobs import housekeeping
from tests.conftest import World
from tests.integration.customers_helpers import create
from tests.integration.test_cli import BACKUP_KEY, crm
from tests.services import create_database, drop_database


async def row_counts(url: str) -> dict[str, int]:
    engine = build_engine(url, pool_size=1)
    try:
        async with engine.connect() as conn:
            counts = {table.name: int(await conn.scalar(
                text(f'SELECT count(*) FROM "{table.name}"')) or 0)
                for table in metadata.sorted_tables}
            counts["audit_log partitions"] = int(await conn.scalar(text(
                "SELECT count(*) FROM pg_inherits "
                "WHERE inhparent = 'audit_log'::regclass")) or 0)
            return counts
    finally:
        await engine.dispose()


async def table_count(url: str) -> int:
    engine = build_engine(url, pool_size=1)
    try:
        async with engine.connect() as conn:
            return int(await conn.scalar(text(
                "SELECT count(*) FROM pg_tables WHERE schemaname = 'public'")) or 0)
    finally:
        await engine.dispose()


@pytest.fixture
async def fresh_db(admin_url: str) -> AsyncIterator[str]:
    url = await create_database(admin_url, prefix="crm_restore")
    yield url
    await drop_database(admin_url, url)


@pytest.fixture
async def filled(container: Container, world: World, client: httpx.AsyncClient) -> Container:
    """Customers with contacts, tags and personal data, their audit entries and events, and
    an audit entry from long ago (in the catch-all partition)."""
    for name in ("上海明远精密机械制造有限公司", "苏州精工自动化设备有限公司"):
        await create(client, world, name=name)
    async with container.engine.begin() as conn:
        await conn.execute(text(
            "INSERT INTO audit_log (at, actor_type, actor_label, action) "
            "VALUES ('1999-01-01 00:00:00+00', 'system', 'test', 'test.old')"))
    return container


async def test_backup_then_restore_into_a_fresh_database_gives_back_every_table(
        filled: Container, fresh_db: str, tmp_path: Path) -> None:
    settings = filled.settings
    assert settings.database_url and settings.redis_url
    dump = tmp_path / "crm.dump.enc"
    done = crm("db", "backup", str(dump), database_url=settings.database_url,
               redis_url=settings.redis_url)
    assert done.returncode == 0, done.stderr
    data = dump.read_bytes()
    assert not data.startswith(b"PGDMP") and "明远".encode() not in data
    assert b"customer.created" not in data
    done = crm("db", "restore", str(dump), database_url=fresh_db, redis_url=settings.redis_url)
    assert done.returncode == 0, done.stderr
    source = await row_counts(settings.database_url)
    assert source["customers"] == 2 and source["audit_log"] > 2 and source["contacts"] > 0
    assert await row_counts(fresh_db) == source


async def test_a_wrong_key_or_an_altered_backup_is_refused_before_the_database_is_touched(
        filled: Container, fresh_db: str, tmp_path: Path) -> None:
    settings = filled.settings
    assert settings.database_url and settings.redis_url
    dump = tmp_path / "crm.dump.enc"
    assert crm("db", "backup", str(dump), database_url=settings.database_url,
               redis_url=settings.redis_url).returncode == 0
    other_key = base64.b64encode(bytes(32)).decode()
    wrong = crm("db", "restore", str(dump), database_url=fresh_db,
                redis_url=settings.redis_url, extra={"CRM_BACKUP_KEY": other_key})
    assert wrong.returncode == 1
    assert "the backup key does not open this backup" in wrong.stderr
    altered = bytearray(dump.read_bytes())
    altered[len(altered) * 2 // 3] ^= 0x40
    tampered = tmp_path / "tampered.dump.enc"
    tampered.write_bytes(bytes(altered))
    refused = crm("db", "restore", str(tampered), database_url=fresh_db,
                  redis_url=settings.redis_url)
    assert refused.returncode == 1
    assert "damaged or was altered" in refused.stderr and "Traceback" not in refused.stderr
    assert await table_count(fresh_db) == 0, "nothing was restored"


def test_without_a_backup_key_backup_says_what_to_set(tmp_path: Path, database_url: str,
                                                      redis: str) -> None:
    done = crm("db", "backup", str(tmp_path / "x"), database_url=database_url, redis_url=redis,
               extra={"CRM_BACKUP_KEY": ""})
    assert done.returncode == 2 and "CRM_BACKUP_KEY is not set" in done.stderr
    assert not (tmp_path / "x").exists()


BACKUP_NAMES = ["crm-20261101T020000Z.dump.enc", "crm-20261102T020000Z.dump.enc",
                "crm-20261103T020000Z.dump.enc"]


async def test_the_backup_directory_keeps_the_newest_n(container: Container, world: World,
                                                      tmp_path: Path) -> None:
    settings = container.settings
    assert settings.database_url and settings.redis_url
    for name in [*BACKUP_NAMES, "notes.txt"]:
        (tmp_path / name).write_bytes(b"older")
    done = crm("db", "backup", "--dir", str(tmp_path), "--keep", "2",
               database_url=settings.database_url, redis_url=settings.redis_url)
    assert done.returncode == 0, done.stderr
    names = sorted(path.name for path in tmp_path.iterdir())
    assert len(names) == 3 and names[0] == BACKUP_NAMES[-1] and names[-1] == "notes.txt"
    assert names[1].startswith(f"crm-{datetime.now(UTC):%Y%m%d}T")


async def test_the_daily_job_backs_up_into_the_directory_keeping_the_newest(
        container: Container, world: World, tmp_path: Path) -> None:
    settings = container.settings.model_copy(update={
        "backup_dir": tmp_path, "backup_key": BACKUP_KEY, "backup_keep": 1, "backup_hour": 4})
    crons = housekeeping.housekeeping_crons(settings)
    assert any(job.coroutine is housekeeping.start_daily_backup and job.hour == 4
               for job in crons)
    for name in BACKUP_NAMES:
        (tmp_path / name).write_bytes(b"older")
    await housekeeping.start_daily_backup({"settings": settings})
    await asyncio.wait_for(asyncio.gather(*housekeeping.running_backups), 120)
    kept = list(tmp_path.iterdir())
    assert len(kept) == 1 and kept[0].name not in BACKUP_NAMES
    plain = io.BytesIO()
    with kept[0].open("rb") as src:
        decrypt_stream(src, plain, base64.b64decode(BACKUP_KEY))
    assert plain.getvalue().startswith(b"PGDMP")
