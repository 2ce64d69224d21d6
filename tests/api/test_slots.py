"""GET /api/bookings/:userId/slots: every bookable start on the 15-minute grid for a session
type and duration, in free time, after the minimum notice, before the maximum advance
(SPEC sections 4 "Availability" and 8.1)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from domain.slots import group_slot_key
from extensions import db
from models import SessionType
from models.types import utcnow
from tests.api.scheduling import MONDAY, create_window, day_range, local, slots_url, z
from tests.factories import (
    make_booking,
    make_client,
    make_coach,
    make_connection,
    make_session_type,
)
from tests.helpers import assert_error

QUARTER = timedelta(minutes=15)


def at(hour: int, minute: int = 0) -> datetime:
    return local(MONDAY, hour, minute)


def grid(first: datetime, last: datetime) -> list[str]:
    """Every quarter hour from first to last, inclusive, as the API writes them."""
    steps = int((last - first) / QUARTER)
    return [z(first + QUARTER * i) for i in range(steps + 1)]


def get_slots(api, coach, session_type: int, query: dict | None = None, as_=None, **params):
    query = {**(query or day_range(MONDAY)), "session_type_id": session_type, **params}
    response = api.get(slots_url(coach.id), query_string=query, as_=as_)
    assert response.status_code == 200, response.get_json()
    return response.get_json()["items"]


def starts(items: list[dict]) -> list[str]:
    return [item["start"] for item in items]


@pytest.fixture
def coach(app):
    return make_coach(app, calendar_privacy="public")


@pytest.fixture
def nine_to_five(api, coach):
    """The coach's 09:00-17:00 window on the Monday."""
    return create_window(api, coach, at(9), at(17))


@pytest.fixture
def hour_type(app, coach):
    """60 minutes by default, 30 to 90 in steps of 15."""
    return make_session_type(app, coach)


# --- the grid ---------------------------------------------------------------------------


@pytest.mark.usefixtures("nine_to_five")
def test_a_60_minute_type_starts_every_quarter_hour_until_16_00(api, coach, hour_type):
    items = get_slots(api, coach, hour_type, as_=coach)
    assert starts(items) == grid(at(9), at(16))
    assert items[0] == {"start": z(at(9)), "end": z(at(10)), "kind": "firm"}
    assert items[-1] == {"start": z(at(16)), "end": z(at(17)), "kind": "firm"}


@pytest.mark.usefixtures("nine_to_five")
def test_a_longer_duration_ends_its_starts_earlier(api, coach, hour_type):
    items = get_slots(api, coach, hour_type, duration_minutes=90)
    assert starts(items) == grid(at(9), at(15, 30))
    assert items[-1]["end"] == z(at(17))


@pytest.mark.usefixtures("nine_to_five")
def test_a_booking_removes_the_starts_that_would_overlap_it(app, api, coach, hour_type):
    make_booking(app, coach, make_client(app), hour_type, at(10))
    assert starts(get_slots(api, coach, hour_type)) == [z(at(9)), *grid(at(11), at(16))]


@pytest.mark.usefixtures("nine_to_five")
@pytest.mark.parametrize("status", ["requested", "pending_payment"])
def test_requests_and_unpaid_holds_take_their_time_too(app, api, coach, hour_type, status):
    make_booking(app, coach, make_client(app), hour_type, at(10), status=status)
    assert z(at(10)) not in starts(get_slots(api, coach, hour_type))


@pytest.mark.usefixtures("nine_to_five")
def test_a_declined_booking_gives_its_time_back(app, api, coach, hour_type):
    make_booking(app, coach, make_client(app), hour_type, at(10), status="declined")
    assert starts(get_slots(api, coach, hour_type)) == grid(at(9), at(16))


@pytest.mark.usefixtures("nine_to_five")
def test_buffers_remove_more_starts_than_the_session_alone(app, api, coach):
    buffered = make_session_type(app, coach, buffer_before_minutes=15, buffer_after_minutes=15)
    make_booking(app, coach, make_client(app), buffered, at(10))  # blocks 09:45-11:15
    # A new session needs its own 15 minutes before and after, clear of 09:45-11:15.
    assert starts(get_slots(api, coach, buffered)) == grid(at(11, 30), at(16))


def test_a_window_for_another_type_offers_nothing_for_this_one(app, api, coach, hour_type):
    other_type = make_session_type(app, coach, name="Other")
    create_window(api, coach, at(9), at(17), session_type_id=other_type)
    assert get_slots(api, coach, hour_type) == []
    assert len(get_slots(api, coach, other_type)) == 29


# --- notice, advance and the past ----------------------------------------------------------


def test_starts_inside_the_minimum_notice_are_not_offered(app, api, coach, hour_type):
    now = utcnow()
    window_start = now.replace(second=0, microsecond=0) - timedelta(minutes=now.minute % 15)
    create_window(api, coach, window_start, window_start + timedelta(hours=6))
    query = {"start": z(window_start), "end": z(window_start + timedelta(hours=6))}
    found = starts(get_slots(api, coach, hour_type, query))
    earliest = now + timedelta(minutes=120)
    first_on_grid = earliest + (datetime.min.replace(tzinfo=UTC) - earliest) % QUARTER
    assert found[0] in (z(first_on_grid), z(first_on_grid + QUARTER))
    assert found[-1] == z(window_start + timedelta(hours=5))


