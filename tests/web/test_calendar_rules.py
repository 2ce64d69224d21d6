"""The calendar page's rules beyond its looks: the privacy matrix for the page and its
fragment (a hidden calendar answers exactly as a missing coach), days of 23 and 25 hours,
times of a far-away viewer placed on their own local days, and a constant number of SQL
statements per view however many bookings there are."""

from __future__ import annotations

import re
from datetime import date, timedelta
from zoneinfo import ZoneInfo

import pytest

from tests.api.scheduling import MONDAY, create_window, local
from tests.api.test_query_count import make_bookings, statements_of
from tests.factories import (
    make_booking,
    make_client,
    make_coach,
    make_connection,
    make_session_type,
)
from tests.privacy import PRIVACIES, TRUTH_TABLE, may_see
from tests.web.test_calendar_pages import HTMX, column, dom, kinds, signed_in

AUCKLAND = ZoneInfo("Pacific/Auckland")
SPRING, AUTUMN = date(2027, 3, 28), date(2027, 10, 31)  # Berlin's changes in 2027


# --- privacy ------------------------------------------------------------------------------


def make_viewer(app, kind: str, coach):
    """A person of the truth table's kind (None: signed out)."""
    if kind == "owner":
        return coach
    if kind == "signed-out visitor":
        return None
    person = make_coach(app) if kind.startswith("other coach") else make_client(app)
    status = {"connected": "accepted", "pending": "pending", "declined": "declined"}
    for word, value in status.items():
        if word in kind and "unconnected" not in kind:
            make_connection(app, person, coach, value)
    return person


def without_tokens(body: str) -> str:
    """Two sign-ins differ in their CSRF token only."""
    return re.sub(r"[\w-]{20,}\.[\w-]{6}\.[\w-]{20,}", "TOKEN", body)


@pytest.mark.parametrize("privacy", PRIVACIES)
def test_who_may_see_the_page_and_its_fragment_follows_the_truth_table(app, privacy):
    coach = make_coach(app, calendar_privacy=privacy, slug=f"coach-{privacy}")
    make_session_type(app, coach)
    path = f"/coaches/coach-{privacy}?view=week&date={MONDAY}"
    for kind in TRUTH_TABLE:
        viewer = make_viewer(app, kind, coach)
        browser = app.test_client() if viewer is None else signed_in(app, viewer)
        page, fragment = browser.get(path), browser.get(path, headers=HTMX)
        if may_see(kind, privacy):
            assert page.status_code == fragment.status_code == 200, kind
            assert 'id="calendar"' in fragment.get_data(as_text=True), kind
            continue
        missing = browser.get(f"/coaches/nobody-{privacy}?view=week&date={MONDAY}")
        missing_fragment = browser.get(
            f"/coaches/nobody-{privacy}?view=week&date={MONDAY}", headers=HTMX
        )
        assert page.status_code == fragment.status_code == missing.status_code == 404, kind
        assert without_tokens(page.get_data(as_text=True)) == without_tokens(
            missing.get_data(as_text=True)
        ), kind
        assert fragment.get_data() == missing_fragment.get_data() == b"", kind
        for header in ("HX-Trigger", "HX-Reswap"):
            assert fragment.headers.get(header) == missing_fragment.headers.get(header), kind
        # Asking for a session type or a bad date reveals nothing either.
        assert browser.get(path + "&type=1", headers=HTMX).status_code == 404, kind


def test_a_coachs_slug_is_found_however_it_is_written(app):
    make_coach(app, calendar_privacy="public", slug="dana")
    assert app.test_client().get("/coaches/DANA", headers=HTMX).status_code == 200
    assert app.test_client().get("/coaches/" + "d" * 300).status_code == 404


# --- days of 23 and 25 hours ---------------------------------------------------------------


@pytest.fixture
def dst_coach(app, api):
    """Availability 09:00-17:00 Berlin on both of Berlin's 2027 change days."""
    coach = make_coach(app, calendar_privacy="public", slug="dst")
    make_session_type(app, coach)
    for day in (SPRING, AUTUMN):
        create_window(api, coach, local(day, 9), local(day, 17))
    return coach


def labels(node) -> list[str]:
    return [
        span.text() for span in node.select("span", "cal-hour") or node.select("span", "cal-line")
    ]


