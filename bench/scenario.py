"""The issue's scheduling scenario: Mon-Fri 09:00-17:00 (Europe/Berlin) for one year,
bookings spread over it, a 60-minute session type, one month requested."""

from __future__ import annotations

import random
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

from domain.recurrence import Window
from domain.slots import Busy, SlotRules

ZONE = "Europe/Berlin"
YEAR_START = date(2027, 1, 4)  # a Monday
MONTH_START = datetime(2027, 6, 1, tzinfo=UTC)
MONTH_END = datetime(2027, 7, 1, tzinfo=UTC)
NOW = datetime(2027, 5, 31, 12, 0, tzinfo=UTC)


def window() -> Window:
    zone = ZoneInfo(ZONE)
    start = datetime.combine(YEAR_START, datetime.min.time(), zone).replace(hour=9)
    return Window(
        id=1,
        start=start.astimezone(UTC),
        end=start.replace(hour=17).astimezone(UTC),
        timezone=ZONE,
        weekdays=("MO", "TU", "WE", "TH", "FR"),
        until=YEAR_START + timedelta(days=364),
    )


def booking_starts(count: int, *, outside_month: bool = False, seed: int = 7) -> list[datetime]:
    """``count`` non-overlapping one-hour bookings on weekday hours of the year."""
    rng = random.Random(seed)
    zone = ZoneInfo(ZONE)
    hours = []
    day = YEAR_START
    while day < YEAR_START + timedelta(days=364):
        if day.weekday() < 5:
            for hour in range(9, 17):
                start = datetime.combine(day, datetime.min.time(), zone).replace(hour=hour)
                start = start.astimezone(UTC)
                if not (outside_month and MONTH_START <= start < MONTH_END):
                    hours.append(start)
        day += timedelta(days=1)
    return sorted(rng.sample(hours, min(count, len(hours))))


def busy(starts: list[datetime]) -> list[Busy]:
    return [Busy(s, s + timedelta(hours=1)) for s in starts]


def starts_outside_month(count: int) -> list[datetime]:
    """``count`` back-to-back 15-minute bookings before the month (non-overlapping, as the
    PostgreSQL constraint requires of one coach), from 2025 on."""
    first = datetime(2025, 1, 1, tzinfo=UTC)
    starts = [first + timedelta(minutes=30 * n) for n in range(count)]
    assert starts[-1] < MONTH_START
    return starts


RULES = SlotRules(
    session_type_id=1, duration_minutes=60, min_notice_minutes=120, max_advance_days=365
)
