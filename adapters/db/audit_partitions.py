"""The audit log's monthly partitions on PostgreSQL: made ahead, dropped whole when expired.

A month is made as a plain table, filled with any entries of that month the catch-all
partition took meanwhile, and then attached: ATTACH takes a lighter lock on audit_log than
CREATE TABLE … PARTITION OF, so writers keep writing. Detaching and dropping an expired month
needs a short exclusive lock on audit_log: it waits at most LOCK_TIMEOUT, and a run that gives
up is repeated by the next one.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from adapters.db.tables.audit import AUDIT_DEFAULT_PARTITION, AUDIT_PARTITION_NAME
from domain.audit.model import Month

LOCK_TIMEOUT = "5s"
# One retention run at a time, across workers.
RETENTION_LOCK = 7744018

PARTITIONS = text("""
SELECT child.relname FROM pg_inherits
JOIN pg_class child ON child.oid = pg_inherits.inhrelid
WHERE pg_inherits.inhparent = 'audit_log'::regclass
""")


def partition_name(month: Month) -> str:
    return f"audit_log_y{month.year:04d}m{month.month:02d}"


def _bound(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%d %H:%M:%S+00")


class SqlAuditPartitions:
    def __init__(self, engine: AsyncEngine) -> None:
        self.engine = engine

    async def _begin(self, conn: AsyncConnection) -> None:
        await conn.execute(text(f"SET LOCAL lock_timeout = '{LOCK_TIMEOUT}'"))
        await conn.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": RETENTION_LOCK})

    async def months(self) -> list[Month]:
        async with self.engine.connect() as conn:
            names = (await conn.execute(PARTITIONS)).scalars().all()
        found = []
        for name in names:
            match = AUDIT_PARTITION_NAME.match(name)
            if match and match["year"]:
                found.append(Month(int(match["year"]), int(match["month"])))
        return sorted(found)

    async def create(self, month: Month) -> None:
        name = partition_name(month)
        params = {"start": month.start, "end": month.end}
        async with self.engine.begin() as conn:
            await self._begin(conn)
            if name in (await conn.execute(PARTITIONS)).scalars().all():
                return
            # Entries of this month in the catch-all would make the ATTACH fail: move them, with
            # the catch-all locked so that no new one arrives before the ATTACH.
            await conn.execute(text(
                f"LOCK TABLE {AUDIT_DEFAULT_PARTITION} IN SHARE ROW EXCLUSIVE MODE"))
            await conn.execute(text(
                f"CREATE TABLE {name} (LIKE audit_log INCLUDING DEFAULTS INCLUDING CONSTRAINTS)"))
            await conn.execute(text("SET LOCAL crm.audit_retention = 'on'"))
            move = (f"WITH moved AS (DELETE FROM {AUDIT_DEFAULT_PARTITION} "  # noqa: S608
                    "WHERE at >= :start AND at < :end RETURNING *) "
                    f"INSERT INTO {name} SELECT * FROM moved")
            await conn.execute(text(move), params)
            await conn.execute(text("RESET crm.audit_retention"))
            await conn.execute(text(
                f"ALTER TABLE audit_log ATTACH PARTITION {name} "
                f"FOR VALUES FROM ('{_bound(month.start)}') TO ('{_bound(month.end)}')"))

    async def drop(self, month: Month) -> None:
        name = partition_name(month)
        async with self.engine.begin() as conn:
            await self._begin(conn)
            if name not in (await conn.execute(PARTITIONS)).scalars().all():
                return
            await conn.execute(text(f"ALTER TABLE audit_log DETACH PARTITION {name}"))
            await conn.execute(text(f"DROP TABLE {name}"))

    async def purge_catch_all(self, before: datetime) -> int:
        """Expired entries the catch-all took (written with a time outside the prepared
        months): rare, so deleted row by row."""
        async with self.engine.begin() as conn:
            await self._begin(conn)
            await conn.execute(text("SET LOCAL crm.audit_retention = 'on'"))
            result = await conn.execute(text(
                f"DELETE FROM {AUDIT_DEFAULT_PARTITION} WHERE at < :before"),  # noqa: S608
                {"before": before})
            return int(result.rowcount or 0)
