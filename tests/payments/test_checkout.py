"""A paid firm booking with Stripe configured (SPEC 4 Booking 5, SPEC 9): held as
``pending_payment`` while the client pays at Stripe Checkout, confirmed by the signed
``checkout.session.completed`` event, freed by ``checkout.session.expired``; events
verified, processed once, in any order."""

from __future__ import annotations

import time

from models import Booking, Payment, ProcessedWebhookEvent
from tests.api.booking_setup import at, book, booked, booking_url, make_scene, slot_starts
from tests.api.scheduling import z
from tests.helpers import assert_error, count
from tests.payments.conftest import email_kinds, post_event, session_of, stored

PRICE = 5000  # 50.00 EUR for the 60-minute type


def paid_scene(app, api):
    return make_scene(app, api, price_amount=PRICE)


def test_a_paid_firm_booking_holds_the_time_and_sends_the_client_to_checkout(
    app, api, stripe_server
):
    scene = paid_scene(app, api)
    booking = booked(api, scene, at(10))

    assert booking["status"] == "pending_payment"
    assert booking["payment"]["status"] == "payment_pending"
    session = session_of(stripe_server, booking)
    assert booking["payment"]["checkout_url"] == session["url"]
    assert session["mode"] == "payment"
    assert session["client_reference_id"] == str(booking["id"])
    assert session["customer_email"] == scene.client.email
    assert session["amount_total"] == booking["price"]["total"] > PRICE  # with the fee
    assert session["currency"] == booking["price"]["currency"].lower()
    page = f"https://coachbook.example/bookings/{booking['id']}"
    assert session["success_url"] == f"{page}/paid?session_id={{CHECKOUT_SESSION_ID}}"
    assert session["cancel_url"] == f"{page}/checkout-cancelled"
    hold = session["expires_at"] - time.time()
    assert 30 * 60 <= hold <= 32 * 60  # Stripe's minimum, with a minute's margin
    # the time is held: nobody else is offered it
    assert z(at(10)) not in slot_starts(api, scene)


def test_the_completed_event_confirms_the_booking_once_and_a_replay_changes_nothing(
    app, api, client, stripe_server
):
    scene = paid_scene(app, api)
    booking = booked(api, scene, at(10))
    paid = stripe_server.complete(session_of(stripe_server, booking)["id"])
    event = stripe_server.event("checkout.session.completed", paid)

    first = post_event(client, event)
    assert first.status_code == 200, first.get_json()
    assert first.get_json()["outcome"] == "processed"
    shown = api.get(booking_url(booking["id"]), as_=scene.client).get_json()["booking"]
    assert shown["status"] == "confirmed"
    assert shown["payment"]["status"] == "succeeded"
    assert shown["payment"]["amount_paid"] == booking["price"]["total"]
    assert shown["history"][-1]["by"] is None  # the system confirmed it
    row = stored(app, booking["id"])
    assert row.payment_intent_id == paid["payment_intent"]
    emails = email_kinds(app, booking["id"])
    assert "payment_receipt" in emails and "new_booking" in emails

    again = post_event(client, event)
    assert again.status_code == 200
    assert again.get_json()["outcome"] == "replay"
    assert email_kinds(app, booking["id"]) == emails
    assert count(app, ProcessedWebhookEvent) == 1
    assert count(app, Payment, Payment.status == "succeeded") == 1


def test_the_same_payment_reported_twice_under_two_event_ids_counts_once(
    app, api, client, stripe_server
):
    scene = paid_scene(app, api)
    booking = booked(api, scene, at(10))
    paid = stripe_server.complete(session_of(stripe_server, booking)["id"])
    for _ in range(2):
        answer = post_event(client, stripe_server.event("checkout.session.completed", paid))
        assert answer.status_code == 200
    row = stored(app, booking["id"])
    assert (row.status, row.amount_paid) == ("confirmed", booking["price"]["total"])
    assert email_kinds(app, booking["id"]).count("payment_receipt") == 1


def test_an_expired_session_frees_the_time(app, api, client, stripe_server):
    scene = paid_scene(app, api)
    booking = booked(api, scene, at(10))
    gone = stripe_server.expire(session_of(stripe_server, booking)["id"])

    answer = post_event(client, stripe_server.event("checkout.session.expired", gone))

    assert answer.status_code == 200
    assert stored(app, booking["id"]).status == "expired"
    assert z(at(10)) in slot_starts(api, scene)
    other = booked(api, scene, at(10))  # someone else can take it now
    assert other["status"] == "pending_payment"


