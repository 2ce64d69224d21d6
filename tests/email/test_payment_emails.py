"""The payment e-mails Stripe Checkout will send (issue 13), composed now from a booking
as a payment leaves it: the receipt with the price breakdown, and the failure with the
way to try again."""

from __future__ import annotations

from extensions import db
from models import Booking
from services import emails, outbox
from tests.api.booking_setup import Scene, at, booked, update_booking
from tests.api.scheduling import create_window
from tests.email.mail import booking_link, make_people, only
from tests.factories import make_client, make_coach, make_coupon, make_session_type

MINUS = "\u2212"


def send(app, booking_id: int, kind: str) -> None:
    """Compose and queue the e-mails of ``kind`` and commit: the job delivers them."""
    with app.app_context():
        booking = db.session.get(Booking, booking_id)
        outbox.queue(emails.for_booking(booking, kind, None))
        db.session.commit()


def test_the_receipt_shows_what_was_paid_with_its_breakdown(app, api, sink):
    coach = make_coach(app, name="Dana Coach", calendar_privacy="public", vat_rate="0.19")
    session_type = make_session_type(app, coach, price_amount=6000)
    window = create_window(api, coach, at(9), at(17))
    scene = Scene(coach, make_client(app, name="Robin Client"), session_type, window)
    make_coupon(app, coach, code="WELCOME10", percent_off=10)
    booking = booked(api, scene, at(10), coupon_code="WELCOME10")
    price = booking["price"]
    update_booking(app, booking["id"], amount_paid=price["total"], payment_status="succeeded")
    sink.messages.clear()

    send(app, booking["id"], "payment_receipt")

    mail = only(sink, scene.client)
    money = app.jinja_env.filters["money"]
    total = money(price["total"], "EUR")
    assert mail.subject == f"Receipt: {total} for Coaching with Dana Coach"
    assert f"Thank you: your payment of {total} was received." in mail.said
    for label, amount in (
        ("Session price:", price["base"]),
        ("Discount WELCOME10:", -price["discount"]["amount"]),
        ("VAT 19 %:", price["vat"]["amount"]),
        ("Platform fee:", price["platform_fee"]["amount"]),
        ("Total:", price["total"]),
        ("Paid:", price["total"]),
    ):
        sign = MINUS if amount < 0 else ""
        assert f"{label} {sign}{money(abs(amount), 'EUR')}" in mail.said, label
    assert not mail.invitations


def test_a_failed_payment_says_nothing_was_charged_and_links_to_paying_again(app, api, sink):
    scene = make_people(app, api, price_amount=6000)
    booking = booked(api, scene, at(10))
    update_booking(app, booking["id"], payment_status="failed")
    sink.messages.clear()

    send(app, booking["id"], "payment_failed")

    mail = only(sink, scene.client)
    assert mail.subject.startswith("Payment failed: Coaching with Dana Coach, ")
    assert "Nothing was charged. Try again on the booking page" in mail.said
    assert f'href="{booking_link(booking["id"])}"' in mail.html and "Pay now" in mail.html


def test_payment_emails_can_be_switched_off(app, api, sink):
    scene = make_people(app, api, price_amount=6000)
    booking = booked(api, scene, at(10))
    with app.app_context():
        row = db.session.get(Booking, booking["id"])
        row.session_type.email_events_off = ["payment"]
        db.session.commit()
    sink.messages.clear()

    send(app, booking["id"], "payment_receipt")

    assert sink.messages == []
