"""The OpenAPI 3.1 document at /api/openapi.json, and the API held to it.

A seeded schemathesis run (in-process, through the Flask app's WSGI interface) sends
generated requests to every operation, as a coach and as a client, and checks each answer:
no 5xx, a documented status code and content type, a body that matches the documented
schema. Hypothesis is derandomized with a fixed number of examples, so the run is the same
every time. A scripted booking story then checks the rich answers (suggestions, history,
busy blocks, refunds) that random input rarely reaches.
"""

from __future__ import annotations

from datetime import timedelta
from http import HTTPStatus

import pytest
import schemathesis
from hypothesis import HealthCheck, Phase, given, settings
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from extensions import db
from models import User
from services import accounts
from tests.api.scheduling import MONDAY, WINDOWS_URL, local, z
from tests.factories import make_client, make_coach, make_connection, make_coupon

OPENAPI_URL = "/api/openapi.json"
CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
]
EXAMPLES_GENERATED = 15  # per operation and generation mode
EXAMPLES_PINNED = 10  # per operation, with the path pointing at the seeded resources

# Every route of SPEC 8 implemented so far: (method, path in the document).
SPEC_ROUTES = {
    ("post", "/api/auth/register"),
    ("post", "/api/auth/login"),
    ("post", "/api/auth/logout"),
    ("get", "/api/me"),
    ("patch", "/api/me"),
    ("get", "/api/connections"),
    ("post", "/api/connections"),
    ("post", "/api/connections/{connection_id}/accept"),
    ("post", "/api/connections/{connection_id}/decline"),
    ("get", "/api/session-types"),
    ("post", "/api/session-types"),
    ("get", "/api/session-types/{session_type_id}"),
    ("patch", "/api/session-types/{session_type_id}"),
    ("delete", "/api/session-types/{session_type_id}"),
    ("get", "/api/coupons"),
    ("post", "/api/coupons"),
    ("get", "/api/coupons/{coupon_id}"),
    ("patch", "/api/coupons/{coupon_id}"),
    ("delete", "/api/coupons/{coupon_id}"),
    ("get", "/api/coaches/{slug}"),
    ("get", "/api/bookings/{user_id}/bookings"),
    ("get", "/api/bookings/{user_id}/slots"),
    ("post", "/api/bookings/price"),
    ("post", "/api/bookings/availability"),
    ("put", "/api/bookings/availability/{availability_id}"),
    ("delete", "/api/bookings/availability/{availability_id}"),
    ("post", "/api/bookings"),
    ("get", "/api/bookings/{booking_id}"),
    ("get", "/api/bookings/user/{user_id}/sessions"),
    ("post", "/api/bookings/{booking_id}/accept"),
    ("post", "/api/bookings/{booking_id}/decline"),
    ("post", "/api/bookings/{booking_id}/suggest"),
    ("post", "/api/bookings/{booking_id}/choose"),
    ("post", "/api/bookings/{booking_id}/cancel"),
    ("post", "/api/bookings/{booking_id}/reschedule"),
    ("put", "/api/bookings/{booking_id}/status"),
    ("get", "/api/notifications"),
    ("post", "/api/notifications/{notification_id}/read"),
}
PUBLIC_ROUTES = {
    ("post", "/api/auth/register"),
    ("post", "/api/auth/login"),
    ("get", "/api/session-types/{session_type_id}"),
    ("get", "/api/coaches/{slug}"),
    ("get", "/api/bookings/{user_id}/bookings"),
    ("get", "/api/bookings/{user_id}/slots"),
    ("post", "/api/bookings/price"),
}
METHODS = ("get", "put", "post", "delete", "options", "head", "patch", "trace")


def _document(client) -> dict:
    response = client.get(OPENAPI_URL)
    assert response.status_code == 200
    assert response.mimetype == "application/json"
    return response.get_json()


def _operations(document: dict):
    for path, item in document["paths"].items():
        for method, operation in item.items():
            if method in METHODS:
                yield method, path, operation


# --- the document ------------------------------------------------------------------


