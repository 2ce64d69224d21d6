"""The calendar's layout math: periods, real day lengths across DST, hour marks from the
actual local clock, items split at local midnight, lanes, the coach's grid."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from domain import calendar_grid as grid

BERLIN = ZoneInfo("Europe/Berlin")
AUCKLAND = ZoneInfo("Pacific/Auckland")
LOS_ANGELES = ZoneInfo("America/Los_Angeles")


@dataclass(frozen=True)
class Span:
    start: datetime
    end: datetime


def at(day: date, hour: int, minute: int = 0, zone: ZoneInfo = BERLIN) -> datetime:
    return datetime(day.year, day.month, day.day, hour, minute, tzinfo=zone).astimezone(UTC)


def test_a_week_starts_on_monday_and_steps_by_seven_days():
    week = grid.period("week", date(2027, 1, 20))
    assert (week.first, week.last, week.count) == (date(2027, 1, 18), date(2027, 1, 24), 7)
    assert (week.previous, week.next) == (date(2027, 1, 13), date(2027, 1, 27))


def test_a_day_steps_by_one_day():
    day = grid.period("day", date(2027, 3, 1))
    assert (day.first, day.count, day.previous, day.next) == (
        date(2027, 3, 1),
        1,
        date(2027, 2, 28),
        date(2027, 3, 2),
    )


def test_a_month_covers_whole_weeks_and_steps_to_the_neighbouring_months():
    month = grid.period("month", date(2027, 2, 17))
    assert month.first == date(2027, 2, 1)  # a Monday
    assert month.last == date(2027, 2, 28)  # a Sunday: exactly four weeks
    assert (month.previous, month.next) == (date(2027, 1, 1), date(2027, 3, 1))
    rows = grid.weeks(month.first, month.count)
    assert len(rows) == 4 and all(len(row) == 7 for row in rows)
    december = grid.period("month", date(2026, 12, 31))
    assert december.first == date(2026, 11, 30) and december.last == date(2027, 1, 3)
    assert december.next == date(2027, 1, 1)
    with pytest.raises(ValueError):
        grid.period("year", date(2027, 1, 1))


@pytest.mark.parametrize(
    ("day", "minutes"),
    [(date(2027, 3, 27), 1440), (date(2027, 3, 28), 1380), (date(2027, 10, 31), 1500)],
)
def test_berlin_days_have_their_real_length(day, minutes):
    (only,) = grid.days(day, 1, BERLIN)
    assert only.minutes == minutes
    assert only.start == at(day, 0)


def test_hour_marks_come_from_the_actual_local_clock():
    spring, autumn = (
        grid.days(date(2027, 3, 28), 1, BERLIN)[0],
        grid.days(date(2027, 10, 31), 1, BERLIN)[0],
    )
    spring_marks = grid.hour_marks(spring, BERLIN)
    assert [m.local.hour for m in spring_marks] == [0, 1, *range(3, 24)]
    assert [m.offset for m in spring_marks][:4] == [0, 60, 120, 180]
    autumn_marks = grid.hour_marks(autumn, BERLIN)
    assert [m.local.hour for m in autumn_marks] == [0, 1, 2, 2, *range(3, 24)]
    assert [m.repeated for m in autumn_marks][2:4] == [False, True]
    assert autumn_marks[-1].offset == 1500 - 60


def test_positions_are_real_minutes_from_local_midnight():
    spring = grid.days(date(2027, 3, 28), 1, BERLIN)[0]
    nine = at(date(2027, 3, 28), 9)
    (piece,) = grid.split([Span(nine, nine + timedelta(hours=8))], [spring])[0]
    assert (piece.top, piece.height) == (8 * 60, 8 * 60)  # 09:00 is 8 hours after midnight


def test_an_item_crossing_local_midnight_is_split_onto_both_days():
    monday = date(2027, 1, 18)
    days = grid.days(monday, 7, AUCKLAND)
    window = Span(at(monday, 9), at(monday, 17))  # 21:00-05:00 in Auckland (UTC+13)
    placed = grid.split([window], days)
    (evening,), (morning,) = placed[0], placed[1]
    assert (evening.top, evening.height, evening.continues_after) == (21 * 60, 180, True)
    assert (morning.top, morning.height, morning.continues_before) == (0, 300, True)
    assert evening.item is morning.item is window
    assert all(not pieces for pieces in placed[2:])


def test_a_los_angeles_week_around_berlins_spring_change():
    # Los Angeles moved to summer time on 14 March, Berlin does on 28 March: in between
    # they are 8 hours apart (09:00 in Berlin is 01:00 there), then 9 (00:00).
    days = grid.days(date(2027, 3, 22), 7, LOS_ANGELES)
    before = Span(at(date(2027, 3, 26), 9), at(date(2027, 3, 26), 17))
    after = Span(at(date(2027, 3, 29), 9), at(date(2027, 3, 29), 17))
    placed = grid.split([before, after], days)
    assert [(p.top, p.height) for p in placed[4]] == [(60, 8 * 60)]  # Friday 01:00-09:00
    assert [(p.top, p.height) for p in placed[0]] == []
    monday = grid.days(date(2027, 3, 29), 1, LOS_ANGELES)
    assert [(p.top, p.height) for p in grid.split([after], monday)[0]] == [(0, 8 * 60)]


def test_items_outside_the_days_are_left_out():
    days = grid.days(date(2027, 1, 18), 1, BERLIN)
    early = Span(at(date(2027, 1, 17), 9), at(date(2027, 1, 17), 10))
    touching = Span(at(date(2027, 1, 19), 0), at(date(2027, 1, 19), 1))
    assert grid.split([early, touching], days) == [[]]


def test_overlapping_pieces_share_lanes():
    day = grid.days(date(2027, 1, 18), 1, BERLIN)[0]
    spans = [
        Span(at(day.date, 9), at(day.date, 10)),
        Span(at(day.date, 9, 30), at(day.date, 11)),
        Span(at(day.date, 10), at(day.date, 10, 30)),
        Span(at(day.date, 12), at(day.date, 13)),
    ]
    pieces = grid.split(spans, [day])[0]
    assert grid.lanes(pieces) == [(0, 2), (1, 2), (0, 2), (0, 1)]


def test_the_grid_is_the_coaches_local_quarter_hour():
    kathmandu = ZoneInfo("Asia/Kathmandu")  # UTC+05:45
    moment = datetime(2027, 1, 18, 3, 20, tzinfo=UTC)  # 09:05 in Kathmandu
    assert grid.grid_ceil(moment, kathmandu) == datetime(2027, 1, 18, 3, 30, tzinfo=UTC)
    assert grid.grid_ceil(moment, BERLIN) == datetime(2027, 1, 18, 3, 30, tzinfo=UTC)
    on_grid = datetime(2027, 1, 18, 3, 15, tzinfo=UTC)
    assert grid.grid_ceil(on_grid, kathmandu) == on_grid


def test_empty_runs_are_what_the_taken_ranges_leave():
    day = grid.days(date(2027, 1, 18), 1, BERLIN)[0]
    runs = grid.subtract(
        at(day.date, 8),
        at(day.date, 12),
        [(at(day.date, 9), at(day.date, 10)), (at(day.date, 9, 30), at(day.date, 10, 30))],
    )
    assert runs == [(at(day.date, 8), at(day.date, 9)), (at(day.date, 10, 30), at(day.date, 12))]
    assert (
        grid.subtract(at(day.date, 8), at(day.date, 9), [(at(day.date, 7), at(day.date, 10))]) == []
    )


def test_dates_far_off_are_out_of_bounds():
    assert grid.in_bounds(date(2027, 1, 1))
    assert not grid.in_bounds(date(1, 1, 1)) and not grid.in_bounds(date(9999, 12, 31))


def test_a_zone_that_shifts_by_half_an_hour_keeps_its_marks_on_the_hour():
    lord_howe = ZoneInfo("Australia/Lord_Howe")  # +10:30, +11 in summer (from 3 October 2027)
    (day,) = grid.days(date(2027, 10, 3), 1, lord_howe)
    assert day.minutes == 24 * 60 - 30
    marks = grid.hour_marks(day, lord_howe)
    assert all(m.local.minute == 0 for m in marks)
    assert [m.local.hour for m in marks][:4] == [0, 1, 3, 4]
    assert [m.offset for m in marks][:4] == [0, 60, 150, 210]
