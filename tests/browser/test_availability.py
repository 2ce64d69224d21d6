"""The coach's availability editor in a real browser: add a weekly series and see it in
the listing and the free-time preview, add a one-off window through the new-window dialog
the calendar opens, delete one occurrence, then the whole series. axe and the 375 px check
on the page and on each dialog; the screenshot ``coach-availability``."""

from __future__ import annotations

import re
from datetime import datetime, timedelta

from playwright.sync_api import expect

from tests.api.scheduling import BERLIN, local, z
from tests.factories import make_coach, make_session_type

DASH = "\u2013"


def _next_monday():
    today = datetime.now(BERLIN).date()
    return today + timedelta(days=7 - today.weekday())


def _toast(page, text: str):
    expect(page.locator("#toasts .toast", has_text=text).first).to_be_visible()


def test_a_coach_adds_and_deletes_availability(app, web):
    coach = make_coach(app, name="Ada Avail")
    make_session_type(app, coach, name="Deep work")
    monday = _next_monday()
    page = web.page
    web.sign_in(coach)
    web.goto("/coach/availability")
    expect(page.get_by_role("heading", name="Availability", exact=True)).to_be_visible()
    expect(page.get_by_label("Every week")).to_be_checked()
    expect(page.get_by_label("Start", exact=True)).to_be_hidden()  # the one-off fields

    # a weekly series: Mondays and Wednesdays 09:00-17:00 for three weeks
    page.get_by_label("Mon", exact=True).check()
    page.get_by_label("Wed", exact=True).check()
    page.get_by_label("From", exact=True).fill("09:00")
    page.get_by_label("To", exact=True).fill("17:00")
    page.get_by_label("Starting on").fill(monday.isoformat())
    page.get_by_label("Last day").fill((monday + timedelta(days=14)).isoformat())
    page.get_by_label("Session type").select_option(label="Deep work")
    page.get_by_role("button", name="Add availability").click()
    _toast(page, "Availability added.")
    listing = page.locator("#avail-listing")
    expect(listing).to_contain_text(f"Weekly on Mon, Wed, 09:00{DASH}17:00")
    expect(listing.locator(".avail-occurrences li")).to_have_count(5)
    expect(listing.locator(".avail-times", has_text=f"09:00{DASH}17:00")).to_have_count(5)
    expect(page.get_by_label("Mon", exact=True)).not_to_be_checked()  # a fresh form

    # a one-off window through the dialog the calendar opens on a click in empty time
    tuesday = monday + timedelta(days=1)
    url = f"/coach/availability/new?start={z(local(tuesday, 10))}&end={z(local(tuesday, 12))}"
    page.evaluate(f"htmx.ajax('GET', '{url}', {{target:'#modal-root', swap:'innerHTML'}})")
    dialog = page.get_by_role("dialog", name="Add a one-off window")
    expect(dialog).to_be_visible()
    expect(dialog.get_by_label("Start")).to_have_value(f"{tuesday.isoformat()}T10:00")
    expect(dialog.get_by_label("End")).to_have_value(f"{tuesday.isoformat()}T12:00")
    web.check_accessibility("new-window dialog")
    web.check_narrow("new-window dialog")
    dialog.get_by_label("Start").fill(f"{tuesday.isoformat()}T10:30")
    dialog.get_by_role("button", name="Add window").click()
    expect(dialog).to_be_hidden()
    _toast(page, "Availability added.")
    expect(listing).to_contain_text(f"Once: {tuesday:%a %d %b %Y}, 10:30{DASH}12:00")
    expect(listing.locator(".avail-occurrences li")).to_have_count(6)

    web.check_accessibility("availability editor")
    web.check_narrow("availability editor")
    page.evaluate("document.getElementById('toasts').replaceChildren()")  # a clean picture
    web.screenshot("coach-availability")

    # delete one occurrence: the confirmation names it
    page.get_by_role("link", name="Delete this occurrence").first.click()
    confirm = page.get_by_role("dialog", name="Delete this occurrence?")
    expect(confirm).to_contain_text(f"{monday:%a %d %b}, 09:00{DASH}17:00")
    web.check_accessibility("delete-occurrence dialog")
    web.check_narrow("delete-occurrence dialog")
    confirm.get_by_role("button", name="Delete this occurrence").click()
    _toast(page, "Occurrence deleted.")
    expect(listing.locator(".avail-occurrences li")).to_have_count(5)
    expect(listing.locator(".avail-times", has_text=f"09:00{DASH}17:00")).to_have_count(4)

    # then the whole series
    page.get_by_role("link", name="Delete series").click()
    confirm = page.get_by_role("dialog", name="Delete the whole series?")
    expect(confirm).to_contain_text("with all its occurrences")
    confirm.get_by_role("button", name="Delete series").click()
    _toast(page, "Series deleted.")
    expect(listing).not_to_contain_text("Weekly on")
    expect(listing.locator(".avail-occurrences li")).to_have_count(1)
    expect(listing.locator(".avail-bar").first).to_have_attribute("style", re.compile("left"))
