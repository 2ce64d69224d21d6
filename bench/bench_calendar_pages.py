"""The coach calendar page's fragments (issue 11: month with 300 items < 30 ms, a week with
60 items < 15 ms, server render through the Flask test client), the SQL statements each
view costs, and the calendar page's static payload (HTML + the CSS and JS it loads, gzip).

Scenario (like bench/scenario.py): a public coach in Europe/Berlin with availability
Mon-Fri 09:00-17:00 for a year and two session types (60 and 30 minutes); June 2027 holds
300 half-hour bookings (of its 352 half hours), the week of 5 July 2027 36 of its 80, so
that week shows about 60 items (bookings and the free time between them) and its
bookable start links. Viewers: a signed-out visitor, the coach (names), a client (half the
bookings are theirs; the others are busy blocks to them).

Issue 15 adds the month fragment of a coach as a real one looks
(``scenario.seed_real_coach``, in a fresh database of its own): 20 one-hour bookings in
June 2027, one 60-minute type, so hundreds of free starts to count per day.
"""

from __future__ import annotations

import gzip
import random
import re
import statistics
import time as clock
import uuid
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

from sqlalchemy import event, insert

from bench import scenario
from bench.databases import on_each_database
from bench.harness import Result, measure
from extensions import db
from models import AvailabilityWindow, Booking, SessionType
from services import accounts

ZONE = ZoneInfo("Europe/Berlin")
MONTH = date(2027, 6, 1)
WEEK = date(2027, 7, 5)
STATIC = Path(__file__).resolve().parents[1] / "static"
HTMX = {"HX-Request": "true"}


def run() -> list[Result]:
    results = on_each_database(_run_on) + on_each_database(_run_real_coach)
    return [*results, _payload_result()]


def _run_real_coach(app, label: str) -> list[Result]:
    """A signed-out visitor's month fragment of the real coach (issue 15)."""
    scenario.no_periodic_thread(app)
    *_ids, slug = scenario.seed_real_coach(app)
    visitor = app.test_client()
    path = f"/coaches/{slug}?view=month&date={MONTH}&tz=Europe/Berlin"
    html = visitor.get(path, headers=HTMX).get_data(as_text=True)
    free = sum(int(n) for n in re.findall(r", (\d+) free times?\"", html))
    bookings = scenario.REAL_COACH_IN_MONTH
    who = f"visitor, real coach ({bookings} bookings, {free} free starts)"
    marked = html.count("cal-day has-free")
    items = f"{bookings} bookings in the month, {marked} days marked, {free} free starts"
    return [_measure_view(app, visitor, label, who, "month", path, items=items)]


def _run_on(app, label: str) -> list[Result]:
    scenario.no_periodic_thread(app)
    with app.app_context():
        coach_id, client_id, type_id = _seed()
        month_starts = _half_hours(MONTH, 30, keep=300)
        week_starts = _half_hours(WEEK, 5, keep=36)
        _book(coach_id, client_id, type_id, month_starts + week_starts)
    visitor = app.test_client()
    coach = _signed_in(app, "coach@bench.example")
    client = _signed_in(app, "client@bench.example")
    month = f"/coaches/bench-coach?view=month&date={MONTH}&tz=Europe/Berlin"
    week = f"/coaches/bench-coach?view=week&date={WEEK}&tz=Europe/Berlin"
    results = []
    for who, browser in (("visitor", visitor), ("coach", coach), ("client", client)):
        for view, path in (("month", month), ("week", week)):
            results.append(_measure_view(app, browser, label, who, view, path))
    return results


def _measure_view(
    app, browser, label: str, who: str, view: str, path: str, *, items: str | None = None
) -> Result:
    response = browser.get(path, headers=HTMX)
    assert response.status_code == 200, response.get_data(as_text=True)[:500]
    html = response.get_data(as_text=True)
    fragment = _count_statements(app, lambda: browser.get(path, headers=HTMX))
    page = _count_statements(app, lambda: browser.get(path))
    note = f"{items or _items(html, view)}; SQL statements: fragment {fragment}, page {page}"
    result = measure(
        f"calendar {view} fragment, {who}, {label}",
        lambda: browser.get(path, headers=HTMX),
        runs=100,
        warmup=10,
        note=note,
    )
    cpu = _cpu_median(lambda: browser.get(path, headers=HTMX))
    return Result(result.name, result.median_ms, result.p90_ms, result.runs, f"{note}; {cpu}")


def _cpu_median(fn, runs: int = 100) -> str:
    """This process's CPU time per call: the app's own work, less disturbed than the wall
    clock when other work shares the machine (the database server's share is left out)."""
    samples = []
    for _ in range(runs):
        started = clock.process_time()
        fn()
        samples.append((clock.process_time() - started) * 1000)
    return f"app CPU {statistics.median(samples):.1f} ms"


def _items(html: str, view: str) -> str:
    if view == "month":
        marked = html.count("cal-day has-free")
        return f"300 bookings in the month, {marked} days marked"
    items = len(re.findall(r'<li class="cal-item ', html))
    starts = html.count('class="cal-start')
    cells = html.count('class="cal-ask"')
    return f"{items} items, {starts} start links, {cells} empty cells"


