"""The embeddable calendar in a real browser, on a coach's own website: a host page served
from another site (``http://localhost:<port>``, while the platform is
``http://127.0.0.1:<port>``) with the ``static/embed.js`` snippet, visited by a browser
that blocks third-party cookies (a chromium profile with that setting; a control test
shows the same probe cookie reaching the frame when the setting allows it).

The frame shows the free times without any cookie and grows to its content; a time opens
the booking page in a new tab, where the visitor signs in and books; a site the coach did
not list cannot frame the calendar; the popup opens and closes (Escape inside the frame,
the Close button) and gives the focus back; messages from anything but the platform's own
frame are ignored; hostile snippet values inject nothing. The embed page itself passes
axe and fits 375 px.
"""

from __future__ import annotations

import json
import re
import threading
import time
from dataclasses import dataclass, field
from datetime import datetime
from html import escape
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit

import pytest
from playwright.sync_api import expect

from extensions import db
from models import Booking
from tests.api.booking_setup import at, make_scene
from tests.api.scheduling import BERLIN, MONDAY, z
from tests.browser.conftest import Web

ZONE = "Europe/Berlin"
VIEWPORT = {"width": 1100, "height": 900}
FIRST_HEIGHT = 640  # the frame's height before it tells its own (static/embed.js)
OTHER_SITE = "https://coach.example.com"  # a site of the coach's that is not the host
# Chromium's cookie setting "block third-party cookies" (chrome://settings/cookies).
BLOCK_THIRD_PARTY, ALLOW_THIRD_PARTY = 1, 0
# Why chromium keeps a cookie from a third-party request (CDP Network.CookieBlockedReason).
THIRD_PARTY_REASONS = {"UserPreferences", "ThirdPartyPhaseout", "ThirdPartyBlockedInFirstPartySet"}
MONDAY_LABEL = f"{MONDAY:%A} {MONDAY.day} {MONDAY:%B}"  # "Monday 18 January"
FIRST_TIME = re.compile(r"^Book 09:00 ")


# -- the coach's website ---------------------------------------------------------------


class HostSite:
    """A tiny website of its own (http.server in a thread): the pages a test puts on it."""

    def __init__(self) -> None:
        self.pages: dict[str, str] = {}
        site = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args):
                pass

            def do_GET(self):
                html = site.pages.get(urlsplit(self.path).path)
                body = (html or "<!doctype html><title>Not found</title>").encode()
                self.send_response(200 if html is not None else 404)
                self.send_header("Content-Type", "text/html; charset=utf-8")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.port = self.server.server_address[1]
        # Another host name than the platform's 127.0.0.1: another site for cookies.
        self.origin = f"http://localhost:{self.port}"
        # The same server under the platform's host name: another origin, same site.
        self.third_origin = f"http://127.0.0.1:{self.port}"

    def put(self, path: str, body: str, title: str = "Jane's coaching") -> str:
        self.pages[path] = (
            '<!doctype html>\n<html lang="en"><head><meta charset="utf-8">'
            f'<title>{escape(title)}</title><link rel="icon" href="data:,">'
            "<style>body { font: 16px/1.5 system-ui, sans-serif; max-width: 960px;"
            " margin: 2rem auto; padding: 0 1rem; }</style></head>\n"
            f"<body>\n{body}\n</body></html>"
        )
        return self.origin + path


def snippet(platform: str, coach: str, **data: str) -> str:
    """The script tag a coach copies into their site (``data_mode="popup"`` → data-mode)."""
    attrs = {"data-coach": coach} | {f"data-{k.replace('_', '-')}": v for k, v in data.items()}
    written = "".join(f' {name}="{escape(value)}"' for name, value in attrs.items())
    return f'<script src="{platform}/static/embed.js"{written} async></script>'


def coach_page(platform: str, slug: str, **data: str) -> str:
    return (
        "<h1>Jane's coaching</h1>\n"
        "<p>Leadership and career coaching, online or in Berlin. Pick a time below.</p>\n"
        f"{snippet(platform, slug, **data)}\n"
        "<p>Questions? Write to jane@example.com.</p>"
    )


