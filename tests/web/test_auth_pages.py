"""The sign-up, sign-in and sign-out pages; CSRF, redirects, cookies and headers."""

from __future__ import annotations

import re
from html import escape
from urllib.parse import parse_qs, urlsplit

import pytest

from models import User
from tests.factories import PASSWORD, make_client, make_coach, user_row
from tests.helpers import assert_error, count, csrf_token, web_login

NEW_PASSWORD = "a long enough password"


def register_form(client, **overrides):
    data = {
        "name": "Dana Demo",
        "email": "dana@example.com",
        "password": NEW_PASSWORD,
        "role": "coach",
        "timezone": "Europe/Berlin",
        "csrf_token": csrf_token(client, "/register"),
    } | overrides
    return client.post("/register", data=data)


def path_of(response) -> str:
    """Where a redirect goes, as a same-site path (absolute URLs keep their host)."""
    location = urlsplit(response.headers["Location"])
    assert location.netloc in ("", "localhost"), response.headers["Location"]
    return location.path


def page(client, path: str) -> str:
    response = client.get(path)
    assert response.status_code == 200, path
    return response.get_data(as_text=True)


def field_error(html: str, field: str) -> str:
    """The message shown under a form field."""
    match = re.search(rf'<p class="field-error" id="{field}-error">([^<]*)</p>', html)
    assert match, f"no error shown for {field}"
    return match.group(1)


def cookie_header(response, name: str) -> str:
    cookies = [c for c in response.headers.getlist("Set-Cookie") if c.startswith(name + "=")]
    assert cookies, response.headers.getlist("Set-Cookie")
    return cookies[-1]


# --- registration ------------------------------------------------------------------


def test_registering_signs_in_and_lands_on_the_dashboard(app, client):
    response = register_form(client, email="Dana@Example.com")

    assert response.status_code == 302
    assert path_of(response) == "/dashboard"
    dashboard = page(client, "/dashboard")
    assert "Hello, Dana Demo" in dashboard
    assert "/coaches/dana-demo" in dashboard
    assert count(app, User, User.email == "dana@example.com") == 1


def test_registration_errors_appear_next_to_their_fields_and_keep_the_input(app, client):
    response = register_form(
        client, name="", email="dana@nowhere", password="short", timezone="Mars/Base"
    )

    assert response.status_code == 400
    html = response.get_data(as_text=True)
    assert field_error(html, "name") == "Enter your name."
    assert field_error(html, "email") == "Enter a valid e-mail address."
    assert field_error(html, "password") == "Use 8 to 200 characters."
    assert field_error(html, "timezone") == "Choose an IANA time zone such as Europe/Berlin."
    assert 'value="dana@nowhere"' in html
    assert 'value="Mars/Base"' in html
    assert re.search(r'value="coach"[^>]*checked|checked[^>]*value="coach"', html)
    assert 'value="short"' not in html
    assert count(app, User) == 0


def test_registering_a_taken_email_says_so_under_the_email(app, client):
    make_client(app, email="dana@example.com")

    response = register_form(client, email="DANA@example.com", name="Another Dana")

    assert response.status_code == 400
    html = response.get_data(as_text=True)
    assert field_error(html, "email") == escape(
        "An account with this e-mail address exists already."
    )
    assert 'value="Another Dana"' in html
    assert count(app, User) == 1


@pytest.mark.parametrize(
    "overrides",
    [
        {"role": "admin"},
        {"role": ""},
        {"name": "n" * 10_000},
        {"email": "e" * 10_000 + "@example.com"},
        {"password": "p" * 10_000},
        {"timezone": "t" * 10_000},
        {"timezone": ""},
    ],
)
def test_odd_registration_input_is_a_400_page_never_a_500(app, client, overrides):
    response = register_form(client, **overrides)

    assert response.status_code == 400
    assert "Create your account" in response.get_data(as_text=True)
    assert count(app, User) == 0


def test_a_name_with_markup_is_shown_as_text(app, client):
    register_form(client, name="<script>alert(1)</script>", role="client")

    dashboard = page(client, "/dashboard")

    assert "<script>alert(1)</script>" not in dashboard
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in dashboard


def test_signed_in_users_skip_the_register_and_login_pages(app, client):
    client_person = make_client(app)
    web_login(client, client_person.email, PASSWORD)

    assert path_of(client.get("/register")) == "/dashboard"
    assert path_of(client.get("/login")) == "/dashboard"


# --- sign-in and sign-out ----------------------------------------------------------


def test_login_redirects_to_the_dashboard_with_the_users_name(app, client):
    coach = make_coach(app, name="Dana")

    response = web_login(client, coach.email.upper(), PASSWORD)

    assert response.status_code == 302
    assert path_of(response) == "/dashboard"
    assert "Hello, Dana" in page(client, "/dashboard")


