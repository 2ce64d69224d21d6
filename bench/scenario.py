"""The issue's scheduling scenario: Mon-Fri 09:00-17:00 (Europe/Berlin) for one year,
bookings spread over it, a 60-minute session type, one month requested.

Two coaches: issue 4's, with 2,000 bookings over the year (172 in the month, 4 free
starts left), and issue 15's "real coach" with 20 in the month and 200 over the rest of
the year (hundreds of free starts): ``real_coach_starts`` for the pure function,
``seed_real_coach`` for a database (the benchmarks and the load test in bench/load/)."""

from __future__ import annotations

import random
import uuid
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import insert

from domain.recurrence import Window
from domain.slots import Busy, SlotRules
from extensions import db
from models import AvailabilityWindow, Booking, SessionType
from services import accounts

ZONE = "Europe/Berlin"
YEAR_START = date(2027, 1, 4)  # a Monday
MONTH_START = datetime(2027, 6, 1, tzinfo=UTC)
MONTH_END = datetime(2027, 7, 1, tzinfo=UTC)
NOW = datetime(2027, 5, 31, 12, 0, tzinfo=UTC)


def window() -> Window:
    zone = ZoneInfo(ZONE)
    start = datetime.combine(YEAR_START, datetime.min.time(), zone).replace(hour=9)
    return Window(
        id=1,
        start=start.astimezone(UTC),
        end=start.replace(hour=17).astimezone(UTC),
        timezone=ZONE,
        weekdays=("MO", "TU", "WE", "TH", "FR"),
        until=YEAR_START + timedelta(days=364),
    )


def weekday_hours() -> list[datetime]:
    """Every local full hour 09:00-16:00 of the year's weekdays, as UTC starts, in order."""
    zone = ZoneInfo(ZONE)
    hours = []
    day = YEAR_START
    while day < YEAR_START + timedelta(days=364):
        if day.weekday() < 5:
            for hour in range(9, 17):
                start = datetime.combine(day, datetime.min.time(), zone).replace(hour=hour)
                hours.append(start.astimezone(UTC))
        day += timedelta(days=1)
    return hours


def booking_starts(count: int, *, outside_month: bool = False, seed: int = 7) -> list[datetime]:
    """``count`` non-overlapping one-hour bookings on weekday hours of the year."""
    rng = random.Random(seed)
    hours = [
        start
        for start in weekday_hours()
        if not (outside_month and MONTH_START <= start < MONTH_END)
    ]
    return sorted(rng.sample(hours, min(count, len(hours))))


def busy(starts: list[datetime]) -> list[Busy]:
    return [Busy(s, s + timedelta(hours=1)) for s in starts]


def starts_outside_month(count: int) -> list[datetime]:
    """``count`` back-to-back 15-minute bookings before the month (non-overlapping, as the
    PostgreSQL constraint requires of one coach), from 2025 on."""
    first = datetime(2025, 1, 1, tzinfo=UTC)
    starts = [first + timedelta(minutes=30 * n) for n in range(count)]
    assert starts[-1] < MONTH_START
    return starts


RULES = SlotRules(
    session_type_id=1, duration_minutes=60, min_notice_minutes=120, max_advance_days=365
)


def no_periodic_thread(app) -> None:
    """Start no periodic-jobs thread in a benchmark's app (without Redis the first request
    starts one): its sweeps would share the measured process and, once a SQLite file's
    temporary directory is gone, fail every minute through the benchmarks that follow."""
    app.config["PERIODIC_JOBS_IN_PROCESS"] = False


# --- "A coach as a real one looks" (issue 15) -------------------------------------------
# The same weekly availability, but a coach whose June 2027 is mostly free: 20 one-hour
# bookings in the month, 200 over the rest of the year. With the 60-minute type on the
# 15-minute grid that leaves hundreds of free starts, where the scenario above leaves 4.

REAL_COACH_IN_MONTH = 20
REAL_COACH_REST_OF_YEAR = 200
REAL_COACH_PASSWORD = "bench-password"


