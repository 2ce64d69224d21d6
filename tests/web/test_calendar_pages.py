"""The coach calendar page ``/coaches/<slug>``: the whole page and its htmx fragment for
each view, what each viewer sees (colours, names, anonymous busy blocks), the bookable
starts and the booking modal's links, the zone picker and its cookie, bad query values.

Privacy, DST days, far-away viewers and statement counts: test_calendar_rules.py."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from html.parser import HTMLParser
from zoneinfo import ZoneInfo

import pytest

from tests.api.scheduling import MONDAY, create_window, local
from tests.factories import Person, make_booking, make_client, make_coach, make_session_type
from tests.helpers import web_login

HTMX = {"HX-Request": "true"}
VOID = {"input", "br", "img", "meta", "link", "hr", "option", "source", "wbr", "col", "area"}


# --- a small DOM, enough to ask "which items are in which column" ---------------------


class Node:
    def __init__(self, tag: str, attrs: dict, parent: Node | None):
        self.tag, self.attrs, self.parent = tag, attrs, parent
        self.children: list[Node | str] = []

    @property
    def classes(self) -> set[str]:
        return set((self.attrs.get("class") or "").split())

    def text(self) -> str:
        parts = [c if isinstance(c, str) else c.text() for c in self.children]
        return " ".join(" ".join(parts).split())

    def iter(self):
        for child in self.children:
            if isinstance(child, Node):
                yield child
                yield from child.iter()

    def select(self, tag: str | None = None, cls: str | None = None, **attrs) -> list[Node]:
        """Descendants with this tag, class and attributes (``data_top`` → ``data-top``)."""
        wanted = {k.replace("_", "-"): v for k, v in attrs.items()}
        return [
            n
            for n in self.iter()
            if (tag is None or n.tag == tag)
            and (cls is None or cls in n.classes)
            and all(n.attrs.get(k) == v for k, v in wanted.items())
        ]

    def one(self, tag=None, cls=None, **attrs) -> Node:
        found = self.select(tag, cls, **attrs)
        assert len(found) == 1, (tag, cls, attrs, len(found))
        return found[0]


class _Builder(HTMLParser):
    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.root = self.current = Node("#root", {}, None)

    def handle_starttag(self, tag, attrs):
        node = Node(tag, {k: (v if v is not None else "") for k, v in attrs}, self.current)
        self.current.children.append(node)
        if tag not in VOID:
            self.current = node

    def handle_endtag(self, tag):
        node = self.current
        while node is not None and node.tag != tag:
            node = node.parent
        if node is not None and node.parent is not None:
            self.current = node.parent

    def handle_data(self, data):
        self.current.children.append(data)


def dom(response) -> Node:
    builder = _Builder()
    builder.feed(response.get_data(as_text=True))
    return builder.root


def column(tree: Node, day) -> Node:
    return tree.one("div", "cal-col", data_date=day.isoformat())


def kinds(col: Node) -> list[tuple[str, str]]:
    """(kind, text) of each item in a day column."""
    found = []
    for item in col.select("li", "cal-item"):
        kind = next(c[4:] for c in item.classes if c.startswith("cal-") and c != "cal-item")
        text = item.one(cls="cal-label").text().replace("\u2013", "-")  # the en dash
        found.append((kind, text))
    return found


# --- the scene --------------------------------------------------------------------------


@dataclass(frozen=True)
class Scene:
    coach: Person
    client: Person
    other: Person
    session_type: int
    own: int
    others: int


def signed_in(app, person):
    browser = app.test_client()
    assert web_login(browser, person.email, person.password).status_code == 302
    browser.get("/")  # the "Signed in" toast shows here, not on the page under test
    return browser


@pytest.fixture
def scene(app, api) -> Scene:
    return make_scene(app, api)


def make_scene(app, api) -> Scene:
    """A public Berlin coach with weekday availability 09:00-17:00 from ``MONDAY``; Ada's
    confirmed session at 10:00 and Olga's request at 14:00 that Monday."""
    coach = make_coach(app, name="Dana Coach", calendar_privacy="public", slug="dana")
    client = make_client(app, name="Ada Client")
    other = make_client(app, name="Olga <b>Other</b>")
    session_type = make_session_type(
        app, coach, name="Coaching", duration_min=60, duration_max=60, price_amount=0
    )
    create_window(
        api,
        coach,
        local(MONDAY, 9),
        local(MONDAY, 17),
        recurrence={"weekdays": ["MO", "TU", "WE", "TH", "FR"], "count": 15},
    )
    own = make_booking(app, coach, client, session_type, local(MONDAY, 10))
    others = make_booking(app, coach, other, session_type, local(MONDAY, 14), status="requested")
    return Scene(coach, client, other, session_type, own, others)


