"""GET /api/bookings/:userId/slots for one month through the Flask test client, on SQLite
and PostgreSQL, with 2,000 bookings over the year and with 20,000 more outside the month
(issue 4: median < 15 ms; 20,000 at most 1.5x the 2,000 figure; queries constant), and
issue 15's real coach (``scenario.seed_real_coach``: 20 bookings in the month, hundreds of
free starts) in a fresh database of its own. Notes add the p95 and the app's CPU time."""

from __future__ import annotations

import statistics
import time

from sqlalchemy import event

from bench import scenario
from bench.databases import on_each_database
from bench.harness import Result, measure
from extensions import db

WARMUP = 20


def run() -> list[Result]:
    return on_each_database(_run_on) + on_each_database(_run_real_coach)


def _path(coach_id: int, type_id: int) -> str:
    return (
        f"/api/bookings/{coach_id}/slots?session_type_id={type_id}&duration_minutes=60"
        f"&start={scenario.MONTH_START:%Y-%m-%dT%H:%M:%SZ}"
        f"&end={scenario.MONTH_END:%Y-%m-%dT%H:%M:%SZ}"
    )


def _measure(name: str, fn) -> tuple[Result, str]:
    """``harness.measure`` (same warm-up and runs), and the p95 of its timed runs with this
    process's CPU time per call (the app's own work: steadier than the wall clock when
    other work shares the machine; the database server's share is left out)."""
    samples, cpu = [], []

    def timed():
        started, started_cpu = time.perf_counter(), time.process_time()
        fn()
        cpu.append((time.process_time() - started_cpu) * 1000)
        samples.append((time.perf_counter() - started) * 1000)

    result = measure(name, timed, warmup=WARMUP)
    runs = sorted(samples[WARMUP:])
    p95 = runs[int(len(runs) * 0.95) - 1]
    return result, f"p95 {p95:.3f} ms, app CPU {statistics.median(cpu[WARMUP:]):.1f} ms"


def _with_note(result: Result, note: str) -> Result:
    return Result(result.name, result.median_ms, result.p90_ms, result.runs, note)


def _run_on(app, label: str) -> list[Result]:
    scenario.no_periodic_thread(app)
    with app.app_context():
        coach_id, client_id, type_id = _seed()
        scenario.insert_bookings(coach_id, client_id, type_id, scenario.booking_starts(2000), 60)
    client = app.test_client()
    path = _path(coach_id, type_id)
    response = client.get(path)
    assert response.status_code == 200, response.get_data(as_text=True)
    queries = _count_queries(app, client, path)
    small, small_spread = _measure(
        f"GET slots, 1 month, {label} (2,000 bookings)", lambda: client.get(path)
    )
    note = f"{len(response.get_json()['items'])} slots, {queries} SQL queries"
    small = _with_note(small, f"{note}, {small_spread}")
    with app.app_context():
        history = scenario.starts_outside_month(20000)
        scenario.insert_bookings(coach_id, client_id, type_id, history, 15)
    queries_large = _count_queries(app, client, path)
    large, large_spread = _measure(
        f"GET slots, 1 month, {label} (+20,000 outside)", lambda: client.get(path)
    )
    ratio = large.median_ms / small.median_ms
    note = f"{ratio:.2f}x the 2,000 figure, {queries_large} SQL queries, {large_spread}"
    large = _with_note(large, note)
    return [small, large]


def _run_real_coach(app, label: str) -> list[Result]:
    scenario.no_periodic_thread(app)
    coach_id, _client_id, type_id, _slug = scenario.seed_real_coach(app)
    client = app.test_client()
    path = _path(coach_id, type_id)
    response = client.get(path)
    assert response.status_code == 200, response.get_data(as_text=True)
    free = len(response.get_json()["items"])
    print(f"real coach, {label}: {free} free starts in June 2027 over the API")
    queries = _count_queries(app, client, path)
    result, spread = _measure(
        f"GET slots, 1 month, {label}, real coach "
        f"({scenario.REAL_COACH_IN_MONTH} bookings, {free} free starts)",
        lambda: client.get(path),
    )
    note = f"{free} slots, {queries} SQL queries, {spread}"
    return [_with_note(result, note)]


def _seed() -> tuple[int, int, int]:
    return scenario.seed_coach("coach@bench.example", "client@bench.example", None)


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
