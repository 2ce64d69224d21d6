"""GET /api/bookings/:userId/slots for one month through the Flask test client, on SQLite
and PostgreSQL, with 2,000 bookings over the year and with 20,000 more outside the month
(issue 4: median < 15 ms; 20,000 at most 1.5x the 2,000 figure; queries constant)."""

from __future__ import annotations

import os
import tempfile
import uuid
from datetime import timedelta
from pathlib import Path

import psycopg
from flask_migrate import upgrade
from sqlalchemy import event, insert, make_url

from app import create_app
from bench import scenario
from bench.harness import Result, measure
from extensions import db
from models import AvailabilityWindow, Booking, SessionType
from services import accounts

DEFAULT_PG = "postgresql+psycopg://postgres@127.0.0.1:5432/test"


def run() -> list[Result]:
    results = []
    with tempfile.TemporaryDirectory() as tmp:
        results += _run_on(f"sqlite:///{Path(tmp) / 'bench.sqlite3'}", "SQLite", tmp)
        server = make_url(os.environ.get("TEST_DATABASE_URL") or DEFAULT_PG)
        name = f"coachbook_bench_{uuid.uuid4().hex[:8]}"
        try:
            _admin(server, f'CREATE DATABASE "{name}"')
        except psycopg.Error as error:
            print(f"PostgreSQL benchmark skipped: {error}")
            return results
        try:
            url = server.set(database=name).render_as_string(hide_password=False)
            results += _run_on(url, "PostgreSQL", tmp)
        finally:
            _admin(server, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    return results


def _admin(server, sql: str) -> None:
    dsn = server.set(drivername="postgresql").render_as_string(hide_password=False)
    with psycopg.connect(dsn, autocommit=True) as conn:
        conn.execute(sql)


def _run_on(url: str, label: str, tmp: str) -> list[Result]:
    app = create_app(
        {
            "SQLALCHEMY_DATABASE_URI": url,
            "INSTANCE_PATH": tmp,
            "SECRET_KEY": "bench-" + "x" * 40,
            "REDIS_URL": None,
            "RATELIMIT_ENABLED": False,
            "PASSWORD_HASH_METHOD": "pbkdf2:sha256:1000",
        }
    )
    with app.app_context():
        upgrade()
        coach_id, client_id, type_id = _seed()
        _add_bookings(coach_id, client_id, type_id, scenario.booking_starts(2000), 60)
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
        _add_bookings(coach_id, client_id, type_id, scenario.starts_outside_month(20000), 15)
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
    with app.app_context():
        db.engine.dispose()
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


def _add_bookings(coach_id, client_id, type_id, starts, minutes: int) -> None:
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
