"""The layout every page shares: navigation by role, the bell's unread count, toasts from
one place, errors for htmx as a toast with nothing swapped, the viewer's zone and clock,
and pages that keep to the CSP (no inline script or style)."""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime

import pytest
from flask import make_response

from blueprints import toasts, viewer
from extensions import db
from models import Notification
from tests.factories import make_client, make_coach
from tests.helpers import web_login

HTMX = {"HX-Request": "true"}


def signed_in(app, person):
    browser = app.test_client()
    assert web_login(browser, person.email, person.password).status_code == 302
    return browser


def test_a_coach_and_a_client_see_their_own_navigation(app):
    coach_html = signed_in(app, make_coach(app)).get("/dashboard").get_data(as_text=True)
    client_html = signed_in(app, make_client(app)).get("/dashboard").get_data(as_text=True)
    for link in ("/coach/availability", "/coach/session-types", "/coach/coupons", "/settings"):
        assert f'href="{link}"' in coach_html
    assert 'href="/coach/availability"' not in client_html
    assert 'href="/settings"' in client_html
    assert 'aria-current="page"' in client_html  # the dashboard link marks where we are


def test_the_bell_counts_unread_notifications_on_every_page(app):
    person = make_client(app)
    with app.app_context():
        for n in range(3):
            db.session.add(Notification(user_id=person.id, kind="test", title=f"N{n}"))
        db.session.add(
            Notification(user_id=person.id, kind="test", title="old", read_at=datetime.now(UTC))
        )
        db.session.commit()
    browser = signed_in(app, person)
    for path in ("/", "/dashboard"):
        html = browser.get(path).get_data(as_text=True)
        assert 'aria-label="Notifications, 3 unread"' in html, path
        assert re.search(r'id="unread-count">3<', html), path


def test_a_flash_shows_as_a_toast_on_the_next_page(app):
    browser = app.test_client()
    person = make_client(app)
    response = web_login(browser, person.email, person.password)
    html = browser.get(response.headers["Location"]).get_data(as_text=True)
    assert re.search(r'class="toast toast-success" role="status"><p>Signed in as ', html)


def test_an_htmx_error_is_a_toast_and_swaps_nothing(app):
    response = app.test_client().get("/coaches/nobody-here", headers=HTMX)
    assert response.status_code == 404
    assert response.headers["HX-Reswap"] == "none"
    assert response.get_data() == b""
    trigger = json.loads(response.headers["HX-Trigger"])
    assert trigger == {
        "toast": {"items": [{"message": "There is nothing here.", "level": "error"}]}
    }


def test_a_toast_joins_the_triggers_a_view_already_set(app):
    with app.test_request_context("/", headers=HTMX):
        toasts.toast("Booked.")
        toasts.toast("Mind the time.", "info")
        response = make_response("ok")
        response.headers["HX-Trigger"] = json.dumps({"calendar-changed": True})
        response = toasts._add_trigger_header(response)
    assert json.loads(response.headers["HX-Trigger"]) == {
        "calendar-changed": True,
        "toast": {
            "items": [
                {"message": "Booked.", "level": "success"},
                {"message": "Mind the time.", "level": "info"},
            ]
        },
    }


def test_without_htmx_a_toast_is_flashed(app):
    with app.test_request_context("/"):
        from flask import get_flashed_messages

        toasts.toast("Saved.")
        assert get_flashed_messages(with_categories=True) == [("success", "Saved.")]
    with app.test_request_context("/"), pytest.raises(ValueError):
        toasts.toast("x", "shout")


@pytest.mark.parametrize(
    ("query", "cookie", "expected"),
    [
        ("?tz=Asia/Tokyo", "America/Chicago", "Asia/Tokyo"),
        ("", "America/Chicago", "America/Chicago"),
        ("?tz=Not/AZone", "America/Chicago", "America/Chicago"),
        ("?tz=Not/AZone", "Also/Bad", "UTC"),
        ("", "America%2FChicago", "America/Chicago"),  # as static/app.js writes it
        ("", None, "UTC"),
    ],
)
def test_a_signed_out_viewers_zone_comes_from_the_url_then_the_cookie(app, query, cookie, expected):
    headers = {"Cookie": f"tz={cookie}"} if cookie else {}
    with app.test_request_context("/" + query, headers=headers):
        assert viewer.viewer_zone() == expected


def test_a_signed_in_viewer_sees_their_own_zone_unless_the_url_asks(app):
    person = make_client(app, timezone="Asia/Kolkata")
    browser = signed_in(app, person)
    with browser:
        browser.get("/", headers={"Cookie": "tz=America/Chicago"})
        assert viewer.viewer_zone() == "Asia/Kolkata"
        browser.get("/?tz=Europe/Lisbon")
        assert viewer.viewer_zone() == "Europe/Lisbon"


@pytest.mark.parametrize(
    ("headers", "twelve"),
    [
        ({"Cookie": "clock=12"}, True),
        ({"Cookie": "clock=24", "Accept-Language": "en-US"}, False),
        ({"Accept-Language": "en-US,en;q=0.8"}, True),
        ({"Accept-Language": "de-DE"}, False),
        ({"Accept-Language": "en-GB"}, False),
        ({}, False),
    ],
)
def test_the_clock_follows_the_browser(app, headers, twelve):
    moment = datetime(2027, 1, 18, 13, 5, tzinfo=UTC)
    with app.test_request_context("/?tz=UTC", headers=headers):
        assert viewer.uses_12_hour_clock() is twelve
        assert viewer.clock_time(moment) == ("1:05 pm" if twelve else "13:05")


def test_pages_keep_to_the_csp(app):
    """No inline script and no style attribute: the CSP would block them."""
    browser = signed_in(app, make_coach(app))
    for path in ("/", "/dashboard", "/login"):
        response = browser.get(path)
        html = response.get_data(as_text=True)
        assert "script-src 'self'" in response.headers["Content-Security-Policy"]
        assert not re.search(r"<script(?![^>]*\bsrc=)[^>]*>", html), path
        assert not re.search(r"\sstyle=", html), path
        assert not re.search(r"\shx-on", html), path
