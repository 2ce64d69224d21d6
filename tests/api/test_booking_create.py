"""POST /api/bookings: firm or request, the price stored, coupons counted, the history and
the notifications written with it, and the time taken (SPEC sections 4, 5, 8 and 8.1)."""

from __future__ import annotations

from datetime import timedelta

import pytest

from extensions import db
from models import Booking, CouponRedemption
from tests.api.booking_setup import (
    NOTIFICATIONS_URL,
    PRICE_URL,
    at,
    book,
    booked,
    booking_url,
    coupon_redemptions,
    make_scene,
    notifications_for,
    slot_starts,
    stored_booking,
)
from tests.api.scheduling import create_window, z
from tests.factories import make_client, make_connection, make_coupon, make_session_type
from tests.helpers import assert_error, count

# --- firm bookings --------------------------------------------------------------------------


def test_a_free_firm_booking_is_confirmed_at_once(app, api):
    scene = make_scene(app, api)
    response = book(api, scene, at(10), message="  Looking forward to it.  ")
    assert response.status_code == 201, response.get_json()
    body = response.get_json()
    assert set(body) == {"booking"}
    booking = body["booking"]
    assert {
        k: booking[k] for k in booking if k not in ("id", "price", "history", "created_at")
    } == {
        "coach_id": scene.coach.id,
        "client_id": scene.client.id,
        "session_type_id": scene.session_type,
        "start": z(at(10)),
        "end": z(at(11)),
        "duration_minutes": 60,
        "status": "confirmed",
        "kind": "firm",
        "message": "Looking forward to it.",
        "payment": {
            "status": "not_required",
            "checkout_url": None,
            "amount_paid": 0,
            "amount_refunded": 0,
        },
        "suggestions": [],
    }
    assert booking["price"]["total"] == 0
    assert stored_booking(app, booking["id"])["status"] == "confirmed"


def test_the_creation_is_the_first_history_entry_from_nothing(app, api):
    scene = make_scene(app, api)
    booking = booked(api, scene, at(10), message="Hello")
    [entry] = booking["history"]
    assert (entry["from"], entry["to"], entry["by"], entry["note"]) == (
        None,
        "confirmed",
        scene.client.id,
        "Hello",
    )
    assert entry["at"].endswith("Z")


def test_a_chosen_duration_sets_the_end(app, api):
    scene = make_scene(app, api)
    booking = booked(api, scene, at(10), duration_minutes=90)
    assert (booking["end"], booking["duration_minutes"]) == (z(at(11, 30)), 90)


def test_a_paid_firm_booking_without_stripe_is_confirmed_and_paid_offline(app, api):
    scene = make_scene(app, api, coach_fields={"vat_rate": "0.19"}, price_amount=6000)
    preview = api.post(
        PRICE_URL,
        json={"session_type_id": scene.session_type, "duration_minutes": 90},
        as_=scene.client,
    ).get_json()["price"]
    booking = booked(api, scene, at(10), duration_minutes=90)
    assert (booking["status"], booking["payment"]["status"]) == ("confirmed", "offline")
    assert booking["price"] == preview
    assert (preview["base"], preview["vat"]["amount"], preview["total"]) == (9000, 1710, 11160)
    stored = stored_booking(app, booking["id"])
    assert (stored["price_base"], stored["vat_amount"], stored["platform_fee_amount"]) == (
        9000,
        1710,
        450,
    )
    assert (stored["price_total"], stored["coach_payout"]) == (11160, 10710)
    assert api.get(booking_url(booking["id"]), as_=scene.client).get_json()["booking"] == booking


# --- requests -------------------------------------------------------------------------------


REQUEST_CASES = {
    "the window is not instant": ({"instant_booking": False}, {}),
    "nobody books this type firm": ({}, {"firm_booking": "nobody"}),
    "only connected clients book firm": ({}, {"firm_booking": "connected"}),
}


@pytest.mark.parametrize(
    "scene_fields, type_fields", REQUEST_CASES.values(), ids=REQUEST_CASES.keys()
)
def test_a_booking_that_may_not_be_firm_is_a_request(app, api, scene_fields, type_fields):
    scene = make_scene(app, api, **scene_fields, **type_fields)
    booking = booked(api, scene, at(10))
    assert (booking["status"], booking["kind"]) == ("requested", "request")
    assert booking["payment"]["status"] == "not_required"
    assert [(h["from"], h["to"]) for h in booking["history"]] == [(None, "requested")]


def test_a_connected_client_books_a_connected_only_type_firm(app, api):
    scene = make_scene(app, api, firm_booking="connected")
    make_connection(app, scene.client, scene.coach)
    booking = booked(api, scene, at(10))
    assert (booking["status"], booking["kind"]) == ("confirmed", "firm")


