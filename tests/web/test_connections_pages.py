"""Connecting through the dashboard: ask with the form, answer with the buttons."""

from __future__ import annotations

import html
import re

import pytest

from extensions import db
from models import Connection
from tests.factories import make_client, make_coach, make_connection
from tests.helpers import count, csrf_token, web_login


def signed_in(app, person):
    """A browser of its own, signed in as ``person``."""
    browser = app.test_client()
    response = web_login(browser, person.email, person.password)
    assert response.status_code == 302, response.get_data(as_text=True)
    return browser


def page_text(response) -> str:
    """The page as a reader sees it: tags dropped, entities decoded, spaces collapsed."""
    without_tags = re.sub(r"<[^>]+>", " ", response.get_data(as_text=True))
    return " ".join(html.unescape(without_tags).split())


def section(response, heading: str) -> str:
    """The text of the dashboard's Connections card from ``heading`` to the next heading."""
    text = page_text(response)
    assert heading in text, text
    rest = text.split(heading, 1)[1]
    for stop in ("Waiting for your answer", "Connected", "Sent, waiting", "Ask to connect"):
        if stop in rest:
            rest = rest.split(stop, 1)[0]
    return rest


def answer_action(response, answer: str) -> str:
    """The action URL of the dashboard's Accept or Decline form."""
    actions = re.findall(rf'action="(/connections/\d+/{answer})"', response.get_data(as_text=True))
    assert len(actions) == 1, actions
    return actions[0]


def ask_to_connect(browser, slug: str):
    token = csrf_token(browser, "/dashboard")
    return browser.post(
        "/connections",
        data={"coach_slug": slug, "csrf_token": token},
        follow_redirects=True,
    )


def stored_statuses(app) -> list[str]:
    with app.app_context():
        return list(db.session.scalars(db.select(Connection.status)))


def test_a_client_asks_a_coach_who_accepts_and_then_both_see_each_other_as_connected(app):
    coach = make_coach(app, name="Dana Coach")
    client = make_client(app, name="Chris Client")
    client_browser = signed_in(app, client)

    asked = ask_to_connect(client_browser, coach.slug)

    assert asked.status_code == 200
    assert "Request sent." in page_text(asked)
    assert "Dana Coach" in section(asked, "Sent, waiting")
    assert stored_statuses(app) == ["pending"]

    coach_browser = signed_in(app, coach)
    coach_dashboard = coach_browser.get("/dashboard")
    assert "Chris Client wants to connect" in page_text(coach_dashboard)

    accepted = coach_browser.post(
        answer_action(coach_dashboard, "accept"),
        data={"csrf_token": csrf_token(coach_browser, "/dashboard")},
        follow_redirects=True,
    )

    assert accepted.status_code == 200
    assert "Connection accepted." in page_text(accepted)
    assert "wants to connect" not in page_text(accepted)
    assert "Chris Client" in section(accepted, "Connected")
    assert stored_statuses(app) == ["accepted"]

    client_dashboard = client_browser.get("/dashboard")
    connected = section(client_dashboard, "Connected")
    assert "Dana Coach" in connected
    assert f"/coaches/{coach.slug}" in connected
    assert "Sent, waiting" not in page_text(client_dashboard)


def test_a_coach_who_declines_does_not_appear_as_connected(app):
    coach = make_coach(app, name="Dana Coach")
    client = make_client(app, name="Chris Client")
    make_connection(app, client, coach, "pending")
    coach_browser = signed_in(app, coach)
    dashboard = coach_browser.get("/dashboard")

    declined = coach_browser.post(
        answer_action(dashboard, "decline"),
        data={"csrf_token": csrf_token(coach_browser, "/dashboard")},
        follow_redirects=True,
    )

    assert declined.status_code == 200
    assert "Connection declined." in page_text(declined)
    assert "Connected" not in page_text(declined).split("Connections", 1)[1]
    assert "No connections yet." in page_text(declined)
    assert stored_statuses(app) == ["declined"]
    client_page = page_text(signed_in(app, client).get("/dashboard"))
    assert "Dana Coach" not in client_page


