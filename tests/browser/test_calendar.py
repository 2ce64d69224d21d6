"""The coach calendar in a real browser: a client signs up, walks month → week → day and
back with the back button, changes the time zone, books with the keyboard; a signed-out
visitor's zone comes from the browser; the coach sees names. Every view passes axe and the
375 px check, and the screenshots for docs/ are taken here."""

from __future__ import annotations

import re
from datetime import datetime, timedelta
from urllib.parse import parse_qs, urlsplit

from extensions import db
from models import User
from tests.api.scheduling import MONDAY, create_window, local
from tests.factories import make_booking, make_client, make_coach, make_session_type

SLUG = "dana-demo"


def coach_with_a_week(app, api):
    """A public coach with weekday availability around ``MONDAY`` and a few bookings."""
    coach = make_coach(app, name="Dana Demo", calendar_privacy="public", slug=SLUG)
    session_type = make_session_type(
        app, coach, name="Coaching session", duration_min=60, duration_max=60, price_amount=0
    )
    make_session_type(
        app,
        coach,
        name="Intro call",
        duration_min=30,
        duration_max=30,
        duration_default=30,
        price_amount=0,
    )
    create_window(
        api,
        coach,
        local(MONDAY - timedelta(weeks=1), 9),
        local(MONDAY - timedelta(weeks=1), 17),
        recurrence={"weekdays": ["MO", "TU", "WE", "TH", "FR"], "count": 30},
    )
    others = [make_client(app, name=f"Someone {n}") for n in range(3)]
    for n, (day, hour) in enumerate([(0, 14), (1, 10), (3, 11), (3, 15)]):
        status = "requested" if n == 2 else "confirmed"
        make_booking(
            app,
            coach,
            others[n % 3],
            session_type,
            local(MONDAY + timedelta(days=day), hour),
            status=status,
        )
    return coach, session_type


def calendar_path(**query) -> str:
    return f"/coaches/{SLUG}?" + "&".join(f"{k}={v}" for k, v in query.items())


def tall_screenshot(web, name: str) -> None:
    """The time grid scrolls inside its box: a tall window shows the working day."""
    size = web.page.viewport_size
    web.page.set_viewport_size({"width": 1280, "height": 1300})
    try:
        web.screenshot(name)
    finally:
        web.page.set_viewport_size(size)


def wait_for_view(page, view: str) -> None:
    page.wait_for_url(re.compile(rf"view={view}"))
    page.locator(f"#calendar.cal-view-{view}.cal-js").wait_for()


