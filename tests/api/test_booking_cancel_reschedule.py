"""Cancelling with the refund the policy gives, rescheduling (an atomic move) and marking a
session completed (SPEC sections 4 "Status machine" and 5 "Refund on cancellation")."""

from __future__ import annotations

from datetime import timedelta

import pytest

from tests.api.booking_setup import (
    at,
    book,
    booked,
    in_future,
    make_scene,
    move_booking_to,
    rows,
    slot_starts,
    stored_booking,
    update_booking,
)
from tests.api.scheduling import z
from tests.api.transition_setup import act, current, ok, situation
from tests.factories import make_client
from tests.helpers import assert_error

# --- cancel ---------------------------------------------------------------------------------


def test_cancelling_an_unpaid_booking_refunds_nothing(app, api):
    moment = situation(app, api, "confirmed")
    response = act(api, moment.scene.client, moment.id, "cancel", {"reason": "Ill"})
    assert response.status_code == 200, response.get_json()
    body = response.get_json()
    assert set(body) == {"booking", "refund"}
    assert body["refund"] == {"amount": 0, "status": "none"}
    assert body["booking"]["status"] == "cancelled_by_client"
    assert stored_booking(app, moment.id)["cancellation_reason"] == "Ill"


@pytest.mark.parametrize(
    "hours_before, refund",
    [(30, 10000), (24.5, 10000), (10, 5000), (2.5, 5000), (1, 0)],
    ids=["30h", "24.5h", "10h", "2.5h", "1h"],
)
def test_a_client_gets_back_what_the_policy_gives_by_the_hours_before(
    app, api, hours_before, refund
):
    moment = situation(app, api, "confirmed", price_amount=6000)
    move_booking_to(app, moment.id, in_future(hours_before + 0.25))
    update_booking(app, moment.id, amount_paid=10000)
    body = act(api, moment.scene.client, moment.id, "cancel").get_json()
    assert body["refund"] == {"amount": refund, "status": "pending" if refund else "none"}
    assert body["booking"]["status"] == "cancelled_by_client"


def test_the_session_types_own_policy_is_used(app, api):
    moment = situation(
        app,
        api,
        "confirmed",
        price_amount=6000,
        full_refund_hours=48,
        partial_refund_hours=12,
        partial_refund_percent=30,
    )
    move_booking_to(app, moment.id, in_future(30))
    update_booking(app, moment.id, amount_paid=10001)
    refund = act(api, moment.scene.client, moment.id, "cancel").get_json()["refund"]
    assert refund == {"amount": 3000, "status": "pending"}


def test_a_coach_who_cancels_refunds_everything_still_held(app, api):
    moment = situation(app, api, "confirmed", price_amount=6000)
    move_booking_to(app, moment.id, in_future(1))
    update_booking(app, moment.id, amount_paid=10000, amount_refunded=4000)
    body = act(api, moment.scene.coach, moment.id, "cancel", {"reason": "Sick"}).get_json()
    assert body["refund"] == {"amount": 6000, "status": "pending"}
    assert body["booking"]["status"] == "cancelled_by_coach"


def test_the_status_route_cancels_with_the_refund_too(app, api):
    moment = situation(app, api, "confirmed", price_amount=6000)
    update_booking(app, moment.id, amount_paid=6300)
    response = act(
        api, moment.scene.client, moment.id, "status", {"status": "cancelled_by_client"}, "PUT"
    )
    assert response.get_json()["refund"] == {"amount": 6300, "status": "pending"}


def test_a_coach_cannot_cancel_a_request_but_declines_it(app, api):
    moment = situation(app, api, "requested")
    response = act(api, moment.scene.coach, moment.id, "cancel")
    assert_error(response, 409, "invalid_transition")
    assert current(api, moment)["status"] == "requested"


def test_cancelling_twice_is_an_invalid_transition(app, api):
    moment = situation(app, api, "confirmed")
    ok(act(api, moment.scene.client, moment.id, "cancel"))
    assert_error(act(api, moment.scene.client, moment.id, "cancel"), 409, "invalid_transition")


# --- reschedule -----------------------------------------------------------------------------


def test_a_client_moves_a_booking_and_the_old_time_is_freed(app, api):
    moment = situation(app, api, "confirmed")
    booking = ok(
        act(api, moment.scene.client, moment.id, "reschedule", {"start": at(13).isoformat()})
    )
    assert (booking["status"], booking["start"], booking["end"]) == (
        "confirmed",
        z(at(13)),
        z(at(14)),
    )
    assert booking["id"] == moment.id
    offered = slot_starts(api, moment.scene, as_=make_client(app))
    assert z(at(10)) in offered
    assert z(at(13)) not in offered
    assert_error(book(api, moment.scene, at(13), as_=make_client(app)), 409, "slot_unavailable")
    assert booked(api, moment.scene, at(10), as_=make_client(app))["start"] == z(at(10))