def test_a_pending_connection_does_not_make_a_booking_firm(app, api):
    scene = make_scene(app, api, firm_booking="connected")
    make_connection(app, scene.client, scene.coach, status="pending")
    assert booked(api, scene, at(10))["status"] == "requested"


def test_a_paid_request_is_priced_and_not_yet_paid(app, api):
    scene = make_scene(app, api, instant_booking=False, price_amount=6000)
    booking = booked(api, scene, at(10))
    assert booking["status"] == "requested"
    assert booking["price"]["total"] == 6300
    assert booking["payment"]["amount_paid"] == 0


# --- notifications --------------------------------------------------------------------------


def test_a_firm_booking_notifies_the_coach_and_the_client(app, api):
    scene = make_scene(app, api)
    booking = booked(api, scene, at(10))
    assert notifications_for(app, scene.coach) == [("booking_confirmed", booking["id"])]
    assert notifications_for(app, scene.client) == [("booking_confirmed", booking["id"])]
    listed = api.get(NOTIFICATIONS_URL, as_=scene.coach).get_json()
    assert listed["unread_count"] == 1
    [item] = listed["items"]
    assert scene.client.name in item["title"]
    assert (item["url"], item["read"]) == (f"/bookings/{booking['id']}", False)


def test_a_request_tells_the_coach_to_answer_and_the_client_it_was_sent(app, api):
    scene = make_scene(app, api, instant_booking=False)
    booking = booked(api, scene, at(10))
    assert notifications_for(app, scene.coach) == [("booking_requested", booking["id"])]
    assert notifications_for(app, scene.client) == [("request_sent", booking["id"])]
    [item] = api.get(NOTIFICATIONS_URL, as_=scene.coach).get_json()["items"]
    assert item["title"] == f"New request from {scene.client.name}"


# --- coupons --------------------------------------------------------------------------------


@pytest.fixture
def coupon_scene(app, api):
    scene = make_scene(app, api, instant_booking=False, price_amount=6000)
    coupon = make_coupon(app, scene.coach, code="TENOFF", percent_off=10, max_redemptions=5)
    return scene, coupon


def test_a_coupon_discounts_the_booking_and_counts_one_redemption(app, api, coupon_scene):
    scene, coupon = coupon_scene
    booking = booked(api, scene, at(10), coupon_code="tenoff")
    assert booking["price"]["discount"] == {"code": "TENOFF", "amount": 600}
    assert coupon_redemptions(app, coupon) == 1
    assert count(app, CouponRedemption, CouponRedemption.booking_id == booking["id"]) == 1
    coupons = api.get(f"/api/coupons/{coupon}", as_=scene.coach).get_json()
    assert coupons["coupon"]["redemptions"] == 1


@pytest.mark.parametrize(
    "who, action, body",
    [("coach", "decline", {"message": "Sorry"}), ("client", "cancel", {})],
)
def test_a_booking_that_ends_unpaid_gives_the_coupon_back(
    app, api, coupon_scene, who, action, body
):
    scene, coupon = coupon_scene
    booking = booked(api, scene, at(10), coupon_code="TENOFF")
    actor = scene.coach if who == "coach" else scene.client
    response = api.post(booking_url(booking["id"], action), json=body, as_=actor)
    assert response.status_code == 200, response.get_json()
    assert coupon_redemptions(app, coupon) == 0
    with app.app_context():
        redemption = db.session.query(CouponRedemption).filter_by(booking_id=booking["id"]).one()
        assert redemption.released_at is not None


def test_the_last_redemption_of_a_coupon_can_be_used_once(app, api, coupon_scene):
    scene, _ = coupon_scene
    last = make_coupon(app, scene.coach, code="LAST", percent_off=50, max_redemptions=1)
    booked(api, scene, at(10), coupon_code="LAST")
    response = book(api, scene, at(12), as_=make_client(app), coupon_code="LAST")
    assert_error(response, 400, "validation_error", ("coupon_code",))
    assert coupon_redemptions(app, last) == 1


# --- the time is taken ----------------------------------------------------------------------


def test_a_booked_time_is_no_longer_offered(app, api):
    scene = make_scene(app, api)
    assert z(at(10)) in slot_starts(api, scene)
    booked(api, scene, at(10))
    offered = slot_starts(api, scene, as_=make_client(app))
    assert not {z(at(9, 15)), z(at(10)), z(at(10, 45))} & set(offered)
    assert {z(at(9)), z(at(11))} <= set(offered)