@pytest.fixture
def host_site():
    site = HostSite()
    thread = threading.Thread(
        target=site.server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
    )
    thread.start()
    yield site
    site.server.shutdown()
    site.server.server_close()


@pytest.fixture
def scene(app, api, host_site):
    """A public coach whose site is the host site, with Monday 09:00-17:00 free."""
    return make_scene(
        app, api, coach_fields={"name": "Jane Coach", "embed_domains": [host_site.origin]}
    )


# -- the visitor's browser --------------------------------------------------------------


@dataclass
class Visitor:
    """A browser profile of its own (chromium's cookie setting lives in the profile), what
    went wrong in any of its tabs and frames, and the errors a test expects."""

    context: object
    platform: str
    console_errors: list[str] = field(default_factory=list)
    foreign_requests: list[str] = field(default_factory=list)
    expected_errors: list[re.Pattern] = field(default_factory=list)

    @property
    def page(self):
        return self.context.pages[0]

    def web(self, page=None) -> Web:
        """The shared helpers (sign in, screenshot) for one of this browser's tabs."""
        return Web(page or self.page, self.platform)

    def expect_error(self, pattern: str) -> None:
        self.expected_errors.append(re.compile(pattern))

    def unexpected_errors(self) -> list[str]:
        return [
            e for e in self.console_errors if not any(p.search(e) for p in self.expected_errors)
        ]


@pytest.fixture
def browse(browser_type, browser_type_launch_args, served, host_site, tmp_path):
    """``browse(block_third_party=True)``: a fresh chromium profile with that cookie
    setting. Fails the test on a console error nobody expected and on a request to any
    other host than the platform and the host site."""
    host, port = served
    platform = f"http://{host}:{port}"
    opened: list[Visitor] = []

    def open_browser(block_third_party: bool = True) -> Visitor:
        profile = tmp_path / f"profile-{len(opened)}"
        (profile / "Default").mkdir(parents=True)
        mode = BLOCK_THIRD_PARTY if block_third_party else ALLOW_THIRD_PARTY
        prefs = {
            "profile": {
                "cookie_controls_mode": mode,
                "block_third_party_cookies": block_third_party,
            }
        }
        (profile / "Default" / "Preferences").write_text(json.dumps(prefs))
        context = browser_type.launch_persistent_context(
            str(profile),
            **browser_type_launch_args,
            viewport=VIEWPORT,
            locale="en-GB",
            timezone_id=ZONE,
        )
        context.set_default_timeout(10_000)
        visitor = Visitor(context, platform)
        allowed = (platform, host_site.origin, host_site.third_origin, "data:", "about:", "blob:")
        context.on(
            "console",
            lambda message: (
                message.type == "error"
                and visitor.console_errors.append(
                    f"{message.text} @ {message.page.url if message.page else '?'}"
                )
            ),
        )
        context.on("weberror", lambda error: visitor.console_errors.append(str(error.error)))
        context.on(
            "request",
            lambda request: (
                not request.url.startswith(allowed) and visitor.foreign_requests.append(request.url)
            ),
        )
        opened.append(visitor)
        return visitor

    yield open_browser
    for visitor in opened:
        visitor.context.close()
    for visitor in opened:
        assert not visitor.unexpected_errors(), visitor.console_errors
        assert not visitor.foreign_requests, visitor.foreign_requests


# -- looking into the frame -------------------------------------------------------------


def eventually(page, check, what, timeout: float = 5.0):
    """Wait until ``check()`` gives something true; that value. Waits with the page, so
    Playwright keeps handling the browser's events meanwhile. ``what`` (a text, or a
    function giving one) says what never happened."""
    deadline = time.monotonic() + timeout
    while True:
        value = check()
        if value:
            return value
        assert time.monotonic() < deadline, f"never: {what() if callable(what) else what}"
        page.wait_for_timeout(50)


def frame_of(page, selector: str = "iframe"):
    """The Frame of the page's iframe (for evaluate; locators use frame_locator)."""
    return page.locator(selector).element_handle().content_frame()