def test_a_move_keeps_the_duration(app, api):
    scene = make_scene(app, api, instant_booking=False)
    long = booked(api, scene, at(14), duration_minutes=90)
    ok(act(api, scene.coach, long["id"], "accept"))
    moved = ok(act(api, scene.coach, long["id"], "reschedule", {"start": at(15).isoformat()}))
    assert (moved["start"], moved["end"], moved["duration_minutes"]) == (
        z(at(15)),
        z(at(16, 30)),
        90,
    )


def test_a_booking_may_move_over_its_own_time(app, api):
    moment = situation(app, api, "confirmed")
    moved = ok(
        act(api, moment.scene.client, moment.id, "reschedule", {"start": at(10, 30).isoformat()})
    )
    assert (moved["start"], moved["end"]) == (z(at(10, 30)), z(at(11, 30)))


def test_a_client_cannot_move_a_booking_inside_the_full_refund_window(app, api):
    moment = situation(app, api, "confirmed")
    move_booking_to(app, moment.id, in_future(10))
    before = current(api, moment)
    response = act(api, moment.scene.client, moment.id, "reschedule", {"start": at(13).isoformat()})
    assert_error(response, 409, "invalid_transition")
    assert current(api, moment) == before


def test_a_coach_may_move_a_booking_any_time_before_it_starts(app, api):
    moment = situation(app, api, "confirmed")
    move_booking_to(app, moment.id, in_future(3))
    moved = ok(act(api, moment.scene.coach, moment.id, "reschedule", {"start": at(13).isoformat()}))
    assert moved["start"] == z(at(13))


def test_a_session_that_started_cannot_be_moved(app, api):
    moment = situation(app, api, "ended")
    response = act(api, moment.scene.coach, moment.id, "reschedule", {"start": at(13).isoformat()})
    assert_error(response, 409, "invalid_transition")


@pytest.mark.parametrize("start", [at(14), at(14, 30), at(13, 15)], ids=["same", "into", "over"])
def test_moving_into_a_taken_time_is_refused_and_changes_nothing(app, api, start):
    moment = situation(app, api, "confirmed")
    booked(api, moment.scene, at(14), as_=make_client(app))
    before, written = current(api, moment), rows(app)
    response = act(api, moment.scene.client, moment.id, "reschedule", {"start": start.isoformat()})
    assert_error(response, 409, "slot_unavailable")
    assert current(api, moment) == before
    assert rows(app) == written
    assert z(at(10)) not in slot_starts(api, moment.scene)


@pytest.mark.parametrize(
    "start, status, code, field",
    [
        (at(18).isoformat(), 409, "slot_unavailable", "start"),
        (at(13, 10).isoformat(), 400, "validation_error", "start"),
        (at(13).replace(tzinfo=None).isoformat(), 400, "validation_error", "start"),
        ((at(13) + timedelta(days=60)).isoformat(), 400, "validation_error", "start"),
        (None, 400, "validation_error", "start"),
        ("0001-01-01T00:00:00+14:00", 400, "validation_error", "start"),
        ("9999-12-31T23:45:00Z", 400, "validation_error", "start"),
    ],
    ids=[
        "outside the window",
        "off the grid",
        "naive",
        "too far ahead",
        "missing",
        "year 1",
        "year 9999",
    ],
)
def test_a_move_to_a_time_that_cannot_be_booked_is_refused(app, api, start, status, code, field):
    moment = situation(app, api, "confirmed")
    before = current(api, moment)
    body = {} if start is None else {"start": start}
    response = act(api, moment.scene.client, moment.id, "reschedule", body)
    assert_error(response, status, code, (field,))
    assert current(api, moment) == before


# --- completed ------------------------------------------------------------------------------


def test_a_session_that_is_still_running_cannot_be_completed(app, api):
    moment = situation(app, api, "confirmed")
    move_booking_to(app, moment.id, in_future(-0.5))
    response = act(api, moment.scene.coach, moment.id, "status", {"status": "completed"}, "PUT")
    assert_error(response, 409, "invalid_transition")
    assert current(api, moment)["status"] == "confirmed"


def test_an_ended_session_is_completed_once(app, api):
    moment = situation(app, api, "ended")
    body = {"status": "completed", "reason": "Went well"}
    booking = ok(act(api, moment.scene.coach, moment.id, "status", body, "PUT"))
    assert booking["status"] == "completed"
    assert booking["history"][-1]["note"] == "Went well"
    again = act(api, moment.scene.coach, moment.id, "status", body, "PUT")
    assert_error(again, 409, "invalid_transition")


def test_a_client_cannot_set_cancelled_by_coach(app, api):
    moment = situation(app, api, "confirmed")
    response = act(
        api, moment.scene.client, moment.id, "status", {"status": "cancelled_by_coach"}, "PUT"
    )
    assert_error(response, 403, "forbidden")
    assert current(api, moment)["status"] == "confirmed"
