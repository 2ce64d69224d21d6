"""POST /api/bookings on SQLite and PostgreSQL (issue 5, "Performance"):

- contention: 100 clients at once on 10 free one-hour slots of a served app (Werkzeug,
  threaded) must give exactly 10 bookings; p50/p95 latency and the total time per round;
- uncontended creation through the Flask test client, one booking after another on
  distinct free slots, conflict check included: bookings per second (target >= 200/s).
"""

from __future__ import annotations

import http.client
import json
import logging
import statistics
import threading
import time
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import func, select
from werkzeug.serving import make_server

from bench.databases import on_each_database
from bench.harness import Result
from domain.status import ACTIVE_STATUSES
from extensions import db
from models import AvailabilityWindow, Booking, SessionType
from services import accounts

ZONE = "Europe/Berlin"
WEEKDAYS = "MO,TU,WE,TH,FR,SA,SU"
OPEN, CLOSE = 7, 21  # the coach's daily window, local hours: 14 one-hour slots a day
RACERS, SLOTS, ROUNDS = 100, 10, 3
CREATIONS, WARMUP = 600, 30
THROUGHPUT_TARGET = 200
REQUEST_TIMEOUT = 60.0


def run() -> list[Result]:
    return on_each_database(_run_on)


def _run_on(app, label: str) -> list[Result]:
    logging.getLogger("werkzeug").setLevel(logging.WARNING)
    first_day = datetime.now(ZoneInfo(ZONE)).date() + timedelta(days=2)
    with app.app_context():
        coach_id, type_id = _seed(first_day)
        tokens = [_client_token(n) for n in range(RACERS)]
    contention = _contention(app, label, coach_id, type_id, tokens, first_day)
    creation = _throughput(
        app, label, coach_id, type_id, tokens[0], first_day + timedelta(days=ROUNDS)
    )
    return [contention, creation]


# --- contention ---------------------------------------------------------------------------


def _contention(app, label, coach_id, type_id, tokens, first_day: date) -> Result:
    """Each round: 100 racers on one day's first 10 slots, 10 racers per slot."""
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05})
    thread.start()
    latencies, totals = [], []
    try:
        for round_ in range(ROUNDS):
            day = first_day + timedelta(days=round_)
            starts = [_local(day, OPEN + i) for i in range(SLOTS)]
            bodies = [_booking(coach_id, type_id, starts[i % SLOTS]) for i in range(RACERS)]
            answers, total = _race(("127.0.0.1", server.server_port), tokens, bodies)
            statuses = [status for status, _ in answers]
            wins, conflicts = statuses.count(201), statuses.count(409)
            assert (wins, conflicts) == (SLOTS, RACERS - SLOTS), sorted(set(statuses))
            with app.app_context():
                stored = _active_on(coach_id, day)
            assert stored == SLOTS, f"{stored} active bookings for {SLOTS} slots"
            latencies += [seconds * 1000 for _, seconds in answers]
            totals.append(total * 1000)
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=10)
    latencies.sort()
    return Result(
        f"POST bookings, {RACERS} clients on {SLOTS} slots, {label}",
        statistics.median(latencies),
        _percentile(latencies, 0.90),
        len(latencies),
        f"p95 {_percentile(latencies, 0.95):.0f} ms, total {statistics.median(totals):.0f} ms"
        f" per round (median of {ROUNDS}), {SLOTS} booked + {RACERS - SLOTS} x 409 each round",
    )


def _race(address, tokens: list[str], bodies: list[dict]):
    """All requests at once, one thread each; [(status, seconds)] and the total seconds."""
    barrier = threading.Barrier(len(bodies) + 1)
    answers: list[tuple[int, float]] = [(0, 0.0)] * len(bodies)

    def send(index: int) -> None:
        connection = http.client.HTTPConnection(*address, timeout=REQUEST_TIMEOUT)
        try:
            connection.connect()
            payload = json.dumps(bodies[index])
            headers = {
                "Authorization": f"Bearer {tokens[index]}",
                "Content-Type": "application/json",
            }
            barrier.wait(REQUEST_TIMEOUT)
            started = time.perf_counter()
            connection.request("POST", "/api/bookings", body=payload, headers=headers)
            response = connection.getresponse()
            response.read()
            answers[index] = (response.status, time.perf_counter() - started)
        finally:
            connection.close()

    threads = [threading.Thread(target=send, args=(i,), daemon=True) for i in range(len(bodies))]
    for thread in threads:
        thread.start()
    barrier.wait(REQUEST_TIMEOUT)
    started = time.perf_counter()
    for thread in threads:
        thread.join(REQUEST_TIMEOUT)
    total = time.perf_counter() - started
    assert not any(thread.is_alive() for thread in threads), "a racer did not finish"
    return answers, total


