"""Who may open a live connection (SPEC 7): a bearer token or a browser's sign-in; and
who may follow a calendar (``join_calendar``), by the calendar privacy rule."""

from __future__ import annotations

import pytest
import socketio
from sqlalchemy import text

from extensions import db
from tests.factories import make_client, make_coach, make_connection
from tests.helpers import web_login


def session_cookie(client, person) -> str:
    """The Cookie header of a browser signed in as ``person``."""
    response = web_login(client, person.email, person.password)
    assert response.status_code == 302
    return f"session={client.get_cookie('session').value}"


def refused(listen, **kwargs) -> bool:
    try:
        listen(**kwargs)
    except socketio.exceptions.ConnectionError:
        return True
    return False


def test_no_credentials_are_refused(app, listen):
    assert refused(listen)


@pytest.mark.parametrize(
    "credentials",
    [
        {"auth": {"token": "not-a-token"}},
        {"query": "?token=not-a-token"},
        {"auth": {"token": 12345}},
        {"auth": {"token": ["a", "list"]}},
        {"auth": {"token": "x" * 5000}},
        {"auth": "a string"},
        {"headers": {"Cookie": "session=forged.cookie.value"}},
    ],
)
def test_bad_credentials_are_refused(app, listen, credentials):
    assert refused(listen, **credentials)


def test_a_revoked_token_is_refused(app, api, listen):
    client = make_client(app)
    response = api.post("/api/auth/logout", as_=client)
    assert response.status_code in (200, 204), response.get_data(as_text=True)
    assert refused(listen, auth={"token": client.token})


def test_a_token_connects_in_auth_or_in_the_query(app, listen):
    person = make_client(app)
    assert listen(auth={"token": person.token}).client.connected
    assert listen(query=f"?token={person.token}").client.connected


def test_a_browser_sign_in_connects_and_signing_out_ends_it(app, client, listen):
    person = make_client(app)
    cookie = session_cookie(client, person)
    assert listen(headers={"Cookie": cookie}).client.connected
    client.post("/logout", data={"csrf_token": _csrf(client)})
    assert refused(listen, headers={"Cookie": cookie})


def test_a_bad_token_is_refused_even_with_a_good_session(app, client, listen):
    """As for the API, a request that carries a token is authenticated by it alone."""
    cookie = session_cookie(client, make_client(app))
    assert refused(listen, headers={"Cookie": cookie}, auth={"token": "wrong"})


def _csrf(client) -> str:
    from tests.helpers import csrf_token

    return csrf_token(client, "/settings")


# --- join_calendar -----------------------------------------------------------------------


def test_a_public_calendar_is_joined_by_anyone_signed_in(app, listen):
    coach = make_coach(app, calendar_privacy="public")
    assert listen(make_client(app)).join(coach.id) == {"ok": True}


@pytest.mark.parametrize("privacy", ["connected", "private"])
def test_a_calendar_the_viewer_may_not_see_answers_as_a_missing_coach(app, listen, privacy):
    coach = make_coach(app, calendar_privacy=privacy)
    viewer = listen(make_client(app))
    missing = {"ok": False, "error": {"code": "not_found"}}
    assert viewer.join(coach.id) == missing
    assert viewer.join(2_000_000_000) == missing
    assert viewer.join(make_client(app).id) == missing  # a client has no calendar


def test_a_connected_calendar_is_joined_by_a_connection_and_its_owner(app, listen):
    coach = make_coach(app, calendar_privacy="connected")
    friend = make_client(app)
    make_connection(app, friend, coach)
    assert listen(friend).join(coach.id) == {"ok": True}
    assert listen(coach).join(coach.id) == {"ok": True}


def test_a_private_calendar_is_joined_by_its_owner_only(app, listen):
    coach = make_coach(app, calendar_privacy="private")
    friend = make_client(app)
    make_connection(app, friend, coach)
    assert listen(coach).join(coach.id) == {"ok": True}
    assert listen(friend).join(coach.id)["ok"] is False


@pytest.mark.parametrize(
    "payload",
    [
        {},
        {"coach_id": None},
        {"coach_id": "1"},
        {"coach_id": 1.5},
        {"coach_id": True},
        {"coach_id": 0},
        {"coach_id": -3},
        {"coach_id": 2**31},
        {"coach_id": 10**30},
        {"coach_id": {"$gt": 0}},
        {"coach_id": [1]},
    ],
)
def test_a_bad_coach_id_is_a_validation_error(app, listen, payload):
    viewer = listen(make_client(app))
    expected = {"ok": False, "error": {"code": "validation_error"}}
    assert viewer.join(payload) == expected
    assert viewer.client.call("leave_calendar", payload, timeout=5) == expected


def test_hostile_event_arguments_get_an_answer_and_keep_the_connection(app, listen):
    coach = make_coach(app, calendar_privacy="public")
    viewer = listen(make_client(app))
    expected = {"ok": False, "error": {"code": "validation_error"}}
    for args in ("text", 7, None, ["a"], ({"coach_id": coach.id}, "extra")):
        answer = viewer.client.call("join_calendar", args, timeout=5)
        assert answer == expected, args
    assert viewer.client.call("join_calendar", timeout=5) == expected
    assert viewer.join(coach.id) == {"ok": True}  # still connected and served
    assert viewer.client.call("leave_calendar", {"coach_id": coach.id}, timeout=5) == {"ok": True}


def test_socket_events_leave_no_transaction_open(app, listen):
    """Events run outside a request's teardown: each handler ends its database session."""
    coach = make_coach(app, calendar_privacy="connected")
    viewers = [listen(make_client(app)) for _ in range(3)]
    for viewer in viewers:
        assert viewer.join(coach.id)["ok"] is False
        assert viewer.join({"coach_id": "bad"})["ok"] is False
    with app.app_context():
        if db.engine.dialect.name != "postgresql":
            pytest.skip("PostgreSQL reports each connection's state; SQLite does not")
        waiting = db.session.scalar(
            text(
                "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database()"
                " AND state LIKE 'idle in transaction%'"
            )
        )
    assert waiting == 0