def test_login_with_a_wrong_password_is_400_and_keeps_the_email(app, client):
    coach = make_coach(app)

    response = web_login(client, coach.email, "not the password")

    assert response.status_code == 400
    html = response.get_data(as_text=True)
    assert field_error(html, "password") == "The e-mail address or password is wrong."
    assert f'value="{coach.email}"' in html
    assert 'value="not the password"' not in html
    assert path_of(client.get("/dashboard")).startswith("/login")


def test_login_with_an_unknown_email_shows_the_same_message(app, client):
    response = web_login(client, "nobody@example.com", PASSWORD)

    assert response.status_code == 400
    html = response.get_data(as_text=True)
    assert field_error(html, "password") == "The e-mail address or password is wrong."


def test_login_with_empty_fields_names_both(app, client):
    response = web_login(client, "", "")

    assert response.status_code == 400
    html = response.get_data(as_text=True)
    assert field_error(html, "email") == "Enter your e-mail address."
    assert field_error(html, "password") == "Enter your password."


def test_the_dashboard_signed_out_sends_to_login_and_back(app, client):
    coach = make_coach(app)

    response = client.get("/dashboard")

    assert response.status_code == 302
    assert path_of(response) == "/login"
    assert parse_qs(urlsplit(response.headers["Location"]).query)["next"] == ["/dashboard"]
    token = csrf_token(client, "/login")
    data = {"email": coach.email, "password": PASSWORD, "csrf_token": token}
    signed_in = client.post("/login?next=/dashboard", data=data)
    assert path_of(signed_in) == "/dashboard"


def test_login_follows_a_same_site_next(app, client):
    coach = make_coach(app)
    data = {"email": coach.email, "password": PASSWORD, "csrf_token": csrf_token(client)}

    response = client.post("/login?next=/coaches/somebody%3Fview%3Dweek", data=data)

    assert response.headers["Location"].endswith("/coaches/somebody?view=week")


@pytest.mark.parametrize(
    "target",
    [
        "https://evil.example",
        "//evil.example",
        "/\\evil.example",
        "\\\\evil.example",
        "/\t/evil.example",
        "javascript:alert(1)",
        "evil.example",
        "https:/evil.example",
    ],
)
def test_login_never_redirects_off_site(app, client, target):
    coach = make_coach(app)
    data = {"email": coach.email, "password": PASSWORD, "csrf_token": csrf_token(client)}

    response = client.post("/login", query_string={"next": target}, data=data)

    assert response.status_code == 302
    assert path_of(response) == "/dashboard"
    assert path_of(client.get("/login", query_string={"next": target})) == "/dashboard"


def test_logout_signs_out_with_a_csrf_token(app, client):
    coach = make_coach(app)
    web_login(client, coach.email, PASSWORD)

    token = csrf_token(client, "/dashboard")
    response = client.post("/logout", data={"csrf_token": token})

    assert response.status_code == 302
    assert path_of(response) == "/"
    assert path_of(client.get("/dashboard")) == "/login"
    assert_error(client.get("/api/me"), 401, "unauthorized")


def test_logout_by_get_is_refused(app, client):
    coach = make_coach(app)
    web_login(client, coach.email, PASSWORD)

    assert client.get("/logout").status_code == 405
    assert client.get("/dashboard").status_code == 200


def test_logout_without_a_csrf_token_is_400_and_keeps_the_session(app, client):
    coach = make_coach(app)
    web_login(client, coach.email, PASSWORD)

    response = client.post("/logout")

    assert response.status_code == 400
    assert "Your form expired" in response.get_data(as_text=True)
    assert client.get("/dashboard").status_code == 200


@pytest.mark.parametrize("path", ["/login", "/register"])
def test_posting_a_form_without_a_csrf_token_is_400(app, client, path):
    coach = make_coach(app)
    data = {"email": coach.email, "password": PASSWORD, "name": "X", "role": "client"}

    response = client.post(path, data=data | {"timezone": "UTC"})

    assert response.status_code == 400
    assert "Your form expired" in response.get_data(as_text=True)
    assert path_of(client.get("/dashboard")) == "/login"
    assert count(app, User) == 1


def test_a_csrf_token_from_another_session_is_refused(app, client):
    coach = make_coach(app)
    foreign = csrf_token(app.test_client(), "/login")

    data = {"email": coach.email, "password": PASSWORD, "csrf_token": foreign}

    response = client.post("/login", data=data)

    assert response.status_code == 400


# --- cookies and headers -----------------------------------------------------------


@pytest.mark.parametrize("name", ["session", "remember_token"])
def test_sign_in_cookies_are_http_only_and_same_site_lax(app, client, name):
    coach = make_coach(app)
    data = {"email": coach.email, "password": PASSWORD, "remember": "y"}

    response = client.post("/login", data=data | {"csrf_token": csrf_token(client)})

    cookie = cookie_header(response, name)
    assert "HttpOnly" in cookie
    assert "SameSite=Lax" in cookie


