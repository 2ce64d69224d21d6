"""The calendar page's query: the zone picker and its cookie, the viewer's clock, and
bad values of view, date, tz and type (a 400 with a clear message, never a 500)."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from tests.api.scheduling import MONDAY
from tests.factories import make_client, make_coach, make_session_type
from tests.web.test_calendar_pages import HTMX, column, dom, make_scene, signed_in, url


@pytest.fixture
def scene(app, api):
    return make_scene(app, api)


# --- the zone ----------------------------------------------------------------------------


def zone_cookies(response) -> list[str]:
    return [c for c in response.headers.getlist("Set-Cookie") if c.startswith("tz=")]


def test_choosing_a_zone_signed_out_is_remembered_in_a_cookie(app, scene):
    browser = app.test_client()
    first = browser.get(url(view="week"))
    assert not zone_cookies(first)
    assert dom(first).one("section", "calendar").attrs["data-zone-guess"] == "true"
    chosen = browser.get(url(view="week", tz="America/New_York"), headers=HTMX)
    (cookie,) = zone_cookies(chosen)
    assert cookie.startswith("tz=America/New_York;")
    assert "Max-Age=31536000" in cookie and "SameSite=Lax" in cookie and "Path=/" in cookie
    later = browser.get(url(view="week"))
    section = dom(later).one("section", "calendar")
    assert section.attrs["data-zone"] == "America/New_York"
    assert "data-zone-guess" not in section.attrs
    # Berlin's 09:00 is 03:00 in New York.
    assert "03:00" in column(dom(later), MONDAY).select("a", "cal-start")[0].text()


def test_the_zone_picker_is_a_searchable_list_of_iana_zones(app, scene):
    response = app.test_client().get(url(view="day", tz="Asia/Tokyo"))
    tree = dom(response)
    form = tree.one("form", "cal-zone")
    assert form.attrs["action"] == form.attrs["hx-get"] == "/coaches/dana"
    assert form.attrs["hx-target"] == "#calendar" and form.attrs["hx-push-url"] == "true"
    field = form.one("input", None, name="tz")
    assert field.attrs["list"] == "tz-zones" and field.attrs["value"] == "Asia/Tokyo"
    assert form.one("label").text() == "Time zone" and form.one("label").select("input")
    hidden = {i.attrs["name"]: i.attrs["value"] for i in form.select("input", type="hidden")}
    assert hidden == {"view": "day", "date": MONDAY.isoformat()}
    zones = {o.attrs["value"] for o in tree.select("option")}
    assert {"Europe/Berlin", "Pacific/Auckland", "UTC"} <= zones and len(zones) > 300


def test_a_signed_in_viewer_sees_their_own_zone_and_no_cookie_is_set(app, scene):
    tokyo = make_client(app, timezone="Asia/Tokyo")
    browser = signed_in(app, tokyo)
    response = browser.get(url(view="week"), headers=HTMX)
    assert dom(response).one("section", "calendar").attrs["data-zone"] == "Asia/Tokyo"
    assert "data-zone-guess" not in response.get_data(as_text=True)
    chosen = browser.get(url(view="week", tz="Europe/Lisbon"), headers=HTMX)
    assert not zone_cookies(chosen)
    assert dom(chosen).one("section", "calendar").attrs["data-zone"] == "Europe/Lisbon"


def test_the_twelve_hour_clock_follows_the_browser(app, scene):
    browser = app.test_client()
    browser.set_cookie("clock", "12")
    response = browser.get(url(view="day", tz="Europe/Berlin"), headers=HTMX)
    first = column(dom(response), MONDAY).select("a", "cal-start")[0]
    assert first.text() == "9:00 am"
    assert first.attrs["aria-label"].startswith("Book 9:00 am Monday")


# --- bad input ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ("view=year", "Choose the month, week or day view."),
        ("date=2027-13-01", "Give the date as YYYY-MM-DD"),
        ("date=18.01.2027", "Give the date as YYYY-MM-DD"),
        ("date=2027-1-8", "Give the date as YYYY-MM-DD"),
        ("date=0001-01-01", "Choose a date between the years"),
        ("date=9999-12-31", "Choose a date between the years"),
        ("tz=Mars/Olympus_Mons", "Unknown time zone."),
        ("tz=../../etc/passwd", "Unknown time zone."),
        ("type=abc", "This coach offers no such session type."),
        ("type=-1", "This coach offers no such session type."),
        ("type=99999999999999999999", "This coach offers no such session type."),
        ("type=2147483647", "This coach offers no such session type."),
    ],
)
def test_bad_query_values_are_a_400_with_a_clear_message(app, scene, query, message):
    browser = app.test_client()
    page = browser.get(f"/coaches/dana?{query}")
    assert page.status_code == 400
    assert message in page.get_data(as_text=True)
    fragment = browser.get(f"/coaches/dana?{query}", headers=HTMX)
    assert fragment.status_code == 400
    assert fragment.headers["HX-Reswap"] == "none"
    assert message in fragment.headers["HX-Trigger"]


def test_another_coachs_session_type_is_not_a_filter(app, scene):
    elsewhere = make_session_type(app, make_coach(app), name="Elsewhere")
    response = app.test_client().get(url(type=elsewhere))
    assert response.status_code == 400
    assert "Elsewhere" not in response.get_data(as_text=True)


def test_empty_values_fall_back(app, scene):
    response = app.test_client().get("/coaches/dana?view=&date=&tz=&type=", headers=HTMX)
    assert response.status_code == 200
    assert len(dom(response).select("div", "cal-col")) == 7


@pytest.mark.parametrize("clock", ["12", "24"])
def test_the_pages_own_time_labels_match_the_viewers_clock(app, clock):
    """The calendar formats hundreds of times itself (blueprints.calendar_pages.Times):
    the same text as blueprints.viewer.clock_time."""
    from blueprints import viewer
    from blueprints.calendar_pages import Times

    moments = [
        datetime(2027, 1, 18, h, m, tzinfo=UTC) for h in (0, 9, 11, 12, 13, 23) for m in (0, 5)
    ]
    with app.test_request_context("/", headers={"Cookie": f"clock={clock}"}):
        times = Times("Asia/Kolkata")
        for moment in moments:
            assert times.clock(moment) == viewer.clock_time(moment, "Asia/Kolkata")
