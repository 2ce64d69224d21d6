"""GET /api/bookings/:userId/bookings: free time after splitting, the viewer's own bookings,
anonymous busy blocks, and the privacy rule for the calendar and slots endpoints
(SPEC sections 4 and 8.1)."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest

from tests.api.scheduling import (
    MONDAY,
    calendar_url,
    create_window,
    day_range,
    free_time,
    get_calendar,
    local,
    set_booking_status,
    slots_url,
    z,
)
from tests.factories import (
    make_booking,
    make_client,
    make_coach,
    make_connection,
    make_session_type,
)
from tests.helpers import assert_error

TUESDAY = MONDAY + timedelta(days=1)


def at(hour: int) -> datetime:
    return local(MONDAY, hour)


NINE, TEN, ELEVEN, FIVE = (z(at(hour)) for hour in (9, 10, 11, 17))


def coach_with_day(app, api, **coach_fields):
    """A coach with a 09:00-17:00 window on the Monday, and a 60-minute session type."""
    coach = make_coach(app, **coach_fields)
    session_type = make_session_type(app, coach)
    create_window(api, coach, at(9), at(17))
    return coach, session_type


def summary(items: list[dict]) -> list[tuple[str, str, str]]:
    return [(i["type"], i["start"], i["end"]) for i in items]


# --- splitting ------------------------------------------------------------------------------


def test_a_booking_splits_the_free_time_around_it(app, api):
    coach, session_type = coach_with_day(app, api)
    make_booking(app, coach, make_client(app), session_type, at(10))
    assert summary(get_calendar(api, coach.id, day_range(MONDAY), as_=coach)) == [
        ("availability", NINE, TEN),
        ("booking", TEN, ELEVEN),
        ("availability", ELEVEN, FIVE),
    ]


def test_a_cancelled_booking_frees_its_time_merged_with_its_neighbours(app, api):
    coach, session_type = coach_with_day(app, api)
    booking = make_booking(app, coach, make_client(app), session_type, at(10))
    set_booking_status(app, booking, "cancelled_by_client")
    items = get_calendar(api, coach.id, day_range(MONDAY), as_=coach)
    assert summary(items) == [("availability", NINE, FIVE)]


@pytest.mark.parametrize("status", ["declined", "expired", "time_suggested", "completed"])
def test_bookings_that_hold_no_time_leave_the_window_whole(app, api, status):
    coach, session_type = coach_with_day(app, api)
    make_booking(app, coach, make_client(app), session_type, at(10), status=status)
    assert free_time(get_calendar(api, coach.id, day_range(MONDAY), as_=coach)) == [(NINE, FIVE)]


def test_an_availability_item_names_its_window_and_occurrence(app, api):
    coach = make_coach(app)
    window = create_window(api, coach, at(9), at(17), instant_booking=False)
    assert get_calendar(api, coach.id, day_range(MONDAY), as_=coach) == [
        {
            "type": "availability",
            "id": window["id"],
            "occurrence": NINE,
            "start": NINE,
            "end": FIVE,
            "session_type_id": None,
            "instant_booking": False,
        }
    ]


# --- who sees which booking -------------------------------------------------------------------


def test_the_coach_sees_every_booking_with_its_client(app, api):
    coach, session_type = coach_with_day(app, api)
    anna, ben = make_client(app), make_client(app)
    first = make_booking(app, coach, anna, session_type, at(10))
    second = make_booking(app, coach, ben, session_type, at(14), status="requested")
    bookings = [
        i
        for i in get_calendar(api, coach.id, day_range(MONDAY), as_=coach)
        if i["type"] != "availability"
    ]
    assert [(b["type"], b["id"], b["client_id"], b["status"]) for b in bookings] == [
        ("booking", first, anna.id, "confirmed"),
        ("booking", second, ben.id, "requested"),
    ]
    first_item = {k: bookings[0][k] for k in ("start", "end", "coach_id", "session_type_id")}
    assert first_item == {
        "start": TEN,
        "end": ELEVEN,
        "coach_id": coach.id,
        "session_type_id": session_type,
    }


def test_a_client_sees_its_own_booking_and_others_only_as_anonymous_busy_blocks(app, api):
    coach, session_type = coach_with_day(app, api, calendar_privacy="public")
    anna, ben = make_client(app), make_client(app)
    own = make_booking(app, coach, anna, session_type, at(10))
    make_booking(app, coach, ben, session_type, at(14), status="requested")
    items = get_calendar(api, coach.id, day_range(MONDAY), as_=anna)
    assert summary(items) == [
        ("availability", NINE, TEN),
        ("booking", TEN, ELEVEN),
        ("availability", ELEVEN, z(at(14))),
        ("busy", z(at(14)), z(at(15))),
        ("availability", z(at(15)), FIVE),
    ]
    assert items[1]["id"] == own
    assert items[1]["client_id"] == anna.id
    assert items[3] == {"type": "busy", "start": z(at(14)), "end": z(at(15))}


def test_a_visitor_sees_every_booking_as_busy_and_nothing_about_it(app, api):
    coach, session_type = coach_with_day(app, api, calendar_privacy="public")
    make_booking(app, coach, make_client(app), session_type, at(10))
    response = api.get(calendar_url(coach.id), query_string=day_range(MONDAY))
    assert response.status_code == 200
    text = response.get_data(as_text=True)
    assert "divorce" not in text and "6300" not in text and "client" not in text
    busy = [i for i in response.get_json()["items"] if i["type"] != "availability"]
    assert busy == [{"type": "busy", "start": TEN, "end": ELEVEN}]


# --- the privacy matrix --------------------------------------------------------------------

VIEWERS = ["owner", "visitor", "unconnected client", "connected client", "pending", "other coach"]
MAY_SEE = {
    "public": set(VIEWERS),
    "connected": {"owner", "connected client"},
    "private": {"owner"},
}


def viewer(app, kind: str, coach):
    if kind == "owner":
        return coach
    if kind == "visitor":
        return None
    if kind == "other coach":
        return make_coach(app)
    person = make_client(app)
    if kind == "connected client":
        make_connection(app, person, coach, "accepted")
    elif kind == "pending":
        make_connection(app, person, coach, "pending")
    return person


def both_endpoints(api, coach_id: int, session_type: int, as_):
    """The calendar and the slots of one day, as this viewer asks for them."""
    calendar = api.get(calendar_url(coach_id), query_string=day_range(MONDAY), as_=as_)
    slots = api.get(
        slots_url(coach_id),
        query_string={**day_range(MONDAY), "session_type_id": session_type},
        as_=as_,
    )
    return calendar, slots


@pytest.mark.parametrize("kind", VIEWERS)
@pytest.mark.parametrize("privacy", list(MAY_SEE))
def test_the_calendar_and_slots_show_only_to_viewers_the_privacy_admits(app, api, privacy, kind):
    coach, session_type = coach_with_day(app, api, calendar_privacy=privacy)
    make_booking(app, coach, make_client(app), session_type, at(10))
    who = viewer(app, kind, coach)
    calendar, slots = both_endpoints(api, coach.id, session_type, who)
    if kind in MAY_SEE[privacy]:
        assert calendar.status_code == 200
        booked = [i for i in calendar.get_json()["items"] if i["type"] != "availability"]
        if kind == "owner":
            assert [(b["type"], b["start"], b["end"]) for b in booked] == [("booking", TEN, ELEVEN)]
        else:
            assert booked == [{"type": "busy", "start": TEN, "end": ELEVEN}]
        assert slots.status_code == 200
        assert slots.get_json()["items"][0] == {"start": NINE, "end": TEN, "kind": "firm"}
        return
    # Refused exactly as for a coach without bookings and for a user that does not exist.
    quiet_coach, quiet_type = coach_with_day(app, api, calendar_privacy=privacy)
    quiet = both_endpoints(api, quiet_coach.id, quiet_type, who)
    missing = both_endpoints(api, coach.id + 10_000, session_type, who)
    for response in (calendar, slots, *quiet, *missing):
        assert_error(response, 404, "not_found")
    bodies = {r.get_data(as_text=True) for r in (calendar, slots, *quiet, *missing)}
    assert len(bodies) == 1, bodies


def test_a_client_is_not_a_calendar(app, api):
    client = make_client(app)
    calendar, slots = both_endpoints(api, client.id, 1, client)
    assert_error(calendar, 404, "not_found")
    assert_error(slots, 404, "not_found")


# --- ranges ------------------------------------------------------------------------------

START = at(0)
NAIVE_START = START.replace(tzinfo=None).isoformat()


@pytest.mark.parametrize(
    "query, field",
    [
        ({"start": z(START), "end": z(START - timedelta(hours=1))}, "end"),
        ({"start": z(START), "end": z(START)}, "end"),
        ({"start": z(START), "end": z(START + timedelta(days=62, seconds=1))}, "end"),
        (
            {"start": NAIVE_START, "end": z(START + timedelta(days=1))},
            "start",
        ),
        ({"start": z(START), "end": TUESDAY.isoformat()}, "end"),
        ({"start": "tomorrow", "end": z(START + timedelta(days=1))}, "start"),
        ({"end": z(START + timedelta(days=1))}, "start"),
        ({"start": z(START)}, "end"),
    ],
    ids=[
        "end before start",
        "empty range",
        "over 62 days",
        "naive start",
        "date only end",
        "not a datetime",
        "missing start",
        "missing end",
    ],
)
def test_a_bad_range_is_refused_on_both_endpoints(app, api, query, field):
    coach, session_type = coach_with_day(app, api, calendar_privacy="public")
    calendar = api.get(calendar_url(coach.id), query_string=query, as_=coach)
    assert_error(calendar, 400, "validation_error", (field,))
    slots = api.get(slots_url(coach.id), query_string={**query, "session_type_id": session_type})
    assert_error(slots, 400, "validation_error", (field,))


def test_a_range_of_exactly_62_days_is_answered(app, api):
    coach, _ = coach_with_day(app, api)
    query = {"start": z(START), "end": z(START + timedelta(days=62))}
    assert free_time(get_calendar(api, coach.id, query, as_=coach)) == [(NINE, FIVE)]


def test_free_time_touching_the_range_is_returned_whole(app, api):
    coach, _ = coach_with_day(app, api)
    query = {"start": z(at(12)), "end": z(at(13))}
    assert free_time(get_calendar(api, coach.id, query, as_=coach)) == [(NINE, FIVE)]
    assert get_calendar(api, coach.id, day_range(TUESDAY), as_=coach) == []
