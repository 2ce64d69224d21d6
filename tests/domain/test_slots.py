"""Free time and bookable start times (SPEC section 4, "Availability" and "Booking").

Free time is the windows minus the active bookings' blocked ranges (buffers included):
the seed's slot splitting. A start is bookable on the coach's 15-minute grid when the
session lies inside one window for its type and its own buffered range overlaps no busy
range (buffers stack), after the minimum notice and within the maximum advance.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from itertools import pairwise
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from domain.recurrence import Occurrence
from domain.slots import (
    Bookability,
    Busy,
    SlotRules,
    Unbookable,
    bookable_slots,
    free_time,
    group_slot_key,
    is_firm,
)

NOW = datetime(2026, 5, 1, 8, tzinfo=UTC)  # three days before the Monday used below
TYPE_ID = 5


def at(hh: int, mm: int = 0, day: int = 4) -> datetime:
    return datetime(2026, 5, day, hh, mm, tzinfo=UTC)


def window(start, end, window_id=1, session_type_id=None, instant=True) -> Occurrence:
    return Occurrence(window_id, start, start, end, session_type_id, instant)


def spans(free) -> list[tuple[str, str]]:
    return [(f"{s.start:%H:%M}", f"{s.end:%H:%M}") for s in free]


def slots_for(
    occurrences,
    busy=(),
    *,
    now=NOW,
    range_start=None,
    range_end=None,
    timezone="UTC",
    viewer_connected=False,
    **rules,
):
    rules.setdefault("duration_minutes", 60)
    return bookable_slots(
        occurrences,
        list(busy),
        SlotRules(session_type_id=TYPE_ID, **rules),
        now=now,
        range_start=range_start or at(0),
        range_end=range_end or at(0, day=11),
        timezone=timezone,
        viewer_connected=viewer_connected,
    )


def starts(slots) -> list[str]:
    return [f"{s.start:%H:%M}" for s in slots]


# --- splitting ----------------------------------------------------------------------------


def test_a_booking_splits_the_window_and_freeing_it_restores_the_whole_window():
    day = window(at(9), at(17), window_id=3, session_type_id=TYPE_ID, instant=False)
    split = free_time([day], [Busy(at(10), at(11))])
    assert spans(split) == [("09:00", "10:00"), ("11:00", "17:00")]
    assert {(s.window_id, s.occurrence, s.session_type_id, s.instant_booking) for s in split} == {
        (3, at(9), TYPE_ID, False)
    }
    assert spans(free_time([day], [])) == [("09:00", "17:00")]


def test_buffers_widen_what_a_booking_removes():
    # 10:00-11:00 with 15 minutes before and after blocks 09:45-11:15.
    free = free_time([window(at(9), at(17))], [Busy(at(9, 45), at(11, 15))])
    assert spans(free) == [("09:00", "09:45"), ("11:15", "17:00")]


def test_back_to_back_bookings_leave_no_empty_piece_between_them():
    free = free_time([window(at(9), at(17))], [Busy(at(11), at(12)), Busy(at(10), at(11))])
    assert spans(free) == [("09:00", "10:00"), ("12:00", "17:00")]


def test_a_booking_reaching_past_the_window_cuts_only_the_window():
    free = free_time([window(at(9), at(12)), window(at(14), at(17))], [Busy(at(11), at(15))])
    assert spans(free) == [("09:00", "11:00"), ("15:00", "17:00")]
    assert free_time([window(at(9), at(12))], [Busy(at(8), at(13))]) == []


# --- bookable starts ----------------------------------------------------------------------


def test_starts_are_offered_every_fifteen_minutes_where_the_duration_fits():
    slots = slots_for([window(at(9), at(11))])
    assert starts(slots) == ["09:00", "09:15", "09:30", "09:45", "10:00"]
    assert all(s.end - s.start == timedelta(hours=1) and s.kind == "firm" for s in slots)
    assert slots_for([window(at(9), at(10))], duration_minutes=90) == []


def test_a_window_starting_off_the_grid_offers_the_next_local_quarter_hour():
    kolkata = ZoneInfo("Asia/Kolkata")  # +05:30
    start = datetime(2026, 5, 4, 9, 5, tzinfo=kolkata)
    slots = slots_for(
        [window(start, start + timedelta(hours=1, minutes=10))], timezone="Asia/Kolkata"
    )
    assert [s.start.astimezone(kolkata).strftime("%H:%M") for s in slots] == ["09:15"]


def test_a_booked_hour_is_not_offered_but_the_hours_around_it_are():
    slots = slots_for([window(at(9), at(13))], [Busy(at(10), at(11))])
    assert starts(slots) == ["09:00", "11:00", "11:15", "11:30", "11:45", "12:00"]


def test_buffers_stack_and_the_new_bookings_buffers_may_leave_the_window():
    # The existing booking blocks 10:00-11:15 (its own 15 minutes after).
    busy = [Busy(at(10), at(11, 15))]
    slots = slots_for([window(at(8), at(13))], busy, buffer_after_minutes=15)
    assert starts(slots) == ["08:00", "08:15", "08:30", "08:45", "11:15", "11:30", "11:45", "12:00"]
    slots = slots_for([window(at(8), at(13))], busy, buffer_before_minutes=30)
    assert starts(slots) == ["08:00", "08:15", "08:30", "08:45", "09:00", "11:45", "12:00"]


def test_minimum_notice_is_counted_from_now_and_its_boundary_is_bookable():
    day = [window(at(9), at(13))]
    assert starts(slots_for(day, now=at(7), min_notice_minutes=120)[:2]) == ["09:00", "09:15"]
    assert starts(slots_for(day, now=at(7, 1), min_notice_minutes=120)[:1]) == ["09:15"]
    assert starts(slots_for(day, now=at(10), min_notice_minutes=0)[:1]) == ["10:00"]


def test_a_start_a_microsecond_inside_the_notice_or_before_the_range_is_not_offered():
    day = [window(at(9), at(13))]
    just_after_seven = at(7) + timedelta(microseconds=1)
    assert starts(slots_for(day, now=just_after_seven, min_notice_minutes=120))[0] == "09:15"
    just_after_nine = at(9) + timedelta(microseconds=1)
    assert starts(slots_for(day, range_start=just_after_nine))[0] == "09:15"
    assert starts(slots_for(day, range_end=at(9) + timedelta(microseconds=1))) == ["09:00"]


def test_nothing_in_the_past_is_offered():
    assert starts(slots_for([window(at(9), at(13))], now=at(12), min_notice_minutes=0)) == ["12:00"]


def test_maximum_advance_is_inclusive_of_its_last_instant():
    slots = slots_for([window(at(7), at(12))], now=at(8, day=3), max_advance_days=1)
    assert starts(slots) == ["07:00", "07:15", "07:30", "07:45", "08:00"]


def test_only_starts_inside_the_requested_range_are_offered():
    slots = slots_for([window(at(9), at(17))], range_start=at(10), range_end=at(11))
    assert starts(slots) == ["10:00", "10:15", "10:30", "10:45"]


def test_windows_for_another_session_type_are_not_offered():
    occurrences = [
        window(at(9), at(10), window_id=1, session_type_id=TYPE_ID + 1),
        window(at(11), at(12), window_id=2, session_type_id=TYPE_ID),
        window(at(13), at(14), window_id=3, session_type_id=None),
    ]
    assert starts(slots_for(occurrences)) == ["11:00", "13:00"]


@pytest.mark.parametrize(
    ("instant", "firm_booking", "connected", "kind"),
    [
        (True, "everyone", False, "firm"),
        (True, "everyone", True, "firm"),
        (True, "connected", True, "firm"),
        (True, "connected", False, "request"),
        (True, "nobody", True, "request"),
        (True, "nobody", False, "request"),
        (False, "everyone", True, "request"),
        (False, "connected", True, "request"),
        (False, "nobody", False, "request"),
    ],
)
def test_firm_or_request_follows_the_window_the_type_and_the_viewer(
    instant, firm_booking, connected, kind
):
    assert is_firm(instant, firm_booking, connected) is (kind == "firm")
    slots = slots_for(
        [window(at(9), at(10), instant=instant)],
        firm_booking=firm_booking,
        viewer_connected=connected,
    )
    assert [s.kind for s in slots] == [kind]


def test_overlapping_windows_offer_each_start_once_and_prefer_firm():
    occurrences = [
        window(at(9), at(11), window_id=1, instant=False),
        window(at(10), at(12), window_id=2, instant=True),
    ]
    slots = slots_for(occurrences)
    assert starts(slots) == [
        "09:00",
        "09:15",
        "09:30",
        "09:45",
        "10:00",
        "10:15",
        "10:30",
        "10:45",
        "11:00",
    ]
    assert [s.kind for s in slots] == ["request"] * 4 + ["firm"] * 5


# --- group session types ------------------------------------------------------------------


def group(*occurrences, busy=(), **rules):
    return slots_for(
        list(occurrences), busy, is_group=True, max_attendees=3, duration_minutes=90, **rules
    )


def seat(occurrence: Occurrence) -> Busy:
    return Busy(occurrence.start, occurrence.end, group_slot_key(1, occurrence.occurrence))


def test_a_group_window_is_one_slot_with_all_seats_left():
    evening = window(at(18), at(20), session_type_id=TYPE_ID)  # not split into starts
    [slot] = group(evening)
    assert (slot.start, slot.end, slot.seats_left, slot.kind) == (at(18), at(19, 30), 3, "firm")


def test_booked_seats_reduce_the_seats_left_until_the_group_is_full():
    evening = window(at(18), at(19, 30), session_type_id=TYPE_ID)
    assert [s.seats_left for s in group(evening, busy=[seat(evening)] * 2)] == [1]
    assert group(evening, busy=[seat(evening)] * 3) == []


def test_another_booking_overlapping_a_group_session_removes_it():
    evening = window(at(18), at(19, 30), session_type_id=TYPE_ID)
    assert group(evening, busy=[Busy(at(19), at(20))]) == []
    assert group(evening, busy=[Busy(at(17), at(18))]) != []  # touching is fine


def test_group_slots_need_a_window_for_the_group_type_and_the_notice():
    unrestricted = window(at(18), at(19, 30))
    assert group(unrestricted) == []
    evening = window(at(18), at(19, 30), session_type_id=TYPE_ID)
    assert group(evening, now=at(17), min_notice_minutes=120) == []
    assert [s.start for s in group(evening, now=at(16), min_notice_minutes=120)] == [at(18)]


def test_group_requests_follow_the_same_firm_rule():
    evening = window(at(18), at(19, 30), session_type_id=TYPE_ID, instant=False)
    assert [s.kind for s in group(evening)] == ["request"]


# --- properties ---------------------------------------------------------------------------

BASE = datetime(2026, 5, 4, tzinfo=UTC)
UNIT = timedelta(minutes=5)  # windows and bookings fall on 5-minute marks, off the grid too


def u(n: int) -> datetime:
    return BASE + n * UNIT


occurrence_lists = st.lists(
    st.tuples(
        st.integers(0, 2 * 288),
        st.integers(1, 144),
        st.sampled_from([None, TYPE_ID, TYPE_ID + 1]),
        st.booleans(),
    ),
    min_size=1,
    max_size=4,
).map(
    lambda items: [
        window(u(s), u(s + n), window_id=i + 1, session_type_id=t, instant=b)
        for i, (s, n, t, b) in enumerate(items)
    ]
)
busy_lists = st.lists(
    st.tuples(st.integers(0, 2 * 288), st.integers(1, 36)).map(lambda p: Busy(u(p[0]), u(sum(p)))),
    max_size=6,
)
minutes = st.sampled_from([0, 5, 10, 15, 30, 45])


def overlaps(a_start, a_end, b_start, b_end) -> bool:
    return a_start < b_end and b_start < a_end


def units(start: datetime, end: datetime) -> set[int]:
    return set(range((start - BASE) // UNIT, (end - BASE) // UNIT))


slot_rules = st.builds(
    SlotRules,
    session_type_id=st.just(TYPE_ID),
    duration_minutes=st.sampled_from([15, 30, 45, 60, 90]),
    buffer_before_minutes=minutes,
    buffer_after_minutes=minutes,
    min_notice_minutes=st.integers(0, 120).map(lambda n: n * 5),
    max_advance_days=st.integers(1, 3),
    firm_booking=st.sampled_from(["everyone", "connected", "nobody"]),
)


@settings(max_examples=200, deadline=None)
@given(
    occurrences=occurrence_lists,
    busy=busy_lists,
    rules=slot_rules,
    connected=st.booleans(),
    now=st.one_of(
        st.datetimes(datetime(2026, 5, 3), datetime(2026, 5, 6), timezones=st.just(UTC)),
        # On a quarter hour give or take a microsecond: the notice boundary exactly.
        st.tuples(st.integers(-96, 192), st.integers(-1, 1)).map(
            lambda p: BASE + timedelta(minutes=15 * p[0], microseconds=p[1])
        ),
    ),
    bounds=st.tuples(st.integers(-12, 3 * 288), st.integers(1, 2 * 288)),
    timezone=st.sampled_from(["UTC", "Asia/Kolkata", "Australia/Lord_Howe", "America/New_York"]),
)
def test_bookable_slots_are_exactly_the_grid_starts_that_fit_and_clash_with_nothing(
    occurrences, busy, rules, connected, now, bounds, timezone
):
    range_start, range_end = u(bounds[0]), u(bounds[0] + bounds[1])
    slots = bookable_slots(
        occurrences,
        busy,
        rules,
        now=now,
        range_start=range_start,
        range_end=range_end,
        timezone=timezone,
        viewer_connected=connected,
    )
    minute = timedelta(minutes=1)
    length = rules.duration_minutes * minute
    before, after = rules.buffer_before_minutes * minute, rules.buffer_after_minutes * minute
    earliest = now + rules.min_notice_minutes * minute
    latest = now + timedelta(days=rules.max_advance_days)
    admitted = [o for o in occurrences if o.session_type_id in (None, TYPE_ID)]

    def clashes(start: datetime) -> bool:
        return any(overlaps(start - before, start + length + after, b.start, b.end) for b in busy)

    for slot in slots:
        local = slot.start.astimezone(ZoneInfo(timezone))
        assert local.minute % 15 == 0 and local.second == 0 and local.microsecond == 0
        assert earliest <= slot.start <= latest and range_start <= slot.start < range_end
        assert slot.end - slot.start == length
        assert any(o.start <= slot.start and slot.end <= o.end for o in admitted)
        assert not clashes(slot.start)

    # The same answer by brute force over every quarter hour of the days involved.
    expected = {}
    for quarter in range(-8 * 4, 5 * 24 * 4):
        start = BASE + 15 * quarter * minute
        fits = [o for o in admitted if o.start <= start and start + length <= o.end]
        if not fits or clashes(start) or not earliest <= start <= latest:
            continue
        if range_start <= start < range_end:
            firm = any(is_firm(o.instant_booking, rules.firm_booking, connected) for o in fits)
            expected[start] = "firm" if firm else "request"
    assert {s.start: s.kind for s in slots} == expected
    assert [s.start for s in slots] == sorted(expected)


@settings(max_examples=200, deadline=None)
@given(occurrences=occurrence_lists, busy=busy_lists, booking=busy_lists.filter(bool))
def test_booking_then_freeing_restores_the_free_time_and_free_never_overlaps_busy(
    occurrences, busy, booking
):
    extra = booking[0]
    original = free_time(occurrences, busy)
    booked = free_time(occurrences, [*busy, extra])
    assert free_time(occurrences, busy) == original  # freeing: the same inputs, the same time

    busy_units = set().union(*(units(b.start, b.end) for b in busy))
    extra_units = units(extra.start, extra.end)
    for occ in occurrences:
        mine = [s for s in original if s.window_id == occ.window_id]
        after = [s for s in booked if s.window_id == occ.window_id]
        for span in mine + after:
            assert occ.start <= span.start < span.end <= occ.end
            assert span.occurrence == occ.occurrence
            assert not any(overlaps(span.start, span.end, b.start, b.end) for b in busy)
        # Neighbouring free pieces are merged: they never touch.
        assert all(a.end < b.start for a, b in pairwise(mine))
        free_units = set().union(*(units(s.start, s.end) for s in mine))
        assert free_units == units(occ.start, occ.end) - busy_units
        assert set().union(*(units(s.start, s.end) for s in after)) == free_units - extra_units


# --- one start: the same answer as the listing -------------------------------------------


@settings(max_examples=200, deadline=None)
@given(
    occurrences=occurrence_lists,
    busy=busy_lists,
    rules=slot_rules,
    connected=st.booleans(),
    now=st.datetimes(datetime(2026, 5, 3), datetime(2026, 5, 6), timezones=st.just(UTC)),
    timezone=st.sampled_from(["UTC", "Asia/Kolkata", "America/New_York"]),
    offset=st.integers(-8, 5 * 288),
)
def test_a_start_is_bookable_exactly_when_the_listing_offers_it(
    occurrences, busy, rules, connected, now, timezone, offset
):
    """Booking, suggesting and rescheduling ask ``decide``; the calendar lists ``slots``:
    for any start (on the grid or off it) both give the same answer and the same kind."""
    bookability = Bookability(
        occurrences, busy, rules, now=now, timezone=timezone, viewer_connected=connected
    )
    start = u(offset)
    listed = {s.start: s.kind for s in bookability.slots(start, start + UNIT)}
    try:
        verdict = bookability.decide(start)
    except Unbookable as refused:
        assert start not in listed, refused.reason
        return
    assert listed.get(start) == verdict.kind
    assert verdict.occurrence.start <= start
    assert start + timedelta(minutes=rules.duration_minutes) <= verdict.occurrence.end


def decide(occurrences, busy=(), *, start, now=NOW, outside_ok=False, client_id=None, **rules):
    rules.setdefault("duration_minutes", 60)
    bookability = Bookability(
        occurrences, list(busy), SlotRules(session_type_id=TYPE_ID, **rules), now=now,
        timezone="Europe/Berlin",
    )  # fmt: skip
    return bookability.decide(start, outside_ok=outside_ok, client_id=client_id)


@pytest.mark.parametrize(
    "start, reason",
    [
        (at(8, 30, day=1), "notice"),
        (at(9, day=28), "advance"),
        (at(9, 10), "grid"),
        (at(18), "outside"),
        (at(16, 30), "outside"),  # runs past the window's end
        (at(10), "taken"),
    ],
)
def test_each_refusal_says_why(start, reason):
    with pytest.raises(Unbookable) as refused:
        decide([window(at(9), at(17))], [Busy(at(10), at(11))], start=start, max_advance_days=20)
    assert refused.value.reason == reason
    assert refused.value.timing == (reason in ("notice", "advance", "grid"))


def test_a_request_may_ask_for_time_outside_availability_but_not_over_a_booking():
    day = [window(at(9), at(12))]
    verdict = decide(day, start=at(18), outside_ok=True)
    assert (verdict.kind, verdict.occurrence) == ("request", None)
    partly = decide(day, start=at(11, 30), outside_ok=True)
    assert (partly.kind, partly.occurrence) == ("request", None)
    with pytest.raises(Unbookable) as refused:
        decide(day, [Busy(at(18), at(19))], start=at(18, 15), outside_ok=True)
    assert refused.value.reason == "taken"
    with pytest.raises(Unbookable) as refused:
        decide(day, start=at(18, 5), outside_ok=True)
    assert refused.value.reason == "grid"


def test_overlapping_windows_give_the_firm_one():
    windows = [window(at(9), at(17), 1, instant=False), window(at(10), at(12), 2)]
    verdict = decide(windows, start=at(10))
    assert (verdict.kind, verdict.occurrence.window_id) == ("firm", 2)


def test_a_group_seat_is_refused_when_full_or_already_held():
    evening = window(at(18), at(19, 30), session_type_id=TYPE_ID)
    key = group_slot_key(1, evening.occurrence)
    seat = Busy(at(18), at(19, 30), key, client_id=7)
    rules = {"is_group": True, "max_attendees": 2, "duration_minutes": 90}
    assert decide([evening], [seat], start=at(18), **rules).group_key == key
    for busy, client, reason in [([seat], 7, "seat_held"), ([seat, seat], 8, "full")]:
        with pytest.raises(Unbookable) as refused:
            decide([evening], busy, start=at(18), client_id=client, **rules)
        assert refused.value.reason == reason


def test_with_the_database_refusing_overlaps_only_the_availability_is_checked():
    bookability = Bookability(
        [window(at(9), at(17))], None, SlotRules(TYPE_ID, 60), now=NOW, timezone="UTC"
    )
    assert bookability.decide(at(10)).kind == "firm"