def real_coach_starts(seed: int = 15) -> tuple[list[datetime], list[datetime]]:
    """The real coach's one-hour bookings, as UTC starts on local full hours 09:00-16:00
    of weekdays: 20 in the month, 200 in the rest of the year. Sorted, never overlapping."""
    rng = random.Random(seed)
    in_month, rest = [], []
    for start in weekday_hours():
        (in_month if MONTH_START <= start < MONTH_END else rest).append(start)
    return (
        sorted(rng.sample(in_month, REAL_COACH_IN_MONTH)),
        sorted(rng.sample(rest, REAL_COACH_REST_OF_YEAR)),
    )


def seed_real_coach(app, *, slug: str = "real-coach") -> tuple[int, int, int, str]:
    """Seed the "real coach" into ``app``'s (migrated) database and commit.

    ``seed_real_coach(app, *, slug="real-coach") -> (coach_id, client_id,
    session_type_id, slug)``

    Through the app's own services and models, in an app context of its own (nesting in
    the caller's is fine): a coach ``{slug}@bench.example`` in Europe/Berlin with
    ``calendar_privacy="public"`` and the given ``slug``; a client
    ``{slug}-client@bench.example`` (both with password ``REAL_COACH_PASSWORD``,
    "bench-password"); one 60-minute one-on-one session type "Coaching" (duration step 15,
    notice 120 minutes, ``max_advance_days=730``: the app uses the real clock, and June
    2027 must be bookable from now on); the weekly window
    Mon-Fri 09:00-17:00 for the year from 4 January 2027; and the client's 220 confirmed
    one-hour bookings of ``real_coach_starts()`` (20 in June 2027, 200 in the rest of
    the year), bulk-inserted, followed by ``ANALYZE booking`` on PostgreSQL.

    Ask for the month with ``MONTH_START`` / ``MONTH_END``, e.g.
    ``GET /api/bookings/{coach_id}/slots?session_type_id=...&duration_minutes=60&start=
    2027-06-01T00:00:00Z&end=2027-07-01T00:00:00Z`` or ``GET /coaches/{slug}?view=month&
    date=2027-06-01``. Call it once per slug: the e-mail addresses and the slug are unique.
    """
    with app.app_context():
        ids = seed_coach(
            f"{slug}@bench.example", f"{slug}-client@bench.example", slug, "Real Coach"
        )
        in_month, rest = real_coach_starts()
        insert_bookings(*ids, in_month + rest, 60)
    return (*ids, slug)


def seed_coach(
    email: str, client_email: str, slug: str | None, name: str = "Bench Coach"
) -> tuple[int, int, int]:
    """A public coach (``slug``) with the scenario's weekly window and a 60-minute type,
    and a client, committed (in the caller's app context): (coach, client, type) ids.
    Both sign in with ``REAL_COACH_PASSWORD``."""
    coach = accounts.register_user(
        email=email, password=REAL_COACH_PASSWORD, name=name, role="coach", timezone=ZONE
    )
    coach.calendar_privacy, coach.slug = "public", slug or coach.slug
    client = accounts.register_user(
        email=client_email,
        password=REAL_COACH_PASSWORD,
        name=f"{name} client",
        role="client",
        timezone=ZONE,
    )
    # max_advance_days: the app uses the real clock, and June 2027 must be bookable now.
    session_type = SessionType(coach_id=coach.id, name="Coaching", max_advance_days=730)
    db.session.add(session_type)
    recurring = window()
    db.session.add(
        AvailabilityWindow(
            coach_id=coach.id,
            start_at=recurring.start,
            end_at=recurring.end,
            timezone=recurring.timezone,
            recurrence_weekdays=",".join(recurring.weekdays),
            recurrence_until=recurring.until,
            series_end_at=recurring.start + timedelta(days=365),
        )
    )
    db.session.commit()
    return coach.id, client.id, session_type.id


def insert_bookings(coach_id, client_id, type_id, starts, minutes: int) -> None:
    """Confirmed firm bookings at ``starts``, ``minutes`` long, in one bulk INSERT (in the
    caller's app context); on PostgreSQL then ``ANALYZE booking``, as autovacuum would."""
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
