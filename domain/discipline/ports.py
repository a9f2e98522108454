"""The repositories and outside services the discipline feature needs."""

from __future__ import annotations

from datetime import datetime
from typing import Protocol

from domain.discipline.model import FollowUpLapse, LapseLevel, StaleRecord


class FollowUpLapses(Protocol):
    async def stale_leads(self, now: datetime, days: int, level: LapseLevel,
                          limit: int) -> list[StaleRecord]:
        """Open leads untouched for level.factor x days, not yet raised at that level."""
        ...
    async def stale_opportunities(self, now: datetime, level: LapseLevel,
                                  limit: int) -> list[StaleRecord]:
        """The same for open opportunities, with each pipeline's own number of days."""
        ...
    async def record(self, lapse: FollowUpLapse) -> bool:
        """False when this lapse was already raised at this level (by an earlier run)."""
        ...

