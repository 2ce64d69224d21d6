"""Malformed bodies against every operation of the OpenAPI document, signed in and out.

Each kind of body below once reached a service or the database and answered 500. The
routes come from the document, so a route added later is covered without a new test:
every answer is a 4xx with the SPEC's error body, and nothing is written.
"""

from __future__ import annotations

import pytest
from sqlalchemy import select

from extensions import db
from tests.factories import make_coach

METHODS = ("get", "put", "post", "patch", "delete")

MALFORMED = {
    "surrogate in a value": b'{"email": "a\\ud800@x.y", "password": "x", "name": "\\udfff"}',
    "surrogate in a key": b'{"\\ud83d": 1}',
    "nesting 10,000 deep": b"[" * 10_000 + b"]" * 10_000,
    "objects 10,000 deep": b'{"a":' * 10_000 + b"1" + b"}" * 10_000,
    "nesting 40 deep": b'{"message": ' + b"[" * 40 + b"]" * 40 + b"}",
    "5,000-digit number": b'{"coach_id": ' + b"7" * 5_000 + b"}",
    "5,000-digit float": b'{"duration_minutes": 1.' + b"5" * 5_000 + b"}",
    "NaN": b'{"duration_minutes": NaN}',
    "NUL in a value": b'{"name": "a\\u0000b", "message": "\\u0000"}',
    "invalid UTF-8": b'{"name": "\xff\xfe"}',
    "a list": b"[1, 2, 3]",
    "a string": b'"hello"',
    "a number": b"42",
    "null": b"null",
    "truncated": b'{"name": "x"',
}


def _operations(client) -> list[tuple[str, str]]:
    document = client.get("/api/openapi.json").get_json()
    found = []
    for path, item in document["paths"].items():
        for method in METHODS:
            if method in item:
                # Any id: the body is refused before anything looks the id up.
                found.append((method.upper(), _fill(path)))
    return found


def _fill(path: str) -> str:
    parts = []
    for part in path.split("/"):
        if part.startswith("{"):
            part = "dana-coach" if part == "{slug}" else "1"
        parts.append(part)
    return "/".join(parts)


def _snapshot() -> dict:
    """Every row of every table: what "nothing written" is checked against."""
    rows = {}
    for table in db.metadata.sorted_tables:
        rows[table.name] = sorted(
            (tuple(map(repr, row)) for row in db.session.execute(select(table))), key=repr
        )
    db.session.rollback()
    return rows


@pytest.mark.parametrize("signed_in", [False, True], ids=["signed out", "signed in"])
def test_no_malformed_body_gets_past_the_parser_on_any_route(app, client, signed_in):
    coach = make_coach(app, slug="dana-coach", calendar_privacy="public")
    headers = {"Content-Type": "application/json"}
    if signed_in:
        headers["Authorization"] = f"Bearer {coach.token}"
    operations = _operations(client)
    assert len(operations) >= 30, operations
    with app.app_context():
        before = _snapshot()

    answers = {}
    for method, path in operations:
        for kind, body in MALFORMED.items():
            response = client.open(path, method=method, data=body, headers=headers)
            answers[(method, path, kind)] = response.status_code
            assert 400 <= response.status_code < 500, (method, path, kind, response.data)
            error = response.get_json()["error"]
            assert set(error) == {"code", "message", "details"}
            assert error["message"]

    with app.app_context():
        assert _snapshot() == before
    # Before any route, service or sign-in check: the body itself is the 400.
    assert {status for status in answers.values()} == {400}, {
        key: status for key, status in answers.items() if status != 400
    }


def test_the_error_names_the_field_that_cannot_be_stored(app, client):
    response = client.post(
        "/api/auth/login",
        data=b'{"email": "a\\ud800@x.y", "password": "p\\u0000w"}',
        content_type="application/json",
    )
    error = response.get_json()["error"]
    assert response.status_code == 400
    assert error["code"] == "validation_error"
    assert "surrogate" in error["details"]["email"][0]
    assert "NUL" in error["details"]["password"][0]


def test_a_nested_field_is_named_by_its_path(app, client):
    coach = make_coach(app)
    response = client.post(
        "/api/bookings/1/suggest",
        data=b'{"times": [{"start": "2030-01-01T09:00:00Z", "end": "x\\u0000"}]}',
        content_type="application/json",
        headers={"Authorization": f"Bearer {coach.token}"},
    )
    assert response.status_code == 400
    assert list(response.get_json()["error"]["details"]) == ["times.0.end"]


@pytest.mark.parametrize(
    "body",
    [
        b'{"email": "a@b.cd", "password": "x", "n": ' + b"1" * 100 + b"}",
        b'{"email": "a@b.cd", "password": "x", "n": ' + b"[" * 31 + b"]" * 31 + b"}",
        b'{"email": "a@b.cd", "password": "x", "n": 1e308}',
    ],
    ids=["100 digits", "32 levels", "largest float"],
)
def test_bodies_at_the_limits_are_read(app, client, body):
    response = client.post("/api/auth/login", data=body, content_type="application/json")
    # Read, and refused for the credentials only.
    assert response.status_code == 401, response.get_json()


@pytest.mark.parametrize("kind", ["nesting 10,000 deep", "surrogate in a value", "a list"])
def test_the_rate_limiters_key_reads_the_body_through_the_same_parser(app, kind):
    """A body the parser refuses gives the per-e-mail limit the caller's address as key
    (the route then answers 400); it never raises inside the limiter."""
    from blueprints.security import _email_key

    with app.test_request_context(
        "/api/auth/login",
        method="POST",
        data=MALFORMED[kind],
        content_type="application/json",
        environ_base={"REMOTE_ADDR": "203.0.113.9"},
    ):
        assert _email_key() == "ip:203.0.113.9"
    with app.test_request_context(
        "/api/auth/login", method="POST", json={"email": " Dana@Example.COM "}
    ):
        assert _email_key() == "email:dana@example.com"


def test_a_surrogate_pair_is_one_character_and_welcome(app, client):
    """``\\ud83d\\ude00`` is how JSON writes 😀: a pair is fine, only a lone half is not."""
    body = (
        b'{"email": "emoji@example.com", "password": "long enough", '
        b'"name": "Dana \\ud83d\\ude00", "role": "client", "timezone": "UTC"}'
    )
    response = client.post("/api/auth/register", data=body, content_type="application/json")
    assert response.status_code == 201, response.get_json()
    assert response.get_json()["user"]["name"] == "Dana \U0001f600"
