"""Live updates in real browsers, without a reload. Three browser contexts on one coach's
week (the coach, a client who books, another client watching): the booking shows in the
other two, the coach's bell count rises with a toast, and the booking client's own tab
shows its own confirmation, not a second toast for the same change. The booking page
and the notifications list follow what the other party does."""

from __future__ import annotations

import re
import time
from contextlib import contextmanager

from playwright.sync_api import expect

from tests.api.booking_setup import at
from tests.api.scheduling import MONDAY, create_window
from tests.browser.conftest import Web
from tests.factories import make_client, make_coach, make_session_type

LIVE = 2_000  # ms an update may take to show (SPEC: within a second; slack for CI)
# The Socket.IO acknowledgement (43, then the ack id) of join_calendar: {"ok": true}.
JOINED = re.compile(r'^43\d+\[\{"ok":true\}\]$')


@contextmanager
def another_browser(browser, browser_context_args, base: str):
    """A second browser context (its own cookies) with the ``web`` fixture's checks."""
    context = browser.new_context(**browser_context_args)
    page = context.new_page()
    page.set_default_timeout(10_000)
    web = Web(page, base)
    page.on("console", lambda m: m.type == "error" and web.console_errors.append(m.text))
    page.on("pageerror", lambda error: web.console_errors.append(str(error)))
    try:
        yield web
        assert not web.console_errors, web.console_errors
    finally:
        context.close()


def frames_of(page) -> list[str]:
    """Every WebSocket frame the page receives from now on."""
    frames: list[str] = []
    page.on("websocket", lambda ws: ws.on("framereceived", lambda f: frames.append(str(f))))
    return frames


def open_live_calendar(web: Web, path: str) -> None:
    """Open the calendar and wait until its tab has joined the calendar's room."""
    frames = frames_of(web.page)
    web.goto(path)
    web.page.locator("#calendar.cal-js").wait_for()
    deadline = time.monotonic() + 10
    while not any(JOINED.match(frame) for frame in frames):
        assert time.monotonic() < deadline, f"never joined the calendar room: {frames}"
        web.page.wait_for_timeout(50)


def test_a_booking_shows_in_the_other_browsers_without_a_reload(
    app, api, web, browser, browser_context_args
):
    coach = make_coach(app, name="Dana Coach", calendar_privacy="public")
    make_session_type(app, coach, name="Deep dive", price_amount=0)
    create_window(api, coach, at(9), at(17))
    booker, watcher = make_client(app, name="Chris Client"), make_client(app, name="Sam Watcher")
    week = f"/coaches/{coach.slug}?view=week&date={MONDAY.isoformat()}"
    ten = re.compile(r"^Book 10:00 ")

    web.sign_in(coach)
    open_live_calendar(web, week)
    coach_page = web.page
    coach_page.evaluate("document.body.dataset.sinceLoad = 'yes'")  # gone if it reloads
    expect(coach_page.locator("#unread-count")).to_have_text("0")

    with (
        another_browser(browser, browser_context_args, web.base) as watching,
        another_browser(browser, browser_context_args, web.base) as booking,
    ):
        watching.sign_in(watcher)
        open_live_calendar(watching, week)
        expect(watching.page.get_by_role("link", name=ten)).to_have_count(1)

        booking.sign_in(booker)
        open_live_calendar(booking, week)
        booking.page.get_by_role("link", name=ten).click()
        dialog = booking.page.get_by_role("dialog")
        dialog.get_by_role("button", name="Confirm booking").click()
        expect(dialog.get_by_role("heading", name="You're booked")).to_be_visible()

        # The coach's week shows who booked, the bell counts it, a toast says it.
        expect(coach_page.locator("#calendar")).to_contain_text("Chris Client", timeout=LIVE)
        expect(coach_page.locator("#unread-count")).to_have_text("1", timeout=LIVE)
        expect(coach_page.locator("#bell")).to_have_attribute(
            "aria-label", "Notifications, 1 unread"
        )
        expect(coach_page.locator("#toasts")).to_contain_text("New booking from Chris Client")
        assert coach_page.evaluate("document.body.dataset.sinceLoad") == "yes"

        # The other client's week no longer offers 10:00.
        expect(watching.page.get_by_role("link", name=ten)).to_have_count(0, timeout=LIVE)
        expect(watching.page.locator("#unread-count")).to_have_text("0")

        # The booking tab counts its own notification without a second toast for it.
        expect(booking.page.locator("#unread-count")).to_have_text("1", timeout=LIVE)
        expect(booking.page.locator("#toasts")).not_to_contain_text("Your session is booked")


def open_live(web: Web, path: str) -> None:
    """Open a page and wait until its live connection is up."""
    frames = frames_of(web.page)
    web.goto(path)
    deadline = time.monotonic() + 10
    while not any(frame.startswith("40{") for frame in frames):
        assert time.monotonic() < deadline, f"no live connection: {frames}"
        web.page.wait_for_timeout(50)


def test_the_booking_page_and_the_notifications_follow_the_other_party(app, api, web):
    coach = make_coach(app, name="Dana Coach", calendar_privacy="public")
    session_type = make_session_type(app, coach, name="Deep dive", price_amount=0)
    create_window(api, coach, at(9), at(17), instant_booking=False)
    client = make_client(app, name="Chris Client")
    body = {"coach_id": coach.id, "session_type_id": session_type, "start": at(10).isoformat()}
    booking = api.post("/api/bookings", json=body, as_=client).get_json()["booking"]
    page = web.page

    web.sign_in(coach)
    open_live(web, f"/bookings/{booking['id']}")
    expect(page.locator(".bk-status")).to_have_text("requested")
    withdrawn = api.post(f"/api/bookings/{booking['id']}/cancel", json={}, as_=client)
    assert withdrawn.status_code == 200, withdrawn.get_json()
    expect(page.locator(".bk-status")).to_have_text("cancelled by client", timeout=LIVE)
    expect(page.get_by_role("button", name="Accept request")).to_have_count(0)
    expect(page.locator("#toasts")).to_contain_text("A session was cancelled")

    open_live(web, "/notifications")
    expect(page.locator("#nt-count")).to_have_text("2 unread")
    body["start"] = at(12).isoformat()
    assert api.post("/api/bookings", json=body, as_=client).status_code == 201
    expect(page.locator("#nt-list li").first).to_contain_text(
        "New request from Chris Client", timeout=LIVE
    )
    expect(page.locator("#nt-count")).to_have_text("3 unread")
    expect(page.locator("#unread-count")).to_have_text("3")
