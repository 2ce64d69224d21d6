"""The settings page: profile and coach settings stored as ``PATCH /api/me`` stores them,
refusals next to their fields, a password change and "sign out" ending other sign-ins
(on both databases)."""

from __future__ import annotations

import html
import json
import re

import pytest
from sqlalchemy import select

from extensions import db
from models import ApiToken, User, WebSession
from tests.factories import PASSWORD, make_client, make_coach, user_row
from tests.helpers import csrf_token, web_login

HTMX = {"HX-Request": "true"}
SETTINGS = "/settings"
COACH_FORM = {
    "name": "  Dana Demo ",
    "timezone": "Asia/Tokyo",
    "calendar_privacy": "public",
    "currency": "JPY",
    "vat_rate": "19",
    "slug": "dana-coaching",
}
COACH_JSON = {
    "name": "  Dana Demo ",
    "timezone": "Asia/Tokyo",
    "calendar_privacy": "public",
    "currency": "JPY",
    "vat_rate": "0.19",
    "slug": "dana-coaching-2",
}


def browser_of(app, person, user_agent: str = "Mozilla/5.0 (X11; Linux x86_64) Chrome/126.0"):
    browser = app.test_client()
    browser.environ_base["HTTP_USER_AGENT"] = user_agent
    assert web_login(browser, person.email, person.password).status_code == 302
    return browser


def still_signed_in(browser) -> bool:
    response = browser.get("/dashboard")
    assert response.status_code in (200, 302)
    return response.status_code == 200


def post(browser, path, data=None, **kwargs):
    token = csrf_token(browser, SETTINGS)
    return browser.post(path, data={**(data or {}), "csrf_token": token}, **kwargs)


def settings_of(app, person) -> dict:
    row = user_row(app, person)
    return {
        key: row[key]
        for key in (
            "name",
            "timezone",
            "calendar_privacy",
            "currency",
            "vat_rate",
            "slug",
            "embed_domains",
        )
    }


def error_next_to(response, field: str) -> str:
    page = response.get_data(as_text=True)
    match = re.search(rf'<p class="field-error" id="{field}-error">(.*?)</p>', page, re.S)
    assert match, f"no message next to {field}: {page[:3000]}"
    return html.unescape(match.group(1))


def page_text(response) -> str:
    without_tags = re.sub(r"<[^>]+>", " ", response.get_data(as_text=True))
    return " ".join(html.unescape(without_tags).split())


def live_ids(app, person) -> list[int]:
    with app.app_context():
        return list(
            db.session.scalars(
                select(WebSession.id)
                .where(WebSession.user_id == person.id, WebSession.revoked_at.is_(None))
                .order_by(WebSession.id)
            )
        )


# --- profile and coach settings ------------------------------------------------------------


def test_a_coach_changes_every_setting_as_the_api_would(app, api):
    on_page, by_api = make_coach(app), make_coach(app)
    browser = browser_of(app, on_page)

    response = post(browser, "/settings/profile", COACH_FORM)

    assert response.status_code == 302
    assert api.patch("/api/me", json=COACH_JSON, as_=by_api).status_code == 200
    stored = settings_of(app, on_page)
    assert stored == settings_of(app, by_api) | {"slug": "dana-coaching"}
    assert str(stored["vat_rate"]) == "0.19"
    page = browser.get(SETTINGS)
    assert "Settings saved." in page_text(page)
    assert 'href="/coaches/dana-coaching"' in page.get_data(as_text=True)
    assert 'name="vat_rate" step="any" type="number" value="19"' in page.get_data(as_text=True)


