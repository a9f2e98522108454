"""The audit log on PostgreSQL: partitioned by month, expired months dropped whole, entries at
any time accepted, the conversion of an existing log keeping its rows, a short retention
refused at start."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError

from adapters.bootstrap import Container
from adapters.db.audit_partitions import SqlAuditPartitions, partition_name
from adapters.db.engine import build_engine
from adapters.db.migrate import upgrade
from domain.audit.model import Month
from domain.audit.retention import AuditRetention
from tests.fakes.shared import FakeClock
from tests.integration.test_cli import crm
from tests.services import create_database, drop_database


async def write(container: Container, at: datetime, action: str) -> None:
    async with container.engine.begin() as conn:
        await conn.execute(text(
            "INSERT INTO audit_log (at, actor_type, actor_label, action) "
            "VALUES (:at, 'system', 'test', :action)"), {"at": at, "action": action})


async def where_kept(container: Container, action: str) -> list[str]:
    """The partition of each entry with this action."""
    async with container.engine.connect() as conn:
        return list((await conn.execute(text(
            "SELECT tableoid::regclass::text FROM audit_log WHERE action = :action ORDER BY id"),
            {"action": action})).scalars())


async def partitions(container: Container) -> set[str]:
    async with container.engine.connect() as conn:
        return set((await conn.execute(text(
            "SELECT inhrelid::regclass::text FROM pg_inherits "
            "WHERE inhparent = 'audit_log'::regclass"))).scalars())


async def test_expired_months_are_dropped_whole_and_newer_entries_stay(
        container: Container) -> None:
    now = datetime.now(UTC)
    old_month = Month.of(now - timedelta(days=330))
    store = SqlAuditPartitions(container.engine)
    # The job, run when that month was current, made it and the two after it.
    await AuditRetention(store, FakeClock(old_month.start + timedelta(days=1)), 180).run()
    assert partition_name(old_month) in await partitions(container)
    for day in (2, 15, 27):
        await write(container, old_month.start + timedelta(days=day), "test.expired")
    await write(container, now - timedelta(days=170), "test.recent")
    await write(container, now, "test.recent")
    assert await where_kept(container, "test.expired") == [partition_name(old_month)] * 3

    report = await AuditRetention(store, FakeClock(now), 180).run()

    assert old_month in report.dropped
    assert partition_name(old_month) not in await partitions(container)
    assert await where_kept(container, "test.expired") == []
    assert len(await where_kept(container, "test.recent")) == 2
    ahead = [Month.of(now)]
    ahead += [ahead[-1].next(), ahead[-1].next().next()]
    assert {partition_name(m) for m in ahead} <= await partitions(container)


async def test_entries_at_any_time_are_written_and_strays_expire(container: Container) -> None:
    far_past = datetime(1990, 1, 1, tzinfo=UTC)
    far_future = datetime(2100, 6, 1, tzinfo=UTC)
    await write(container, far_past, "test.far_past")
    await write(container, far_future, "test.far_future")
    assert await where_kept(container, "test.far_past") == ["audit_log_default"]
    assert await where_kept(container, "test.far_future") == ["audit_log_default"]
    report = await AuditRetention(SqlAuditPartitions(container.engine),
                                  FakeClock(datetime.now(UTC)), 365).run()
    assert report.purged_strays == 1
    assert await where_kept(container, "test.far_past") == []
    assert await where_kept(container, "test.far_future") == ["audit_log_default"]


async def test_a_month_made_after_its_entries_arrived_takes_them_over(
        container: Container) -> None:
    month = Month(2099, 1)
    store = SqlAuditPartitions(container.engine)
    await write(container, month.start + timedelta(days=14), "test.early")
    await store.create(month)
    try:
        assert await where_kept(container, "test.early") == [partition_name(month)]
        await write(container, month.start + timedelta(days=20), "test.early")
        assert await where_kept(container, "test.early") == [partition_name(month)] * 2
    finally:
        await store.drop(month)


async def test_each_month_is_append_only_too(container: Container) -> None:
    now = datetime.now(UTC)
    await AuditRetention(SqlAuditPartitions(container.engine), FakeClock(now), 180).run()
    await write(container, now, "test.kept")
    for statement in (f"UPDATE {partition_name(Month.of(now))} SET action = 'x'",
                      f"DELETE FROM {partition_name(Month.of(now))}",
                      "DELETE FROM audit_log", "TRUNCATE audit_log"):
        async with container.engine.connect() as conn:
            with pytest.raises(DBAPIError, match="append-only"):
                await conn.execute(text(statement))
    assert await where_kept(container, "test.kept") == [partition_name(Month.of(now))]


@pytest.fixture
async def scratch_db(admin_url: str) -> AsyncIterator[str]:
    url = await create_database(admin_url, prefix="crm_audit")
    yield url
    await drop_database(admin_url, url)


async def test_the_conversion_keeps_every_entry_its_id_and_the_indexes(scratch_db: str) -> None:
    await upgrade(scratch_db, "0017")
    engine = build_engine(scratch_db, pool_size=1)
    moments = [datetime(2024, 2, 29, 12, tzinfo=UTC), datetime(2025, 7, 1, tzinfo=UTC),
               datetime.now(UTC)]
    try:
        async with engine.begin() as conn:
            for i, at in enumerate(moments):
                await conn.execute(text(
                    "INSERT INTO audit_log (at, actor_type, actor_label, action, diff) "
                    "VALUES (:at, 'user', 'Li Lei', :action, '{\"name\": [\"a\", \"b\"]}')"),
                    {"at": at, "action": f"test.{i}"})
            before = (await conn.execute(text(
                "SELECT id, at, action, diff FROM audit_log ORDER BY id"))).all()
        await upgrade(scratch_db)
        async with engine.begin() as conn:
            after = (await conn.execute(text(
                "SELECT id, at, action, diff, tableoid::regclass::text FROM audit_log "
                "ORDER BY id"))).all()
            assert [tuple(row[:4]) for row in after] == [tuple(row) for row in before]
            assert [row[4] for row in after] == [
                partition_name(Month.of(at)) for at in moments]
            assert await conn.scalar(text(
                "SELECT count(*) FROM pg_inherits WHERE inhparent = 'audit_log'::regclass")) \
                > 3
            indexes = set((await conn.execute(text(
                "SELECT indexname FROM pg_indexes WHERE tablename = 'audit_log'"))).scalars())
            assert indexes == {"pk_audit_log", "ix_audit_log_action_at",
                               "ix_audit_log_actor_at", "ix_audit_log_at_id",
                               "ix_audit_log_target_at"}
            new_id = await conn.scalar(text(
                "INSERT INTO audit_log (actor_type, actor_label, action) "
                "VALUES ('system', 'x', 'test.new') RETURNING id"))
            assert new_id > before[-1].id
    finally:
        await engine.dispose()


def test_a_retention_under_180_days_stops_start_up_with_a_clear_message(
        database_url: str, redis: str) -> None:
    done = crm("db", "upgrade", database_url=database_url, redis_url=redis,
               extra={"CRM_AUDIT_RETENTION_DAYS": "90"})
    assert done.returncode == 2
    assert "CRM_AUDIT_RETENTION_DAYS is 90, but the audit log must be kept at least 180 days" \
        in done.stderr
    assert "Traceback" not in done.stderr


async def test_the_worker_keeps_the_months_from_its_start(container: Container) -> None:
    from adapters.jobs.housekeeping import housekeeping_crons, keep_audit_months

    job = next(job for job in housekeeping_crons(container.settings)
               if job.coroutine is keep_audit_months)
    assert job.run_at_startup and job.unique
    result = await keep_audit_months({"audit_retention": container.audit_retention})
    assert result["dropped"] == []
    assert partition_name(Month.of(datetime.now(UTC)).next().next()) in \
        await partitions(container)