@pytest.mark.parametrize(
    "typed", ["{slug}", "  {slug}  ", "{upper}"], ids=["plain", "spaces", "upper"]
)
def test_the_address_may_be_typed_with_spaces_or_capitals(app, typed):
    coach = make_coach(app, name="Dana Coach")
    browser = signed_in(app, make_client(app))
    response = ask_to_connect(browser, typed.format(slug=coach.slug, upper=coach.slug.upper()))
    assert "Request sent." in page_text(response)
    assert stored_statuses(app) == ["pending"]


def test_an_unknown_coach_address_shows_a_message_and_sends_nothing(app):
    browser = signed_in(app, make_client(app))
    response = ask_to_connect(browser, "nobody-by-this-name")
    assert response.status_code == 200
    assert "There is no coach at that address." in page_text(response)
    assert count(app, Connection) == 0


def test_an_empty_coach_address_asks_for_one(app):
    browser = signed_in(app, make_client(app))
    response = ask_to_connect(browser, "")
    assert "Enter the coach's address." in page_text(response)
    assert count(app, Connection) == 0


def test_asking_a_coach_twice_says_the_connection_exists_and_keeps_one_row(app):
    coach = make_coach(app)
    client = make_client(app)
    make_connection(app, client, coach, "pending")
    browser = signed_in(app, client)
    response = ask_to_connect(browser, coach.slug)
    assert response.status_code == 200
    assert "exists already" in page_text(response)
    assert stored_statuses(app) == ["pending"]


def test_the_ask_form_without_a_csrf_token_is_refused(app):
    coach = make_coach(app)
    browser = signed_in(app, make_client(app))
    response = browser.post("/connections", data={"coach_slug": coach.slug})
    assert response.status_code == 400
    assert count(app, Connection) == 0


def test_accepting_someone_elses_connection_shows_a_not_found_page(app):
    coach, client = make_coach(app), make_client(app)
    connection_id = make_connection(app, client, coach, "pending")
    outsider = signed_in(app, make_client(app))

    response = outsider.post(
        f"/connections/{connection_id}/accept",
        data={"csrf_token": csrf_token(outsider, "/dashboard")},
    )

    assert response.status_code == 404
    assert response.mimetype == "text/html"
    assert "Not found" in page_text(response)
    assert stored_statuses(app) == ["pending"]


def test_the_requester_cannot_accept_their_own_request_from_the_page(app):
    coach, client = make_coach(app), make_client(app)
    connection_id = make_connection(app, client, coach, "pending")
    browser = signed_in(app, client)

    response = browser.post(
        f"/connections/{connection_id}/accept",
        data={"csrf_token": csrf_token(browser, "/dashboard")},
    )

    assert response.status_code == 403
    assert "Not allowed" in page_text(response)
    assert stored_statuses(app) == ["pending"]


def test_accepting_an_answered_request_again_shows_a_conflict_page(app):
    coach, client = make_coach(app), make_client(app)
    connection_id = make_connection(app, client, coach, "declined")
    browser = signed_in(app, coach)

    response = browser.post(
        f"/connections/{connection_id}/accept",
        data={"csrf_token": csrf_token(browser, "/dashboard")},
    )

    assert response.status_code == 409
    assert "declined already" in page_text(response)
    assert stored_statuses(app) == ["declined"]


def test_answering_needs_a_signed_in_user(app):
    coach, client = make_coach(app), make_client(app)
    connection_id = make_connection(app, client, coach, "pending")
    visitor = app.test_client()
    response = visitor.post(
        f"/connections/{connection_id}/accept", data={"csrf_token": csrf_token(visitor)}
    )
    assert response.status_code == 302
    assert "/login" in response.headers["Location"]
    assert stored_statuses(app) == ["pending"]


def test_a_coach_dashboard_has_no_ask_to_connect_form_but_a_clients_does(app):
    coach_page = page_text(signed_in(app, make_coach(app)).get("/dashboard"))
    client_page = page_text(signed_in(app, make_client(app)).get("/dashboard"))
    assert "Ask to connect" not in coach_page
    assert "Ask to connect" in client_page
