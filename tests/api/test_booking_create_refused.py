"""POST /api/bookings refused: every bad input gets the SPEC error body, and nothing is
written (no booking, history, notification or coupon redemption; SPEC sections 4 and 8)."""

from __future__ import annotations

from datetime import timedelta

import pytest

from models.types import utcnow
from tests.api.booking_setup import (
    BOOKINGS_URL,
    Scene,
    at,
    coupon_redemptions,
    in_future,
    make_scene,
    payload,
    rows,
)
from tests.api.scheduling import create_window
from tests.factories import make_client, make_coach, make_coupon, make_session_type
from tests.helpers import assert_error


def body(scene: Scene, **changes) -> dict:
    return payload(scene, start=at(10)) | changes


def as_client(scene: Scene, **changes) -> dict:
    return {"json": body(scene, **changes), "as_": scene.client}


def with_window_soon(app, api, scene: Scene, start) -> dict:
    """A request for ``start`` inside a window from now to seven hours ahead."""
    create_window(api, scene.coach, in_future(0.25), in_future(7))
    return as_client(scene, start=start.isoformat())


def with_type(app, scene: Scene, **fields) -> dict:
    return as_client(scene, session_type_id=make_session_type(app, scene.coach, **fields))


def with_coupon(app, scene: Scene, coach=None, **fields) -> dict:
    make_coupon(app, coach or scene.coach, code="NOPE", **fields)
    return as_client(scene, coupon_code="nope")


def private_coach(app, api, scene: Scene) -> dict:
    coach = make_coach(app, calendar_privacy="private")
    session_type = make_session_type(app, coach, price_amount=0)
    create_window(api, coach, at(9), at(17))
    return as_client(scene, coach_id=coach.id, session_type_id=session_type)


