"""The dashboard: a coach's requests and sessions, a client's sessions, in their own zone."""

from __future__ import annotations

from tests.helpers import web_login


def _dashboard(app, email: str, password: str) -> str:
    client = app.test_client()
    assert web_login(client, email, password).status_code == 302
    return client.get("/dashboard").get_data(as_text=True)


def test_the_demo_coach_sees_upcoming_sessions_and_the_waiting_request(app):
    assert app.test_cli_runner().invoke(args=["seed-demo"]).exit_code == 0
    html = _dashboard(app, "coach@example.com", "demo-coach-pass")
    assert "Upcoming sessions" in html
    assert "1 request waiting for your answer." in html
    assert "Robin Requester" in html and "Chris Client" in html
    assert "When (Europe/Berlin)" in html
    assert "time suggested" in html


def test_a_client_sees_only_their_own_sessions_with_the_coach(app):
    assert app.test_cli_runner().invoke(args=["seed-demo"]).exit_code == 0
    html = _dashboard(app, "robin@example.com", "demo-client-pass")
    assert "When (America/New_York)" in html
    assert "Dana Demo" in html
    assert "Chris Client" not in html  # another client's sessions stay private
    assert "waiting for your answer" not in html


def test_a_new_user_sees_an_empty_state(app):
    from tests.factories import PASSWORD, make_client

    person = make_client(app)
    html = _dashboard(app, person.email, PASSWORD)
    assert "No upcoming sessions." in html