def url(**query) -> str:
    pairs = "&".join(f"{k}={v}" for k, v in {"date": MONDAY.isoformat(), **query}.items())
    return f"/coaches/dana?{pairs}"


def z(moment) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


# --- full page and fragment -------------------------------------------------------------


@pytest.mark.parametrize("view", ["month", "week", "day"])
def test_each_view_is_a_whole_page_or_just_the_calendar_fragment(app, scene, view):
    browser = app.test_client()
    page = browser.get(url(view=view, tz="Europe/Berlin"))
    fragment = browser.get(url(view=view, tz="Europe/Berlin"), headers=HTMX)
    assert page.status_code == fragment.status_code == 200
    assert "HX-Request" in page.headers["Vary"]
    full, part = page.get_data(as_text=True), fragment.get_data(as_text=True)
    assert full.lstrip().startswith("<!doctype html>") and "<html" in full
    assert "<html" not in part and '<nav aria-label="Main"' not in part
    assert part.strip().startswith('<section id="calendar"')
    assert part.strip() in full  # the same block, rendered from the same template
    section = next(n for n in dom(fragment).iter() if n.attrs.get("id") == "calendar")
    assert section.attrs["hx-trigger"] == "calendar-changed from:body"
    assert section.attrs["hx-swap"] == "outerHTML"
    assert section.attrs["hx-get"] == f"/coaches/dana?view={view}&date={MONDAY}&tz=Europe/Berlin"
    assert 'src="/static/js/calendar.js"' in full and 'id="tz-zones"' in full
    assert 'id="tz-zones"' not in part  # the zone list comes once, with the page
    # Back and forward: htmx asks again with HX-History-Restore-Request and gets the page.
    restored = browser.get(
        url(view=view, tz="Europe/Berlin"),
        headers={**HTMX, "HX-History-Restore-Request": "true"},
    )
    assert "<html" in restored.get_data(as_text=True)


def test_the_default_is_this_week_in_the_viewers_zone(app, scene):
    response = app.test_client().get("/coaches/dana?tz=Pacific/Kiritimati", headers=HTMX)
    tree = dom(response)
    cols = tree.select("div", "cal-col")
    assert len(cols) == 7
    today = datetime.now(ZoneInfo("Pacific/Kiritimati")).date()  # UTC+14
    dates = [c.attrs["data-date"] for c in cols]
    assert (
        today.isoformat() in dates
        and dates[0] == (today - timedelta(days=today.weekday())).isoformat()
    )
    assert "times in Pacific/Kiritimati" in tree.text()


def test_navigation_swaps_the_fragment_and_pushes_the_url(app, scene):
    tree = dom(app.test_client().get(url(view="week", tz="Europe/Berlin"), headers=HTMX))
    steps = {
        a.attrs.get("aria-label", a.text()): a
        for a in tree.one("nav", None, aria_label="Dates").select("a")
    }
    previous, following = steps["Previous week"], steps["Next week"]
    assert previous.attrs["href"] == (
        f"/coaches/dana?view=week&date={MONDAY - timedelta(days=7)}&tz=Europe/Berlin"
    )
    assert following.attrs["href"].endswith(f"date={MONDAY + timedelta(days=7)}&tz=Europe/Berlin")
    for link in [
        previous,
        following,
        steps["Today"],
        *tree.one("nav", None, aria_label="View").select("a"),
    ]:
        assert link.attrs["hx-get"] == link.attrs["href"]
        assert link.attrs["hx-target"] == "#calendar"
        assert link.attrs["hx-swap"] == "outerHTML"
        assert link.attrs["hx-push-url"] == "true"
    views = tree.one("nav", None, aria_label="View").select("a")
    assert [v.text() for v in views] == ["Month", "Week", "Day"]
    assert [v.attrs.get("aria-current") for v in views] == [None, "true", None]


# --- what each viewer sees --------------------------------------------------------------


def test_a_client_sees_free_time_their_own_session_and_others_only_as_busy(app, scene):
    response = signed_in(app, scene.client).get(url(view="week"), headers=HTMX)
    html = response.get_data(as_text=True)
    monday = column(dom(response), MONDAY)
    assert kinds(monday) == [
        ("free", "09:00-10:00 Free"),
        ("own", "10:00-11:00 Coaching confirmed"),
        ("free", "11:00-14:00 Free"),
        ("busy", "14:00-15:00 Busy"),
        ("free", "15:00-17:00 Free"),
    ]
    assert "Olga" not in html and "requested" not in html  # nothing of the other booking
    own = monday.one("li", "cal-own")
    assert own.one("a", "cal-label").attrs["href"] == f"/bookings/{scene.own}"
    legend = dom(response).one("ul", "cal-legend").text()
    assert legend == "Free Your sessions Busy"