def test_windows_in_the_past_offer_nothing(api, coach, hour_type):
    yesterday = utcnow().date() - timedelta(days=1)
    create_window(api, coach, local(yesterday, 9), local(yesterday, 17))
    assert get_slots(api, coach, hour_type, day_range(yesterday)) == []


def test_starts_beyond_the_maximum_advance_are_not_offered(app, api, coach, hour_type):
    far = MONDAY + timedelta(days=91)
    create_window(api, coach, local(far, 9), local(far, 17))
    assert get_slots(api, coach, hour_type, day_range(far)) == []
    with app.app_context():
        db.session.get(SessionType, hour_type).max_advance_days = 730
        db.session.commit()
    assert len(get_slots(api, coach, hour_type, day_range(far))) == 29


# --- bad duration and session type ---------------------------------------------------------


@pytest.mark.usefixtures("nine_to_five")
@pytest.mark.parametrize("duration", ["40", "15", "20", "105", "120", "abc", "60.5"])
def test_a_duration_off_the_step_or_outside_min_and_max_is_refused(api, coach, hour_type, duration):
    query = {**day_range(MONDAY), "session_type_id": hour_type, "duration_minutes": duration}
    response = api.get(slots_url(coach.id), query_string=query)
    assert_error(response, 400, "validation_error", ("duration_minutes",))


@pytest.mark.usefixtures("nine_to_five")
def test_a_missing_session_type_is_refused(api, coach):
    response = api.get(slots_url(coach.id), query_string=day_range(MONDAY))
    assert_error(response, 400, "validation_error", ("session_type_id",))


@pytest.mark.usefixtures("nine_to_five")
@pytest.mark.parametrize("which", ["unknown", "inactive", "deleted", "another coach's"])
def test_a_session_type_that_cannot_be_booked_is_not_found(app, api, coach, which):
    session_type = {
        "unknown": lambda: 987654,
        "inactive": lambda: make_session_type(app, coach, active=False),
        "deleted": lambda: make_session_type(app, coach, deleted_at=utcnow()),
        "another coach's": lambda: make_session_type(app, make_coach(app)),
    }[which]()
    query = {**day_range(MONDAY), "session_type_id": session_type}
    assert_error(api.get(slots_url(coach.id), query_string=query), 404, "not_found")


# --- firm or request ------------------------------------------------------------------------


@pytest.mark.usefixtures("nine_to_five")
def test_a_connected_only_firm_rule_makes_slots_firm_just_for_connections(app, api, coach):
    session_type = make_session_type(app, coach, firm_booking="connected")
    friend, pending, stranger = make_client(app), make_client(app), make_client(app)
    make_connection(app, friend, coach, "accepted")
    make_connection(app, pending, coach, "pending")
    assert {s["kind"] for s in get_slots(api, coach, session_type, as_=friend)} == {"firm"}
    assert {s["kind"] for s in get_slots(api, coach, session_type, as_=pending)} == {"request"}
    assert {s["kind"] for s in get_slots(api, coach, session_type, as_=stranger)} == {"request"}
    assert {s["kind"] for s in get_slots(api, coach, session_type)} == {"request"}


@pytest.mark.usefixtures("nine_to_five")
def test_nobody_books_firm_when_the_type_says_nobody(app, api, coach):
    session_type = make_session_type(app, coach, firm_booking="nobody")
    friend = make_client(app)
    make_connection(app, friend, coach, "accepted")
    assert {s["kind"] for s in get_slots(api, coach, session_type, as_=friend)} == {"request"}


def test_a_window_without_instant_booking_only_takes_requests(app, api, coach, hour_type):
    create_window(api, coach, at(9), at(17), instant_booking=False)
    friend = make_client(app)
    make_connection(app, friend, coach, "accepted")
    assert {s["kind"] for s in get_slots(api, coach, hour_type, as_=friend)} == {"request"}


# --- group sessions ---------------------------------------------------------------------


def test_a_group_session_is_one_slot_counting_down_its_seats_until_full(app, api, coach):
    group = make_session_type(
        app,
        coach,
        format="group",
        max_attendees=3,
        duration_min=60,
        duration_max=60,
        duration_default=60,
    )
    window = create_window(api, coach, at(10), at(12), session_type_id=group)
    seat = group_slot_key(window["id"], at(10))
    assert get_slots(api, coach, group) == [
        {"start": z(at(10)), "end": z(at(11)), "kind": "firm", "seats_left": 3}
    ]
    make_booking(app, coach, make_client(app), group, at(10), slot_key=seat)
    assert [s["seats_left"] for s in get_slots(api, coach, group)] == [2]
    make_booking(
        app, coach, make_client(app), group, at(10), slot_key=seat, status="cancelled_by_client"
    )
    assert [s["seats_left"] for s in get_slots(api, coach, group)] == [2]
    make_booking(app, coach, make_client(app), group, at(10), slot_key=seat)
    make_booking(app, coach, make_client(app), group, at(10), slot_key=seat)
    assert get_slots(api, coach, group) == []