def sizes(page) -> dict:
    """The iframe's height on the host page and its document's, measured inside."""
    outer = page.locator("iframe").evaluate(
        "f => ({style: f.style.height, client: f.clientHeight})"
    )
    inner = frame_of(page).evaluate(
        """() => {
            const body = document.body, style = getComputedStyle(body);
            return {
                content: Math.ceil(
                    body.getBoundingClientRect().bottom + parseFloat(style.marginBottom)
                ),
                scroll: document.documentElement.scrollHeight,
            };
        }"""
    )
    return outer | inner


def fits(page) -> dict | None:
    """The sizes once the iframe has grown or shrunk to its content, else None."""
    now = sizes(page)
    changed = now["style"] != f"{FIRST_HEIGHT}px"
    return now if changed and abs(now["client"] - now["content"]) <= 2 else None


def settle(page) -> None:
    """Two animation frames in the frame and on the host page: the frame's new height is
    drawn (a screenshot taken sooner may show the frame's previous size)."""
    two_frames = "() => new Promise(r => requestAnimationFrame(() => requestAnimationFrame(r)))"
    frame_of(page).evaluate(two_frames)
    page.evaluate(two_frames)


def month_of(day) -> int:
    return day.year * 12 + day.month


def open_monday(page):
    """In the frame: step month by month to MONDAY's month, then pick the day. The frame
    opens on today; MONDAY is six weeks or more ahead."""
    frame = page.frame_locator("iframe")
    caption = frame.locator("table.cal-month caption")
    today = datetime.now(BERLIN).date()
    expect(caption).to_contain_text(f"{today:%B %Y}")
    for _ in range(month_of(MONDAY) - month_of(today)):
        shown = caption.text_content()
        frame.get_by_role("link", name="Next month").click()
        expect(caption).not_to_have_text(shown)
    expect(caption).to_contain_text(f"{MONDAY:%B %Y}")
    frame.locator("table.cal-month").get_by_role(
        "link", name=re.compile("^" + MONDAY_LABEL)
    ).click()
    expect(frame.get_by_role("heading", level=2, name=MONDAY_LABEL)).to_be_visible()
    return frame


def booking_query(url: str) -> dict:
    parts = urlsplit(url)
    return {"path": parts.path, **{k: v[0] for k, v in parse_qs(parts.query).items()}}


def bookings(app) -> list[tuple]:
    """(client id, start, status) of every booking stored."""
    with app.app_context():
        query = db.select(Booking.client_id, Booking.start_at, Booking.status)
        return [tuple(row) for row in db.session.execute(query)]


# -- cookies and messages ------------------------------------------------------------


def add_probe_cookie(visitor: Visitor) -> None:
    """A cookie of the platform's that no SameSite rule holds back from a frame
    (SameSite=None; Secure, which chromium keeps for http://127.0.0.1 too): only the
    third-party cookie setting can keep it out. Not HttpOnly: scripts in the frame would
    read it."""
    cookie = {"name": "probe", "value": "1", "domain": "127.0.0.1", "path": "/"}
    visitor.context.add_cookies([cookie | {"sameSite": "None", "secure": True}])


def watch_frame_cookies(visitor: Visitor):
    """The requests for the embed page, and for each cookie chromium kept from one of
    them, why (CDP: Network.requestWillBeSentExtraInfo)."""
    requests: list = []
    visitor.context.on("request", lambda r: "/embed/" in r.url and requests.append(r))
    blocked: dict[str, list[str]] = {}
    cdp = visitor.context.new_cdp_session(visitor.page)
    cdp.send("Network.enable")

    def extra_info(event):
        for item in event.get("associatedCookies", []):
            if item.get("blockedReasons"):
                blocked[item["cookie"]["name"]] = item["blockedReasons"]

    cdp.on("Network.requestWillBeSentExtraInfo", extra_info)
    return requests, blocked


def record_messages(page) -> None:
    """On the host page: every message it gets, with its origin and who sent it (the
    page itself, "self", or the id of its iframe: "" for the one embed.js made)."""
    page.evaluate(
        """() => {
            window.__messages = [];
            addEventListener("message", (event) => {
                const frames = [...document.querySelectorAll("iframe")];
                const frame = frames.find((f) => f.contentWindow === event.source);
                window.__messages.push({
                    type: event.data && event.data.type,
                    origin: event.origin,
                    from: event.source === window ? "self" : frame ? frame.id : "?",
                });
            });
        }"""
    )


