"""In-memory audit partitions: months with their entries' times, and a catch-all."""

from __future__ import annotations

from datetime import datetime

from domain.audit.model import Month


class FakeAuditPartitions:
    def __init__(self) -> None:
        self.by_month: dict[Month, list[datetime]] = {}
        self.catch_all: list[datetime] = []

    def write(self, at: datetime) -> None:
        month = Month.of(at)
        self.by_month.get(month, self.catch_all).append(at)

    def entries(self) -> list[datetime]:
        return sorted([*self.catch_all, *(at for ats in self.by_month.values() for at in ats)])

    async def months(self) -> list[Month]:
        return sorted(self.by_month)

    async def create(self, month: Month) -> None:
        self.by_month[month] = [at for at in self.catch_all if Month.of(at) == month]
        self.catch_all = [at for at in self.catch_all if Month.of(at) != month]

    async def drop(self, month: Month) -> None:
        del self.by_month[month]

    async def purge_catch_all(self, before: datetime) -> int:
        kept = [at for at in self.catch_all if at >= before]
        purged, self.catch_all = len(self.catch_all) - len(kept), kept
        return purged