def test_the_document_is_openapi_3_1_with_every_spec_route(client):
    document = _document(client)
    assert document["openapi"] == "3.1.0"
    assert document["info"]["title"]
    documented = {(method, path) for method, path, _ in _operations(document)}
    assert documented >= SPEC_ROUTES, sorted(SPEC_ROUTES - documented)
    bearer = document["components"]["securitySchemes"]["bearerAuth"]
    assert (bearer["type"], bearer["scheme"]) == ("http", "bearer")


def test_every_operation_documents_its_answers_and_security(client):
    document = _document(client)
    for method, path, operation in _operations(document):
        responses = operation["responses"]
        label = f"{method.upper()} {path}"
        success = [code for code in responses if code.startswith("2")]
        assert len(success) == 1, label
        if success == ["204"]:
            assert "content" not in responses["204"], label
        else:
            assert "schema" in responses[success[0]]["content"]["application/json"], label
        assert "default" not in responses, label
        errors = [code for code in responses if not code.startswith("2")]
        assert errors, label
        for code in errors:
            assert responses[code] == {
                "$ref": f"#/components/responses/{HTTPStatus(int(code)).name}"
            }
        if operation.get("requestBody") or operation.get("parameters"):
            assert "400" in responses, label
        if operation.get("requestBody"):
            assert "415" in responses, label
        if (method, path) in PUBLIC_ROUTES:
            assert {} in operation.get("security", [{}]), label
        else:
            assert operation["security"] == [{"bearerAuth": []}], label
            assert "401" in responses, label


def test_error_answers_share_the_error_envelope(client):
    document = _document(client)
    components = document["components"]
    for code in ("BAD_REQUEST", "UNAUTHORIZED", "FORBIDDEN", "NOT_FOUND", "CONFLICT"):
        schema = components["responses"][code]["content"]["application/json"]["schema"]
        assert schema == {"$ref": "#/components/schemas/ErrorEnvelope"}
    error = components["schemas"]["Error"]
    assert set(error["required"]) == {"code", "message", "details"}


def test_datetimes_are_date_time_strings_and_nullables_are_marked(client):
    schemas = _document(client)["components"]["schemas"]
    booking = schemas["Booking"]["properties"]
    assert booking["start"] == {"type": "string", "format": "date-time"}
    assert booking["created_at"] == {"type": "string", "format": "date-time"}
    assert schemas["Payment"]["properties"]["checkout_url"]["type"] == ["string", "null"]
    coupon = schemas["Coupon"]["properties"]
    assert coupon["valid_until"]["type"] == ["string", "null"]
    assert coupon["valid_until"]["format"] == "date-time"
    assert coupon["percent_off"]["type"] == ["integer", "null"]
    assert schemas["Availability"]["properties"]["recurrence"]["anyOf"][1] == {"type": "null"}
    calendar_item = schemas["Calendar"]["properties"]["items"]["items"]
    assert len(calendar_item["oneOf"]) == 3


# --- the API held to it ------------------------------------------------------------


