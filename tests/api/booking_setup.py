"""Shared helpers for the booking tests: a coach with a Monday window, booking through the
API, the slots a client is offered, and what the database holds afterwards.

The day is ``MONDAY`` of tests/api/scheduling.py (six weeks ahead, within the default 90
days of advance); windows are created through the API by the coach.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from sqlalchemy import select

from extensions import db
from models import (
    Booking,
    BookingHistory,
    Coupon,
    CouponRedemption,
    Notification,
    TimeSuggestion,
)
from tests.api.scheduling import MONDAY, create_window, day_range, local, slots_url
from tests.factories import Person, make_client, make_coach, make_session_type
from tests.helpers import count

BOOKINGS_URL = "/api/bookings"
PRICE_URL = "/api/bookings/price"
NOTIFICATIONS_URL = "/api/notifications"


def at(hour: int, minute: int = 0) -> datetime:
    """A wall-clock time on the tests' Monday in the coach's zone."""
    return local(MONDAY, hour, minute)


def booking_url(booking_id: int, action: str = "") -> str:
    return f"{BOOKINGS_URL}/{booking_id}" + (f"/{action}" if action else "")


def sessions_url(user_id: int) -> str:
    return f"{BOOKINGS_URL}/user/{user_id}/sessions"


@dataclass(frozen=True)
class Scene:
    """A public coach with a session type and a 09:00-17:00 window, and a client."""

    coach: Person
    client: Person
    session_type: int
    window: dict


def make_scene(app, api, *, instant_booking: bool = True, coach_fields=None, **type_fields):
    """The coach (public calendar), a free 60-minute type (30-90 in steps of 15) unless
    ``type_fields`` say otherwise, a Monday 09:00-17:00 window and a client."""
    coach = make_coach(app, **({"calendar_privacy": "public"} | (coach_fields or {})))
    session_type = make_session_type(app, coach, **({"price_amount": 0} | type_fields))
    window = create_window(api, coach, at(9), at(17), instant_booking=instant_booking)
    return Scene(coach, make_client(app), session_type, window)


def payload(scene_or_coach, session_type: int | None = None, start=None, **extra) -> dict:
    """The body of POST /api/bookings."""
    if isinstance(scene_or_coach, Scene):
        coach_id, session_type = scene_or_coach.coach.id, scene_or_coach.session_type
    else:
        coach_id = scene_or_coach.id
    start = start or at(10)
    return {
        "coach_id": coach_id,
        "session_type_id": session_type,
        "start": start.isoformat(),
        **extra,
    }


def book(api, scene: Scene, start=None, as_=None, **extra):
    """POST /api/bookings as the scene's client (or ``as_``)."""
    body = payload(scene, start=start, **extra)
    return api.post(BOOKINGS_URL, json=body, as_=as_ or scene.client)


def booked(api, scene: Scene, start=None, as_=None, **extra) -> dict:
    """A booking that was created (201); its JSON."""
    response = book(api, scene, start, as_=as_, **extra)
    assert response.status_code == 201, response.get_json()
    return response.get_json()["booking"]


def slot_starts(api, scene: Scene, as_=None, **params) -> list[str]:
    """The start times the slots endpoint offers on the Monday."""
    query = {**day_range(MONDAY), "session_type_id": scene.session_type, **params}
    response = api.get(slots_url(scene.coach.id), query_string=query, as_=as_ or scene.client)
    assert response.status_code == 200, response.get_json()
    return [item["start"] for item in response.get_json()["items"]]


def rows(app) -> dict[str, int]:
    """How many rows a booking request may write, per table."""
    models = (Booking, BookingHistory, Notification, CouponRedemption, TimeSuggestion)
    return {model.__name__: count(app, model) for model in models}


def coupon_redemptions(app, coupon_id: int) -> int:
    with app.app_context():
        return db.session.get(Coupon, coupon_id).redemption_count


def update_booking(app, booking_id: int, **values) -> None:
    """Change a booking row directly (what only payments or the clock would change)."""
    with app.app_context():
        booking = db.session.get(Booking, booking_id)
        for name, value in values.items():
            setattr(booking, name, value)
        db.session.commit()


def move_booking_to(app, booking_id: int, start: datetime) -> None:
    """Put the booking (and its blocked range) at ``start``, keeping its length."""
    with app.app_context():
        booking = db.session.get(Booking, booking_id)
        length = booking.end_at - booking.start_at
        booking.start_at = booking.blocked_start_at = start.astimezone(UTC)
        booking.end_at = booking.blocked_end_at = (start + length).astimezone(UTC)
        db.session.commit()


def stored_booking(app, booking_id: int) -> dict:
    with app.app_context():
        booking = db.session.get(Booking, booking_id)
        return {c.key: getattr(booking, c.key) for c in Booking.__mapper__.column_attrs}


def notifications_for(app, user: Person) -> list[tuple[str, int | None]]:
    """(kind, booking id) of the user's stored notifications, oldest first."""
    with app.app_context():
        query = (
            select(Notification.kind, Notification.booking_id)
            .where(Notification.user_id == user.id)
            .order_by(Notification.id)
        )
        return [tuple(row) for row in db.session.execute(query)]


def in_future(hours: float) -> datetime:
    """A moment ``hours`` from now, on a quarter hour so it could be a session start."""
    moment = datetime.now(UTC) + timedelta(hours=hours)
    return moment.replace(minute=moment.minute - moment.minute % 15, second=0, microsecond=0)