def test_a_spring_forward_day_has_23_hours_without_0200(app, dst_coach):
    week = dom(
        app.test_client().get(
            f"/coaches/dst?view=week&date={SPRING}&tz=Europe/Berlin", headers=HTMX
        )
    )
    sunday = column(week, SPRING)
    assert sunday.attrs["data-length"] == str(23 * 60)
    assert "is-dst" in sunday.classes
    assert sunday.one("p", "cal-dst-note").text() == "23 hours: clocks go forward"
    # The week's side shows an ordinary day's hours; the short day labels its own.
    axis = week.one("div", "cal-axis")
    assert axis.attrs["data-length"] == str(24 * 60) and len(labels(axis)) == 24
    lines = sunday.select("span", "cal-line")
    assert [line.text() for line in lines][:4] == ["00:00", "01:00", "03:00", "04:00"]
    assert [line.attrs["data-top"] for line in lines][:4] == ["0", "60", "120", "180"]
    (free,) = sunday.select("li", "cal-free")
    assert (free.attrs["data-top"], free.attrs["data-height"]) == ("480", "480")  # 8 h in
    day = dom(
        app.test_client().get(f"/coaches/dst?view=day&date={SPRING}&tz=Europe/Berlin", headers=HTMX)
    )
    axis = day.one("div", "cal-axis")
    assert axis.attrs["data-length"] == "1380"
    assert labels(axis)[:3] == ["00:00", "01:00", "03:00"] and len(labels(axis)) == 23


def test_a_fall_back_day_has_25_hours_with_0200_twice(app, dst_coach):
    day = dom(
        app.test_client().get(f"/coaches/dst?view=day&date={AUTUMN}&tz=Europe/Berlin", headers=HTMX)
    )
    sunday = column(day, AUTUMN)
    assert sunday.attrs["data-length"] == str(25 * 60)
    assert sunday.one("p", "cal-dst-note").text() == "25 hours: clocks go back"
    axis = labels(day.one("div", "cal-axis"))
    assert len(axis) == 25 and axis[:5] == ["00:00", "01:00", "02:00", "02:00", "03:00"]
    repeated = day.one("div", "cal-axis").select("span", "is-repeated")
    assert [line.attrs["data-top"] for line in repeated] == ["180"]
    (free,) = sunday.select("li", "cal-free")
    assert (free.attrs["data-top"], free.attrs["data-height"]) == ("600", "480")  # 10 h in
    assert kinds(sunday) == [("free", "09:00-17:00 Free")]


def test_a_los_angeles_viewer_sees_berlins_change_a_fortnight_after_their_own(app, api):
    coach = make_coach(app, calendar_privacy="public", slug="berlin")
    make_session_type(app, coach)
    for day in (date(2027, 3, 26), date(2027, 3, 29)):  # Friday before, Monday after
        create_window(api, coach, local(day, 9), local(day, 17))
    week = dom(
        app.test_client().get(
            "/coaches/berlin?view=week&date=2027-03-22&tz=America/Los_Angeles", headers=HTMX
        )
    )
    (friday,) = column(week, date(2027, 3, 26)).select("li", "cal-free")
    assert (friday.attrs["data-top"], friday.attrs["data-height"]) == ("60", "480")
    assert "01:00-09:00" in kinds(column(week, date(2027, 3, 26)))[0][1]
    monday = dom(
        app.test_client().get(
            "/coaches/berlin?view=day&date=2027-03-29&tz=America/Los_Angeles", headers=HTMX
        )
    )
    assert kinds(column(monday, date(2027, 3, 29))) == [("free", "00:00-08:00 Free")]


# --- a viewer far from the coach -----------------------------------------------------------