def test_the_coach_sees_client_names_and_statuses(app, scene):
    response = signed_in(app, scene.coach).get(url(view="day"), headers=HTMX)
    tree = dom(response)
    assert kinds(column(tree, MONDAY)) == [
        ("free", "09:00-10:00 Free"),
        ("confirmed", "10:00-11:00 Ada Client · Coaching confirmed"),
        ("free", "11:00-14:00 Free"),
        ("pending", "14:00-15:00 Olga <b>Other</b> · Coaching requested"),
        ("free", "15:00-17:00 Free"),
    ]
    html = response.get_data(as_text=True)
    assert "Olga &lt;b&gt;Other&lt;/b&gt;" in html and "<b>Other" not in html
    assert tree.one("a", None, href="/coach/availability").text() == "Edit availability"
    assert not tree.select("a", "cal-start")  # the coach does not book themselves
    assert tree.one("ul", "cal-legend").text() == "Free Requested or awaiting payment Confirmed"


def test_a_signed_out_visitor_sees_free_time_and_busy_blocks(app, scene):
    response = app.test_client().get(url(view="week", tz="Europe/Berlin"), headers=HTMX)
    monday = column(dom(response), MONDAY)
    assert [k for k, _ in kinds(monday)] == ["free", "busy", "free", "busy", "free"]
    assert {t for k, t in kinds(monday) if k == "busy"} == {
        "10:00-11:00 Busy",
        "14:00-15:00 Busy",
    }
    html = response.get_data(as_text=True)
    assert "Ada" not in html and "Olga" not in html and "/bookings/" not in html
    assert not dom(response).select("a", "cal-ask")  # asking for empty time needs a sign-in
    assert "Edit availability" not in html


def test_free_time_carries_its_bookable_starts_as_links_to_the_booking_modal(app, scene):
    response = signed_in(app, scene.client).get(url(view="week", tz="Europe/Berlin"), headers=HTMX)
    monday = column(dom(response), MONDAY)
    morning = monday.select("li", "cal-free")[0]
    (start,) = morning.select("a", "cal-start")  # 09:00 only: 09:15 would run into 10:00
    expected = (
        f"/coaches/dana/book?start={z(local(MONDAY, 9))}&session_type={scene.session_type}"
        "&tz=Europe/Berlin"
    )
    assert start.attrs["href"] == start.attrs["hx-get"] == expected
    assert start.attrs["hx-target"] == "#modal-root" and start.attrs["hx-swap"] == "innerHTML"
    assert start.attrs["aria-label"] == f"Book 09:00 Monday {MONDAY.day} {MONDAY:%B}"
    assert start.text() == "09:00"
    afternoon = [a.text() for a in monday.select("li", "cal-free")[1].select("a", "cal-start")]
    assert afternoon == [
        "11:00",
        "11:15",
        "11:30",
        "11:45",
        "12:00",
        "12:15",
        "12:30",
        "12:45",
        "13:00",
    ]
    # Positions for calendar.js: minutes from local midnight, and within the free block.
    assert (morning.attrs["data-top"], morning.attrs["data-height"]) == ("540", "60")
    assert (start.attrs["data-top"], start.attrs["data-height"]) == ("0", "15")


def test_a_client_may_click_empty_future_time_to_ask_for_it(app, scene):
    response = signed_in(app, scene.client).get(url(view="day", tz="Europe/Berlin"), headers=HTMX)
    cells = column(dom(response), MONDAY).select("a", "cal-ask")
    # The runs of empty time, outside free time and bookings: 00:00-09:00 and 17:00-24:00.
    spans = [(c.attrs["data-start"], c.attrs["data-until"]) for c in cells]
    assert spans == [
        (z(local(MONDAY, 0)), z(local(MONDAY, 9))),
        (z(local(MONDAY, 17)), z(local(MONDAY + timedelta(days=1), 0))),
    ]
    assert [(c.attrs["data-top"], c.attrs["data-height"]) for c in cells] == [
        ("0", "540"),
        ("1020", "420"),
    ]
    first = cells[0]
    assert first.attrs["href"] == (
        f"/coaches/dana/book?start={z(local(MONDAY, 0))}&session_type={scene.session_type}"
        "&tz=Europe/Berlin&outside=1"
    )
    assert (
        first.attrs["aria-label"] == f"Request a session from 00:00 Monday {MONDAY.day} {MONDAY:%B}"
    )
    assert first.attrs["data-mode"] == "request" and first.attrs["tabindex"] == "-1"
    past = signed_in(app, scene.client).get(
        url(view="week", date=(MONDAY - timedelta(weeks=52)).isoformat()), headers=HTMX
    )
    assert not dom(past).select("a", "cal-ask")  # nothing to ask for in the past