def test_the_page_shows_the_stored_settings(app):
    coach = make_coach(
        app,
        vat_rate="0.0725",
        calendar_privacy="private",
        currency="CHF",
        embed_domains=["https://a.example.com", "https://b.example.com"],
    )
    page = browser_of(app, coach).get(SETTINGS).get_data(as_text=True)
    assert 'value="7.25"' in page
    assert (
        'checked id="calendar_privacy-2" name="calendar_privacy" type="radio" value="private"'
        in page
    )
    assert '<option selected value="CHF">CHF</option>' in page
    assert "https://a.example.com\nhttps://b.example.com</textarea>" in page
    assert '<datalist id="settings-zones">' in page and '<option value="Europe/Berlin">' in page
    assert 'list="settings-zones"' in page


def test_a_client_changes_name_and_zone_and_has_no_coach_settings(app):
    client = make_client(app)
    before = user_row(app, client)
    browser = browser_of(app, client)
    page = browser.get(SETTINGS).get_data(as_text=True)
    for coach_field in ("slug", "calendar_privacy", "currency", "vat_rate", "embed_domains"):
        assert f'name="{coach_field}"' not in page

    response = post(
        browser,
        "/settings/profile",
        {"name": "Chris", "timezone": "America/New_York", "slug": "chris"},
    )

    assert response.status_code == 302
    after = user_row(app, client)
    assert (after["name"], after["timezone"]) == ("Chris", "America/New_York")
    assert after["slug"] == before["slug"] is None


def test_htmx_swaps_the_profile_card_and_the_sign_ins_out_of_band(app):
    coach = make_coach(app)
    browser = browser_of(app, coach)
    response = post(
        browser, "/settings/profile", COACH_FORM | {"timezone": "Europe/Paris"}, headers=HTMX
    )
    assert response.status_code == 200
    body = response.get_data(as_text=True)
    assert body.lstrip().startswith('<section class="card" id="settings-profile"')
    assert '<section class="card" id="settings-sign-ins"' in body
    assert 'hx-swap-oob="true"' in body and "<html" not in body
    assert json.loads(response.headers["HX-Trigger"])["toast"]["items"] == [
        {"message": "Settings saved.", "level": "success"}
    ]
    assert user_row(app, coach)["timezone"] == "Europe/Paris"


def test_a_slug_in_use_is_shown_next_to_the_field_and_nothing_changes(app):
    make_coach(app, slug="taken-slug")
    coach = make_coach(app)
    before = user_row(app, coach)
    browser = browser_of(app, coach)

    response = post(browser, "/settings/profile", COACH_FORM | {"slug": "taken-slug"}, headers=HTMX)

    assert response.status_code == 409
    assert error_next_to(response, "slug") == "This address is taken."
    assert user_row(app, coach) == before


@pytest.mark.parametrize(
    ("changes", "field", "message"),
    [
        ({"name": "  "}, "name", "Enter your name."),
        ({"name": "x" * 121}, "name", "Length must be between 1 and 120."),
        ({"timezone": "Mars/Olympus"}, "timezone", "Not an IANA time zone such as Europe/Berlin."),
        ({"timezone": ""}, "timezone", "Choose a time zone."),
        ({"calendar_privacy": "secret"}, "calendar_privacy", "Not a valid choice."),
        ({"currency": "EUX"}, "currency", "Not a valid choice."),
        ({"vat_rate": "100"}, "vat_rate", "Enter a rate from 0 to below 100, e.g. 19."),
        ({"vat_rate": "-1"}, "vat_rate", "Enter a rate from 0 to below 100, e.g. 19."),
        ({"vat_rate": "19.255"}, "vat_rate", "Use at most 2 decimals, e.g. 7.25."),
        ({"vat_rate": "Infinity"}, "vat_rate", "Enter a rate from 0 to below 100, e.g. 19."),
        ({"vat_rate": "lots"}, "vat_rate", "Not a valid decimal value."),
        ({"slug": "No Spaces"}, "slug",
         "Use 3-64 lower-case letters, digits and single hyphens."),
        ({"slug": "api"}, "slug", "Use 3-64 lower-case letters, digits and single hyphens."),
    ],
)  # fmt: skip
def test_a_bad_setting_is_refused_next_to_its_field_and_nothing_changes(
    app, changes, field, message
):
    coach = make_coach(app)
    before = user_row(app, coach)
    browser = browser_of(app, coach)

    response = post(browser, "/settings/profile", COACH_FORM | changes)

    assert response.status_code == 400
    assert "<html" in response.get_data(as_text=True)  # without JavaScript: the whole page
    assert message in error_next_to(response, field)
    assert user_row(app, coach) == before