def test_an_auckland_viewer_sees_the_berlin_day_across_their_midnight(app, api):
    coach = make_coach(app, calendar_privacy="public", slug="far")
    client = make_client(app, name="Ada Client", timezone="Pacific/Auckland")
    session_type = make_session_type(app, coach, duration_min=60, duration_max=60)
    create_window(api, coach, local(MONDAY, 9), local(MONDAY, 17))
    make_booking(app, coach, client, session_type, local(MONDAY, 12))
    start, end = local(MONDAY, 9).astimezone(AUCKLAND), local(MONDAY, 17).astimezone(AUCKLAND)
    booked = local(MONDAY, 12).astimezone(AUCKLAND)
    assert start.date() != end.date()  # 21:00-05:00 in their summer, 19:00-03:00 in winter
    path = f"/coaches/far?view=week&date={start.date()}"
    tree = dom(signed_in(app, client).get(path, headers=HTMX))
    assert tree.one("section", "calendar").attrs["data-zone"] == "Pacific/Auckland"
    evening, morning = column(tree, start.date()), column(tree, end.date())
    assert evening.select("li", "cal-item")[0].attrs["data-top"] == str(start.hour * 60)
    last = morning.select("li", "cal-item")[-1]
    assert int(last.attrs["data-top"]) + int(last.attrs["data-height"]) == end.hour * 60
    # The viewer's own session sits on its local day at its local time.
    own = column(tree, booked.date()).one("li", "cal-own")
    assert (own.attrs["data-top"], own.attrs["data-height"]) == (str(booked.hour * 60), "60")
    # Starts are named by the viewer's day: the ones after midnight by the next day.
    for col, moment in ((evening, start), (morning, end)):
        links = col.select("a", "cal-start")
        assert links
        for link in links:
            assert link.attrs["aria-label"].endswith(f"{moment:%A} {moment.day} {moment:%B}")
            assert link.attrs["href"].endswith("&tz=Pacific/Auckland")


def test_the_piece_on_each_side_of_midnight_carries_the_whole_time(app, api):
    coach = make_coach(app, calendar_privacy="public", slug="split")
    make_session_type(app, coach)
    create_window(api, coach, local(MONDAY, 9), local(MONDAY, 17))
    start, end = local(MONDAY, 9).astimezone(AUCKLAND), local(MONDAY, 17).astimezone(AUCKLAND)
    tree = dom(
        app.test_client().get(
            f"/coaches/split?view=week&date={start.date()}&tz=Pacific/Auckland", headers=HTMX
        )
    )
    (before,) = column(tree, start.date()).select("li", "cal-free")
    (after,) = column(tree, end.date()).select("li", "cal-free")
    assert "cont-after" in before.classes and "cont-before" in after.classes
    assert before.attrs["data-top"] == str(start.hour * 60)
    assert int(before.attrs["data-top"]) + int(before.attrs["data-height"]) == 24 * 60
    assert (after.attrs["data-top"], after.attrs["data-height"]) == ("0", str(end.hour * 60))
    whole = f"{start:%H:%M}\u2013{end:%H:%M}"
    assert whole in before.text() and whole in after.text()


# --- statements ----------------------------------------------------------------------------


@pytest.mark.parametrize("view", ["month", "week", "day"])
def test_a_view_costs_the_same_few_statements_with_5_or_300_bookings(app, api, view):
    coach = make_coach(app, calendar_privacy="connected", slug="counted")
    client = make_client(app)
    make_connection(app, client, coach, "accepted")
    session_type = make_session_type(app, coach, firm_booking="connected")
    make_session_type(
        app, coach, name="Short", duration_min=30, duration_max=30, duration_default=30
    )
    first = local(MONDAY - timedelta(weeks=8), 8)
    weekdays = ["MO", "TU", "WE", "TH", "FR", "SA"]
    create_window(
        api, coach, first, first.replace(hour=20), recurrence={"weekdays": weekdays, "count": 120}
    )
    days = [MONDAY + timedelta(days=n) for n in range(35)]
    starts = [local(day, hour) for day in days for hour in range(8, 20)][:300]
    path = f"/coaches/counted?view={view}&date={MONDAY}"
    browsers = {"client": signed_in(app, client), "coach": signed_in(app, coach)}

    def count_all() -> dict[str, list[str]]:
        return {
            who: statements_of(app, lambda b=browser: b.get(path, headers=HTMX))
            for who, browser in browsers.items()
        }

    make_bookings(app, coach, client, session_type, starts[:5])
    few = count_all()
    whole = statements_of(app, lambda: browsers["client"].get(path))
    make_bookings(app, coach, client, session_type, starts[5:])
    many = count_all()
    for who in browsers:
        report = f"{who}: {len(few[who])} with 5, {len(many[who])} with 300\n" + "\n".join(
            many[who]
        )
        assert len(few[who]) == len(many[who]), report
        # Sign-in, coach, (the client's connection), session types, windows, bookings.
        assert len(many[who]) <= 6, report
    assert len(many["coach"]) == len(many["client"]) - 1  # no connection to ask about
    assert len(whole) == len(few["client"]) + 1  # the full page adds the bell's count
    html = browsers["coach"].get(path, headers=HTMX).get_data(as_text=True)
    if view != "month":
        assert "cal-confirmed" in html