def test_the_coach_gets_no_empty_cells_until_the_availability_form_exists(app, scene):
    response = signed_in(app, scene.coach).get(url(view="day"), headers=HTMX)
    has_form = "availability_pages.new_window" in app.view_functions
    cells = dom(response).select("a", "cal-ask")
    assert bool(cells) == has_form
    for cell in cells:
        assert cell.attrs["href"].startswith("/") and "end=" in cell.attrs["href"]
        assert cell.attrs["data-mode"] == "window"


# --- the month ----------------------------------------------------------------------------


def test_the_month_marks_days_with_free_times_and_lists_the_picked_days_starts(app, scene):
    response = app.test_client().get(url(view="month", tz="Europe/Berlin"), headers=HTMX)
    tree = dom(response)
    days = {a.attrs["href"].split("date=")[1].split("&")[0]: a for a in tree.select("a", "cal-day")}
    assert len(days) in (35, 42, 28)
    monday = days[MONDAY.isoformat()]
    assert "has-free" in monday.classes and monday.attrs["aria-current"] == "date"
    assert monday.attrs["aria-label"].endswith(", 15 free times")  # 09:00, 11:00-13:00, 15:00-16:00
    sunday = days[(MONDAY + timedelta(days=6)).isoformat()]
    assert "has-free" not in sunday.classes and sunday.attrs["aria-label"].endswith("no free times")
    assert monday.attrs["hx-get"] == monday.attrs["href"]
    assert monday.attrs["href"] == f"/coaches/dana?view=month&date={MONDAY}&tz=Europe/Berlin"
    listed = tree.one("section", "cal-daylist")
    assert listed.one("h2").text() == f"Monday {MONDAY.day} {MONDAY:%B}"
    times = listed.select("a", "cal-time")
    assert [t.text() for t in times][:3] == ["09:00", "11:00", "11:15"]
    assert times[0].attrs["hx-get"] == (
        f"/coaches/dana/book?start={z(local(MONDAY, 9))}&session_type={scene.session_type}"
        "&tz=Europe/Berlin"
    )
    saturday = MONDAY + timedelta(days=5)
    empty = app.test_client().get(
        url(view="month", date=saturday.isoformat(), tz="Europe/Berlin"), headers=HTMX
    )
    text = dom(empty).one("section", "cal-daylist").text()
    assert "No free times on this day." in text
    if (MONDAY + timedelta(days=7)).month == saturday.month:  # the next Monday
        assert f"Next free day: Monday {(MONDAY + timedelta(days=7)).day}" in text


def test_the_type_filter_lists_the_coachs_active_types_escaped(app, api, scene):
    script = make_session_type(
        app,
        scene.coach,
        name="<script>alert(1)</script>",
        duration_min=30,
        duration_max=30,
        duration_default=30,
    )
    make_session_type(app, scene.coach, name="Paused", active=False)
    response = app.test_client().get(url(view="week", tz="Europe/Berlin"), headers=HTMX)
    html = response.get_data(as_text=True)
    assert "<script>alert(1)" not in html and "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    chips = dom(response).one("nav", "cal-types").select("a")
    assert [c.text() for c in chips] == [
        "All types",
        "Coaching · 60 min",
        "<script>alert(1)</script> · 30 min",
    ]
    assert chips[0].attrs["aria-current"] == "true" and "Paused" not in html
    # Without a filter a start opens the first type that may start there: 16:30 fits only
    # the 30-minute type.
    afternoon = column(dom(response), MONDAY).select("li", "cal-free")[-1]
    links = {a.text(): a.attrs["href"] for a in afternoon.select("a", "cal-start")}
    assert f"session_type={scene.session_type}&" in links["15:00"]
    assert f"session_type={script}&" in links["16:30"]
    filtered = app.test_client().get(
        url(view="week", tz="Europe/Berlin", type=script), headers=HTMX
    )
    afternoon = column(dom(filtered), MONDAY).select("li", "cal-free")[-1]
    assert all(
        f"session_type={script}&" in a.attrs["href"] for a in afternoon.select("a", "cal-start")
    )
    chips = dom(filtered).one("nav", "cal-types").select("a")
    assert [c.attrs.get("aria-current") for c in chips] == [None, None, "true"]
    assert chips[0].attrs["href"] == f"/coaches/dana?view=week&date={MONDAY}&tz=Europe/Berlin"


def test_the_page_keeps_to_the_csp(app, scene):
    for browser in (app.test_client(), signed_in(app, scene.client), signed_in(app, scene.coach)):
        for view in ("month", "week", "day"):
            html = browser.get(url(view=view)).get_data(as_text=True)
            assert not re.search(r"<script(?![^>]*\bsrc=)[^>]*>", html), view
            assert not re.search(r"\sstyle=", html), view
            assert not re.search(r"\shx-on", html), view
