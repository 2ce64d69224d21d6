"""GET /api/bookings/:userId/slots for one month through the Flask test client, on SQLite
and PostgreSQL, with 2,000 bookings over the year and with 20,000 more outside the month
(issue 4: median < 15 ms; 20,000 at most 1.5x the 2,000 figure; queries constant)."""

from __future__ import annotations

import uuid
from datetime import timedelta

from sqlalchemy import event, insert

from bench import scenario
from bench.databases import on_each_database
from bench.harness import Result, measure
from extensions import db
from models import AvailabilityWindow, Booking, SessionType
from services import accounts


def run() -> list[Result]:
    return on_each_database(_run_on)


def _run_on(app, label: str) -> list[Result]:
    with app.app_context():
        coach_id, client_id, type_id = _seed()
        _make_bookings(coach_id, client_id, type_id, scenario.booking_starts(2000), 60)
    client = app.test_client()
    path = (
        f"/api/bookings/{coach_id}/slots?session_type_id={type_id}&duration_minutes=60"
        f"&start={scenario.MONTH_START:%Y-%m-%dT%H:%M:%SZ}"
        f"&end={scenario.MONTH_END:%Y-%m-%dT%H:%M:%SZ}"
    )
    response = client.get(path)
    assert response.status_code == 200, response.get_data(as_text=True)
    queries = _count_queries(app, client, path)
    small = measure(
        f"GET slots, 1 month, {label} (2,000 bookings)",
        lambda: client.get(path),
        note=f"{len(response.get_json()['items'])} slots, {queries} SQL queries",
    )
    with app.app_context():
        _make_bookings(coach_id, client_id, type_id, scenario.starts_outside_month(20000), 15)
    queries_large = _count_queries(app, client, path)
    large = measure(f"GET slots, 1 month, {label} (+20,000 outside)", lambda: client.get(path))
    ratio = large.median_ms / small.median_ms
    large = Result(
        large.name,
        large.median_ms,
        large.p90_ms,
        large.runs,
        f"{ratio:.2f}x the 2,000 figure, {queries_large} SQL queries",
    )
    return [small, large]


def _seed() -> tuple[int, int, int]:
    coach = accounts.register_user(
        email="coach@bench.example",
        password="bench-password",
        name="Bench Coach",
        role="coach",
        timezone=scenario.ZONE,
    )
    coach.calendar_privacy = "public"
    client = accounts.register_user(
        email="client@bench.example",
        password="bench-password",
        name="Bench Client",
        role="client",
        timezone=scenario.ZONE,
    )
    session_type = SessionType(coach_id=coach.id, name="Coaching", max_advance_days=730)
    db.session.add(session_type)
    window = scenario.window()
    db.session.add(
        AvailabilityWindow(
            coach_id=coach.id,
            start_at=window.start,
            end_at=window.end,
            timezone=window.timezone,
            recurrence_weekdays=",".join(window.weekdays),
            recurrence_until=window.until,
            series_end_at=window.start + timedelta(days=365),
        )
    )
    db.session.commit()
    return coach.id, client.id, session_type.id


def _make_bookings(coach_id, client_id, type_id, starts, minutes: int) -> None:
    rows = [
        {
            "coach_id": coach_id,
            "client_id": client_id,
            "session_type_id": type_id,
            "start_at": s,
            "end_at": s + timedelta(minutes=minutes),
            "blocked_start_at": s,
            "blocked_end_at": s + timedelta(minutes=minutes),
            "duration_minutes": minutes,
            "slot_key": f"b-{uuid.uuid4().hex}",
            "status": "confirmed",
            "kind": "firm",
            "currency": "EUR",
            "message": "",
            "cancellation_reason": "",
        }
        for s in starts
    ]
    db.session.execute(insert(Booking), rows)
    db.session.commit()
    if db.engine.dialect.name == "postgresql":
        # What autovacuum does after a bulk load: fresh statistics for the planner.
        with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            conn.exec_driver_sql("ANALYZE booking")


def _count_queries(app, client, path: str) -> int:
    statements = []

    def record(*_args):
        statements.append(1)

    with app.app_context():
        engine = db.engine
    event.listen(engine, "before_cursor_execute", record)
    try:
        client.get(path)
    finally:
        event.remove(engine, "before_cursor_execute", record)
    return len(statements)
