"""The coach's session types, coupons and settings in a real browser: create a session
type in its dialog, see a refusal next to its field, edit it, deactivate it; create a
coupon and deactivate another; change privacy and time zone on the settings page. axe and
the 375 px check on the three pages and on the open dialogs; the screenshots
``coach-session-types``, ``coach-coupons`` and ``settings``."""

from __future__ import annotations

from playwright.sync_api import expect

from extensions import db
from models import Coupon, SessionType, User
from tests.factories import make_coach, make_coupon, make_session_type


def _toast(page, text: str):
    expect(page.locator("#toasts .toast", has_text=text).first).to_be_visible()


def _expected_refusal(web, status: int, path: str) -> None:
    """A refused form comes back as a 4xx that htmx swaps in with its messages; chromium
    ("Failed to load resource") and htmx ("Response Status Error Code") log such an answer
    as console errors. Exactly those two are expected here; any other still fails."""
    expected = [
        error
        for error in web.console_errors
        if f"status of {status}" in error or f"Error Code {status} from {path}" in error
    ]
    assert len(expected) == 2, web.console_errors
    web.console_errors[:] = [error for error in web.console_errors if error not in expected]


def _clear_toasts(page):
    page.evaluate("document.getElementById('toasts').replaceChildren()")


def test_a_coach_manages_session_types_and_coupons(app, web):
    coach = make_coach(app, name="Dana Coach", currency="EUR")
    make_session_type(app, coach, name="Strategy session", color="#10b981", price_amount=12000)
    make_coupon(app, coach, code="WELCOME10", percent_off=10)
    page = web.page
    web.sign_in(coach)

    # a new session type in its dialog; a refusal first, next to its field
    web.goto("/coach/session-types")
    expect(page.get_by_role("heading", name="Session types", exact=True)).to_be_visible()
    page.get_by_role("link", name="New session type").click()
    dialog = page.get_by_role("dialog", name="New session type")
    expect(dialog).to_be_visible()
    expect(dialog.get_by_label("Name")).to_be_focused()
    web.check_accessibility("new session type dialog")
    web.check_narrow("new session type dialog")
    dialog.get_by_label("Name").fill("Intro call")
    dialog.get_by_label("Description").fill("A first talk <b>without</b> obligation.")
    dialog.get_by_label("Shortest (minutes)").fill("30")
    dialog.get_by_label("Default (minutes)").fill("30")
    dialog.get_by_label("Longest (minutes)").fill("60")
    dialog.get_by_label("Price for the default duration (EUR)").fill("45.5")
    dialog.get_by_label("Buffer after (minutes)").fill("15")
    dialog.get_by_label("Default (minutes)").fill("90")
    dialog.get_by_role("button", name="Create session type").click()
    expect(dialog.locator("#duration_default-error")).to_have_text(
        "Must not be longer than the maximum duration."
    )
    expect(dialog.get_by_label("Default (minutes)")).to_be_focused()
    _expected_refusal(web, 400, "/coach/session-types")
    dialog.get_by_label("Default (minutes)").fill("30")
    dialog.get_by_role("button", name="Create session type").click()
    expect(dialog).to_be_hidden()
    _toast(page, "Session type “Intro call” created.")
    row = page.locator("#session-type-list tr", has_text="Intro call")
    expect(row).to_contain_text("30\u201360 min")
    expect(row).to_contain_text("45.50 EUR")
    expect(row).to_contain_text("A first talk <b>without</b> obligation.")

    # edit it in its dialog
    page.get_by_role("link", name="Edit Intro call").click()
    dialog = page.get_by_role("dialog", name="Edit session type")
    expect(dialog.get_by_label("Price for the default duration (EUR)")).to_have_value("45.50")
    web.check_accessibility("edit session type dialog")
    web.check_narrow("edit session type dialog")
    dialog.get_by_label("Price for the default duration (EUR)").fill("50")
    dialog.get_by_label("Format").select_option("group")
    dialog.get_by_label("Seats").fill("4")
    dialog.get_by_role("button", name="Save changes").click()
    expect(dialog).to_be_hidden()
    _toast(page, "Session type “Intro call” saved.")
    expect(row).to_contain_text("50.00 EUR")
    expect(row).to_contain_text("Group, up to 4")
    expect(page.get_by_role("link", name="Edit Intro call")).to_be_focused()

    web.check_accessibility("session types")
    web.check_narrow("session types")
    _clear_toasts(page)
    web.screenshot("coach-session-types")

    page.get_by_role("button", name="Deactivate Strategy session").click()
    _toast(page, "“Strategy session” is no longer offered")
    expect(page.locator("#session-type-list tr", has_text="Strategy session")).to_contain_text(
        "Not offered"
    )
    expect(page.get_by_role("button", name="Reactivate Strategy session")).to_be_visible()

    # coupons: a new one, then deactivate another
    web.goto("/coach/coupons")
    page.get_by_role("link", name="New coupon").click()
    dialog = page.get_by_role("dialog", name="New coupon")
    expect(dialog).to_be_visible()
    web.check_accessibility("new coupon dialog")
    web.check_narrow("new coupon dialog")
    dialog.get_by_label("Code").fill("spring-15")
    dialog.get_by_label("Percent off").fill("15")
    dialog.get_by_label("Maximum redemptions").fill("30")
    dialog.get_by_label("Valid until").fill("2031-05-31T23:59")
    dialog.get_by_role("button", name="Create coupon").click()
    expect(dialog).to_be_hidden()
    _toast(page, "Coupon SPRING-15 created.")
    spring = page.locator("#coupon-list tr", has_text="SPRING-15")
    expect(spring).to_contain_text("15% off")
    expect(spring).to_contain_text("0 of 30")
    expect(spring).to_contain_text("until Sat 31 May 2031, 23:59")
    web.check_accessibility("coupons")
    web.check_narrow("coupons")
    _clear_toasts(page)
    web.screenshot("coach-coupons")

    page.once("dialog", lambda confirm: confirm.accept())
    page.get_by_role("button", name="Deactivate WELCOME10").click()
    _toast(page, "Coupon WELCOME10 deactivated.")
    expect(page.locator("#coupon-list")).not_to_contain_text("WELCOME10")
    expect(spring).to_be_visible()

    with app.app_context():
        intro = db.session.scalar(db.select(SessionType).where(SessionType.name == "Intro call"))
        assert (intro.price_amount, intro.format, intro.max_attendees) == (5000, "group", 4)
        assert intro.buffer_after_minutes == 15
        codes = db.session.scalars(db.select(Coupon.code).where(Coupon.deleted_at.is_(None)))
        assert list(codes) == ["SPRING-15"]


