"""Web sign-ins are revocable: logout, a password change or "sign out" on another
device ends every copy of the cookies; the remember cookie is per sign-in and rotates."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select, update

from domain.errors import AppError
from extensions import db
from models import ApiToken, User, WebSession
from models.types import utcnow
from services import web_sessions
from tests.factories import PASSWORD, make_coach
from tests.helpers import assert_error, csrf_token, web_login

REMEMBER = "remember_token"


def sign_in(app, person, remember: bool = True, user_agent: str = "Firefox on Linux"):
    """A fresh browser signed in as ``person``."""
    browser = app.test_client()
    browser.environ_base["HTTP_USER_AGENT"] = user_agent
    data = {"email": person.email, "password": PASSWORD, "csrf_token": csrf_token(browser)}
    if remember:
        data["remember"] = "y"
    response = browser.post("/login", data=data)
    assert response.status_code == 302
    return browser


def with_cookies(app, source, names):
    """Another browser holding copies of ``source``'s cookies (as a thief would)."""
    copy = app.test_client()
    for name in names:
        cookie = source.get_cookie(name)
        assert cookie is not None, name
        copy.set_cookie(name, cookie.value)
    return copy


def signed_in(browser) -> bool:
    """What a user sees: the dashboard (not the sign-in page) and /api/me (not 401)."""
    page = browser.get("/dashboard")
    me = browser.get("/api/me")
    assert (page.status_code == 200) == (me.status_code == 200), (page, me)
    if me.status_code != 200:
        assert page.status_code == 302 and "/login" in page.headers["Location"]
        assert_error(me, 401, "unauthorized")
    return me.status_code == 200


def log_out(browser) -> None:
    response = browser.post("/logout", data={"csrf_token": csrf_token(browser, "/dashboard")})
    assert response.status_code == 302


def rows(app, person) -> list[WebSession]:
    with app.app_context():
        return list(
            db.session.scalars(
                select(WebSession).where(WebSession.user_id == person.id).order_by(WebSession.id)
            )
        )


# --- logout ------------------------------------------------------------------------


@pytest.mark.parametrize(
    "copied",
    [("session",), (REMEMBER,), ("session", REMEMBER)],
    ids=["session", "remember", "both"],
)
def test_copied_cookies_are_signed_out_by_logout(app, copied):
    coach = make_coach(app)
    browser = sign_in(app, coach, remember=True)
    thief = with_cookies(app, browser, copied)
    assert signed_in(thief)

    log_out(browser)

    assert not signed_in(browser)
    assert not signed_in(with_cookies(app, browser, ()))
    late_thief = app.test_client()
    for name in copied:
        late_thief.set_cookie(name, thief.get_cookie(name).value)
    assert not signed_in(late_thief)
    assert not signed_in(thief)


def test_a_copied_session_cookie_without_remember_me_is_signed_out_by_logout(app):
    coach = make_coach(app)
    browser = sign_in(app, coach, remember=False)
    assert browser.get_cookie(REMEMBER) is None
    session_copy = browser.get_cookie("session").value

    log_out(browser)

    thief = app.test_client()
    thief.set_cookie("session", session_copy)
    assert not signed_in(thief)


def test_logging_out_ends_that_sign_in_only(app):
    coach = make_coach(app)
    laptop, phone = sign_in(app, coach), sign_in(app, coach)

    log_out(laptop)

    assert not signed_in(laptop)
    assert signed_in(phone)


def test_api_logout_from_the_browser_ends_the_web_sign_in(app):
    coach = make_coach(app)
    browser = sign_in(app, coach)
    copy = with_cookies(app, browser, ("session", REMEMBER))

    response = browser.post(
        "/api/auth/logout", headers={"X-CSRFToken": csrf_token(browser, "/dashboard")}
    )

    assert response.status_code == 204
    assert not signed_in(copy)


# --- the remember cookie -----------------------------------------------------------


def test_the_remember_cookie_is_a_per_sign_in_secret_with_a_month_of_life(app):
    coach = make_coach(app)
    first, second = sign_in(app, coach), sign_in(app, coach)

    values = {first.get_cookie(REMEMBER).value, second.get_cookie(REMEMBER).value}

    assert len(values) == 2
    assert not any(value.split("|")[0] == str(coach.id) for value in values)
    expires = first.get_cookie(REMEMBER).expires
    assert timedelta(days=29) < expires - utcnow() <= timedelta(days=30, minutes=1)


def test_restoring_a_sign_in_from_the_remember_cookie_rotates_it(app):
    coach = make_coach(app)
    browser = sign_in(app, coach)
    old = browser.get_cookie(REMEMBER).value
    restarted = with_cookies(app, browser, (REMEMBER,))  # the browser closed: no session

    assert signed_in(restarted)

    new = restarted.get_cookie(REMEMBER).value
    assert new != old
    assert len(rows(app, coach)) == 1  # the same sign-in, with a new secret
    # The old secret works a moment longer (tabs restored at once), then never again.
    stolen = app.test_client()
    stolen.set_cookie(REMEMBER, old)
    assert signed_in(stolen)
    assert stolen.get_cookie(REMEMBER).value == old  # let in, not handed the new secret
    with app.app_context():
        db.session.execute(
            update(WebSession).values(rotated_at=utcnow() - web_sessions.ROTATION_GRACE)
        )
        db.session.commit()
    stolen_later = app.test_client()
    stolen_later.set_cookie(REMEMBER, old)
    assert not signed_in(stolen_later)
    assert signed_in(restarted)