# --- password --------------------------------------------------------------------------


def test_a_password_change_ends_every_other_sign_in_and_token(app, api):
    coach = make_coach(app)
    here = browser_of(app, coach)
    elsewhere = browser_of(app, coach, user_agent="Safari on iPhone")

    response = post(
        here,
        "/settings/password",
        {"current_password": PASSWORD, "new_password": "a brand new secret"},
        headers=HTMX,
    )

    assert response.status_code == 200
    body = response.get_data(as_text=True)
    assert body.lstrip().startswith('<section class="card" id="settings-password"')
    assert "You are signed in only here." in body  # the sign-ins card, out of band
    assert "signed out everywhere else" in response.headers["HX-Trigger"]
    assert still_signed_in(here)
    assert not still_signed_in(elsewhere)
    assert api.get("/api/me", as_=coach).status_code == 401  # the bearer token ended too
    with app.app_context():
        assert (
            db.session.scalar(select(ApiToken.revoked_at).where(ApiToken.scope == "api"))
            is not None
        )
    assert web_login(app.test_client(), coach.email, "a brand new secret").status_code == 302


@pytest.mark.parametrize(
    ("data", "field", "message"),
    [
        ({"current_password": "wrong one", "new_password": "a brand new secret"},
         "current_password", "This is not your current password."),
        ({"current_password": PASSWORD, "new_password": "short"}, "new_password",
         "Use 8 to 200 characters."),
        ({"current_password": "", "new_password": "a brand new secret"}, "current_password",
         "Enter your current password."),
    ],
)  # fmt: skip
def test_a_refused_password_change_changes_nothing(app, data, field, message):
    coach = make_coach(app)
    before = user_row(app, coach)["password_hash"]
    here = browser_of(app, coach)
    elsewhere = browser_of(app, coach)

    response = post(here, "/settings/password", data)

    assert response.status_code == 400
    assert error_next_to(response, field) == message
    assert user_row(app, coach)["password_hash"] == before
    assert still_signed_in(elsewhere)


# --- sign-ins --------------------------------------------------------------------------


def test_the_sign_ins_are_listed_with_this_device_marked(app):
    coach = make_coach(app)
    browser_of(app, coach, user_agent="Mozilla/5.0 (iPhone; CPU iPhone OS 17_0) Safari/604.1")
    here = browser_of(app, coach, user_agent="Mozilla/5.0 (Windows NT 10.0) Firefox/128.0")
    browser_of(app, make_coach(app), user_agent="Someone Else's Browser")

    text = page_text(here.get(SETTINGS))

    assert "Firefox on Windows This device" in text
    assert "Safari on iPhone" in text
    assert "Someone Else" not in text
    assert text.count("· last used") == 2


def test_one_other_sign_in_is_ended_from_the_list(app):
    coach = make_coach(app)
    phone = browser_of(app, coach, user_agent="Safari on iPhone")
    laptop = browser_of(app, coach)
    here = browser_of(app, coach)
    phone_id, laptop_id, here_id = live_ids(app, coach)
    page = here.get(SETTINGS).get_data(as_text=True)
    assert f'action="/settings/sessions/{phone_id}/end"' in page
    assert f'action="/settings/sessions/{here_id}/end"' not in page  # this one: "Sign out"

    response = post(here, f"/settings/sessions/{phone_id}/end", headers=HTMX)

    assert response.status_code == 200
    assert (
        response.get_data(as_text=True)
        .lstrip()
        .startswith('<section class="card" id="settings-sign-ins"')
    )
    assert not still_signed_in(phone)
    assert still_signed_in(laptop) and still_signed_in(here)
    assert live_ids(app, coach) == [laptop_id, here_id]