def messages(page) -> list[dict]:
    return page.evaluate("window.__messages")


# -- the tests --------------------------------------------------------------------------


def test_a_signed_in_visitor_blocking_third_party_cookies_sees_the_calendar_without_cookies(
    app, scene, browse, host_site
):
    visitor = browse(block_third_party=True)
    page = visitor.page
    # Signed in on the platform at top level: the session cookie is there to be sent...
    visitor.web().sign_in(scene.client)
    # ...and one that only the third-party setting can keep from the frame.
    add_probe_cookie(visitor)
    frame_requests, blocked = watch_frame_cookies(visitor)

    page.goto(host_site.put("/", coach_page(visitor.platform, scene.coach.slug)))

    frame = page.frame_locator("iframe")
    expect(frame.get_by_role("heading", level=1, name="Jane Coach")).to_be_visible()
    [request] = eventually(page, lambda: frame_requests, "the frame's page was requested")
    assert "cookie" not in request.all_headers()
    probe = eventually(page, lambda: blocked.get("probe"), "chromium said why the probe stayed")
    assert set(probe) & THIRD_PARTY_REASONS, probe
    assert frame_of(page).evaluate("document.cookie") == ""
    query = booking_query(request.url)
    assert query["origin"] == host_site.origin and query["tz"] == ZONE

    # The booking page opens at top level, where the cookie is first-party: signed in.
    open_monday(page)
    with visitor.context.expect_page() as opened:
        frame.get_by_role("link", name=FIRST_TIME).click()
    tab = opened.value
    expect(tab.get_by_role("heading", level=1, name="Book Jane Coach")).to_be_visible()
    expect(tab.get_by_label("Start time")).to_have_value(z(at(9)))


def test_the_cookie_probe_does_reach_the_frame_when_third_party_cookies_are_allowed(
    app, scene, browse, host_site
):
    """The control for the test above: the same probe, another setting, and it is sent."""
    visitor = browse(block_third_party=False)
    add_probe_cookie(visitor)
    frame_requests, _blocked = watch_frame_cookies(visitor)
    page = visitor.page

    page.goto(host_site.put("/", coach_page(visitor.platform, scene.coach.slug)))

    expect(page.frame_locator("iframe").get_by_role("heading", name="Jane Coach")).to_be_visible()
    [request] = eventually(page, lambda: frame_requests, "the frame's page was requested")
    assert request.all_headers().get("cookie") == "probe=1"


def test_a_visitor_picks_a_time_in_the_frame_signs_in_in_a_new_tab_and_books(
    app, scene, browse, host_site
):
    visitor = browse()
    page = visitor.page
    page.goto(host_site.put("/", coach_page(visitor.platform, scene.coach.slug)))
    expect(page.get_by_role("heading", level=1, name="Jane's coaching")).to_be_visible()
    iframe = page.locator("iframe")
    expect(iframe).to_have_attribute("title", f"Book a session with {scene.coach.slug}")

    frame = open_monday(page)
    first = frame.get_by_role("link", name=FIRST_TIME).first
    expect(first).to_have_text("09:00")
    # The frame is as tall as its calendar: no scrollbar inside, no gap below.
    fitted = eventually(page, lambda: fits(page), lambda: f"the frame fits: {sizes(page)}")
    assert fitted["scroll"] <= fitted["client"] + 2, fitted
    settle(page)
    visitor.web().screenshot("embed")

    with visitor.context.expect_page() as opened:
        first.click()
    tab = opened.value
    tab.set_default_timeout(10_000)
    tab.wait_for_load_state()
    assert booking_query(tab.url) == {
        "path": f"/coaches/{scene.coach.slug}/book",
        "start": z(at(9)),
        "session_type": str(scene.session_type),
        "tz": ZONE,
    }
    assert page.url.startswith(host_site.origin)  # the coach's page stays open behind it
    booking = tab.locator("#booking-content")
    expect(tab.get_by_role("heading", level=1, name="Sign in to book")).to_be_visible()
    expect(booking).to_contain_text("Jane Coach")
    expect(booking).to_contain_text("09:00")

    booking.get_by_role("link", name="Sign in").click()
    tab.get_by_label("E-mail").fill(scene.client.email)
    tab.get_by_label("Password").fill(scene.client.password)
    tab.get_by_role("button", name="Sign in").click()

    expect(tab.get_by_role("heading", level=1, name="Book Jane Coach")).to_be_visible()
    assert urlsplit(tab.url).path == f"/coaches/{scene.coach.slug}/book"
    expect(tab.get_by_label("Start time")).to_have_value(z(at(9)))
    tab.get_by_role("button", name="Confirm booking").click()
    expect(tab.get_by_role("heading", name="You're booked")).to_be_visible()
    assert bookings(app) == [(scene.client.id, at(9), "confirmed")]


