"""Shared helpers for the calendar, availability, slots and price API tests.

Bookings that a test needs as given state come from ``tests.factories.make_booking``.
Slots depend on the clock (minimum notice, maximum advance), so the tests' day is the
first Monday at least six weeks from today: within the default 90 days of advance.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from extensions import db
from models import Booking

BERLIN = ZoneInfo("Europe/Berlin")
WINDOWS_URL = "/api/bookings/availability"


def first_monday_after(weeks: int) -> date:
    day = datetime.now(BERLIN).date() + timedelta(weeks=weeks)
    return day + timedelta(days=-day.weekday() % 7)


MONDAY = first_monday_after(weeks=6)


def local(day: date, hour: int, minute: int = 0) -> datetime:
    """A wall-clock time in the coaches' zone (the factories' default, Europe/Berlin)."""
    return datetime.combine(day, time(hour, minute), tzinfo=BERLIN)


def z(value: datetime) -> str:
    """How the API writes a datetime: UTC with ``Z``."""
    return value.astimezone(UTC).isoformat().replace("+00:00", "Z")


def calendar_url(user_id: int) -> str:
    return f"/api/bookings/{user_id}/bookings"


def slots_url(user_id: int) -> str:
    return f"/api/bookings/{user_id}/slots"


def day_range(day: date, days: int = 1) -> dict:
    """The query for whole local days from ``day``."""
    return {"start": z(local(day, 0)), "end": z(local(day + timedelta(days=days), 0))}


def create_window(api, coach, start: datetime, end: datetime, **extra) -> dict:
    """An availability window created by the coach through the API."""
    payload = {"start": start.isoformat(), "end": end.isoformat(), **extra}
    response = api.post(WINDOWS_URL, json=payload, as_=coach)
    assert response.status_code == 201, response.get_json()
    return response.get_json()["availability"]


def get_calendar(api, coach_id: int, query: dict, as_=None) -> list[dict]:
    response = api.get(calendar_url(coach_id), query_string=query, as_=as_)
    assert response.status_code == 200, response.get_json()
    return response.get_json()["items"]


def free_time(items: list[dict]) -> list[tuple[str, str]]:
    """The free availability a viewer sees, as (start, end) pairs."""
    return [(i["start"], i["end"]) for i in items if i["type"] == "availability"]


def set_booking_status(app, booking_id: int, status: str) -> None:
    with app.app_context():
        db.session.get(Booking, booking_id).status = status
        db.session.commit()
