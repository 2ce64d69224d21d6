"""A request may ask for time outside the coach's availability (amended SPEC 4): it is
always a request, never firm, never over another active booking's blocked interval, and
always on the grid, after the minimum notice and before the maximum advance."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest

from tests.api.booking_setup import BOOKINGS_URL, at, book, booked, make_scene, payload, rows
from tests.factories import make_session_type
from tests.helpers import assert_error


@pytest.mark.parametrize(
    ("what", "start"),
    [("wholly outside, in the evening", at(18)), ("running past the window's end", at(16, 30))],
)
def test_time_outside_availability_becomes_a_request_even_on_an_instant_window(
    app, api, what, start
):
    scene = make_scene(app, api, instant_booking=True)
    booking = booked(api, scene, start=start)
    assert booking["status"] == "requested", what
    assert booking["kind"] == "request"
    assert datetime.fromisoformat(booking["start"]) == start


def test_the_same_time_inside_the_window_stays_firm(app, api):
    scene = make_scene(app, api, instant_booking=True)
    assert booked(api, scene, start=at(10))["status"] == "confirmed"


def test_a_request_outside_availability_is_refused_over_another_booking(app, api):
    scene = make_scene(app, api)
    booked(api, scene, start=at(18))
    before = rows(app)
    overlapping = book(api, scene, start=at(18, 30))
    assert_error(overlapping, 409, "slot_unavailable")
    assert rows(app) == before


def test_buffers_count_outside_availability_too(app, api):
    scene = make_scene(app, api, buffer_after_minutes=30)
    booked(api, scene, start=at(18))  # blocks 18:00-19:30
    assert_error(book(api, scene, start=at(19, 15)), 409, "slot_unavailable")
    assert booked(api, scene, start=at(19, 30))["status"] == "requested"


@pytest.mark.parametrize(
    ("what", "start"),
    [
        ("off the grid", at(18, 5)),
        ("beyond the maximum advance", at(18) + timedelta(days=60)),
    ],
)
def test_outside_requests_keep_grid_and_advance(app, api, what, start):
    scene = make_scene(app, api)
    before = rows(app)
    assert_error(book(api, scene, start=start), 400, "validation_error", ("start",))
    assert rows(app) == before, what


def test_a_group_session_is_booked_only_as_a_seat_of_its_window(app, api):
    scene = make_scene(app, api)
    group = make_session_type(
        app,
        scene.coach,
        format="group",
        max_attendees=3,
        price_amount=0,
        duration_min=60,
        duration_max=60,
        duration_default=60,
    )
    response = api.post(
        BOOKINGS_URL, json=payload(scene.coach, group, start=at(18)), as_=scene.client
    )
    assert_error(response, 409, "slot_unavailable")