def test_a_site_the_coach_did_not_list_cannot_frame_the_calendar(app, api, browse, host_site):
    scene = make_scene(app, api, coach_fields={"name": "Jane Coach", "embed_domains": [OTHER_SITE]})
    visitor = browse()
    visitor.expect_error(
        r"^Framing 'http://127\.0\.0\.1:\d+/' violates the following Content Security "
        r"Policy directive: \"frame-ancestors 'self' "
        + re.escape(OTHER_SITE)
        + r'"\. The request has been blocked\.'
    )
    page = visitor.page

    page.goto(host_site.put("/", coach_page(visitor.platform, scene.coach.slug)))

    expect(page.get_by_role("heading", level=1, name="Jane's coaching")).to_be_visible()
    refused = eventually(
        page,
        lambda: [e for e in visitor.console_errors if "frame-ancestors" in e],
        "chromium reported the frame-ancestors refusal",
    )
    assert len(refused) == 1, refused
    # Chromium puts its error page in the frame instead.
    assert frame_of(page).url in ("about:blank", "chrome-error://chromewebdata/")
    assert page.frame_locator("iframe").locator(".cal-time").count() == 0
    assert page.locator("iframe").evaluate("f => f.style.height") == f"{FIRST_HEIGHT}px"


def test_the_popup_opens_the_calendar_and_escape_in_the_frame_or_the_close_button_shut_it(
    app, scene, browse, host_site
):
    visitor = browse()
    page = visitor.page
    page.goto(
        host_site.put(
            "/",
            coach_page(
                visitor.platform, scene.coach.slug, mode="popup", button_text="See my free times"
            ),
        )
    )
    record_messages(page)
    button = page.get_by_role("button", name="See my free times")
    expect(page.locator("iframe")).to_have_count(0)  # nothing framed until it is asked for

    button.click()
    assert page.evaluate("document.documentElement.style.overflow") == "hidden"
    dialog = page.get_by_role("dialog", name="See my free times")
    expect(dialog).to_be_visible()
    frame = page.frame_locator("dialog iframe")
    expect(frame.get_by_role("heading", level=1, name="Jane Coach")).to_be_visible()
    # The frame's script has run once it has told its height: only then does it listen.
    eventually(
        page,
        lambda: "coachbook:height" in [m["type"] for m in messages(page)],
        "the frame reports its height",
    )
    frame.get_by_role("link", name="Today", exact=True).focus()  # the focus is inside the frame now
    assert page.evaluate("document.activeElement.tagName") == "IFRAME"
    page.keyboard.press("Escape")

    expect(dialog).to_be_hidden()
    expect(button).to_be_focused()
    assert "coachbook:close" in [m["type"] for m in messages(page)]

    button.click()
    expect(dialog).to_be_visible()
    expect(frame.get_by_role("heading", level=1, name="Jane Coach")).to_be_visible()
    dialog.get_by_role("button", name="Close").click()
    expect(dialog).to_be_hidden()
    expect(button).to_be_focused()
    # The page scrolls again (set back by the dialog's close event, which comes a task later).
    eventually(
        page,
        lambda: page.evaluate("document.documentElement.style.overflow") == "",
        "the host page scrolls again",
    )


