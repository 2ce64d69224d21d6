"""The booking modal in a real browser: opened as a dialog over a page and as a page of
its own, the price following duration and coupon, confirming, the request-sent screen,
Escape, keyboard-only booking, axe and 375 px."""

from __future__ import annotations

import json
import re
from urllib.parse import urlencode

from playwright.sync_api import expect

from extensions import db
from models import Booking
from tests.api.booking_setup import at
from tests.api.scheduling import create_window, z
from tests.factories import make_client, make_coach, make_coupon, make_session_type

ZONE = "Europe/Berlin"
EN_DASH = "\u2013"  # between the start and the end of a time range


def scene(app, api, *, instant=True):
    """A public Berlin coach (EUR, 19 % VAT) with a paid type (60 min at 60.00 EUR, 30 to
    90 minutes in steps of 30), a coupon, a Monday 09:00-17:00 window, and a client."""
    coach = make_coach(app, name="Dana Coach", calendar_privacy="public", vat_rate="0.19")
    session_type = make_session_type(
        app, coach, name="Deep dive", price_amount=6000, duration_step=30
    )
    make_coupon(app, coach, code="TENOFF", percent_off=10)
    create_window(api, coach, at(9), at(17), instant_booking=instant)
    return coach, session_type, make_client(app, name="Chris Client")


def book_path(coach, session_type, start, **extra) -> str:
    query = {"start": z(start), "session_type": session_type, "tz": ZONE} | extra
    return f"/coaches/{coach.slug}/book?" + urlencode(query)


def open_dialog(web, path: str):
    """Over a simple page, as the calendar's links do: hx-get into #modal-root."""
    web.goto("/dashboard")
    web.page.evaluate(
        "url => htmx.ajax('GET', url, {target: '#modal-root', swap: 'innerHTML'})", path
    )
    dialog = web.page.get_by_role("dialog")
    expect(dialog).to_be_visible()
    return dialog


def client_with_dialog(app, api, web, start, **extra):
    """The scene, its client signed in, and the dialog open for ``start``."""
    coach, session_type, client = scene(app, api)
    web.sign_in(client)
    return coach, session_type, open_dialog(web, book_path(coach, session_type, start, **extra))


def tab_to(page, element_id: str, most: int = 12) -> None:
    """Press Tab until the element with this id has the focus (a date input takes one
    Tab per part)."""
    for _ in range(most):
        if page.evaluate("document.activeElement && document.activeElement.id") == element_id:
            return
        page.keyboard.press("Tab")
    raise AssertionError(f"Tab never reached #{element_id}")


def statuses(app) -> list[tuple[str, str]]:
    with app.app_context():
        return [(b.status, b.kind) for b in db.session.scalars(db.select(Booking))]


def test_booking_in_the_dialog_with_duration_and_coupon(app, api, web):
    _coach, _session_type, dialog = client_with_dialog(app, api, web, at(10))
    page = web.page

    expect(dialog).to_have_accessible_name("Book Dana Coach")
    expect(dialog.get_by_label("Session type")).to_be_focused()
    expect(dialog.get_by_label("Start time")).to_have_value(z(at(10)))
    total = dialog.locator('[data-part="total"]')
    expect(total).to_have_text("74.40 EUR")
    expect(dialog.locator('[data-kind="firm"]')).to_contain_text("confirmed at once")

    dialog.get_by_label("Duration").select_option("90")
    expect(total).to_have_text("111.60 EUR")
    coupon = dialog.get_by_label("Coupon code")
    coupon.fill("nope")
    coupon.press("Tab")
    expect(dialog.get_by_text("This code is not valid for this coach.")).to_be_visible()
    expect(total).to_have_text("111.60 EUR")
    dialog.get_by_label("Coupon code").fill("tenoff")
    dialog.get_by_label("Coupon code").press("Tab")
    expect(total).to_have_text("100.44 EUR")
    expect(dialog.get_by_text("This code is not valid")).to_have_count(0)
    expect(dialog.get_by_label("Start time")).to_have_value(z(at(10)))

    web.check_accessibility("booking dialog")
    web.check_narrow("booking dialog")
    web.screenshot("booking-modal")

    dialog.get_by_role("button", name="Confirm booking").click()
    expect(dialog.get_by_role("heading", name="You're booked")).to_be_visible()
    expect(dialog.get_by_role("heading", name="You're booked")).to_be_focused()
    expect(dialog).to_contain_text(f"10:00{EN_DASH}11:30")
    # Shown inside the open dialog (above its backdrop), not dimmed behind it.
    expect(page.locator("dialog.modal .toast", has_text="You're booked.")).to_be_visible()
    assert statuses(app) == [("confirmed", "firm")]
    web.check_accessibility("booking confirmed")
    web.screenshot("booking-confirmed")

    dialog.get_by_role("button", name="Close").first.click()
    expect(page.get_by_role("dialog")).to_have_count(0)


