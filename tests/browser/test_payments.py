"""Paying through Stripe Checkout in a real browser, against the fake Stripe server of
tests/payments/fake_stripe.py: the client books a paid session in the booking dialog of
the coach's calendar, lands on the Checkout page, pays while Stripe's API does not answer
(so the success page cannot confirm it), comes back to the booking page saying
"processing", and the page turns confirmed and paid without a reload when the signed
``checkout.session.completed`` webhook arrives (a live update over Socket.IO)."""

from __future__ import annotations

import contextlib
import re
import time

import pytest
from playwright.sync_api import TimeoutError as PlaywrightTimeoutError
from playwright.sync_api import expect

from extensions import db
from models import Booking
from tests.api.booking_setup import at
from tests.api.scheduling import MONDAY, create_window
from tests.browser.test_live import LIVE, frames_of
from tests.factories import make_client, make_coach, make_session_type
from tests.payments import conftest as payments_conftest
from tests.payments.conftest import post_event

# The Stripe configuration of tests/payments: the app's Stripe client talks to the fake.
stripe_server = payments_conftest.stripe_server
app_config = payments_conftest.app_config


@pytest.fixture
def web(web, app, stripe_server):
    """The browser checks of tests/browser/conftest.py, with Stripe's success and cancel
    URLs pointing back at the served app, and the fake's Checkout page as the one other
    host the browser may visit."""
    app.config["BASE_URL"] = web.base
    yield web
    fake = stripe_server.base_url + "/"
    web.foreign_requests[:] = [url for url in web.foreign_requests if not url.startswith(fake)]
    # The fake's page has no icon: chromium's own GET /favicon.ico reaches the fake's API,
    # which answers 401 (no key; 500 while it is down), logged as an error of that page.
    favicon = re.compile(
        r"^Failed to load resource: .* status of (401|500) .* @ " + re.escape(fake)
    )
    web.console_errors[:] = [error for error in web.console_errors if not favicon.match(error)]


def bookings(app) -> list[Booking]:
    with app.app_context():
        found = list(db.session.scalars(db.select(Booking)))
        db.session.expunge_all()
        return found


def wait_until_live(page, frames: list[str]) -> None:
    """Wait until the page's Socket.IO connection is up (its CONNECT answer, "40{...}")."""
    deadline = time.monotonic() + 10
    while not any(frame.startswith("40{") for frame in frames):
        assert time.monotonic() < deadline, f"no live connection: {frames}"
        page.wait_for_timeout(50)


def test_paying_at_checkout_confirms_the_booking_live_when_stripe_reports_it(
    app, api, client, web, stripe_server
):
    coach = make_coach(app, name="Dana Coach", calendar_privacy="public")
    make_session_type(app, coach, name="Deep dive", price_amount=6000)
    create_window(api, coach, at(9), at(17))
    chris = make_client(app, name="Chris Client")
    page = web.page

    # Book 10:00 in the dialog over the coach's week.
    web.sign_in(chris)
    web.goto(f"/coaches/{coach.slug}?view=week&date={MONDAY.isoformat()}")
    page.get_by_role("link", name=re.compile(r"^Book 10:00 ")).click()
    dialog = page.get_by_role("dialog")
    expect(dialog.locator('[data-part="total"]')).to_have_text("63.00 EUR")
    dialog.get_by_role("button", name="Confirm booking").click()

    # Off to Stripe Checkout, the time held meanwhile.
    page.wait_for_url(f"{stripe_server.base_url}/pay/**")
    [booking] = bookings(app)
    assert (booking.status, booking.payment_status) == ("pending_payment", "payment_pending")
    [session] = stripe_server.sessions.values()
    assert session["metadata"]["booking_id"] == str(booking.id)
    assert page.url == session["url"]
    page_of_booking = web.url(f"/bookings/{booking.id}")
    assert session["success_url"].startswith(f"{page_of_booking}/paid?")
    expect(page.locator(".amount")).to_have_text("63.00 EUR")
    expect(page.get_by_text("Deep dive with Dana Coach")).to_be_visible()

    # Paid, but Stripe's API does not answer when the success page asks about it.
    stripe_server.down = True
    frames = frames_of(page)
    page.get_by_role("button", name="Pay").click()
    page.wait_for_url(page_of_booking)
    assert stripe_server.sessions[session["id"]]["status"] == "complete"
    main = page.locator("#booking-main")
    payment = main.locator("dt", has_text="Payment").locator("xpath=following-sibling::dd[1]")
    expect(main.locator(".bk-status")).to_have_text("pending payment")
    expect(payment).to_have_text("processing")
    expect(page.locator("#toasts")).to_contain_text("Payment processing")
    assert bookings(app)[0].status == "pending_payment"
    wait_until_live(page, frames)
    page.evaluate("document.body.dataset.sinceLoad = 'yes'")  # gone if the page reloads

    # Stripe's webhook reports the payment: the page follows without a reload.
    stripe_server.down = False
    event = stripe_server.event("checkout.session.completed", stripe_server.sessions[session["id"]])
    answer = post_event(client, event)
    assert answer.status_code == 200, answer.get_json()
    assert answer.get_json()["outcome"] == "processed"

    expect(main.locator(".bk-status")).to_have_text("confirmed", timeout=LIVE)
    expect(payment).to_have_text("paid")
    expect(main.get_by_role("button", name=re.compile(r"^Pay .* now$"))).to_have_count(0)
    assert page.evaluate("document.body.dataset.sinceLoad") == "yes"
    assert page.url == page_of_booking
    [booking] = bookings(app)
    assert (booking.status, booking.payment_status) == ("confirmed", "succeeded")
    assert booking.amount_paid == 6300


