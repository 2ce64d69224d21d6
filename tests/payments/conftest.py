"""The app with Stripe configured against the fake Stripe server of fake_stripe.py, and
helpers that post signed webhook events as Stripe does."""

from __future__ import annotations

import pytest

from extensions import db
from models import Booking, OutboxEmail, Refund
from tests.payments.fake_stripe import FakeStripe, signed

WEBHOOK_SECRET = "whsec_test_coachbook"
WEBHOOK_URL = "/stripe/webhook"


@pytest.fixture
def stripe_server():
    with FakeStripe() as server:
        yield server


@pytest.fixture
def app_config(stripe_server) -> dict:
    return {
        "STRIPE_SECRET_KEY": "sk_test_coachbook",
        "STRIPE_WEBHOOK_SECRET": WEBHOOK_SECRET,
        "STRIPE_API_BASE": stripe_server.base_url,
        "STRIPE_CHECKOUT_ORIGIN": stripe_server.base_url,  # its Checkout pages
        "STRIPE_MAX_NETWORK_RETRIES": 0,
        "STRIPE_TIMEOUT_SECONDS": 2,
        "BASE_URL": "https://coachbook.example",
    }


def post_event(client, event: dict, secret: str = WEBHOOK_SECRET, **sign):
    """POST the event to the webhook as Stripe would: the exact bytes it signed."""
    payload, header = signed(event, secret, **sign)
    return client.post(
        WEBHOOK_URL,
        data=payload,
        headers={"Stripe-Signature": header},
        content_type="application/json",
    )


def session_of(stripe_server: FakeStripe, booking: dict) -> dict:
    """The Checkout Session the fake holds for the booking (its URL names the id)."""
    [session] = [
        s
        for s in stripe_server.sessions.values()
        if s["metadata"]["booking_id"] == str(booking["id"])
    ]
    return session


def stored(app, booking_id: int) -> Booking:
    with app.app_context():
        booking = db.session.get(Booking, booking_id)
        db.session.expunge(booking)
        return booking


def refunds_of(app, booking_id: int) -> list[tuple[int, str]]:
    with app.app_context():
        return [
            (r.amount, r.status)
            for r in db.session.query(Refund).filter_by(booking_id=booking_id).order_by(Refund.id)
        ]


def email_kinds(app, booking_id: int) -> list[str]:
    with app.app_context():
        return sorted(
            r.kind for r in db.session.query(OutboxEmail).filter_by(booking_id=booking_id)
        )
