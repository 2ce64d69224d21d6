"""The embeddable calendar (SPEC 11): ``/embed/<slug>`` as a visitor's browser gets it in
a frame on a coach's site: who may frame it, what it shows without any cookie, where its
times lead, and the answers to bad input; and the script it is embedded with."""

from __future__ import annotations

import re
from datetime import UTC
from html import unescape
from urllib.parse import parse_qs, urlsplit

import pytest

from tests.api.booking_setup import at, booked, make_scene
from tests.api.scheduling import MONDAY
from tests.factories import make_coach, make_session_type, user_row
from tests.helpers import csrf_token, web_login

SITE = "https://coach.example.com"
ZONE = "Europe/Berlin"


def embed_path(slug: str, **query) -> str:
    query = {"date": MONDAY.isoformat(), "tz": ZONE} | query
    return f"/embed/{slug}?" + "&".join(f"{k}={v}" for k, v in query.items() if v is not None)


def frame_ancestors(response) -> list[str]:
    policy = response.headers["Content-Security-Policy"]
    [directive] = [d.strip() for d in policy.split(";") if d.strip().startswith("frame-ancestors")]
    return directive.split()[1:]


def time_links(html: str) -> list[dict]:
    """Each bookable time: its text, where it leads and how it opens."""
    found = []
    for tag, text in re.findall(r'(<a class="cal-time[^"]*"[^>]*>)([^<]*)</a>', html):
        attrs = dict(re.findall(r'(\w[\w-]*)="([^"]*)"', tag))
        found.append({"text": text, **{k: unescape(v) for k, v in attrs.items()}})
    return found


@pytest.fixture
def scene(app, api):
    return make_scene(app, api, coach_fields={"embed_domains": [SITE]})


def test_a_public_calendar_shows_its_free_times_to_a_visitor_without_cookies(app, scene, client):
    response = client.get(embed_path(scene.coach.slug))

    assert response.status_code == 200
    assert "Set-Cookie" not in response.headers
    html = response.get_data(as_text=True)
    assert scene.coach.name in html
    links = time_links(html)
    # Monday 09:00-17:00 Berlin, 60-minute sessions: the first start is 09:00.
    assert links and links[0]["text"] == "09:00"
    first = links[0]
    assert first["target"] == "_blank" and "noopener" in first["rel"]
    url = urlsplit(first["href"])
    assert url.path == f"/coaches/{scene.coach.slug}/book"
    query = parse_qs(url.query)
    assert query["start"] == [at(9).astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")]
    assert query["session_type"] == [str(scene.session_type)]
    assert query["tz"] == [ZONE]


def test_a_taken_time_is_not_offered(app, api, scene, client):
    booked(api, scene, at(10))

    texts = [link["text"] for link in time_links(client.get(embed_path(scene.coach.slug)).text)]

    assert "09:00" in texts and "11:00" in texts
    assert "10:00" not in texts


def test_the_page_may_be_framed_by_the_coachs_sites_and_this_site_only(scene, client):
    response = client.get(embed_path(scene.coach.slug))

    assert frame_ancestors(response) == ["'self'", SITE]
    assert "X-Frame-Options" not in response.headers


def test_other_pages_still_may_not_be_framed(scene, client):
    response = client.get(f"/coaches/{scene.coach.slug}")

    assert frame_ancestors(response) == ["'none'"]
    assert response.headers["X-Frame-Options"] == "DENY"


def test_the_host_origin_gets_the_height_only_if_the_coach_allows_it(scene, client):
    allowed = client.get(embed_path(scene.coach.slug, origin=SITE)).text
    foreign = client.get(embed_path(scene.coach.slug, origin="https://evil.example")).text
    broken = client.get(embed_path(scene.coach.slug, origin="javascript:alert(1)")).text

    assert f'data-host-origin="{SITE}"' in allowed
    for html in (foreign, broken):
        assert "data-host-origin" not in html


def test_navigation_inside_the_frame_keeps_the_theme_and_the_host(scene, client):
    html = client.get(embed_path(scene.coach.slug, origin=SITE, theme="dark")).text

    assert '<html lang="en" data-theme="dark"' in html
    nav = re.search(r'href="([^"]+)" aria-label="Next month"', html).group(1)
    query = parse_qs(urlsplit(unescape(nav)).query)
    assert urlsplit(unescape(nav)).path == f"/embed/{scene.coach.slug}"
    assert query["theme"] == ["dark"] and query["origin"] == [SITE]
    assert query["view"] == ["month"] and query["tz"] == [ZONE]


def test_week_view_lists_each_day_with_its_times(scene, client):
    html = client.get(embed_path(scene.coach.slug, view="week")).text

    days = re.findall(r'<section class="embed-day" aria-label="Start times on ([^"]+)">', html)
    assert len(days) == 7
    assert [link["text"] for link in time_links(html)][:2] == ["09:00", "09:15"]


def test_a_signed_in_visitor_sees_the_same_public_page(app, scene, client):
    anonymous = time_links(client.get(embed_path(scene.coach.slug)).text)
    web_login(client, scene.client.email, scene.client.password)

    signed_in = time_links(client.get(embed_path(scene.coach.slug)).text)

    assert signed_in == anonymous


@pytest.mark.parametrize("privacy", ["connected", "private"])
def test_a_calendar_that_is_not_public_is_not_embeddable(app, client, privacy):
    coach = make_coach(app, calendar_privacy=privacy, embed_domains=[SITE])
    make_session_type(app, coach)

    response = client.get(embed_path(coach.slug))
    unknown = client.get(embed_path("no-such-coach"))

    assert response.status_code == 404
    assert "not public" in response.text
    assert coach.name not in response.text
    # Exactly the answer for an unknown address: nothing tells the two apart.
    assert unknown.status_code == 404 and unknown.text == response.text
    assert frame_ancestors(response) == ["*"]  # the message shows in the host's frame


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ({"view": "year"}, "Choose the month, week or day view."),
        ({"date": "2027-13-45"}, "Give the date as YYYY-MM-DD"),
        ({"tz": "Mars/Olympus"}, "Unknown time zone"),
        ({"type": "abc"}, None),
        ({"theme": "<script>alert(1)</script>"}, "Choose the theme light, dark or auto."),
    ],
)
def test_bad_options_get_a_clear_message_in_the_frame(scene, client, query, message):
    response = client.get(embed_path(scene.coach.slug, **query))

    assert response.status_code == 400
    assert 'class="notice info embed-message"' in response.text
    if message:
        assert message in response.text
    assert "<script>alert(1)</script>" not in response.text
    assert frame_ancestors(response) == ["'self'", SITE]