@pytest.mark.parametrize("start", [at(10), at(10, 30), at(9, 15)], ids=["same", "later", "earlier"])
def test_a_second_booking_over_a_taken_time_is_refused(app, api, start):
    scene = make_scene(app, api)
    booked(api, scene, at(10))
    response = book(api, scene, start, as_=make_client(app))
    assert_error(response, 409, "slot_unavailable", ("start",))
    assert count(app, Booking) == 1


def test_a_request_holds_its_time_too(app, api):
    scene = make_scene(app, api, instant_booking=False)
    booked(api, scene, at(10))
    assert_error(book(api, scene, at(10), as_=make_client(app)), 409, "slot_unavailable")


def test_back_to_back_bookings_without_buffers_fit(app, api):
    scene = make_scene(app, api)
    booked(api, scene, at(10))
    assert booked(api, scene, at(11), as_=make_client(app))["start"] == z(at(11))


def test_buffers_stack_so_a_booking_inside_another_ones_buffer_is_refused(app, api):
    scene = make_scene(app, api, buffer_after_minutes=30)
    booked(api, scene, at(10))  # blocks 10:00-11:30
    response = book(api, scene, at(11, 15), as_=make_client(app))
    assert_error(response, 409, "slot_unavailable")
    # A type with 15 minutes before it: its 11:15 buffer would touch the 11:30 block.
    padded = make_session_type(app, scene.coach, price_amount=0, buffer_before_minutes=15)
    body = {"session_type_id": padded}
    response = book(api, scene, at(11, 30), as_=make_client(app), **body)
    assert_error(response, 409, "slot_unavailable")
    assert booked(api, scene, at(11, 45), as_=make_client(app), **body)["start"] == z(at(11, 45))
    assert count(app, Booking) == 2


def test_a_booking_whose_buffer_would_cover_an_earlier_session_is_refused(app, api):
    scene = make_scene(app, api)
    booked(api, scene, at(10))
    padded = make_session_type(app, scene.coach, price_amount=0, buffer_before_minutes=30)
    response = book(api, scene, at(11, 15), as_=make_client(app), session_type_id=padded)
    assert_error(response, 409, "slot_unavailable")
    booked(api, scene, at(11, 30), as_=make_client(app), session_type_id=padded)


def test_a_booking_with_times_suggested_holds_no_time(app, api):
    scene = make_scene(app, api, instant_booking=False)
    booking = booked(api, scene, at(10))
    suggestion = {"start": at(14).isoformat(), "end": at(15).isoformat()}
    response = api.post(
        booking_url(booking["id"], "suggest"), json={"times": [suggestion]}, as_=scene.coach
    )
    assert response.status_code == 200, response.get_json()
    assert z(at(10)) in slot_starts(api, scene)
    assert z(at(14)) in slot_starts(api, scene)  # an offer, not a hold
    assert booked(api, scene, at(10), as_=make_client(app))["start"] == z(at(10))


# --- group sessions ---------------------------------------------------------------------------


def test_group_seats_are_booked_up_to_the_capacity_and_then_refused(app, api):
    scene = make_scene(app, api)
    group = make_session_type(
        app, scene.coach, format="group", max_attendees=3, price_amount=0,
        duration_min=60, duration_max=60,
    )  # fmt: skip
    create_window(api, scene.coach, at(18), at(19), session_type_id=group)
    clients = [make_client(app) for _ in range(4)]
    for client in clients[:3]:
        booking = booked(api, scene, at(18), as_=client, session_type_id=group)
        assert (booking["status"], booking["start"]) == ("confirmed", z(at(18)))
    response = book(api, scene, at(18), as_=clients[3], session_type_id=group)
    assert_error(response, 409, "slot_unavailable")
    assert count(app, Booking, Booking.session_type_id == group) == 3


def test_a_client_holds_at_most_one_seat_of_a_group_session(app, api):
    scene = make_scene(app, api)
    group = make_session_type(
        app, scene.coach, format="group", max_attendees=5, price_amount=0,
        duration_min=60, duration_max=60,
    )  # fmt: skip
    create_window(api, scene.coach, at(18), at(19), session_type_id=group)
    booked(api, scene, at(18), session_type_id=group)
    response = book(api, scene, at(18), session_type_id=group)
    assert_error(response, 409, "slot_unavailable")
    assert count(app, Booking, Booking.session_type_id == group) == 1


def test_a_group_seat_is_booked_only_at_the_sessions_time(app, api):
    scene = make_scene(app, api)
    group = make_session_type(app, scene.coach, format="group", price_amount=0)
    create_window(api, scene.coach, at(18), at(19), session_type_id=group)
    later = at(18) + timedelta(minutes=15)
    response = book(api, scene, later, session_type_id=group, duration_minutes=30)
    assert_error(response, 409, "slot_unavailable")
