"""Working time: reminders and escalations count office hours, not wall-clock hours."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from domain.shared.errors import ValidationFailed

DEFAULT_TIMEZONE = "Asia/Shanghai"
MAX_DAYS = 3660  # nothing we measure waits ten years; bounds the walk over days


def _clock_time(raw: Any, name: str) -> time:
    if isinstance(raw, time):
        return raw
    try:
        hours, minutes = str(raw).split(":")
        return time(int(hours), int(minutes))
    except (ValueError, TypeError):
        raise ValidationFailed.of(name, "contract.bad_time_of_day") from None


@dataclass(frozen=True)
class WorkingCalendar:
    """Office hours on working days in one time zone (public holidays are not modelled)."""

    timezone: str = DEFAULT_TIMEZONE
    start: time = time(9, 0)
    end: time = time(18, 0)
    workdays: frozenset[int] = field(default_factory=lambda: frozenset({0, 1, 2, 3, 4}))

    @classmethod
    def of(cls, doc: dict[str, Any]) -> WorkingCalendar:
        """From its stored document (what to_doc wrote)."""
        return cls.build(doc.get("timezone"), doc.get("start", "09:00"),
                         doc.get("end", "18:00"), doc.get("workdays", [1, 2, 3, 4, 5]))

    @classmethod
    def build(cls, timezone: str | None, start: Any, end: Any, workdays: Any
              ) -> WorkingCalendar:
        """Checks each part, naming it: a time zone name, "HH:MM" times, ISO weekdays."""
        tz = str(timezone or DEFAULT_TIMEZONE)
        try:
            ZoneInfo(tz)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValidationFailed.of("calendar.timezone", "contract.not_a_timezone",
                                      zone=tz) from None
        opens = _clock_time(start, "calendar.start")
        closes = _clock_time(end, "calendar.end")
        if closes <= opens:
            raise ValidationFailed.of("calendar.end", "contract.day_ends_before_start")
        if not isinstance(workdays, list | tuple) or not workdays or any(
                not isinstance(d, int) or not 1 <= d <= 7 for d in workdays):
            raise ValidationFailed.of("calendar.workdays", "contract.bad_workdays")
        return cls(timezone=tz, start=opens, end=closes,
                   workdays=frozenset(d - 1 for d in workdays))

    def to_doc(self) -> dict[str, Any]:
        return {"timezone": self.timezone, "start": self.start.strftime("%H:%M"),
                "end": self.end.strftime("%H:%M"),
                "workdays": sorted(d + 1 for d in self.workdays)}

    @property
    def hours_per_day(self) -> float:
        return (datetime.combine(datetime.min, self.end)
                - datetime.combine(datetime.min, self.start)).total_seconds() / 3600

    def _windows(self, a: datetime, days: int) -> list[tuple[datetime, datetime]]:
        tz = ZoneInfo(self.timezone)
        day = a.astimezone(tz).date()
        out = []
        for i in range(days):
            d = day + timedelta(days=i)
            if d.weekday() in self.workdays:
                out.append((datetime.combine(d, self.start, tz), datetime.combine(d, self.end, tz)))
        return out

    def working_seconds(self, a: datetime, b: datetime) -> float:
        """Office time between two instants (0 when b is not after a)."""
        if b <= a:
            return 0.0
        days = min((b - a).days + 2, MAX_DAYS)
        total = 0.0
        for lo, hi in self._windows(a, days):
            lo, hi = max(lo, a), min(hi, b)
            if hi > lo:
                total += (hi - lo).total_seconds()
        return total

    def add(self, a: datetime, seconds: float) -> datetime:
        """The instant when `seconds` of office time have passed since `a`."""
        left = seconds
        for lo, hi in self._windows(a, MAX_DAYS):
            lo = max(lo, a)
            if hi <= lo:
                continue
            span = (hi - lo).total_seconds()
            if left <= span:
                return (lo + timedelta(seconds=left)).astimezone(UTC)
            left -= span
        return a + timedelta(days=MAX_DAYS)