def _seed(app, api) -> dict:
    """A public coach with two session types, a coupon and weekly availability; a connected
    client with a confirmed booking, a request, one with suggested times, notifications;
    another client's booking (a busy block for the first)."""
    coach = make_coach(app, calendar_privacy="public", vat_rate="0.19")
    client = make_client(app)
    other = make_client(app)
    make_connection(app, client, coach)
    connection_id = make_connection(app, other, coach, status="pending")
    firm = _created(
        api.post(
            "/api/session-types",
            json={"name": "Firm", "price": {"amount": 6000}, "duration": {"min": 30, "max": 90}},
            as_=coach,
        ),
        "session_type",
    )
    ask = _created(
        api.post(
            "/api/session-types",
            json={"name": "Ask first", "rules": {"firm_booking": "nobody"}},
            as_=coach,
        ),
        "session_type",
    )
    coupon_id = make_coupon(app, coach, code="WELCOME", percent_off=20)
    window = _created(
        api.post(
            WINDOWS_URL,
            json={
                "start": local(MONDAY, 9).isoformat(),
                "end": local(MONDAY, 17).isoformat(),
                "recurrence": {"weekdays": ["MO", "TU"], "count": 6},
            },
            as_=coach,
        ),
        "availability",
    )

    def book(person, session_type, hour, **extra):
        payload = {
            "coach_id": coach.id,
            "session_type_id": session_type["id"],
            "start": local(MONDAY, hour).isoformat(),
            **extra,
        }
        return _created(api.post("/api/bookings", json=payload, as_=person), "booking")

    book(client, firm, 9, coupon_code="WELCOME", message="Hello")
    requested = book(client, ask, 11)
    suggested = book(client, ask, 13)
    book(other, firm, 15)
    tuesday = MONDAY + timedelta(days=1)
    response = api.post(
        f"/api/bookings/{suggested['id']}/suggest",
        json={"times": [{"start": z(local(tuesday, 10)), "end": z(local(tuesday, 11))}]},
        as_=coach,
    )
    assert response.status_code == 200, response.get_json()
    notification = api.get("/api/notifications", as_=client).get_json()["items"][0]
    return {
        "coach": coach,
        "client": client,
        "ids": {
            "connection_id": connection_id,
            "session_type_id": firm["id"],
            "coupon_id": coupon_id,
            "availability_id": window["id"],
            "notification_id": notification["id"],
            "slug": coach.slug,
        },
        "requested_id": requested["id"],
        "suggested_id": suggested["id"],
        "firm_id": firm["id"],
        "ask_id": ask["id"],
    }


def _created(response, name: str) -> dict:
    assert response.status_code == 201, response.get_json()
    return response.get_json()[name]


def _pins(seeded: dict, person, booking_id: int):
    """For the pinned passes: an operation's path (and some queries) on seeded rows."""
    week = {"start": z(local(MONDAY, 0)), "end": z(local(MONDAY + timedelta(days=7), 0))}
    path_ids = seeded["ids"] | {"booking_id": booking_id, "user_id": seeded["coach"].id}
    queries = {
        "/api/bookings/{user_id}/bookings": week,
        "/api/bookings/{user_id}/slots": week | {"session_type_id": seeded["firm_id"]},
        "/api/bookings/user/{user_id}/sessions": {"limit": 2},
        "/api/notifications": {"limit": 1},
        "/api/connections": {"limit": 1},
    }

    def pins(operation) -> tuple[dict | None, dict | None]:
        names = {p.name for p in operation.iter_parameters() if p.location.value == "path"}
        path = {name: path_ids[name] for name in names if name in path_ids}
        if operation.path == "/api/bookings/user/{user_id}/sessions":
            path["user_id"] = person.id
        return path or None, queries.get(operation.path)

    return pins


def _fresh_token(app, person) -> str:
    with app.app_context():
        token, _ = accounts.issue_api_token(db.session.get(User, person.id))
        return token


def _order(operation) -> tuple:
    """Reads first, deletions last: the pinned passes keep the seeded rows for longest."""
    rank = {"GET": 0, "POST": 1, "PUT": 1, "PATCH": 1, "DELETE": 2}[operation.method.upper()]
    return rank, operation.path, operation.method


def _hypothesis_test(app, person, operation, strategy, examples: int):
    """A derandomized Hypothesis test sending ``examples`` cases of one operation."""
    bearer = {"Authorization": f"Bearer {person.token}"}

    @settings(
        max_examples=examples,
        derandomize=True,
        database=None,
        deadline=None,
        phases=[Phase.explicit, Phase.generate],
        suppress_health_check=list(HealthCheck),
    )
    @given(case=strategy)
    def check(case):
        headers = bearer
        if operation.path == "/api/auth/logout":  # must not end the run's session
            headers = {"Authorization": f"Bearer {_fresh_token(app, person)}"}
        case.call_and_validate(headers=headers, checks=CHECKS)

    return check