def test_a_revoked_remember_cookie_is_deleted_from_the_browser(app):
    coach = make_coach(app)
    browser = sign_in(app, coach)
    copy = with_cookies(app, browser, (REMEMBER,))
    log_out(browser)

    response = copy.get("/dashboard")

    assert response.status_code == 302
    assert copy.get_cookie(REMEMBER) is None


# --- lifetime ----------------------------------------------------------------------


@pytest.mark.parametrize("remember", [False, True])
def test_a_sign_in_unused_for_its_lifetime_ends(app, remember):
    coach = make_coach(app)
    browser = sign_in(app, coach, remember=remember)
    idle = web_sessions.lifetime(remember)
    with app.app_context():
        db.session.execute(
            update(WebSession).values(
                last_seen_at=utcnow() - idle, expires_at=utcnow() - timedelta(seconds=1)
            )
        )
        db.session.commit()

    assert not signed_in(browser)


def test_using_a_sign_in_extends_it(app):
    coach = make_coach(app)
    browser = sign_in(app, coach, remember=False)
    long_ago = utcnow() - timedelta(hours=23)
    with app.app_context():
        db.session.execute(
            update(WebSession).values(
                last_seen_at=long_ago, expires_at=long_ago + web_sessions.IDLE_LIFETIME
            )
        )
        db.session.commit()

    assert signed_in(browser)

    [row] = rows(app, coach)
    assert row.last_seen_at > utcnow() - timedelta(minutes=1)
    assert row.expires_at > utcnow() + timedelta(hours=23)


# --- password change ---------------------------------------------------------------


def test_a_password_change_signs_out_every_other_browser_and_token(app):
    coach = make_coach(app)
    here, elsewhere = sign_in(app, coach), sign_in(app, coach)
    copy_of_here = with_cookies(app, here, ("session",))

    response = here.post(
        "/api/me/password",
        json={"current_password": PASSWORD, "new_password": "a brand new secret"},
        headers={"X-CSRFToken": csrf_token(here, "/dashboard")},
    )

    assert response.status_code == 204
    assert signed_in(here)
    assert signed_in(copy_of_here)  # the same sign-in: it is the one that changed it
    assert not signed_in(elsewhere)
    old_token = app.test_client().get("/api/me", headers={"Authorization": f"Bearer {coach.token}"})
    assert_error(old_token, 401, "unauthorized")
    fresh = app.test_client()
    assert web_login(fresh, coach.email, PASSWORD).status_code == 400
    assert web_login(fresh, coach.email, "a brand new secret").status_code == 302


def test_a_password_change_by_token_keeps_that_token_only(app, api):
    coach = make_coach(app)
    browser = sign_in(app, coach)

    response = api.post(
        "/api/me/password",
        json={"current_password": PASSWORD, "new_password": "a brand new secret"},
        as_=coach,
    )

    assert response.status_code == 204
    assert api.get("/api/me", as_=coach).status_code == 200
    assert not signed_in(browser)


def test_a_wrong_current_password_changes_nothing(app, api):
    coach = make_coach(app)
    browser = sign_in(app, coach)
    with app.app_context():
        before = db.session.scalar(select(ApiToken.revoked_at))

    response = api.post(
        "/api/me/password",
        json={"current_password": "not it", "new_password": "a brand new secret"},
        as_=coach,
    )

    assert_error(response, 400, "validation_error", ("current_password",))
    assert signed_in(browser)
    with app.app_context():
        assert db.session.scalar(select(ApiToken.revoked_at)) == before
    assert web_login(app.test_client(), coach.email, PASSWORD).status_code == 302


# --- what the settings page will list ----------------------------------------------


def test_a_user_sees_their_sign_ins_and_can_end_another(app):
    coach, other = make_coach(app), make_coach(app)
    sign_in(app, coach, user_agent="Firefox on Linux")
    phone = sign_in(app, coach, user_agent="Safari on iPhone")
    sign_in(app, other)

    with app.app_context():
        me = db.session.get(User, coach.id)
        listed = web_sessions.live_sessions(me)
        assert sorted(s.user_agent for s in listed) == ["Firefox on Linux", "Safari on iPhone"]
        iphone = next(s for s in listed if s.user_agent == "Safari on iPhone")
        [theirs] = rows(app, other)
        with pytest.raises(AppError) as refused:
            web_sessions.end_for_user(me, theirs.id)
        assert refused.value.code == "not_found"
        web_sessions.end_for_user(me, iphone.id)
        assert [s.user_agent for s in web_sessions.live_sessions(me)] == ["Firefox on Linux"]

    assert not signed_in(phone)


# --- pages and redirects -----------------------------------------------------------


def test_signed_in_pages_are_not_stored_by_any_cache(app, client):
    assert "no-store" not in client.get("/login").headers.get("Cache-Control", "")
    web_login(client, make_coach(app).email, PASSWORD)

    response = client.get("/dashboard")

    assert response.headers["Cache-Control"] == "no-store"
    assert "Cookie" in response.headers["Vary"]


@pytest.mark.parametrize("target", ["/dashboard\r\nSet-Cookie: x=1", "/da\nsh", "/\x7f"])
def test_a_next_with_control_characters_falls_back_to_the_dashboard(app, client, target):
    coach = make_coach(app)
    token = csrf_token(client)

    response = client.post(
        "/login",
        query_string={"next": target},
        data={"email": coach.email, "password": PASSWORD, "csrf_token": token},
    )

    assert response.status_code == 302
    assert response.headers["Location"].endswith("/dashboard")
    assert signed_in(client)
