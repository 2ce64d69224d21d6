"""The booking page's side of Stripe Checkout (SPEC 4 Booking 5, SPEC 9), through the
Flask test client against the fake Stripe server of tests/payments/fake_stripe.py: the
"Pay … now" button (the client's only), the redirect to Checkout, the success page that
asks Stripe itself (and says "processing" while Stripe does not answer, until the
webhook confirms), the cancel page that keeps the hold, cancelling the hold (the
session expired at Stripe after the commit), and a plain app without Stripe ("paid to
the coach directly", nothing to pay online)."""

from __future__ import annotations

import html
import re

import pytest

from tests.api.booking_setup import at, booked, make_scene, slot_starts, stored_booking
from tests.api.scheduling import z
from tests.payments import conftest as payments_conftest
from tests.payments.conftest import post_event, session_of
from tests.web.test_booking_pages import page_url, post, signed_in, text_of

PRICE = 5000  # 50.00 EUR for the 60-minute type; the client pays 52.50 EUR with the fee
PAY = "Pay 52.50 EUR now"

# The Stripe configuration of tests/payments: the app's Stripe client talks to the fake.
stripe_server = payments_conftest.stripe_server
app_config = payments_conftest.app_config


def paid_booking(app, api):
    """A connected client's paid firm booking, held for Checkout: (scene, booking JSON)."""
    scene = make_scene(app, api, price_amount=PRICE)
    booking = booked(api, scene, at(10))
    assert booking["status"] == "pending_payment", booking
    return scene, booking


def payment_shown(response) -> str:
    """What the page's "Payment" line says."""
    found = re.search(r"<dt>Payment</dt><dd>(.*?)</dd>", response.get_data(as_text=True), re.S)
    assert found, response.get_data(as_text=True)
    return " ".join(html.unescape(found[1]).split())


def status_shown(response) -> str:
    """The status under the page's heading."""
    found = re.search(r'<p class="bk-status"[^>]*>(.*?)</p>', response.get_data(as_text=True), re.S)
    assert found, response.get_data(as_text=True)
    return " ".join(html.unescape(re.sub(r"<[^>]+>", " ", found[1])).split())


def test_the_held_booking_offers_pay_now_to_the_client_only(app, api, stripe_server):
    scene, booking = paid_booking(app, api)

    as_client = signed_in(app, scene.client).get(page_url(booking["id"]))
    as_coach = signed_in(app, scene.coach).get(page_url(booking["id"]))

    assert as_client.status_code == as_coach.status_code == 200
    client_text, coach_text = text_of(as_client), text_of(as_coach)
    assert status_shown(as_client) == status_shown(as_coach) == "pending payment"
    assert payment_shown(as_client) == payment_shown(as_coach) == "waiting for payment"
    assert PAY in client_text
    assert 'action="/bookings/{}/pay"'.format(booking["id"]) in as_client.get_data(as_text=True)
    assert "Pay " not in coach_text.replace("Payment", "")
    assert f"/bookings/{booking['id']}/pay" not in as_coach.get_data(as_text=True)


def test_pay_now_goes_to_the_sessions_checkout_page(app, api, stripe_server):
    scene, booking = paid_booking(app, api)
    session = session_of(stripe_server, booking)
    browser = signed_in(app, scene.client)

    answer = post(browser, page_url(booking["id"], "pay"))

    assert answer.status_code == 303, answer.get_data(as_text=True)
    assert answer.headers["Location"] == session["url"]
    assert session["url"].startswith(f"{stripe_server.base_url}/pay/")
    assert len(stripe_server.sessions) == 1  # the open session again, not a second one


def test_pay_now_is_refused_to_the_coach_and_without_the_csrf_token(app, api, stripe_server):
    scene, booking = paid_booking(app, api)

    coach = post(signed_in(app, scene.coach), page_url(booking["id"], "pay"))
    forged = signed_in(app, scene.client).post(page_url(booking["id"], "pay"))

    assert coach.status_code == 403
    assert forged.status_code == 400
    assert stored_booking(app, booking["id"])["status"] == "pending_payment"


def test_the_success_page_asks_stripe_and_shows_the_booking_paid(app, api, stripe_server):
    scene, booking = paid_booking(app, api)
    session_id = session_of(stripe_server, booking)["id"]
    stripe_server.complete(session_id)  # paid at Checkout; no webhook sent
    browser = signed_in(app, scene.client)

    back = browser.get(page_url(booking["id"], "paid"), query_string={"session_id": session_id})

    assert back.status_code == 303
    assert back.headers["Location"].endswith(page_url(booking["id"]))
    shown = browser.get(back.headers["Location"])
    text = text_of(shown)
    assert "Payment received: you're booked." in text
    assert status_shown(shown) == "confirmed"
    assert payment_shown(shown) == "paid"
    assert PAY not in text
    stored = stored_booking(app, booking["id"])
    assert (stored["status"], stored["payment_status"]) == ("confirmed", "succeeded")
    assert stored["amount_paid"] == booking["price"]["total"]