def test_a_request_shows_the_request_sent_screen_and_escape_closes(app, api, web):
    coach, session_type, _dialog = client_with_dialog(app, api, web, at(10))
    page = web.page
    page.keyboard.press("Escape")
    expect(page.get_by_role("dialog")).to_have_count(0)
    expect(page.locator("#modal-root > *")).to_have_count(0)

    dialog = open_dialog(web, book_path(coach, session_type, at(18), outside="1"))
    expect(dialog.get_by_label("Start time")).to_have_value(z(at(18)))
    expect(dialog.get_by_text("outside Dana Coach's availability")).to_be_visible()
    dialog.get_by_label("Message to the coach").fill("Could we meet after work?")
    dialog.get_by_label("Duration").select_option("90")
    dialog.get_by_role("button", name="Send request").click()  # while the update runs

    expect(dialog.get_by_role("heading", name="Request sent")).to_be_visible()
    expect(dialog).to_contain_text("Dana Coach will answer")
    assert statuses(app) == [("requested", "request")]
    with app.app_context():
        assert db.session.scalar(db.select(Booking.duration_minutes)) == 90
    page.keyboard.press("Escape")
    expect(page.get_by_role("dialog")).to_have_count(0)


def test_keyboard_only_booking_from_open_to_confirmation(app, api, web):
    _coach, _session_type, dialog = client_with_dialog(app, api, web, at(10))
    page = web.page
    expect(dialog.get_by_label("Session type")).to_be_focused()

    page.keyboard.press("Tab")
    expect(dialog.get_by_label("Date")).to_be_focused()
    tab_to(page, "booking-duration")
    page.keyboard.press("ArrowDown")  # 60 → 90 minutes
    expect(dialog.locator('[data-part="total"]')).to_have_text("111.60 EUR")
    expect(dialog.get_by_label("Duration")).to_be_focused()
    page.keyboard.press("Tab")
    expect(dialog.get_by_label("Start time")).to_be_focused()
    page.keyboard.press("ArrowDown")  # 10:00 → 10:15
    expect(dialog.get_by_label("Start time")).to_have_value(z(at(10, 15)))
    tab_to(page, "booking-confirm")
    expect(dialog.get_by_role("button", name="Confirm booking")).to_be_focused()
    page.keyboard.press("Enter")

    expect(dialog.get_by_role("heading", name="You're booked")).to_be_visible()
    expect(dialog).to_contain_text(f"10:15{EN_DASH}11:45")
    assert statuses(app) == [("confirmed", "firm")]


def test_the_modal_opened_directly_is_a_page_that_books_too(app, api, web):
    coach, session_type, client = scene(app, api, instant=False)
    web.sign_in(client)
    page = web.page
    calendar_changed = []
    page.on(
        "response",
        lambda response: (
            response.request.method == "POST"
            and calendar_changed.append(json.loads(response.headers.get("hx-trigger", "{}")))
        ),
    )
    web.goto(book_path(coach, session_type, at(11)))

    expect(page.get_by_role("heading", level=1, name="Book Dana Coach")).to_be_visible()
    expect(page.get_by_role("dialog")).to_have_count(0)
    expect(page.get_by_text("Request:")).to_be_visible()
    page.get_by_label("Duration").select_option("30")
    expect(page.locator('[data-part="total"]')).to_have_text("37.20 EUR")
    web.check_accessibility("booking page")
    web.check_narrow("booking page")

    page.get_by_role("button", name="Send request").click()
    expect(page.get_by_role("heading", name="Request sent")).to_be_visible()
    assert statuses(app) == [("requested", "request")]
    assert calendar_changed[-1]["calendar-changed"] is True


def test_keyboard_only_from_the_calendar_to_the_confirmation(app, api, web):
    coach, _session_type, client = scene(app, api)
    web.sign_in(client)
    page = web.page
    web.goto(f"/coaches/{coach.slug}?view=month&date={at(10).date().isoformat()}")
    label = re.compile(r"^Book 10:00\b")  # the calendar's link for Monday 10:00
    for _ in range(150):
        if label.match(page.evaluate("document.activeElement.getAttribute('aria-label')") or ""):
            break
        page.keyboard.press("Tab")
    else:
        raise AssertionError("Tab never reached the calendar's 10:00 link")
    page.keyboard.press("Enter")

    dialog = page.get_by_role("dialog")
    expect(dialog.get_by_label("Session type")).to_be_focused()
    expect(dialog.get_by_label("Start time")).to_have_value(z(at(10)))
    tab_to(page, "booking-confirm")
    page.keyboard.press("Enter")
    expect(dialog.get_by_role("heading", name="You're booked")).to_be_focused()
    assert statuses(app) == [("confirmed", "firm")]

    page.keyboard.press("Escape")
    expect(page.get_by_role("dialog")).to_have_count(0)
    expect(page.get_by_role("link", name=label)).to_have_count(0)  # the calendar refreshed
