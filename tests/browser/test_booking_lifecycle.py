"""A booking's life in a real browser: the coach answers requests on the dashboard (accept,
decline with a message) and suggests times on the booking page; the client chooses one,
moves the session, cancels another with the refund shown first, and reads the
notifications while the bell's count falls. axe and the 375 px check on every page and
open dialog; the screenshots for the README and docs/."""

from __future__ import annotations

import re
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from playwright.sync_api import expect

from tests.api.booking_setup import Scene, booked, update_booking
from tests.api.scheduling import create_window
from tests.factories import make_booking, make_client, make_coach, make_session_type

BERLIN = ZoneInfo("Europe/Berlin")


def _day(offset: int, hour: int, minute: int = 0) -> datetime:
    """A wall-clock time ``offset`` days from today in Berlin."""
    day = datetime.now(BERLIN).date() + timedelta(days=offset)
    return datetime(day.year, day.month, day.day, hour, minute, tzinfo=BERLIN)


def _scene(app, api) -> Scene:
    """A coach whose windows (two and three days ahead) take requests, and a client."""
    coach = make_coach(app, name="Dana Coach", calendar_privacy="public", vat_rate="0.19")
    session_type = make_session_type(app, coach, name="Coaching session", price_amount=6000)
    for offset in (2, 3):
        create_window(api, coach, _day(offset, 9), _day(offset, 17), instant_booking=False)
    client = make_client(app, name="Chris Client")
    firm = make_client(app, name="Robin Roe")
    make_booking(app, coach, firm, session_type, _day(4, 11))  # an upcoming session
    return Scene(coach, client, session_type, {})


def _requests(api, scene) -> dict[str, int]:
    ids = {}
    for name, start in (("accept", _day(2, 10)), ("decline", _day(2, 13)), ("move", _day(3, 10))):
        booking = booked(api, scene, start, message=f"Request to {name}")
        ids[name] = booking["id"]
    return ids


def _quiet(page) -> None:
    """Dismiss the toasts, so a screenshot shows the page."""
    for button in page.locator("#toasts .toast-close").all():
        button.click()


def _check(web, what: str) -> None:
    web.check_accessibility(what)
    web.check_narrow(what)


def _dialog(page):
    dialog = page.locator("dialog.modal[open]")
    expect(dialog).to_be_visible()
    return dialog


def _toast(page, text: str) -> None:
    expect(page.locator("#toasts .toast").filter(has_text=text).first).to_be_visible()


def test_coach_answers_and_client_chooses_moves_cancels_and_reads(app, api, web):
    scene = _scene(app, api)
    ids = _requests(api, scene)
    page = web.page

    # The coach: every request on the dashboard, answered in place.
    web.sign_in(scene.coach)
    expect(page.get_by_text("3 requests waiting for your answer.")).to_be_visible()
    _check(web, "coach dashboard")
    _quiet(page)
    web.screenshot("dashboard-coach")

    row = page.locator(f"#request-{ids['accept']}")
    row.get_by_role("button", name="Accept").click()
    expect(row.locator(".status-confirmed")).to_be_visible()
    _toast(page, "Request accepted")

    row = page.locator(f"#request-{ids['decline']}")
    row.get_by_role("link", name="Decline…").click()
    dialog = _dialog(page)
    _check(web, "decline dialog")
    dialog.get_by_label("Message (optional)").fill("Sorry, that afternoon is full.")
    dialog.get_by_role("button", name="Decline").click()
    expect(row.locator(".status-declined")).to_be_visible()
    expect(page.locator("dialog.modal[open]")).to_have_count(0)
    _toast(page, "Request declined")  # on the page, not inside the closed dialog

    # Suggest two other times from the picker of free time on the booking page.
    web.goto(f"/bookings/{ids['move']}")
    _check(web, "booking page, coach")
    page.get_by_role("link", name="Suggest other times…").click()
    dialog = _dialog(page)
    times = dialog.locator("details[open] label.bk-time")
    times.nth(0).click()
    times.nth(2).click()
    _check(web, "suggest dialog")
    dialog.get_by_role("button", name="Suggest these times").click()
    expect(page.locator("#booking-main .bk-status")).to_contain_text("time suggested")
    _toast(page, "2 times suggested")
    web.sign_out()

    # The client: a suggestion chosen, the session moved, another cancelled.
    web.sign_in(scene.client)
    _check(web, "client dashboard")
    _quiet(page)
    web.screenshot("dashboard-client")

    web.goto(f"/bookings/{ids['move']}")
    page.get_by_role("button", name="Choose this time").first.click()
    expect(page.locator("#booking-main .bk-status")).to_contain_text("confirmed")
    _toast(page, "Confirmed for")
    _check(web, "booking page, client")
    _quiet(page)
    web.screenshot("booking-page")

    before = page.locator(".bk-when strong").inner_text()
    page.get_by_role("link", name="Reschedule…").click()
    dialog = _dialog(page)
    dialog.locator("details[open] label.bk-time").last.click()
    _check(web, "reschedule dialog")
    dialog.get_by_role("button", name="Move the session").click()
    _toast(page, "Moved to")
    expect(page.locator(".bk-when strong")).not_to_have_text(before)

    update_booking(app, ids["accept"], amount_paid=7440, payment_status="succeeded")
    web.goto(f"/bookings/{ids['accept']}")
    page.get_by_role("link", name="Cancel session…").click()
    dialog = _dialog(page)
    expect(dialog).to_contain_text("Refund if you cancel now: 74.40 EUR of 74.40 EUR paid.")
    _check(web, "cancel dialog")
    dialog.get_by_role("button", name="Cancel session").click()
    expect(page.locator("#booking-main .bk-status")).to_contain_text("cancelled by client")
    _toast(page, "Refund due: 74.40 EUR")

    # Notifications: the bell's count falls as they are marked read.
    web.goto("/notifications")
    badge = page.locator("#unread-count")
    unread = int(badge.inner_text())
    assert unread >= 4, unread
    _check(web, "notifications")
    web.screenshot("notifications")
    page.get_by_role("button", name=re.compile("^Mark read")).first.click()
    expect(badge).to_have_text(str(unread - 1))
    expect(page.locator("#bell")).to_have_attribute(
        "aria-label", f"Notifications, {unread - 1} unread"
    )
    page.get_by_role("button", name="Mark all read").click()
    expect(badge).to_have_text("0")
    expect(page.locator(".nt-unread")).to_have_count(0)
    page.reload()
    expect(page.locator("#unread-count")).to_have_text("0")