def test_a_new_client_walks_the_calendar_and_books_with_the_keyboard(app, api, web):
    coach, session_type = coach_with_a_week(app, api)
    page = web.page
    web.goto("/register")
    page.get_by_label("Name").fill("Robin Reader")
    page.get_by_label("E-mail").fill("robin@example.com")
    page.get_by_label("Password").fill("a long enough password")
    page.get_by_label("Time zone").fill("Europe/Berlin")
    page.get_by_role("button", name="Create account").click()
    page.wait_for_url("**/dashboard")
    with app.app_context():
        robin = db.session.scalar(db.select(User).where(User.email == "robin@example.com"))
        robin_id = robin.id
    make_booking(
        app,
        coach,
        type("P", (), {"id": robin_id})(),
        session_type,
        local(MONDAY + timedelta(days=2), 13),
    )

    # Month: the days with free times are marked; the picked day lists its starts.
    web.goto(calendar_path(view="month", date=MONDAY.isoformat()))
    wait_for_view(page, "month")
    monday = page.locator(".cal-day[aria-current=date]")
    assert "free times" in monday.get_attribute("aria-label")
    assert page.locator(".cal-daylist a.cal-time").first.inner_text() == "09:00"
    web.check_accessibility("calendar, month")
    web.check_narrow("calendar, month")
    web.screenshot("calendar-month")

    # Week, then a day: each swaps the fragment and pushes the URL.
    page.get_by_role("link", name="Week", exact=True).click()
    wait_for_view(page, "week")
    assert page.locator(".cal-col").count() == 7
    assert (
        page.locator(".cal-item.cal-own").count() == 1
        and page.locator(".cal-item.cal-busy").count() >= 3
    )
    assert "Someone" not in page.locator("#calendar").inner_text()
    web.check_accessibility("calendar, week")
    web.check_narrow("calendar, week")
    tall_screenshot(web, "calendar-week")
    page.get_by_role("link", name=re.compile(rf"^Monday {MONDAY.day} ")).click()
    wait_for_view(page, "day")
    assert page.locator(".cal-col").count() == 1
    web.check_accessibility("calendar, day")
    web.check_narrow("calendar, day")
    tall_screenshot(web, "calendar-day")

    # Back and forward: URL and content follow.
    page.go_back()
    wait_for_view(page, "week")
    assert page.locator(".cal-col").count() == 7
    page.go_back()
    wait_for_view(page, "month")
    assert page.locator("table.cal-month").is_visible()
    page.go_forward()
    wait_for_view(page, "week")

    # Another zone: the times move (Berlin's 09:00 is 03:00 in New York).
    first_start = page.locator(f".cal-col[data-date='{MONDAY}'] a.cal-start").first
    assert first_start.inner_text() == "09:00"
    page.get_by_label("Time zone").fill("America/New_York")
    page.get_by_label("Time zone").press("Enter")
    page.wait_for_url(re.compile(r"tz=America(/|%2F)New_York"))
    page.locator("#calendar[data-zone='America/New_York'].cal-js").wait_for()
    assert first_start.inner_text() == "03:00"
    assert "times in America/New_York" in page.locator(".cal-period").inner_text()

    # Keyboard: Tab to a start, arrow down to the next, Enter opens the booking modal.
    first_start.focus()
    page.keyboard.press("ArrowDown")
    focused = page.evaluate("document.activeElement.textContent")
    assert focused == "03:15"
    page.keyboard.press("ArrowRight")
    assert page.evaluate("document.activeElement.closest('.cal-col').dataset.date") == str(
        MONDAY + timedelta(days=1)
    )
    page.keyboard.press("ArrowLeft")
    with page.expect_request(re.compile(rf"/coaches/{SLUG}/book\?start=")) as asked:
        page.keyboard.press("Enter")
    assert asked.value.headers.get("hx-request") == "true"
    assert "tz=America" in asked.value.url and f"session_type={session_type}" in asked.value.url
    dialog = page.locator("#modal-root dialog.modal")
    dialog.wait_for()
    page.keyboard.press("Escape")
    dialog.wait_for(state="detached")

    # Empty time: a click asks for the quarter hour under the pointer, outside availability.
    cell = page.locator(f".cal-col[data-date='{MONDAY}'] a.cal-ask").first
    minutes = int(cell.get_attribute("data-height"))
    box = cell.bounding_box()
    with page.expect_request(re.compile(r"/book\?.*outside=1")) as asked:
        cell.click(position={"x": 5, "y": box["height"] / 2 + 2})  # just past the middle
    offset = (minutes // 2) // 15 * 15
    start = datetime.fromisoformat(cell.get_attribute("data-start").replace("Z", "+00:00"))
    expected = (start + timedelta(minutes=offset)).strftime("%Y-%m-%dT%H:%M:%SZ")
    assert parse_qs(urlsplit(asked.value.url).query)["start"] == [expected]
    dialog.wait_for()
    page.keyboard.press("Escape")


def test_a_visitors_first_visit_uses_the_browsers_zone(app, api, web):
    coach_with_a_week(app, api)
    page = web.page
    page.context.clear_cookies()
    web.goto(calendar_path(view="week", date=MONDAY.isoformat()))
    # Rendered in UTC first; calendar.js asks again with the browser's zone.
    page.locator("#calendar[data-zone='Europe/Berlin'].cal-js").wait_for()
    assert "data-zone-guess" not in page.locator("#calendar").evaluate("e => e.outerHTML")[:400]
    cookie = {c["name"]: c["value"] for c in page.context.cookies()}
    assert cookie["tz"] == "Europe/Berlin"  # remembered for the next visit
    # Month days move with the arrow keys.
    page.get_by_role("link", name="Month", exact=True).click()
    wait_for_view(page, "month")
    page.locator(".cal-day[aria-current=date]").focus()
    page.keyboard.press("ArrowRight")
    label = page.evaluate("document.activeElement.getAttribute('aria-label')")
    assert label.startswith(f"Tuesday {(MONDAY + timedelta(days=1)).day} ")
    page.keyboard.press("ArrowDown")
    label = page.evaluate("document.activeElement.getAttribute('aria-label')")
    assert label.startswith(f"Tuesday {(MONDAY + timedelta(days=8)).day} ")
    page.keyboard.press("Enter")
    page.wait_for_url(re.compile(rf"date={MONDAY + timedelta(days=8)}"))


def test_the_coach_sees_who_booked_on_their_own_calendar(app, api, web):
    coach, _type = coach_with_a_week(app, api)
    web.sign_in(coach)
    page = web.page
    page.get_by_role("link", name="My calendar", exact=True).click()
    page.wait_for_url(f"**/coaches/{SLUG}")
    web.goto(calendar_path(view="week", date=MONDAY.isoformat()))
    wait_for_view(page, "week")
    text = page.locator("#calendar").inner_text()
    assert "Someone 0" in text and "requested" in text.lower()
    assert (
        page.locator(".cal-item.cal-pending").count() == 1
        and page.locator(".cal-item.cal-confirmed").count() == 3
    )
    assert page.get_by_role("link", name="Edit availability").is_visible()
    web.check_accessibility("the coach's own calendar")
    web.check_narrow("the coach's own calendar")
    # Empty time on their own calendar opens the form for a one-off window there.
    cell = page.locator(f".cal-col[data-date='{MONDAY + timedelta(days=5)}'] a.cal-ask").first
    assert cell.get_attribute("data-mode") == "window"
    with page.expect_request(re.compile(r"/coach/availability/new\?start=.*&end=")) as asked:
        cell.click(position={"x": 5, "y": 3})
    query = parse_qs(urlsplit(asked.value.url).query)
    start = datetime.fromisoformat(query["start"][0].replace("Z", "+00:00"))
    end = datetime.fromisoformat(query["end"][0].replace("Z", "+00:00"))
    assert query["start"] == [cell.get_attribute("data-start")]
    assert end - start == timedelta(hours=1)
    page.locator("#modal-root dialog.modal").wait_for()
