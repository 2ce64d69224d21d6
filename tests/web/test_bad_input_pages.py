"""Web forms and pages: bad input is a clear 4xx, never a 500 (on both databases)."""

from __future__ import annotations

from tests.factories import PASSWORD, make_client
from tests.helpers import csrf_token, web_login


def test_a_nul_character_in_the_registration_form_is_refused(client):
    response = client.post(
        "/register",
        data={
            "name": "Dana\x00",
            "email": "dana@example.com",
            "password": "a long password",
            "role": "client",
            "timezone": "Europe/Berlin",
            "csrf_token": csrf_token(client, "/register"),
        },
    )
    assert response.status_code == 400


def test_a_nul_character_in_the_login_form_is_refused(client):
    response = client.post(
        "/login",
        data={"email": "a\x00@example.com", "password": "x", "csrf_token": csrf_token(client)},
    )
    assert response.status_code == 400


def test_a_nul_character_in_a_coach_address_is_refused(app, client):
    person = make_client(app)
    web_login(client, person.email, PASSWORD)
    response = client.post(
        "/connections",
        data={"coach_slug": "dana\x00", "csrf_token": csrf_token(client, "/dashboard")},
    )
    assert response.status_code == 400


def test_answering_a_connection_with_a_huge_id_is_404(app, client):
    person = make_client(app)
    web_login(client, person.email, PASSWORD)
    response = client.post(
        "/connections/99999999999/accept", data={"csrf_token": csrf_token(client, "/dashboard")}
    )
    assert response.status_code == 404