def test_someone_elses_or_an_ended_sign_in_is_not_found(app):
    coach, other = make_coach(app), make_coach(app)
    theirs = browser_of(app, other)
    here = browser_of(app, coach)
    [their_id] = live_ids(app, other)
    assert post(here, f"/settings/sessions/{their_id}/end").status_code == 404
    assert still_signed_in(theirs)
    ended = browser_of(app, coach)
    ended_id = live_ids(app, coach)[-1]
    assert post(here, f"/settings/sessions/{ended_id}/end").status_code == 302
    assert not still_signed_in(ended)
    assert post(here, f"/settings/sessions/{ended_id}/end").status_code == 404


def test_ending_this_browsers_own_sign_in_signs_it_out(app):
    client = make_client(app)
    here = browser_of(app, client)
    [here_id] = live_ids(app, client)
    response = post(here, f"/settings/sessions/{here_id}/end", headers=HTMX)
    assert response.headers["HX-Redirect"] == "/login"
    assert not still_signed_in(here)


def test_sign_out_everywhere_else_keeps_only_this_browser(app):
    client = make_client(app)
    others = [browser_of(app, client) for _ in range(2)]
    here = browser_of(app, client)

    response = post(here, "/settings/sessions/end-others")

    assert response.status_code == 302
    assert "Signed out everywhere else (2 sign-ins ended)." in page_text(here.get(SETTINGS))
    assert still_signed_in(here)
    assert not any(still_signed_in(browser) for browser in others)
    assert len(live_ids(app, client)) == 1
    assert api_token_alive(app, client)


def api_token_alive(app, person) -> bool:
    """Sign-outs on this page end web sign-ins; bearer tokens stay (a password change ends
    them)."""
    with app.app_context():
        return (
            db.session.scalar(select(ApiToken.revoked_at).where(ApiToken.user_id == person.id))
            is None
        )


# --- who may: CSRF, signed out, escaping ---------------------------------------------------


@pytest.mark.parametrize(
    "path", ["/settings/profile", "/settings/password", "/settings/sessions/end-others"]
)
def test_a_post_without_the_csrf_token_is_refused(app, path):
    coach = make_coach(app)
    before = user_row(app, coach)
    here = browser_of(app, coach)
    elsewhere = browser_of(app, coach)
    data = COACH_FORM | {"current_password": PASSWORD, "new_password": "a brand new secret"}
    assert here.post(path, data=data).status_code == 400
    assert user_row(app, coach) == before
    assert still_signed_in(elsewhere)


def test_a_sign_in_ended_without_the_csrf_token_stays(app):
    coach = make_coach(app)
    elsewhere = browser_of(app, coach)
    here = browser_of(app, coach)
    other_id = live_ids(app, coach)[0]
    assert here.post(f"/settings/sessions/{other_id}/end").status_code == 400
    assert still_signed_in(elsewhere)


def test_signed_out_visitors_are_sent_to_sign_in(client):
    response = client.get(SETTINGS)
    assert response.status_code == 302
    assert response.headers["Location"].startswith("/login?next=")


def test_names_and_user_agents_are_escaped(app):
    client = make_client(app, name="<script>alert(1)</script>")
    browser_of(app, client, user_agent="<img src=x onerror=alert(2)>")
    page = browser_of(app, client).get(SETTINGS).get_data(as_text=True)
    assert "<script>alert(1)" not in page and "<img src=x" not in page
    assert 'value="&lt;script&gt;alert(1)&lt;/script&gt;"' in page
    assert "&lt;img src=x onerror=alert(2)&gt;" in page
    with app.app_context():
        assert db.session.get(User, client.id).name == "<script>alert(1)</script>"
