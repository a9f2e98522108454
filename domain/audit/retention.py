"""How long the audit log is kept: whole calendar months (UTC), prepared ahead and retired
once every entry in them is older than the retention period."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta

from domain.audit.model import Month
from domain.audit.ports import AuditPartitions
from domain.shared.ports import Clock

log = logging.getLogger("crm.audit")

# Who did what must stay answerable for half a year at least (DESIGN §5).
MIN_RETENTION_DAYS = 180
# Months prepared beyond the current one, so a missed run or two never sends writes to the
# catch-all partition.
MONTHS_AHEAD = 2


class RetentionTooShort(ValueError):
    def __init__(self, days: int) -> None:
        super().__init__(
            f"CRM_AUDIT_RETENTION_DAYS is {days}, but the audit log must be kept at least "
            f"{MIN_RETENTION_DAYS} days; set {MIN_RETENTION_DAYS} or more")


def checked_retention_days(days: int) -> int:
    if days < MIN_RETENTION_DAYS:
        raise RetentionTooShort(days)
    return days


def months_to_prepare(now: datetime, ahead: int = MONTHS_AHEAD) -> list[Month]:
    months = [Month.of(now)]
    for _ in range(ahead):
        months.append(months[-1].next())
    return months


def retention_cutoff(now: datetime, days: int) -> datetime:
    """Entries before this moment may go."""
    return now - timedelta(days=days)


def expired_months(months: list[Month], cutoff: datetime) -> list[Month]:
    """Months whose every entry is older than the cutoff: the month in which the cutoff falls
    stays whole until it has passed entirely."""
    return [month for month in months if month.end <= cutoff]


@dataclass(frozen=True)
class RetentionReport:
    created: list[Month]
    dropped: list[Month]
    purged_strays: int


class AuditRetention:
    """Keeps the audit log's months: prepares the coming ones, drops the expired ones whole
    (no row-by-row delete), and purges expired strays from the catch-all partition."""

    def __init__(self, partitions: AuditPartitions, clock: Clock, days: int) -> None:
        self.partitions, self.clock = partitions, clock
        self.days = checked_retention_days(days)

    async def run(self) -> RetentionReport:
        now = self.clock.now()
        existing = set(await self.partitions.months())
        created = [month for month in months_to_prepare(now) if month not in existing]
        for month in created:
            await self.partitions.create(month)
        cutoff = retention_cutoff(now, self.days)
        dropped = expired_months(sorted(existing), cutoff)
        for month in dropped:
            await self.partitions.drop(month)
        purged = await self.partitions.purge_catch_all(before=cutoff)
        if created or dropped or purged:
            log.info("audit retention: prepared %s, dropped %s, purged %s stray entries",
                     [str(m) for m in created], [str(m) for m in dropped], purged)
        return RetentionReport(created=created, dropped=dropped, purged_strays=purged)