# name → (the request's keyword arguments, status, error code, the field in details)
CASES = {
    "a naive start": (
        lambda app, api, s: as_client(s, start=at(10).replace(tzinfo=None).isoformat()),
        400, "validation_error", "start",
    ),
    "a start in year 1 east of UTC": (
        lambda app, api, s: as_client(s, start="0001-01-01T00:00:00+14:00"),
        400, "validation_error", "start",
    ),
    "a start at the end of year 9999": (
        lambda app, api, s: as_client(s, start="9999-12-31T23:45:00Z"),
        400, "validation_error", "start",
    ),
    "a start off the 15-minute grid": (
        lambda app, api, s: as_client(s, start=at(10, 5).isoformat()),
        400, "validation_error", "start",
    ),
    "a start inside the minimum notice": (
        lambda app, api, s: with_window_soon(app, api, s, in_future(1.5)),
        400, "validation_error", "start",
    ),
    "a start beyond the maximum advance": (
        lambda app, api, s: as_client(s, start=(at(10) + timedelta(days=60)).isoformat()),
        400, "validation_error", "start",
    ),
    "a start in the past": (
        lambda app, api, s: as_client(s, start=in_future(-3).isoformat()),
        400, "validation_error", "start",
    ),
    "a duration off the step": (
        lambda app, api, s: as_client(s, duration_minutes=40),
        400, "validation_error", "duration_minutes",
    ),
    "a duration below the minimum": (
        lambda app, api, s: as_client(s, duration_minutes=15),
        400, "validation_error", "duration_minutes",
    ),
    "a duration above the maximum": (
        lambda app, api, s: as_client(s, duration_minutes=105),
        400, "validation_error", "duration_minutes",
    ),
    "an unknown session type": (
        lambda app, api, s: as_client(s, session_type_id=987654),
        404, "not_found", None,
    ),
    "an inactive session type": (
        lambda app, api, s: with_type(app, s, active=False, price_amount=0),
        404, "not_found", None,
    ),
    "a deleted session type": (
        lambda app, api, s: with_type(app, s, deleted_at=utcnow(), price_amount=0),
        404, "not_found", None,
    ),
    "another coach's session type": (
        lambda app, api, s: as_client(
            s, session_type_id=make_session_type(app, make_coach(app, calendar_privacy="public"))
        ),
        404, "not_found", None,
    ),
    "the coach's own calendar": (
        lambda app, api, s: {"json": body(s), "as_": s.coach},
        400, "validation_error", "coach_id",
    ),
    "a coach_id that is a client": (
        lambda app, api, s: as_client(s, coach_id=make_client(app).id),
        404, "not_found", None,
    ),
    "a coach_id that does not exist": (
        lambda app, api, s: as_client(s, coach_id=987654),
        404, "not_found", None,
    ),
    "a private coach's calendar": (
        lambda app, api, s: private_coach(app, api, s),
        404, "not_found", None,
    ),
    "another coach's coupon": (
        lambda app, api, s: with_coupon(app, s, coach=make_coach(app)),
        400, "validation_error", "coupon_code",
    ),
    "an expired coupon": (
        lambda app, api, s: with_coupon(app, s, valid_until=utcnow() - timedelta(minutes=1)),
        400, "validation_error", "coupon_code",
    ),
    "a used-up coupon": (
        lambda app, api, s: with_coupon(app, s, max_redemptions=2, redemption_count=2),
        400, "validation_error", "coupon_code",
    ),
    "a coupon not valid yet": (
        lambda app, api, s: with_coupon(app, s, valid_from=utcnow() + timedelta(days=1)),
        400, "validation_error", "coupon_code",
    ),
    "an unknown coupon": (
        lambda app, api, s: as_client(s, coupon_code="NOSUCHCODE"),
        400, "validation_error", "coupon_code",
    ),
    "a message over 2000 characters": (
        lambda app, api, s: as_client(s, message="x" * 2001),
        400, "validation_error", "message",
    ),
    "a coach_id as a string": (
        lambda app, api, s: as_client(s, coach_id=str(s.coach.id)),
        400, "validation_error", "coach_id",
    ),
    "a session_type_id with a fraction": (
        lambda app, api, s: as_client(s, session_type_id=s.session_type + 0.5),
        400, "validation_error", "session_type_id",
    ),
    "a start as a number": (
        lambda app, api, s: as_client(s, start=1789120800),
        400, "validation_error", "start",
    ),
    "a start that is no date": (
        lambda app, api, s: as_client(s, start="next monday"),
        400, "validation_error", "start",
    ),
    "a duration as a string": (
        lambda app, api, s: as_client(s, duration_minutes="60"),
        400, "validation_error", "duration_minutes",
    ),
    "a duration as a boolean": (
        lambda app, api, s: as_client(s, duration_minutes=True),
        400, "validation_error", "duration_minutes",
    ),
    "a message that is a list": (
        lambda app, api, s: as_client(s, message=["hi"]),
        400, "validation_error", "message",
    ),
    "a coupon code that is a number": (
        lambda app, api, s: as_client(s, coupon_code=10),
        400, "validation_error", "coupon_code",
    ),
    "a missing coach_id": (
        lambda app, api, s: {"json": {k: v for k, v in body(s).items() if k != "coach_id"},
                             "as_": s.client},
        400, "validation_error", "coach_id",
    ),
    "a missing start": (
        lambda app, api, s: {"json": {k: v for k, v in body(s).items() if k != "start"},
                             "as_": s.client},
        400, "validation_error", "start",
    ),
    "a body that is a list": (
        lambda app, api, s: {"json": [body(s)], "as_": s.client},
        400, "validation_error", None,
    ),
    "malformed JSON": (
        lambda app, api, s: {"data": '{"coach_id": 1,', "content_type": "application/json",
                             "as_": s.client},
        400, "validation_error", None,
    ),
    "no credentials": (
        lambda app, api, s: {"json": body(s)},
        401, "unauthorized", None,
    ),
    "a token that is not valid": (
        lambda app, api, s: {"json": body(s), "headers": {"Authorization": "Bearer nope"}},
        401, "unauthorized", None,
    ),
}  # fmt: skip


@pytest.mark.parametrize("case", CASES.values(), ids=CASES.keys())
def test_a_bad_booking_is_refused_and_writes_nothing(app, api, case):
    build, status, code, field = case
    scene = make_scene(app, api, price_amount=6000)
    request = build(app, api, scene)
    before = rows(app)
    response = api.post(BOOKINGS_URL, **request)
    assert_error(response, status, code, (field,) if field else ())
    assert rows(app) == before


def test_a_refused_booking_does_not_count_its_coupon(app, api):
    scene = make_scene(app, api, price_amount=6000)
    coupon = make_coupon(app, scene.coach, code="TENOFF", max_redemptions=1)
    assert api.post(BOOKINGS_URL, **as_client(scene)).status_code == 201  # 10:00 is taken
    response = api.post(BOOKINGS_URL, **as_client(scene, coupon_code="TENOFF"))
    assert_error(response, 409, "slot_unavailable")
    assert coupon_redemptions(app, coupon) == 0


def test_a_client_cannot_book_for_another_client(app, api):
    scene = make_scene(app, api)
    other = make_client(app)
    response = api.post(BOOKINGS_URL, **as_client(scene, client_id=other.id))
    assert response.status_code == 201, response.get_json()
    assert response.get_json()["booking"]["client_id"] == scene.client.id


def test_a_connected_only_calendar_refuses_a_stranger_as_if_it_did_not_exist(app, api):
    scene = make_scene(app, api, coach_fields={"calendar_privacy": "connected"})
    before = rows(app)
    assert_error(api.post(BOOKINGS_URL, **as_client(scene)), 404, "not_found")
    assert rows(app) == before