# --- uncontended creation -----------------------------------------------------------------


def _throughput(app, label, coach_id, type_id, token, first_day: date) -> Result:
    """One booking after another, each on the next free slot, through the test client."""
    client = app.test_client()
    headers = {"Authorization": f"Bearer {token}"}
    starts = iter(_free_starts(first_day, WARMUP + CREATIONS))

    def book() -> None:
        response = client.post(
            "/api/bookings", json=_booking(coach_id, type_id, next(starts)), headers=headers
        )
        assert response.status_code == 201, response.get_data(as_text=True)

    for _ in range(WARMUP):
        book()
    samples = []
    began = time.perf_counter()
    for _ in range(CREATIONS):
        started = time.perf_counter()
        book()
        samples.append((time.perf_counter() - started) * 1000)
    rate = CREATIONS / (time.perf_counter() - began)
    samples.sort()
    median = statistics.median(samples)
    verdict = "meets" if rate >= THROUGHPUT_TARGET else "MISSES"
    return Result(
        f"POST bookings, uncontended, one after another, {label}",
        median,
        _percentile(samples, 0.90),
        CREATIONS,
        f"{rate:.0f} bookings/s over {CREATIONS} ({1000 / median:.0f}/s at the median);"
        f" {verdict} the target of {THROUGHPUT_TARGET}/s",
    )


def _free_starts(first_day: date, count: int) -> list[datetime]:
    starts, day = [], first_day
    while len(starts) < count:
        starts += [_local(day, hour) for hour in range(OPEN, CLOSE)]
        day += timedelta(days=1)
    return starts[:count]


# --- data -----------------------------------------------------------------------------------


def _seed(first_day: date) -> tuple[int, int]:
    """A public coach, a free 60-minute type (booked firm) and a daily 07:00-21:00 window."""
    coach = accounts.register_user(
        email="coach@bench.example",
        password="bench-password",
        name="Bench Coach",
        role="coach",
        timezone=ZONE,
    )
    coach.calendar_privacy = "public"
    session_type = SessionType(
        coach_id=coach.id, name="Coaching", price_amount=0, max_advance_days=365
    )
    db.session.add(session_type)
    db.session.add(
        AvailabilityWindow(
            coach_id=coach.id,
            start_at=_local(first_day, OPEN),
            end_at=_local(first_day, CLOSE),
            timezone=ZONE,
            recurrence_weekdays=WEEKDAYS,
            recurrence_until=first_day + timedelta(days=300),
            series_end_at=_local(first_day + timedelta(days=301), 0),
        )
    )
    db.session.commit()
    return coach.id, session_type.id


def _client_token(n: int) -> str:
    client = accounts.register_user(
        email=f"client{n}@bench.example",
        password="bench-password",
        name=f"Client {n}",
        role="client",
        timezone=ZONE,
    )
    token, _ = accounts.issue_api_token(client)
    return token


def _active_on(coach_id: int, day: date) -> int:
    return db.session.scalar(
        select(func.count())
        .select_from(Booking)
        .where(
            Booking.coach_id == coach_id,
            Booking.status.in_(ACTIVE_STATUSES),
            Booking.start_at >= _local(day, 0),
            Booking.start_at < _local(day + timedelta(days=1), 0),
        )
    )


def _local(day: date, hour: int) -> datetime:
    return datetime(day.year, day.month, day.day, hour, tzinfo=ZoneInfo(ZONE)).astimezone(UTC)


def _booking(coach_id: int, type_id: int, start: datetime) -> dict:
    return {
        "coach_id": coach_id,
        "session_type_id": type_id,
        "start": start.isoformat().replace("+00:00", "Z"),
    }


def _percentile(sorted_samples: list[float], fraction: float) -> float:
    return sorted_samples[max(0, int(len(sorted_samples) * fraction) - 1)]