@pytest.mark.parametrize("slug", ["..", "%2E%2E", "a" * 300, "<b>x</b>", "%00"])
def test_hostile_addresses_get_the_not_found_message(client, slug):
    response = client.get(f"/embed/{slug}")

    assert response.status_code in (400, 404)
    assert "<b>x</b>" not in response.text


def test_hostile_values_are_escaped_in_the_page(app, api, client):
    scene = make_scene(
        app, api, coach_fields={"name": '<img src=x onerror="alert(1)">'}, name="<b>Deep</b>"
    )
    html = client.get(embed_path(scene.coach.slug)).text

    assert "<img src=x" not in html and "&lt;img src=x" in html


# --- the settings card -----------------------------------------------------------------


def settings_browser(app, person):
    browser = app.test_client()
    assert web_login(browser, person.email, person.password).status_code == 302
    return browser


def post_embed(browser, domains: str, **kwargs):
    token = csrf_token(browser, "/settings")
    return browser.post(
        "/settings/embed", data={"embed_domains": domains, "csrf_token": token}, **kwargs
    )


def test_the_settings_card_gives_the_snippet_and_a_preview(app, scene):
    page = settings_browser(app, scene.coach).get("/settings").text

    base = app.config["BASE_URL"].rstrip("/")
    snippet = f'&lt;script src="{base}/static/embed.js" data-coach="{scene.coach.slug}" async&gt;'
    assert snippet in page
    assert 'data-embed-preview data-src="/static/embed.js"' in page
    assert f"{SITE}</textarea>" in page
    assert 'id="embed-not-public"' not in page


def test_the_card_says_when_the_calendar_is_not_public(app):
    coach = make_coach(app, calendar_privacy="connected")

    page = settings_browser(app, coach).get("/settings").text

    assert "Only a public calendar can be embedded, and yours is connected" in page
    assert "data-embed-preview" not in page  # it would only show the refusal


def test_a_coach_sets_the_websites_that_may_embed(app, scene, client):
    browser = settings_browser(app, scene.coach)

    response = post_embed(browser, "HTTPS://Shop.Example.com:443/\n\nhttp://localhost:8080\n")

    assert response.status_code == 302
    assert "Embed settings saved." in browser.get("/settings").text
    stored = user_row(app, scene.coach)["embed_domains"]
    assert stored == ["http://localhost:8080", "https://shop.example.com"]
    ancestors = frame_ancestors(client.get(embed_path(scene.coach.slug)))
    assert ancestors == ["'self'", "http://localhost:8080", "https://shop.example.com"]


def test_saving_with_htmx_swaps_the_card(app, scene):
    browser = settings_browser(app, scene.coach)

    response = post_embed(browser, "https://new.example.com", headers={"HX-Request": "true"})

    assert response.status_code == 200
    html = response.text
    assert html.lstrip().startswith('<section class="card" id="settings-embed"')
    assert "https://new.example.com</textarea>" in html


@pytest.mark.parametrize(
    ("domains", "message"),
    [
        ("https://ok.example.com\nftp://files.example.com",
         "ftp://files.example.com: must be an origin such as https://coach.example.com"),
        ("https://a.example.com/path",
         "https://a.example.com/path: must be an origin such as https://coach.example.com"),
        ("*", "*: must be an origin such as https://coach.example.com"),
        ("\n".join(f"https://s{n}.example.com" for n in range(21)),
         "Longer than maximum length 20."),
    ],
)  # fmt: skip
def test_bad_websites_are_refused_next_to_the_field_and_nothing_changes(
    app, scene, domains, message
):
    browser = settings_browser(app, scene.coach)
    before = user_row(app, scene.coach)

    response = post_embed(browser, domains)

    assert response.status_code == 400
    assert "<html" in response.text
    found = re.search(r'<p class="field-error" id="embed_domains-error">(.*?)</p>', response.text)
    assert found and message in unescape(found.group(1))
    assert user_row(app, scene.coach) == before


def test_a_client_has_no_embed_card_and_may_not_post_it(app, scene):
    browser = settings_browser(app, scene.client)

    assert 'id="settings-embed"' not in browser.get("/settings").text
    assert post_embed(browser, SITE).status_code == 403
    assert user_row(app, scene.client)["embed_domains"] == []
