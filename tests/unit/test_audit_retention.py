"""Audit retention: whole months are prepared ahead and dropped once every entry in them is past
retention; less than 180 days is refused."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from adapters.settings import Settings, SettingsError
from domain.audit.model import Month
from domain.audit.retention import AuditRetention, RetentionTooShort, expired_months
from tests.fakes.audit import FakeAuditPartitions
from tests.fakes.shared import FakeClock

NOW = datetime(2026, 12, 7, 22, 0, tzinfo=UTC)


async def test_the_current_and_next_two_months_are_prepared_once() -> None:
    partitions = FakeAuditPartitions()
    retention = AuditRetention(partitions, FakeClock(NOW), 180)
    first = await retention.run()
    assert first.created == [Month(2026, 12), Month(2027, 1), Month(2027, 2)]
    assert (await retention.run()).created == []


async def test_months_past_retention_are_dropped_whole_and_newer_entries_stay() -> None:
    partitions = FakeAuditPartitions()
    clock = FakeClock(datetime(2026, 1, 10, tzinfo=UTC))
    retention = AuditRetention(partitions, clock, 180)
    await retention.run()  # January to March
    clock.current = datetime(2026, 4, 1, tzinfo=UTC)
    await retention.run()  # April to June
    old, kept = datetime(2026, 3, 15, tzinfo=UTC), datetime(2026, 6, 20, tzinfo=UTC)
    for at in (old, old, kept, NOW - timedelta(days=1)):
        partitions.write(at)
    clock.current = NOW  # the cutoff: 10 June 2026
    report = await retention.run()
    assert report.dropped == [Month(2026, m) for m in range(1, 6)]
    assert partitions.entries() == [kept, NOW - timedelta(days=1)]
    assert Month(2026, 6) in partitions.by_month, "the cutoff's month waits until it has passed"


async def test_entries_outside_every_month_land_in_the_catch_all_and_expire_from_it() -> None:
    partitions = FakeAuditPartitions()
    retention = AuditRetention(partitions, FakeClock(NOW), 180)
    await retention.run()
    far_past, far_future = datetime(1990, 1, 1, tzinfo=UTC), datetime(2100, 1, 1, tzinfo=UTC)
    partitions.write(far_past)
    partitions.write(far_future)
    assert partitions.catch_all == [far_past, far_future]
    assert (await retention.run()).purged_strays == 1
    assert partitions.catch_all == [far_future]


def test_a_month_ends_where_the_next_begins_across_the_year() -> None:
    assert Month(2026, 12).end == datetime(2027, 1, 1, tzinfo=UTC)
    assert Month.of(datetime(2026, 12, 31, 23, 30, tzinfo=UTC)) == Month(2026, 12)
    assert expired_months([Month(2026, 5), Month(2026, 6)],
                          datetime(2026, 6, 10, tzinfo=UTC)) == [Month(2026, 5)]


def test_a_retention_under_180_days_is_refused() -> None:
    with pytest.raises(RetentionTooShort):
        AuditRetention(FakeAuditPartitions(), FakeClock(NOW), 179)
    AuditRetention(FakeAuditPartitions(), FakeClock(NOW), 180)


def test_the_settings_refuse_90_days_with_a_clear_message(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CRM_AUDIT_RETENTION_DAYS", "90")
    with pytest.raises(SettingsError, match="at least 180 days"):
        Settings()
    monkeypatch.setenv("CRM_AUDIT_RETENTION_DAYS", "180")
    assert Settings().audit_retention_days == 180


def test_the_settings_refuse_a_malformed_backup_key_and_backups_without_a_key() -> None:
    with pytest.raises(SettingsError, match="CRM_BACKUP_KEY must be the base64 of 32"):
        Settings(backup_key="c2hvcnQ=")
    with pytest.raises(SettingsError, match="CRM_BACKUP_KEY"):
        Settings(backup_dir="/var/backups/crm")