def _run(app, schema, person, *, modes, examples: int, pins=None) -> list[str]:
    """``examples`` generated cases per operation and mode; the failures, collected."""
    failures = []
    bearer = {"Authorization": f"Bearer {person.token}"}
    operations = sorted((result.ok() for result in schema.get_all_operations()), key=_order)
    for operation in operations:
        path_parameters, query = pins(operation) if pins else (None, None)
        for mode in modes:
            strategy = operation.as_strategy(
                generation_mode=mode,
                path_parameters=path_parameters,
                query=query,
                # Negative cases may also drop or spoil the credentials: 401 is documented.
                headers=bearer if mode is GenerationMode.POSITIVE else None,
            )
            try:
                _hypothesis_test(app, person, operation, strategy, examples)()
            except (Exception, BaseExceptionGroup) as error:  # reported together below
                failures.append(f"{operation.label} [{mode.value}]: {error}")
    return failures


@pytest.fixture
def seeded(app, api):
    return _seed(app, api)


def test_schemathesis_finds_no_contract_violation(app, seeded):
    schema = schemathesis.openapi.from_wsgi(OPENAPI_URL, app)
    coach, client = seeded["coach"], seeded["client"]
    # Generated input everywhere, as the coach: mostly unknown ids and invalid bodies.
    failures = _run(
        app,
        schema,
        coach,
        modes=(GenerationMode.POSITIVE, GenerationMode.NEGATIVE),
        examples=EXAMPLES_GENERATED,
    )
    # On the seeded rows: as the client (the booking with suggested times), then the coach.
    failures += _run(
        app,
        schema,
        client,
        modes=(GenerationMode.POSITIVE,),
        examples=EXAMPLES_PINNED,
        pins=_pins(seeded, client, seeded["suggested_id"]),
    )
    failures += _run(
        app,
        schema,
        coach,
        modes=(GenerationMode.POSITIVE,),
        examples=EXAMPLES_PINNED,
        pins=_pins(seeded, coach, seeded["requested_id"]),
    )
    assert not failures, "\n\n".join(failures)


# --- a scripted story: the rich answers, each checked against the document -----------


class CheckedApi:
    """Sends a request as a person and holds the answer to the document: the expected
    status, documented for the operation, with a body matching its schema."""

    def __init__(self, api, schema):
        self.api = api
        self.schema = schema
        self.seen: set[tuple[str, str, int]] = set()

    def __call__(self, method: str, template: str, expect: int, as_=None, **kwargs):
        path_values = {k: kwargs.pop(k) for k in list(kwargs) if f"{{{k}}}" in template}
        response = self.api.request(method, template.format(**path_values), as_=as_, **kwargs)
        assert response.status_code == expect, (method, template, response.get_json())
        operation = self.schema[template][method]
        assert str(expect) in operation.responses.status_codes, (method, template, expect)
        operation.validate_response(response)
        self.seen.add((method.lower(), template, expect))
        return response.get_json() if expect != 204 else None


