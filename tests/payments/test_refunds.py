"""Refunds by policy (SPEC 5), through Stripe's Refunds API with an idempotency key of
the cancellation's own: the amount checked at the Stripe server, a retry after a timeout
never refunds twice, ``charge.refunded`` in any order agrees with what we recorded."""

from __future__ import annotations

from datetime import timedelta

import pytest

from extensions import db
from models import Booking, User
from services import payments, transitions
from tests.api.booking_setup import at, booked, make_scene
from tests.payments.conftest import email_kinds, post_event, refunds_of, session_of, stored

PRICE = 5000


def paid_booking(app, api, client, stripe_server, **type_fields):
    scene = make_scene(app, api, price_amount=PRICE, **type_fields)
    booking = booked(api, scene, at(10))
    paid = stripe_server.complete(session_of(stripe_server, booking)["id"])
    answer = post_event(client, stripe_server.event("checkout.session.completed", paid))
    assert answer.status_code == 200
    assert stored(app, booking["id"]).status == "confirmed"
    return scene, booking, paid["payment_intent"]


def cancel(app, person, booking_id: int, hours_before: float):
    with app.app_context():
        user = db.session.get(User, person.id)
        start = db.session.get(Booking, booking_id).start_at
        return transitions.cancel(
            user, booking_id, "Plans changed", now=start - timedelta(hours=hours_before)
        )


def stripe_refunds(stripe_server, intent_id: str) -> list[int]:
    return [r["amount"] for r in stripe_server.refunds.values() if r["payment_intent"] == intent_id]


@pytest.mark.parametrize(
    ("hours_before", "share"),
    [(30, 1.0), (10, 0.5), (1, 0.0)],
    ids=["30h-full", "10h-half", "1h-nothing"],
)
def test_a_client_cancelling_is_refunded_by_the_policy_at_stripe(
    app, api, client, stripe_server, hours_before, share
):
    scene, booking, intent = paid_booking(app, api, client, stripe_server)
    total = booking["price"]["total"]
    expected = round(total * share)

    _, refund = cancel(app, scene.client, booking["id"], hours_before)

    assert refund.amount == expected
    row = stored(app, booking["id"])
    if expected:
        assert stripe_refunds(stripe_server, intent) == [expected]
        assert row.amount_refunded == expected
        assert row.payment_status == ("refunded" if share == 1 else "partially_refunded")
        assert refunds_of(app, booking["id"]) == [(expected, "succeeded")]
        assert "refund_issued" in email_kinds(app, booking["id"])
    else:
        assert stripe_refunds(stripe_server, intent) == []
        assert (row.amount_refunded, row.payment_status) == (0, "succeeded")
        assert refunds_of(app, booking["id"]) == []


def test_a_coach_cancelling_refunds_everything_even_an_hour_before(app, api, client, stripe_server):
    scene, booking, intent = paid_booking(app, api, client, stripe_server)

    cancel(app, scene.coach, booking["id"], 1)

    assert stripe_refunds(stripe_server, intent) == [booking["price"]["total"]]
    row = stored(app, booking["id"])
    assert (row.status, row.payment_status) == ("cancelled_by_coach", "refunded")


def test_a_refund_whose_answer_timed_out_is_retried_and_refunds_once(
    app, api, client, stripe_server
):
    scene, booking, intent = paid_booking(app, api, client, stripe_server)
    stripe_server.delay_seconds = 3  # longer than STRIPE_TIMEOUT_SECONDS: Stripe acts, we time out

    cancel(app, scene.coach, booking["id"], 30)

    assert refunds_of(app, booking["id"]) == [(booking["price"]["total"], "pending")]
    stripe_server.delay_seconds = 0
    with app.app_context():
        [refund_id] = [r.id for r in db.session.query(payments.Refund).all()]
        assert payments.send_refund(refund_id) == "succeeded"  # what the reconciliation does
        assert payments.send_refund(refund_id) == "done"
    assert stripe_refunds(stripe_server, intent) == [booking["price"]["total"]]
    row = stored(app, booking["id"])
    assert (row.amount_refunded, row.payment_status) == (booking["price"]["total"], "refunded")


def test_charge_refunded_before_our_own_answer_agrees_and_counts_once(
    app, api, client, stripe_server
):
    scene, booking, intent = paid_booking(app, api, client, stripe_server)
    stripe_server.down = True
    cancel(app, scene.client, booking["id"], 10)  # the refund call fails: pending
    half = round(booking["price"]["total"] / 2)
    assert refunds_of(app, booking["id"]) == [(half, "pending")]
    stripe_server.down = False
    with app.app_context():
        [refund_id] = [r.id for r in db.session.query(payments.Refund).all()]
        payments.send_refund(refund_id)
    [charge] = [c for c in stripe_server.charges.values() if c["payment_intent"] == intent]

    answer = post_event(client, stripe_server.event("charge.refunded", charge))

    assert answer.status_code == 200
    row = stored(app, booking["id"])
    assert (row.amount_refunded, row.payment_status) == (half, "partially_refunded")
    assert stripe_refunds(stripe_server, intent) == [half]