def test_messages_from_anything_but_the_platforms_own_frame_are_ignored(
    app, scene, browse, host_site
):
    visitor = browse()
    page = visitor.page
    forged = "<script>parent.postMessage({type: 'coachbook:height', height: 5}, '*')</script>"
    host_site.put("/forger", forged, title="Forger")
    # A frame of the platform's own page that the script did not make: the right origin,
    # the wrong window. It posts its own height (its week view's, not the month's).
    stray = f"{visitor.platform}/embed/{scene.coach.slug}?view=week&origin={host_site.origin}"
    page.goto(host_site.put("/", coach_page(visitor.platform, scene.coach.slug)))
    fitted = eventually(page, lambda: fits(page), "the frame fits its content")
    record_messages(page)

    page.evaluate("window.postMessage({type: 'coachbook:height', height: 5}, '*')")
    page.evaluate(
        """([third, stray]) => {
            for (const [id, src] of [["forger", third + "/forger"], ["stray", stray]]) {
                const frame = document.createElement("iframe");
                frame.id = id;
                frame.src = src;
                document.body.append(frame);
            }
        }""",
        [host_site.third_origin, stray],
    )

    expected = {
        ("self", host_site.origin),
        ("forger", host_site.third_origin),
        ("stray", visitor.platform),
    }
    eventually(
        page,
        lambda: {(m["from"], m["origin"]) for m in messages(page)} >= expected,
        lambda: f"the host page got a height from each sender: {messages(page)}",
    )
    page.wait_for_timeout(200)  # the script would have acted by now
    assert page.locator("iframe").first.evaluate("f => f.style.height") == fitted["style"]


def test_hostile_snippet_values_inject_nothing_and_the_frame_says_what_is_wrong(
    app, scene, browse, host_site
):
    visitor = browse()
    page = visitor.page
    alerts = []
    page.on("dialog", lambda dialog: (alerts.append(dialog.message), dialog.dismiss()))
    # The frames' answers are a 404 (no such coach) and a 400 (no such theme), each with
    # its message page; chromium logs both statuses on the host page.
    visitor.expect_error(r"^Failed to load resource: .* status of 404 \(NOT FOUND\) @ ")
    visitor.expect_error(r"^Failed to load resource: .* status of 400 \(BAD REQUEST\) @ ")
    platform = visitor.platform
    hostile = '"><img src=x onerror=alert(1)>'
    body = "\n".join(
        (
            "<h1>Jane's coaching</h1>",
            f'<div id="first">{snippet(platform, hostile, theme="<script>")}</div>',
            f'<div id="second">{snippet(platform, scene.coach.slug, theme="<script>")}</div>',
        )
    )
    page.goto(host_site.put("/", body))

    first = page.frame_locator("#first iframe")
    second = page.frame_locator("#second iframe")
    expect(first.get_by_role("status")).to_contain_text("This calendar cannot be shown here.")
    expect(second.get_by_role("status")).to_have_text("Choose the theme light, dark or auto.")
    # One frame per tag, right after it, and nothing else on the page.
    tags = page.evaluate("[...document.body.querySelectorAll('*')].map(e => e.tagName)")
    assert tags == ["H1", "DIV", "SCRIPT", "IFRAME", "DIV", "SCRIPT", "IFRAME"]
    assert page.locator("#first iframe").get_attribute("title") == f"Book a session with {hostile}"
    path = urlsplit(frame_of(page, "#first iframe").url).path
    assert path == "/embed/%22%3E%3Cimg%20src%3Dx%20onerror%3Dalert(1)%3E"
    page.wait_for_timeout(200)
    assert alerts == []


@pytest.mark.parametrize("theme", ["light", "dark"])
def test_the_embed_page_passes_axe_and_fits_a_phone(app, scene, web, theme):
    page = web.page
    web.goto(f"/embed/{scene.coach.slug}?date={MONDAY.isoformat()}&tz={ZONE}&theme={theme}")

    expect(page.get_by_role("heading", level=2, name=MONDAY_LABEL)).to_be_visible()
    expect(page.get_by_role("link", name=FIRST_TIME)).to_have_text("09:00")
    web.check_accessibility(f"embed page, {theme}")
    web.check_narrow(f"embed page, {theme}")
    web.goto(
        f"/embed/{scene.coach.slug}?date={MONDAY.isoformat()}&tz={ZONE}&theme={theme}&view=week"
    )
    expect(page.get_by_role("link", name=FIRST_TIME)).to_have_text("09:00")
    web.check_accessibility(f"embed week, {theme}")
    web.check_narrow(f"embed week, {theme}")