@pytest.mark.parametrize("path", ["/login", "/register", "/dashboard", "/api/me"])
def test_security_headers_are_sent(app, client, path):
    response = client.get(path)

    policy = response.headers["Content-Security-Policy"]
    script_src = next(p for p in policy.split(";") if p.strip().startswith("script-src"))
    assert "'unsafe-inline'" not in script_src
    assert "'unsafe-eval'" not in script_src
    assert "frame-ancestors 'none'" in policy
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["Referrer-Policy"]


@pytest.mark.parametrize("path", ["/", "/login", "/register", "/dashboard"])
def test_pages_carry_no_inline_script(app, client, path):
    if path == "/dashboard":
        web_login(client, make_coach(app).email, PASSWORD)

    html = page(client, path)

    assert not re.search(r"<script(?![^>]*\bsrc=)[^>]*>", html)
    assert not re.search(r"\son[a-z]+=", html)


# --- the API from a signed-in browser ----------------------------------------------


def test_the_session_cookie_authenticates_api_reads(app, client):
    coach = make_coach(app, name="Dana")
    web_login(client, coach.email, PASSWORD)

    response = client.get("/api/me")

    assert response.status_code == 200
    assert response.get_json()["user"]["name"] == "Dana"


def test_a_session_cookie_api_patch_without_the_csrf_header_is_refused(app, client):
    coach = make_coach(app)
    web_login(client, coach.email, PASSWORD)
    before = user_row(app, coach)

    response = client.patch("/api/me", json={"name": "Forged"})

    assert_error(response, 400, "csrf_failed")
    assert user_row(app, coach) == before


def test_a_session_cookie_api_patch_with_the_csrf_header_works(app, client):
    coach = make_coach(app)
    web_login(client, coach.email, PASSWORD)
    token = csrf_token(client, "/dashboard")

    response = client.patch("/api/me", json={"name": "Renamed"}, headers={"X-CSRFToken": token})

    assert response.status_code == 200
    assert user_row(app, coach)["name"] == "Renamed"


def test_a_bearer_call_needs_no_csrf_header_and_acts_as_the_token_owner(app, client):
    signed_in = make_coach(app)
    token_owner = make_client(app)
    web_login(client, signed_in.email, PASSWORD)
    before = user_row(app, signed_in)

    response = client.patch(
        "/api/me",
        json={"name": "Via Token"},
        headers={"Authorization": f"Bearer {token_owner.token}"},
    )

    assert response.status_code == 200
    assert response.get_json()["user"]["id"] == token_owner.id
    assert user_row(app, token_owner)["name"] == "Via Token"
    assert user_row(app, signed_in) == before


def test_a_bad_bearer_token_is_not_rescued_by_the_session_cookie(app, client):
    coach = make_coach(app)
    web_login(client, coach.email, PASSWORD)

    response = client.get("/api/me", headers={"Authorization": "Bearer not-a-token"})

    assert_error(response, 401, "unauthorized")


# --- rate limits on the pages ------------------------------------------------------


class TestPageRateLimits:
    @pytest.fixture
    def app_config(self):
        return {"AUTH_RATE_LIMIT": "3/minute"}

    def test_the_fourth_sign_in_is_a_429_page_with_retry_after(self, app, client):
        coach = make_coach(app)
        for _ in range(3):
            assert web_login(client, coach.email, "wrong guess").status_code == 400

        response = web_login(client, coach.email, PASSWORD)

        assert response.status_code == 429
        assert int(response.headers["Retry-After"]) > 0
        assert "Too many attempts" in response.get_data(as_text=True)
        assert path_of(client.get("/dashboard")) == "/login"

    def test_the_pages_and_the_api_share_one_login_budget(self, app, client):
        coach = make_coach(app)
        body = {"email": coach.email, "password": PASSWORD}
        for _ in range(2):
            assert client.post("/api/auth/login", json=body).status_code == 200
        assert web_login(client, coach.email, PASSWORD).status_code == 302
        client.post("/logout", data={"csrf_token": csrf_token(client, "/dashboard")})

        assert web_login(client, coach.email, PASSWORD).status_code == 429

    def test_showing_the_sign_in_page_does_not_use_up_the_budget(self, app, client):
        coach = make_coach(app)
        for _ in range(5):
            assert client.get("/login").status_code == 200
            assert client.get("/register").status_code == 200

        for _ in range(3):
            assert web_login(client, coach.email, "wrong guess").status_code == 400


def test_api_logout_with_the_session_cookie_ends_the_web_session(app, client):
    coach = make_coach(app)
    web_login(client, coach.email, PASSWORD)
    token = csrf_token(client, "/dashboard")

    response = client.post("/api/auth/logout", headers={"X-CSRFToken": token})

    assert response.status_code == 204
    assert client.get("/dashboard").status_code == 302
    assert_error(client.get("/api/me"), 401, "unauthorized")