def _seed() -> tuple[int, int, int]:
    coach = accounts.register_user(
        email="coach@bench.example",
        password="bench-password",
        name="Bench Coach",
        role="coach",
        timezone="Europe/Berlin",
    )
    coach.calendar_privacy, coach.slug = "public", "bench-coach"
    client = accounts.register_user(
        email="client@bench.example",
        password="bench-password",
        name="Bench Client",
        role="client",
        timezone="Europe/Berlin",
    )
    first = SessionType(
        coach_id=coach.id, name="Coaching", max_advance_days=730, min_notice_minutes=0
    )
    second = SessionType(
        coach_id=coach.id,
        name="Intro",
        duration_min=30,
        duration_max=30,
        duration_default=30,
        max_advance_days=730,
        min_notice_minutes=0,
    )
    db.session.add_all([first, second])
    start = datetime(2027, 1, 4, 9, tzinfo=ZONE)
    db.session.add(
        AvailabilityWindow(
            coach_id=coach.id,
            start_at=start.astimezone(UTC),
            end_at=start.replace(hour=17).astimezone(UTC),
            timezone="Europe/Berlin",
            recurrence_weekdays="MO,TU,WE,TH,FR",
            recurrence_until=date(2028, 1, 3),
            series_end_at=(start + timedelta(days=365)).astimezone(UTC),
        )
    )
    db.session.commit()
    return coach.id, client.id, first.id


def _half_hours(first: date, days: int, *, keep: int) -> list[datetime]:
    """``keep`` of the weekday half hours 09:00-17:00 of ``days`` days, seeded."""
    starts = [
        datetime.combine(first + timedelta(days=n), time(9), ZONE) + timedelta(minutes=30 * k)
        for n in range(days)
        if (first + timedelta(days=n)).weekday() < 5
        for k in range(16)
    ]
    return sorted(random.Random(11).sample(starts, keep))


def _book(coach_id: int, client_id: int, type_id: int, starts: list[datetime]) -> None:
    """Half of them the client's own, the rest someone else's (busy to the client)."""
    other = accounts.register_user(
        email="other@bench.example",
        password="bench-password",
        name="Other Client",
        role="client",
        timezone="Europe/Berlin",
    )
    rows = []
    for n, start in enumerate(starts):
        start = start.astimezone(UTC)
        end = start + timedelta(minutes=30)
        rows.append(
            {
                "coach_id": coach_id,
                "client_id": client_id if n % 2 else other.id,
                "session_type_id": type_id,
                "start_at": start,
                "end_at": end,
                "blocked_start_at": start,
                "blocked_end_at": end,
                "duration_minutes": 30,
                "slot_key": f"b-{uuid.uuid4().hex}",
                "status": "requested" if n % 5 == 0 else "confirmed",
                "kind": "firm",
                "currency": "EUR",
                "message": "",
                "cancellation_reason": "",
            }
        )
    db.session.execute(insert(Booking), rows)
    db.session.commit()
    if db.engine.dialect.name == "postgresql":
        with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            conn.exec_driver_sql("ANALYZE booking")


def _signed_in(app, email: str):
    """A test client signed in through the login form, as a browser would be."""
    browser = app.test_client()
    page = browser.get("/login").get_data(as_text=True)
    token = re.search(r'name="csrf_token" (?:type="hidden" )?value="([^"]+)"', page).group(1)
    form = {"email": email, "password": "bench-password", "csrf_token": token}
    assert browser.post("/login", data=form).status_code == 302
    return browser


def _count_statements(app, send) -> int:
    statements = []

    def record(_conn, _cursor, statement, *_args):
        if not statement.lstrip().upper().startswith(("BEGIN", "COMMIT", "ROLLBACK")):
            statements.append(statement)

    with app.app_context():
        engine = db.engine
    event.listen(engine, "before_cursor_execute", record)
    try:
        send()
    finally:
        event.remove(engine, "before_cursor_execute", record)
    return len(statements)


def _payload_result() -> Result:
    """The calendar page's static payload: its HTML (a signed-in client's week) and every
    stylesheet and script it loads, each gzipped as a server would send it."""
    sizes = _payload_sizes()
    total = sum(sizes.values())
    parts = ", ".join(f"{name} {size / 1024:.1f}" for name, size in sizes.items())
    return Result(
        "calendar page static payload (size, not time)",
        0.0,
        0.0,
        1,
        f"gzip total {total / 1024:.1f} KB (target < 60 KB): {parts}",
    )


def _payload_sizes() -> dict[str, int]:
    import tempfile

    from bench.databases import bench_app

    with tempfile.TemporaryDirectory() as tmp:
        app = bench_app(f"sqlite:///{Path(tmp) / 'payload.sqlite3'}", tmp)
        scenario.no_periodic_thread(app)
        with app.app_context():
            _seed()
            _book(*_ids(), _half_hours(WEEK, 5, keep=36))
        html = _signed_in(app, "client@bench.example").get(
            f"/coaches/bench-coach?view=week&date={WEEK}&tz=Europe/Berlin"
        )
        body = html.get_data()
        with app.app_context():
            db.engine.dispose()
    sizes = {"HTML": len(gzip.compress(body))}
    for src in re.findall(rb'(?:src|href)="/static/([^"]+\.(?:js|css))"', body):
        name = src.decode()
        sizes[name] = len(gzip.compress((STATIC / name).read_bytes()))
    return sizes


def _ids() -> tuple[int, int, int]:
    from models import User

    coach = db.session.scalar(db.select(User).where(User.email == "coach@bench.example"))
    client = db.session.scalar(db.select(User).where(User.email == "client@bench.example"))
    first = db.session.scalar(db.select(SessionType).where(SessionType.name == "Coaching"))
    return coach.id, client.id, first.id
