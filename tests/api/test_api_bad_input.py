"""Bad input the contract run turned up: each is a 4xx with the error body, never a 500.

NUL characters (PostgreSQL text cannot hold them), datetimes near year 1 or 9999 (they
overflow when converted), ids past the 32-bit columns (the query overflows), and JSON
numbers such as ``60.0`` that the document's ``integer`` allows.
"""

from __future__ import annotations

import pytest

from tests.api.scheduling import MONDAY, WINDOWS_URL, local, z
from tests.factories import make_client, make_coach, make_connection, make_session_type
from tests.helpers import assert_error

NUL = "a\x00b"
YEAR_1 = "0001-01-01T00:00:00+14:00"
YEAR_9999 = "9999-12-31T23:45:00-12:00"


@pytest.fixture
def scene(app, api):
    coach = make_coach(app, calendar_privacy="public")
    client = make_client(app)
    make_connection(app, client, coach)
    session_type_id = make_session_type(app, coach)
    response = api.post(
        WINDOWS_URL,
        json={"start": z(local(MONDAY, 9)), "end": z(local(MONDAY, 17))},
        as_=coach,
    )
    assert response.status_code == 201, response.get_json()
    return {
        "coach": coach,
        "client": client,
        "session_type_id": session_type_id,
        "window_id": response.get_json()["availability"]["id"],
    }


def _body_cases(s):
    coach, client, type_id = s["coach"], s["client"], s["session_type_id"]
    book = {"coach_id": coach.id, "session_type_id": type_id, "start": z(local(MONDAY, 10))}
    return [
        (
            "POST",
            "/api/auth/register",
            None,
            {"email": "n@example.com", "password": "long enough", "name": NUL, "role": "client"},
            "name",
        ),
        ("POST", "/api/auth/login", None, {"email": NUL, "password": "x"}, "email"),
        ("PATCH", "/api/me", coach, {"name": NUL}, "name"),
        ("PATCH", "/api/me", coach, {"embed_domains": [NUL]}, "embed_domains.0"),
        ("POST", "/api/connections", client, {"coach_slug": NUL}, "coach_slug"),
        ("POST", "/api/session-types", coach, {"name": "Talk", "location": NUL}, "location"),
        ("POST", "/api/coupons", coach, {"code": NUL, "percent_off": 5}, "code"),
        (
            "POST",
            "/api/bookings/price",
            client,
            {"session_type_id": type_id, "coupon_code": NUL},
            "coupon_code",
        ),
        ("POST", "/api/bookings", client, book | {"message": NUL}, "message"),
        ("POST", "/api/bookings", client, book | {"start": YEAR_1}, "start"),
        ("POST", "/api/bookings", client, book | {"start": YEAR_9999}, "start"),
        ("POST", WINDOWS_URL, coach, {"start": YEAR_1, "end": z(local(MONDAY, 9))}, "start"),
        (
            "POST",
            WINDOWS_URL,
            coach,
            {
                "start": z(local(MONDAY, 18)),
                "end": z(local(MONDAY, 19)),
                "recurrence": {"weekdays": ["MO"], "until": "9999-12-31"},
            },
            "recurrence.until",
        ),
        (
            "POST",
            "/api/coupons",
            coach,
            {"code": "FAR", "percent_off": 5, "valid_from": YEAR_1},
            "valid_from",
        ),
    ]


def _query_cases(s):
    coach, client, type_id = s["coach"], s["client"], s["session_type_id"]
    far = {"start": YEAR_1, "end": z(local(MONDAY, 0))}
    return [
        (f"/api/bookings/{coach.id}/bookings", client, far, "start"),
        (
            f"/api/bookings/{coach.id}/bookings",
            client,
            {"start": z(local(MONDAY, 0)), "end": YEAR_9999},
            "end",
        ),
        (f"/api/bookings/{coach.id}/slots", client, far | {"session_type_id": type_id}, "start"),
        (f"/api/bookings/user/{client.id}/sessions", client, {"start": YEAR_1}, "start"),
        (f"/api/bookings/user/{client.id}/sessions", client, {"cursor": NUL}, "cursor"),
        (f"/api/bookings/user/{client.id}/sessions", client, {"cursor": f"{YEAR_1}_1"}, "cursor"),
        (
            f"/api/bookings/user/{client.id}/sessions",
            client,
            {"cursor": "2027-01-11T09:00:00Z_99999999999999999999"},
            "cursor",
        ),
    ]


def test_bad_bodies_are_a_validation_error(app, api, scene):
    for method, path, person, body, field in _body_cases(scene):
        response = api.request(method, path, as_=person, json=body)
        assert_error(response, 400, "validation_error", (field,))


def test_bad_queries_are_a_validation_error(app, api, scene):
    for path, person, query, field in _query_cases(scene):
        assert_error(
            api.get(path, as_=person, query_string=query), 400, "validation_error", (field,)
        )


def test_bad_occurrences_are_a_validation_error(app, api, scene):
    url = f"{WINDOWS_URL}/{scene['window_id']}"
    query = {"scope": "occurrence", "occurrence": YEAR_9999}
    body = {"start": z(local(MONDAY, 9)), "end": z(local(MONDAY, 10))}
    put = api.request("PUT", url, as_=scene["coach"], query_string=query, json=body)
    assert_error(put, 400, "validation_error", ("occurrence",))
    delete = api.delete(url, as_=scene["coach"], query_string=query)
    assert_error(delete, 400, "validation_error", ("occurrence",))


@pytest.mark.parametrize(
    "method, path",
    [
        ("GET", "/api/bookings/99999999999"),
        ("PATCH", "/api/coupons/99999999999"),
        ("DELETE", "/api/session-types/99999999999999999999999"),
        ("POST", "/api/notifications/2147483648/read"),
        ("GET", "/api/bookings/0"),
        ("GET", "/api/coaches/ab%00cd"),
    ],
)
def test_ids_that_cannot_exist_are_not_found(app, api, method, path):
    coach = make_coach(app)
    assert_error(api.request(method, path, as_=coach, json={}), 404, "not_found")


def test_a_json_integer_may_carry_a_zero_fraction(app, api, scene):
    response = api.post(
        "/api/bookings/price",
        json={"session_type_id": float(scene["session_type_id"]), "duration_minutes": 60.0},
        as_=scene["client"],
    )
    assert response.status_code == 200, response.get_json()
    response = api.post(
        "/api/bookings/price",
        json={"session_type_id": scene["session_type_id"], "duration_minutes": 60.5},
        as_=scene["client"],
    )
    assert_error(response, 400, "validation_error", ("duration_minutes",))
