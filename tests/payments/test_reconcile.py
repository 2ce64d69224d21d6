"""The reconciliation job (SPEC 9): bookings waiting for Stripe are checked against it
and repaired, so a lost webhook loses nothing; a hold that ran out is asked about first
(paid at the last moment → confirmed, not expired)."""

from __future__ import annotations

from datetime import timedelta

from models.types import utcnow
from services import periodic
from tests.api.booking_setup import at, booked, booking_url, make_scene, slot_starts
from tests.api.scheduling import z
from tests.payments.conftest import email_kinds, refunds_of, session_of, stored
from tests.payments.test_refunds import cancel, paid_booking, stripe_refunds

PRICE = 5000


def tick(app, now=None) -> dict:
    with app.app_context():
        return periodic.run_all(now or utcnow())


def test_a_payment_whose_webhook_never_came_is_confirmed_by_the_next_tick(app, api, stripe_server):
    scene = make_scene(app, api, price_amount=PRICE)
    booking = booked(api, scene, at(10))
    stripe_server.complete(session_of(stripe_server, booking)["id"])  # no event sent

    assert tick(app)["reconcile_payments"] == 1

    row = stored(app, booking["id"])
    assert (row.status, row.payment_status) == ("confirmed", "succeeded")
    assert row.amount_paid == booking["price"]["total"]
    assert "payment_receipt" in email_kinds(app, booking["id"])
    assert tick(app)["reconcile_payments"] == 0  # nothing left to repair


def test_a_hold_that_ran_out_unpaid_is_expired_at_stripe_and_the_time_freed(
    app, api, stripe_server
):
    scene = make_scene(app, api, price_amount=PRICE)
    booking = booked(api, scene, at(10))
    session_id = session_of(stripe_server, booking)["id"]
    later = utcnow() + timedelta(minutes=35)

    assert tick(app, later)["reconcile_payments"] == 1

    assert stripe_server.sessions[session_id]["status"] == "expired"  # nobody can pay it now
    assert stored(app, booking["id"]).status == "expired"
    assert z(at(10)) in slot_starts(api, scene)


def test_a_hold_paid_at_the_last_moment_is_confirmed_not_expired(app, api, stripe_server):
    scene = make_scene(app, api, price_amount=PRICE)
    booking = booked(api, scene, at(10))
    stripe_server.complete(session_of(stripe_server, booking)["id"])

    done = tick(app, utcnow() + timedelta(minutes=35))

    assert done["reconcile_payments"] == 1 and done["expire_holds"] == 0
    assert stored(app, booking["id"]).status == "confirmed"


def test_stripe_down_during_the_tick_changes_nothing_and_the_next_tick_repairs(
    app, api, stripe_server
):
    scene = make_scene(app, api, price_amount=PRICE)
    booking = booked(api, scene, at(10))
    stripe_server.complete(session_of(stripe_server, booking)["id"])
    stripe_server.down = True

    assert tick(app)["reconcile_payments"] == 0
    assert stored(app, booking["id"]).status == "pending_payment"

    stripe_server.down = False
    assert tick(app)["reconcile_payments"] == 1
    assert stored(app, booking["id"]).status == "confirmed"


def test_a_refund_left_pending_is_sent_by_the_reconciliation_once(app, api, client, stripe_server):
    scene, booking, intent = paid_booking(app, api, client, stripe_server)
    stripe_server.down = True
    cancel(app, scene.coach, booking["id"], 30)
    assert refunds_of(app, booking["id"]) == [(booking["price"]["total"], "pending")]
    stripe_server.down = False

    assert tick(app)["reconcile_payments"] == 0  # too fresh: its own job may still run
    assert tick(app, utcnow() + timedelta(minutes=3))["reconcile_payments"] == 1
    assert tick(app, utcnow() + timedelta(minutes=4))["reconcile_payments"] == 0

    assert stripe_refunds(stripe_server, intent) == [booking["price"]["total"]]
    shown = api.get(booking_url(booking["id"]), as_=scene.client).get_json()["booking"]
    assert shown["payment"]["status"] == "refunded"
    assert shown["payment"]["amount_refunded"] == booking["price"]["total"]