def test_a_late_expired_event_after_the_payment_changes_nothing(app, api, client, stripe_server):
    scene = paid_scene(app, api)
    booking = booked(api, scene, at(10))
    session_id = session_of(stripe_server, booking)["id"]
    paid = stripe_server.complete(session_id)
    late = stripe_server.event("checkout.session.expired", {**paid, "status": "expired"})

    assert (
        post_event(client, stripe_server.event("checkout.session.completed", paid)).status_code
        == 200
    )
    assert post_event(client, late).status_code == 200

    row = stored(app, booking["id"])
    assert (row.status, row.payment_status) == ("confirmed", "succeeded")


def test_a_forged_or_stale_signature_is_400_and_changes_nothing(app, api, client, stripe_server):
    scene = paid_scene(app, api)
    booking = booked(api, scene, at(10))
    paid = stripe_server.complete(session_of(stripe_server, booking)["id"])
    event = stripe_server.event("checkout.session.completed", paid)

    forged = post_event(client, event, secret="whsec_somebody_else")
    stale = post_event(client, event, timestamp=int(time.time()) - 301)
    unsigned = client.post("/stripe/webhook", data=b"{}", content_type="application/json")

    for answer in (forged, stale, unsigned):
        assert_error(answer, 400, "validation_error")
    assert stored(app, booking["id"]).status == "pending_payment"
    assert count(app, ProcessedWebhookEvent) == 0


def test_an_event_about_no_booking_of_ours_is_200_and_logged(app, client, stripe_server, caplog):
    session = {"id": "cs_test_not_ours", "object": "checkout.session", "status": "complete",
               "payment_status": "paid", "amount_total": 100, "metadata": {}}  # fmt: skip
    answer = post_event(client, stripe_server.event("checkout.session.completed", session))
    assert answer.status_code == 200
    assert answer.get_json()["outcome"] == "unknown booking"
    assert any("no booking of ours" in r.getMessage() for r in caplog.records)


def test_a_declined_card_leaves_the_booking_held_and_says_payment_failed(
    app, api, client, stripe_server
):
    scene = paid_scene(app, api)
    booking = booked(api, scene, at(10))
    intent = stripe_server.fail_payment(session_of(stripe_server, booking)["id"])

    answer = post_event(client, stripe_server.event("payment_intent.payment_failed", intent))

    assert answer.status_code == 200, answer.get_json()
    row = stored(app, booking["id"])
    assert (row.status, row.payment_status) == ("pending_payment", "failed")
    assert "payment_failed" in email_kinds(app, booking["id"])


def test_stripe_down_is_502_payment_error_and_no_booking_is_made(app, api, stripe_server):
    scene = paid_scene(app, api)
    stripe_server.down = "refuse"

    answer = book(api, scene, at(10))

    assert_error(answer, 502, "payment_error")
    assert count(app, Booking) == 0
    stripe_server.down = False
    assert z(at(10)) in slot_starts(api, scene)


def test_an_accepted_paid_request_gets_a_pay_link_for_the_client_only(app, api, stripe_server):
    scene = make_scene(app, api, instant_booking=False, price_amount=PRICE)
    request = booked(api, scene, at(10))
    assert request["status"] == "requested"
    accepted = api.post(booking_url(request["id"], "accept"), json={}, as_=scene.coach)
    assert accepted.get_json()["booking"]["payment"]["status"] == "payment_pending"

    link = api.post(booking_url(request["id"], "checkout"), as_=scene.client)
    assert link.status_code == 200, link.get_json()
    session = session_of(stripe_server, request)
    assert link.get_json()["checkout_url"] == session["url"]
    deadline = stored(app, request["id"]).payment_deadline_at
    assert abs(session["expires_at"] - min(deadline.timestamp(), time.time() + 86400)) < 120
    again = api.post(booking_url(request["id"], "checkout"), as_=scene.client)
    assert again.get_json()["checkout_url"] == session["url"]  # the open session again

    assert_error(
        api.post(booking_url(request["id"], "checkout"), as_=scene.coach), 403, "forbidden"
    )


def test_a_free_or_paid_booking_has_nothing_to_pay(app, api, client, stripe_server):
    scene = paid_scene(app, api)
    booking = booked(api, scene, at(10))
    paid = stripe_server.complete(session_of(stripe_server, booking)["id"])
    post_event(client, stripe_server.event("checkout.session.completed", paid))

    answer = api.post(booking_url(booking["id"], "checkout"), as_=scene.client)

    assert_error(answer, 409, "invalid_transition")
