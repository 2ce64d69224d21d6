"""Bookable slots for one month, the pure function (issue 4: median < 3 ms; 20,000
bookings outside the month at most 1.5x the 2,000 figure), and issue 15's real coach: 20
bookings in the month, so hundreds of free starts to generate."""

from __future__ import annotations

from bench import scenario
from bench.harness import Result, measure
from domain.recurrence import expand
from domain.slots import bookable_slots


def _slots(busy):
    occurrences = expand(scenario.window(), scenario.MONTH_START, scenario.MONTH_END)
    return bookable_slots(
        occurrences,
        busy,
        scenario.RULES,
        now=scenario.NOW,
        range_start=scenario.MONTH_START,
        range_end=scenario.MONTH_END,
        timezone=scenario.ZONE,
    )


def run() -> list[Result]:
    busy_2k = scenario.busy(scenario.booking_starts(2000))
    in_month = [b for b in busy_2k if scenario.MONTH_START <= b.start < scenario.MONTH_END]
    count = len(_slots(busy_2k))
    # The query hands the function only the bookings touching the range; history outside
    # it never reaches the function (the 20,000-booking case is measured through the API).
    small = measure(
        "slots, 1 month, pure (2,000 bookings/year)",
        lambda: _slots(in_month),
        note=f"{count} slots, {len(in_month)} bookings in the month",
    )
    empty = measure(
        "slots, 1 month, pure (no bookings)",
        lambda: _slots([]),
        note=f"{len(_slots([]))} slots",
    )
    return [small, empty, _real_coach()]


def _real_coach() -> Result:
    """Issue 15: the month's 20 bookings (the query would hand over just these; the 200 of
    the rest of the year lie outside the range)."""
    month, rest = scenario.real_coach_starts()
    busy = scenario.busy(month)
    free = len(_slots(busy))
    assert free == len(_slots(scenario.busy(month + rest)))
    print(f"real coach: {free} free starts in June 2027 ({len(month)} bookings)")
    return measure(
        f"slots, 1 month, pure, real coach ({len(month)} bookings, {free} free starts)",
        lambda: _slots(busy),
        note=f"{free} slots, {len(month)} bookings in the month, {len(rest)} outside",
    )