def test_a_coach_changes_privacy_and_time_zone_in_settings(app, web):
    coach = make_coach(app, name="Dana Coach", calendar_privacy="connected")
    page = web.page
    web.sign_in(coach)
    web.goto("/settings")
    expect(page.get_by_role("heading", name="Settings", exact=True)).to_be_visible()
    expect(page.get_by_text("This device")).to_be_visible()
    web.check_accessibility("settings")
    web.check_narrow("settings")

    page.get_by_label("Public: everyone").check()
    page.get_by_label("Time zone").fill("America/New_York")
    page.get_by_label("VAT rate (%)").fill("7.7")
    page.get_by_role("button", name="Save settings").click()
    _toast(page, "Settings saved.")
    expect(page.get_by_label("Time zone")).to_have_value("America/New_York")
    expect(page.get_by_label("Public: everyone")).to_be_checked()

    page.get_by_label("Your address").fill("API")
    page.get_by_role("button", name="Save settings").click()
    expect(page.locator("#slug-error")).to_have_text(
        "Use 3-64 lower-case letters, digits and single hyphens."
    )
    expect(page.get_by_label("Your address")).to_be_focused()
    _expected_refusal(web, 400, "/settings/profile")
    web.check_accessibility("settings with a refusal")

    page.reload()
    _clear_toasts(page)
    web.screenshot("settings")
    with app.app_context():
        user = db.session.get(User, coach.id)
        assert (user.calendar_privacy, user.timezone, str(user.vat_rate)) == (
            "public",
            "America/New_York",
            "0.077",
        )
        assert user.slug == coach.slug