def test_stripe_down_on_return_says_processing_until_the_webhook_confirms(
    app, api, client, stripe_server
):
    scene, booking = paid_booking(app, api)
    session_id = session_of(stripe_server, booking)["id"]
    paid = stripe_server.complete(session_id)
    stripe_server.down = True  # the success page cannot ask Stripe
    browser = signed_in(app, scene.client)

    shown = browser.get(
        page_url(booking["id"], "paid"),
        query_string={"session_id": session_id},
        follow_redirects=True,
    )

    text = text_of(shown)
    assert "Payment processing: this page updates as soon as Stripe confirms it." in text
    assert payment_shown(shown) == "processing"
    assert status_shown(shown) == "pending payment"
    stored = stored_booking(app, booking["id"])
    assert (stored["status"], stored["payment_status"]) == ("pending_payment", "processing")
    assert stored["amount_paid"] == 0

    stripe_server.down = False
    answer = post_event(client, stripe_server.event("checkout.session.completed", paid))

    assert answer.status_code == 200, answer.get_json()
    assert answer.get_json()["outcome"] == "processed"
    after = browser.get(page_url(booking["id"]))
    assert status_shown(after) == "confirmed"
    assert payment_shown(after) == "paid"
    stored = stored_booking(app, booking["id"])
    assert (stored["status"], stored["payment_status"]) == ("confirmed", "succeeded")


def test_the_coach_opening_the_success_address_changes_nothing(app, api, stripe_server):
    scene, booking = paid_booking(app, api)
    before = stored_booking(app, booking["id"])

    shown = signed_in(app, scene.coach).get(page_url(booking["id"], "paid"), follow_redirects=True)

    assert shown.status_code == 200
    assert payment_shown(shown) != "processing"
    assert stored_booking(app, booking["id"]) == before


def test_back_from_checkout_without_paying_keeps_the_hold_and_offers_pay_and_cancel(
    app, api, stripe_server
):
    scene, booking = paid_booking(app, api)
    browser = signed_in(app, scene.client)

    back = browser.get(page_url(booking["id"], "checkout-cancelled"))

    assert back.status_code == 303
    assert back.headers["Location"].endswith(page_url(booking["id"]))
    shown = browser.get(back.headers["Location"])
    text = text_of(shown)
    assert "Not paid yet. Pay now to keep this time, or cancel to release it." in text
    assert status_shown(shown) == "pending payment"
    assert PAY in text and "Cancel session…" in text
    assert stored_booking(app, booking["id"])["status"] == "pending_payment"
    assert session_of(stripe_server, booking)["status"] == "open"
    assert z(at(10)) not in slot_starts(api, scene)  # still held


def test_cancelling_the_hold_frees_the_time_and_expires_the_session(app, api, stripe_server):
    scene, booking = paid_booking(app, api)
    session_id = session_of(stripe_server, booking)["id"]
    browser = signed_in(app, scene.client)
    browser.get(page_url(booking["id"], "checkout-cancelled"))

    answer = post(browser, page_url(booking["id"], "cancel"), {"reason": "Changed my mind"})

    assert answer.status_code == 303, answer.get_data(as_text=True)
    stored = stored_booking(app, booking["id"])
    assert stored["status"] == "cancelled_by_client"
    assert stored["amount_paid"] == 0
    assert stripe_server.sessions[session_id]["status"] == "expired"
    expired = [r for r in stripe_server.requests if r.path.endswith("/expire")]
    assert [r.path for r in expired] == [f"/v1/checkout/sessions/{session_id}/expire"]
    assert z(at(10)) in slot_starts(api, scene)
    assert PAY not in text_of(browser.get(page_url(booking["id"])))


def refused_payment(app, browser, booking_id: int) -> None:
    """POST /pay on a booking with nothing to pay: back to the page with an error toast,
    nothing changed."""
    before = stored_booking(app, booking_id)
    answer = post(browser, page_url(booking_id, "pay"))
    assert answer.status_code == 303, answer.status_code
    assert answer.headers["Location"].endswith(page_url(booking_id))
    assert "toast-error" in browser.get(answer.headers["Location"]).get_data(as_text=True)
    assert stored_booking(app, booking_id) == before


def test_pay_now_on_a_cancelled_hold_is_refused_without_a_new_session(app, api, stripe_server):
    scene, booking = paid_booking(app, api)
    browser = signed_in(app, scene.client)
    assert post(browser, page_url(booking["id"], "cancel")).status_code == 303

    refused_payment(app, browser, booking["id"])
    assert len(stripe_server.sessions) == 1


class TestWithoutStripe:
    @pytest.fixture
    def app_config(self) -> dict:
        return {}

    def test_a_paid_booking_is_paid_to_the_coach_directly_with_no_pay_button(self, app, api):
        scene = make_scene(app, api, price_amount=PRICE)
        booking = booked(api, scene, at(10))
        assert booking["status"] == "confirmed"

        for person in (scene.client, scene.coach):
            shown = signed_in(app, person).get(page_url(booking["id"]))
            assert shown.status_code == 200
            assert payment_shown(shown) == "paid to the coach directly"
            assert PAY not in text_of(shown)
            assert f"/bookings/{booking['id']}/pay" not in shown.get_data(as_text=True)
        assert stored_booking(app, booking["id"])["payment_status"] == "offline"

    def test_pay_now_is_refused_with_nothing_to_pay_online(self, app, api):
        scene = make_scene(app, api, price_amount=PRICE)
        booking = booked(api, scene, at(10))

        refused_payment(app, signed_in(app, scene.client), booking["id"])