def test_a_booking_story_answers_as_documented(app, api, seeded):
    check = CheckedApi(api, schemathesis.openapi.from_wsgi(OPENAPI_URL, app))
    coach, client = seeded["coach"], seeded["client"]
    tuesday = MONDAY + timedelta(days=1)
    week = {"start": z(local(MONDAY, 0)), "end": z(local(MONDAY + timedelta(days=7), 0))}

    # Accounts.
    auth = check(
        "POST",
        "/api/auth/register",
        201,
        json={
            "email": "new@example.com",
            "password": "long enough",
            "name": "New",
            "role": "coach",
        },
    )
    check(
        "POST", "/api/auth/login", 200, json={"email": "new@example.com", "password": "long enough"}
    )
    check("GET", "/api/me", 200, as_=coach)
    check("PATCH", "/api/me", 200, as_=coach, json={"embed_domains": ["https://example.org"]})
    check("PATCH", "/api/me", 200, as_=client, json={"name": "Cleo"})
    check("POST", "/api/auth/logout", 204, headers={"Authorization": f"Bearer {auth['token']}"})
    check("GET", "/api/me", 401, headers={"Authorization": f"Bearer {auth['token']}"})

    # The coach's offer: a group session type, coupons, the public profile.
    group = check(
        "POST",
        "/api/session-types",
        201,
        as_=coach,
        json={
            "name": "Group",
            "format": "group",
            "max_attendees": 3,
            "price": {"amount": 2500},
        },
    )["session_type"]
    check("GET", "/api/session-types", 200, as_=coach)
    check("GET", "/api/session-types/{session_type_id}", 200, session_type_id=group["id"])
    check(
        "PATCH",
        "/api/session-types/{session_type_id}",
        200,
        as_=coach,
        session_type_id=group["id"],
        json={"description": "Up to three."},
    )
    coupon = check(
        "POST",
        "/api/coupons",
        201,
        as_=coach,
        json={
            "code": "SPRING",
            "amount_off": 500,
            "valid_until": z(local(MONDAY, 0) + timedelta(days=60)),
        },
    )["coupon"]
    check("GET", "/api/coupons", 200, as_=coach)
    check("GET", "/api/coupons/{coupon_id}", 200, as_=coach, coupon_id=coupon["id"])
    check(
        "PATCH",
        "/api/coupons/{coupon_id}",
        200,
        as_=coach,
        coupon_id=coupon["id"],
        json={"max_redemptions": 5},
    )
    check("DELETE", "/api/coupons/{coupon_id}", 204, as_=coach, coupon_id=coupon["id"])
    check("GET", "/api/coaches/{slug}", 200, slug=coach.slug)
    check("GET", "/api/coaches/{slug}", 404, slug="nobody-here")

    # Calendar, slots (a group session with seats left) and the price with a coupon.
    wednesday = MONDAY + timedelta(days=2)
    check(
        "POST",
        "/api/bookings/availability",
        201,
        as_=coach,
        json={
            "start": z(local(wednesday, 10)),
            "end": z(local(wednesday, 11)),
            "session_type_id": group["id"],
        },
    )
    items = check(
        "GET",
        "/api/bookings/{user_id}/bookings",
        200,
        as_=client,
        user_id=coach.id,
        query_string=week,
    )["items"]
    assert {item["type"] for item in items} == {"availability", "booking", "busy"}
    check("GET", "/api/bookings/{user_id}/bookings", 200, user_id=coach.id, query_string=week)
    slots = check(
        "GET",
        "/api/bookings/{user_id}/slots",
        200,
        as_=client,
        user_id=coach.id,
        query_string=week | {"session_type_id": group["id"]},
    )["items"]
    assert slots and all("seats_left" in slot for slot in slots)
    price = check(
        "POST",
        "/api/bookings/price",
        200,
        as_=client,
        json={
            "session_type_id": seeded["firm_id"],
            "duration_minutes": 90,
            "coupon_code": "WELCOME",
        },
    )["price"]
    assert price["discount"]["code"] == "WELCOME"

    # Availability: one occurrence deleted, one moved, then the series changed.
    window = {"availability_id": seeded["ids"]["availability_id"]}
    second, third = MONDAY + timedelta(days=7), MONDAY + timedelta(days=14)
    check(
        "DELETE",
        "/api/bookings/availability/{availability_id}",
        204,
        as_=coach,
        **window,
        query_string={"scope": "occurrence", "occurrence": z(local(third, 9))},
    )
    moved = check(
        "PUT",
        "/api/bookings/availability/{availability_id}",
        200,
        as_=coach,
        **window,
        query_string={"scope": "occurrence", "occurrence": z(local(second, 9))},
        json={"start": z(local(second, 10)), "end": z(local(second, 12))},
    )
    assert {e["kind"] for e in moved["availability"]["exceptions"]} == {"modified", "deleted"}
    check(
        "PUT",
        "/api/bookings/availability/{availability_id}",
        200,
        as_=coach,
        **window,
        json={"start": z(local(MONDAY, 9)), "end": z(local(MONDAY, 18))},
    )
    extra = check(
        "POST",
        "/api/bookings/availability",
        201,
        as_=coach,
        json={
            "start": z(local(tuesday, 18)),
            "end": z(local(tuesday, 19)),
            "instant_booking": False,
        },
    )["availability"]
    check(
        "DELETE",
        "/api/bookings/availability/{availability_id}",
        204,
        as_=coach,
        availability_id=extra["id"],
    )

    # Bookings: suggest, choose, reschedule, cancel by either side, read and list.
    requested = {"booking_id": seeded["requested_id"]}
    suggested = check(
        "POST",
        "/api/bookings/{booking_id}/suggest",
        200,
        as_=coach,
        **requested,
        json={
            "times": [{"start": z(local(tuesday, 11)), "end": z(local(tuesday, 12))}],
            "message": "Tuesday?",
        },
    )["booking"]
    assert suggested["status"] == "time_suggested" and suggested["suggestions"]
    chosen = check(
        "POST",
        "/api/bookings/{booking_id}/choose",
        200,
        as_=client,
        **requested,
        json={"suggestion_id": suggested["suggestions"][0]["id"]},
    )["booking"]
    assert chosen["status"] == "confirmed" and len(chosen["history"]) >= 3
    check(
        "POST",
        "/api/bookings/{booking_id}/reschedule",
        200,
        as_=client,
        **requested,
        json={"start": z(local(tuesday, 14))},
    )
    check("GET", "/api/bookings/{booking_id}", 200, as_=coach, **requested)
    cancelled = check(
        "PUT",
        "/api/bookings/{booking_id}/status",
        200,
        as_=coach,
        **requested,
        json={"status": "cancelled_by_coach", "reason": "Ill"},
    )
    assert cancelled["refund"]["status"] in ("none", "pending")
    check(
        "POST",
        "/api/bookings/{booking_id}/decline",
        200,
        as_=client,
        booking_id=seeded["suggested_id"],
    )
    paid = check(
        "POST",
        "/api/bookings",
        201,
        as_=client,
        json={
            "coach_id": coach.id,
            "session_type_id": seeded["firm_id"],
            "start": z(local(tuesday, 15)),
            "duration_minutes": 90,
            "coupon_code": "WELCOME",
        },
    )["booking"]
    assert paid["price"]["discount"]["code"] == "WELCOME"
    check(
        "POST",
        "/api/bookings/{booking_id}/cancel",
        200,
        as_=client,
        booking_id=paid["id"],
        json={"reason": "Plans changed"},
    )
    check("POST", "/api/bookings/{booking_id}/accept", 409, as_=coach, booking_id=paid["id"])
    ask = check(
        "POST",
        "/api/bookings",
        201,
        as_=client,
        json={
            "coach_id": coach.id,
            "session_type_id": seeded["ask_id"],
            "start": z(local(tuesday, 9)),
        },
    )["booking"]
    assert ask["kind"] == "request"
    check(
        "POST",
        "/api/bookings/{booking_id}/accept",
        200,
        as_=coach,
        booking_id=ask["id"],
        json={"message": "See you"},
    )
    page = check(
        "GET",
        "/api/bookings/user/{user_id}/sessions",
        200,
        as_=client,
        user_id=client.id,
        query_string={"limit": 1},
    )
    assert page["next_cursor"]
    check(
        "GET",
        "/api/bookings/user/{user_id}/sessions",
        200,
        as_=client,
        user_id=client.id,
        query_string={"limit": 1, "cursor": page["next_cursor"]},
    )

    # Connections and notifications.
    check("GET", "/api/connections", 200, as_=coach, query_string={"limit": 1})
    check(
        "POST",
        "/api/connections/{connection_id}/decline",
        200,
        as_=coach,
        connection_id=seeded["ids"]["connection_id"],
    )
    other_coach = make_coach(app)
    connection = check(
        "POST", "/api/connections", 201, as_=client, json={"coach_slug": other_coach.slug}
    )["connection"]
    check(
        "POST",
        "/api/connections/{connection_id}/accept",
        200,
        as_=other_coach,
        connection_id=connection["id"],
    )
    notifications = check("GET", "/api/notifications", 200, as_=client, query_string={"limit": 2})
    assert notifications["unread_count"] and notifications["next_cursor"]
    check(
        "POST",
        "/api/notifications/{notification_id}/read",
        200,
        as_=client,
        notification_id=notifications["items"][0]["id"],
    )
    check(
        "DELETE",
        "/api/session-types/{session_type_id}",
        204,
        as_=coach,
        session_type_id=group["id"],
    )

    # Every operation answered with its success status at least once.
    succeeded = {(m, t) for m, t, status in check.seen if status < 300}
    assert succeeded >= SPEC_ROUTES, sorted(SPEC_ROUTES - succeeded)
