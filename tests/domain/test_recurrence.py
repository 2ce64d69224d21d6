"""Availability windows expanded into UTC occurrences (SPEC section 4, "Availability").

09:00 local stays 09:00 local across daylight-saving changes; a wall-clock time in a
spring-forward gap moves forward by the gap, one in a fall-back overlap is the first of
the two instants (the rule in ``domain/recurrence.py``).
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from hypothesis import assume, given, settings
from hypothesis import strategies as st

from domain.recurrence import (
    WEEKDAY_CODES,
    OccurrenceEdit,
    Window,
    expand,
    expand_all,
    resolve_local,
    series_end,
)

BERLIN = ZoneInfo("Europe/Berlin")
WORKDAYS = ("MO", "TU", "WE", "TH", "FR")


def berlin(y, m, d, hh=0, mm=0) -> datetime:
    return datetime(y, m, d, hh, mm, tzinfo=BERLIN)


def utc(y, m, d, hh=0, mm=0) -> datetime:
    return datetime(y, m, d, hh, mm, tzinfo=UTC)


def weekly(start: datetime, end: datetime, weekdays=WORKDAYS, **values) -> Window:
    return Window(id=7, start=start, end=end, timezone="Europe/Berlin", weekdays=weekdays, **values)


def nine_to_five_from(y, m, d, **values) -> Window:
    return weekly(berlin(y, m, d, 9), berlin(y, m, d, 17), **values)


def local_days(occurrences, zone=BERLIN) -> list[date]:
    return [o.start.astimezone(zone).date() for o in occurrences]


def local_times(occurrences, zone=BERLIN) -> set[tuple[time, time]]:
    return {(o.start.astimezone(zone).time(), o.end.astimezone(zone).time()) for o in occurrences}


# --- one-off windows --------------------------------------------------------------------


def test_a_one_off_window_is_one_occurrence_in_utc_with_the_windows_settings():
    window = Window(
        id=3,
        start=berlin(2026, 5, 6, 9),
        end=berlin(2026, 5, 6, 12),
        timezone="Europe/Berlin",
        session_type_id=11,
        instant_booking=False,
    )
    [occurrence] = expand(window, utc(2026, 5, 4), utc(2026, 5, 11))
    assert occurrence.start == utc(2026, 5, 6, 7) and occurrence.end == utc(2026, 5, 6, 10)
    assert occurrence.occurrence == occurrence.start
    assert (occurrence.window_id, occurrence.session_type_id) == (3, 11)
    assert occurrence.instant_booking is False


def test_a_one_off_window_outside_the_range_gives_nothing():
    window = Window(1, berlin(2026, 5, 6, 9), berlin(2026, 5, 6, 12), "Europe/Berlin")
    assert expand(window, utc(2026, 5, 7), utc(2026, 5, 8)) == []
    assert expand(window, utc(2026, 5, 6, 9), utc(2026, 5, 7)) != []  # overlapping is enough
    assert expand(window, utc(2026, 5, 6, 10), utc(2026, 5, 7)) == []  # ends at 12:00 local


# --- weekly windows across daylight-saving changes ----------------------------------------


def test_nine_o_clock_stays_nine_o_clock_local_across_the_march_change():
    window = nine_to_five_from(2026, 3, 23)  # Berlin springs forward on Sunday 29 March
    occurrences = expand(window, utc(2026, 3, 23), utc(2026, 4, 4))
    assert local_days(occurrences) == [
        *(date(2026, 3, d) for d in (23, 24, 25, 26, 27, 30, 31)),
        *(date(2026, 4, d) for d in (1, 2, 3)),
    ]
    assert local_times(occurrences) == {(time(9), time(17))}
    assert [o.start for o in occurrences[:5]] == [utc(2026, 3, d, 8) for d in range(23, 28)]
    assert occurrences[5].start == utc(2026, 3, 30, 7)
    assert occurrences[-1].end == utc(2026, 4, 3, 15)


def test_nine_o_clock_stays_nine_o_clock_local_across_the_october_change():
    window = nine_to_five_from(2026, 10, 19)  # Berlin falls back on Sunday 25 October
    occurrences = expand(window, utc(2026, 10, 19), utc(2026, 10, 31))
    assert len(occurrences) == 10
    assert local_times(occurrences) == {(time(9), time(17))}
    assert {o.start.hour for o in occurrences[:5]} == {7}  # CEST, +02:00
    assert {o.start.hour for o in occurrences[5:]} == {8}  # CET, +01:00
    assert occurrences[5].start == utc(2026, 10, 26, 8)


# --- until and count ----------------------------------------------------------------------


def test_until_includes_the_until_date_itself():
    window = nine_to_five_from(2026, 5, 4, until=date(2026, 5, 8))
    occurrences = expand(window, utc(2026, 5, 1), utc(2026, 6, 1))
    assert local_days(occurrences) == [date(2026, 5, d) for d in range(4, 9)]


def test_until_on_a_day_without_availability_ends_on_the_day_before():
    window = nine_to_five_from(2026, 5, 4, until=date(2026, 5, 10))  # a Sunday
    assert local_days(expand(window, utc(2026, 5, 1), utc(2026, 6, 1)))[-1] == date(2026, 5, 8)


def test_count_counts_occurrences_from_the_first_one():
    window = nine_to_five_from(2026, 5, 4, weekdays=("MO", "WE", "FR"), count=4)
    occurrences = expand(window, utc(2026, 1, 1), utc(2027, 1, 1))
    assert local_days(occurrences) == [date(2026, 5, d) for d in (4, 6, 8, 11)]


def test_count_is_not_restarted_by_a_later_range():
    window = nine_to_five_from(2026, 5, 4, count=7)
    assert local_days(expand(window, utc(2026, 5, 11), utc(2026, 5, 18))) == [
        date(2026, 5, 11),
        date(2026, 5, 12),
    ]
    assert expand(window, utc(2026, 5, 18), utc(2026, 5, 25)) == []


def test_a_series_starts_on_its_first_matching_weekday():
    window = nine_to_five_from(2026, 5, 2, weekdays=("MO",))  # created on a Saturday
    assert local_days(expand(window, utc(2026, 5, 1), utc(2026, 5, 12))) == [
        date(2026, 5, 4),
        date(2026, 5, 11),
    ]


# --- expansion limited to the requested range ---------------------------------------------


def test_a_year_long_series_asked_for_one_week_gives_only_that_week():
    window = nine_to_five_from(2026, 1, 5, until=date(2026, 12, 31))
    occurrences = expand(window, berlin(2026, 6, 8), berlin(2026, 6, 15))
    assert local_days(occurrences) == [date(2026, 6, d) for d in range(8, 13)]


def test_the_range_is_half_open_and_overlap_is_enough():
    window = nine_to_five_from(2026, 5, 4)
    # From Wednesday noon to Thursday 09:00: Wednesday's overlaps, Thursday's starts at the end.
    occurrences = expand(window, berlin(2026, 5, 6, 12), berlin(2026, 5, 7, 9))
    assert local_days(occurrences) == [date(2026, 5, 6)]
    # A range starting exactly at an occurrence's end does not include it.
    assert local_days(expand(window, berlin(2026, 5, 6, 17), berlin(2026, 5, 7))) == []


def test_expand_all_merges_windows_in_start_order():
    mornings = nine_to_five_from(2026, 5, 4, weekdays=("TU",))
    one_off = Window(8, berlin(2026, 5, 4, 18), berlin(2026, 5, 4, 20), "Europe/Berlin")
    occurrences = expand_all([mornings, one_off], utc(2026, 5, 4), utc(2026, 5, 6))
    assert [(o.window_id, o.start) for o in occurrences] == [
        (8, utc(2026, 5, 4, 16)),
        (7, utc(2026, 5, 5, 7)),
    ]


# --- edited and deleted occurrences -------------------------------------------------------


def test_a_deleted_occurrence_is_left_out_and_the_others_stay():
    wednesday = utc(2026, 5, 6, 7)
    window = nine_to_five_from(2026, 5, 4, edits={wednesday: OccurrenceEdit("deleted")})
    occurrences = expand(window, utc(2026, 5, 4), utc(2026, 5, 9))
    assert local_days(occurrences) == [date(2026, 5, d) for d in (4, 5, 7, 8)]


def test_a_modified_occurrence_keeps_its_original_key_and_takes_the_new_times():
    wednesday = utc(2026, 5, 6, 7)
    edit = OccurrenceEdit("modified", utc(2026, 5, 6, 11), utc(2026, 5, 6, 13), False)
    window = nine_to_five_from(2026, 5, 4, edits={wednesday: edit})
    occurrences = expand(window, utc(2026, 5, 4), utc(2026, 5, 9))
    [moved] = [o for o in occurrences if o.occurrence == wednesday]
    assert (moved.start, moved.end, moved.instant_booking) == (edit.start, edit.end, False)
    assert [o.instant_booking for o in occurrences].count(True) == 4


def test_an_occurrence_moved_into_the_range_from_outside_appears():
    next_monday = utc(2026, 5, 11, 7)
    edit = OccurrenceEdit("modified", utc(2026, 5, 9, 8), utc(2026, 5, 9, 10))  # a Saturday
    window = nine_to_five_from(2026, 5, 4, edits={next_monday: edit})
    occurrences = expand(window, utc(2026, 5, 4), utc(2026, 5, 10))
    assert len(occurrences) == 6
    assert occurrences[-1].occurrence == next_monday
    assert (occurrences[-1].start, occurrences[-1].end) == (edit.start, edit.end)
    # Next week it is no longer on Monday.
    assert local_days(expand(window, utc(2026, 5, 10), utc(2026, 5, 16)))[0] == date(2026, 5, 12)


def test_an_occurrence_moved_out_of_the_range_disappears_from_it():
    wednesday = utc(2026, 5, 6, 7)
    edit = OccurrenceEdit("modified", utc(2026, 5, 16, 8), utc(2026, 5, 16, 10))
    window = nine_to_five_from(2026, 5, 4, edits={wednesday: edit})
    assert wednesday not in {o.occurrence for o in expand(window, utc(2026, 5, 4), utc(2026, 5, 9))}
    later = expand(window, utc(2026, 5, 16), utc(2026, 5, 17))
    assert [(o.occurrence, o.start) for o in later] == [(wednesday, edit.start)]


def test_an_edit_on_a_one_off_window_applies():
    start = utc(2026, 5, 6, 7)
    moved = OccurrenceEdit("modified", utc(2026, 5, 7, 7), utc(2026, 5, 7, 9))
    window = Window(1, start, utc(2026, 5, 6, 9), "Europe/Berlin", edits={start: moved})
    assert [o.start for o in expand(window, utc(2026, 5, 1), utc(2026, 6, 1))] == [moved.start]
    deleted = Window(
        1, start, utc(2026, 5, 6, 9), "Europe/Berlin", edits={start: OccurrenceEdit("deleted")}
    )
    assert expand(deleted, utc(2026, 5, 1), utc(2026, 6, 1)) == []


# --- windows crossing midnight ------------------------------------------------------------


def test_a_window_crossing_midnight_ends_on_the_next_local_day():
    window = weekly(berlin(2026, 3, 21, 22), berlin(2026, 3, 22, 4), weekdays=("SA",))
    occurrences = expand(window, berlin(2026, 3, 29, 0), berlin(2026, 3, 29, 6))
    # Saturday 28 March 22:00 CET to Sunday 04:00 CEST: five hours, not six.
    assert [(o.start, o.end) for o in occurrences] == [(utc(2026, 3, 28, 21), utc(2026, 3, 29, 2))]
    assert local_times(occurrences) == {(time(22), time(4))}


# --- DST gap and overlap ------------------------------------------------------------------


def test_a_time_in_the_spring_gap_moves_forward_by_the_gap():
    instant = resolve_local(date(2026, 3, 29), time(2, 30), BERLIN)
    assert instant == utc(2026, 3, 29, 1, 30)
    assert instant.astimezone(BERLIN).time() == time(3, 30)


def test_a_time_in_the_autumn_overlap_is_the_first_of_the_two():
    instant = resolve_local(date(2026, 10, 25), time(2, 30), BERLIN)
    assert instant == utc(2026, 10, 25, 0, 30)
    assert instant.astimezone(BERLIN).utcoffset() == timedelta(hours=2)


def test_a_weekly_window_in_the_gap_and_overlap_follows_the_rule_on_those_sundays():
    window = weekly(berlin(2026, 3, 22, 2, 30), berlin(2026, 3, 22, 4), weekdays=("SU",))
    starts = [o.start for o in expand(window, utc(2026, 3, 22), utc(2026, 4, 6))]
    assert starts == [utc(2026, 3, 22, 1, 30), utc(2026, 3, 29, 1, 30), utc(2026, 4, 5, 0, 30)]
    autumn = [o.start for o in expand(window, utc(2026, 10, 18), utc(2026, 11, 2))]
    assert autumn == [utc(2026, 10, 18, 0, 30), utc(2026, 10, 25, 0, 30), utc(2026, 11, 1, 1, 30)]


# --- series_end ---------------------------------------------------------------------------


def test_series_end_of_a_one_off_window_is_its_end():
    window = Window(1, utc(2026, 5, 6, 7), utc(2026, 5, 6, 9), "Europe/Berlin")
    assert series_end(window) == utc(2026, 5, 6, 9)


def test_series_end_with_until_is_the_end_of_the_last_occurrence():
    window = nine_to_five_from(2026, 3, 2, until=date(2026, 3, 29))  # Sunday, after the change
    assert series_end(window) == utc(2026, 3, 27, 16)
    window = nine_to_five_from(2026, 3, 2, until=date(2026, 3, 30))
    assert series_end(window) == utc(2026, 3, 30, 15)


def test_series_end_with_count_is_the_end_of_the_last_counted_occurrence():
    window = nine_to_five_from(2026, 5, 4, weekdays=("MO", "TH"), count=5)
    assert series_end(window) == berlin(2026, 5, 18, 17)


def test_series_end_of_a_window_crossing_midnight_is_on_the_next_day():
    window = weekly(berlin(2026, 5, 1, 22), berlin(2026, 5, 2, 2), weekdays=("FR",), count=2)
    assert series_end(window) == berlin(2026, 5, 9, 2)


def test_an_open_ended_series_has_no_end():
    assert series_end(nine_to_five_from(2026, 5, 4)) is None


# --- property: local wall-clock times survive every DST change -----------------------------

ZONES = ["Europe/Berlin", "America/New_York", "Australia/Lord_Howe", "Asia/Kolkata"]


def exists(day: date, wall: time, zone: ZoneInfo) -> bool:
    naive = datetime.combine(day, wall)
    return naive.replace(tzinfo=zone).astimezone(UTC).astimezone(zone).replace(tzinfo=None) == naive


def expected_instant(day: date, wall: time, zone: ZoneInfo) -> datetime:
    """The documented rule, stated independently: a time in a gap moves forward by the gap's
    length (the two offsets' difference); a repeated time is the earlier instant."""
    naive = datetime.combine(day, wall)
    first = naive.replace(tzinfo=zone, fold=0).utcoffset()
    second = naive.replace(tzinfo=zone, fold=1).utcoffset()
    if first < second and not exists(day, wall, zone):
        naive += second - first
        return naive.replace(tzinfo=zone, fold=1).astimezone(UTC)
    return naive.replace(tzinfo=zone, fold=0).astimezone(UTC)


@settings(max_examples=120, deadline=None)
@given(
    zone_name=st.sampled_from(ZONES),
    first_day=st.dates(date(2025, 1, 1), date(2027, 12, 31)),
    # Half the draws near 02:00, where Berlin, New York and Lord Howe change their clocks.
    start_minute=st.one_of(st.integers(0, 95), st.integers(5, 12)).map(lambda q: q * 15),
    duration=st.integers(1, 4 * 16).map(lambda q: q * 15),
    weekdays=st.sets(st.sampled_from(WEEKDAY_CODES), min_size=1).map(
        lambda s: tuple(c for c in WEEKDAY_CODES if c in s)
    ),
    until_after=st.none() | st.integers(0, 400),
)
def test_every_occurrence_keeps_the_local_wall_clock_times_on_its_weekdays(
    zone_name, first_day, start_minute, duration, weekdays, until_after
):
    zone = ZoneInfo(zone_name)
    start_naive = datetime.combine(first_day, time()) + timedelta(minutes=start_minute)
    end_naive = start_naive + timedelta(minutes=duration)
    start_wall, end_wall = start_naive.time(), end_naive.time()
    span = (end_naive.date() - first_day).days
    # The first occurrence is created at a time that exists.
    assume(exists(first_day, start_wall, zone) and exists(end_naive.date(), end_wall, zone))
    until = None if until_after is None else first_day + timedelta(days=until_after)
    window = Window(
        1,
        start_naive.replace(tzinfo=zone).astimezone(UTC),
        end_naive.replace(tzinfo=zone).astimezone(UTC),
        zone_name,
        weekdays=weekdays,
        until=until,
    )
    range_start = window.start - timedelta(days=3)
    range_end = window.start + timedelta(days=370)  # at least one change each way

    occurrences = expand(window, range_start, range_end)

    expected = []
    for offset in range(-1, 372):
        day = first_day + timedelta(days=offset)
        if offset < 0 or WEEKDAY_CODES[day.weekday()] not in weekdays:
            continue
        if until is not None and day > until:
            continue
        start = expected_instant(day, start_wall, zone)
        end = expected_instant(day + timedelta(days=span), end_wall, zone)
        if end > start and start < range_end and end > range_start:
            expected.append((start, end))
    assert [(o.start, o.end) for o in occurrences] == expected

    for o in occurrences:
        local_start, local_end = o.start.astimezone(zone), o.end.astimezone(zone)
        assert WEEKDAY_CODES[local_start.weekday()] in weekdays
        if exists(local_start.date(), start_wall, zone):
            assert local_start.time() == start_wall
        else:  # moved forward by the gap, never backwards
            assert local_start.time() > start_wall
        if exists(local_start.date() + timedelta(days=span), end_wall, zone):
            assert local_end.time() == end_wall