def paid_scene(app, api, *, instant: bool = True):
    """A public coach with a 60.00 EUR type (63.00 EUR with the fee), a Monday window,
    and a client."""
    coach = make_coach(app, name="Dana Coach", calendar_privacy="public")
    session_type = make_session_type(app, coach, name="Deep dive", price_amount=6000)
    create_window(api, coach, at(9), at(17), instant_booking=instant)
    return coach, session_type, make_client(app, name="Chris Client")


def payment_of(page):
    """The booking page's "Payment" line."""
    main = page.locator("#booking-main")
    return main.locator("dt", has_text="Payment").locator("xpath=following-sibling::dd[1]")


# Chromium applies the CSP's form-action to the redirect that answers a form too: the
# Pay form's 303 to Checkout needs STRIPE_CHECKOUT_ORIGIN in it.


def test_back_from_checkout_unpaid_the_pay_button_returns_to_checkout(app, api, web, stripe_server):
    coach, session_type, chris = paid_scene(app, api)
    body = {"coach_id": coach.id, "session_type_id": session_type, "start": at(10).isoformat()}
    booking = api.post("/api/bookings", json=body, as_=chris).get_json()["booking"]
    [session] = stripe_server.sessions.values()
    page = web.page

    web.sign_in(chris)
    page.goto(session["url"])
    page.get_by_role("button", name="Cancel").click()
    page.wait_for_url(web.url(f"/bookings/{booking['id']}"))
    expect(page.locator("#toasts")).to_contain_text("Not paid yet.")
    expect(page.locator("#booking-main .bk-status")).to_have_text("pending payment")
    expect(payment_of(page)).to_have_text("waiting for payment")
    expect(page.get_by_role("link", name="Cancel session…")).to_be_visible()

    page.get_by_role("button", name="Pay 63.00 EUR now").click()
    with contextlib.suppress(PlaywrightTimeoutError):
        page.wait_for_url(session["url"], timeout=5_000)
    blocked = [error for error in web.console_errors if "Content Security Policy" in error]
    web.console_errors[:] = [error for error in web.console_errors if error not in blocked]
    assert not blocked, blocked
    assert page.url == session["url"]
    expect(page.get_by_role("button", name="Pay")).to_be_visible()


# Paying for a booking that is confirmed already (an accepted request) changes no
# status: only payment_update tells the page.


def test_paying_an_accepted_request_shows_it_paid_live(app, api, client, web, stripe_server):
    coach, session_type, chris = paid_scene(app, api, instant=False)
    body = {"coach_id": coach.id, "session_type_id": session_type, "start": at(10).isoformat()}
    booking = api.post("/api/bookings", json=body, as_=chris).get_json()["booking"]
    accepted = api.post(f"/api/bookings/{booking['id']}/accept", json={}, as_=coach)
    assert accepted.get_json()["booking"]["payment"]["status"] == "payment_pending"
    # The checkout link the page's Pay form leads to (the test above clicks that form).
    link = api.post(f"/api/bookings/{booking['id']}/checkout", as_=chris).get_json()
    page, payment = web.page, payment_of(web.page)
    page_of_booking = web.url(f"/bookings/{booking['id']}")

    web.sign_in(chris)
    page.goto(link["checkout_url"])
    stripe_server.down = True
    frames = frames_of(page)
    page.get_by_role("button", name="Pay").click()
    page.wait_for_url(page_of_booking)
    expect(page.locator("#booking-main .bk-status")).to_have_text("confirmed")
    expect(payment).to_have_text("processing")
    wait_until_live(page, frames)
    page.evaluate("document.body.dataset.sinceLoad = 'yes'")

    stripe_server.down = False
    [session] = stripe_server.sessions.values()
    answer = post_event(client, stripe_server.event("checkout.session.completed", session))
    assert answer.get_json()["outcome"] == "processed"
    [stored] = bookings(app)
    assert (stored.status, stored.payment_status) == ("confirmed", "succeeded")
    expect(page.locator("#toasts")).to_contain_text("Payment received", timeout=LIVE)

    expect(payment).to_have_text("paid", timeout=LIVE)
    assert page.evaluate("document.body.dataset.sinceLoad") == "yes"
