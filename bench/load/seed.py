"""The run's data, written straight into its (migrated) database through the app's own
services and models, in this process: no sign-in goes through the API (its rate limit
counts every client on 127.0.0.1 as one), every user gets a bearer token from
``accounts.issue_api_token``.

- the **dense coach** (issue 4): Mon-Fri 09:00-17:00 Europe/Berlin for a year and 2,000
  one-hour bookings over it, 172 of them in June 2027 (4 free starts left);
- the **real coach** (issue 15, ``bench.scenario.seed_real_coach``): the same window, 20
  bookings in June 2027, hundreds of free starts;
- the **load coaches**: public, UTC, free every day 06:00-22:00 from a month from now
  for 400 days, each with two free 30-minute session types: ``instant`` (firm for
  everyone: confirmed at once) and ``request`` (``firm_booking="nobody"``: the coach
  accepts it). That is 32 starts a day, over 12,000 a coach, so a run never runs out;
- the **clients**, who book.
"""

from __future__ import annotations

import tempfile
import time
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

from bench import scenario
from bench.databases import bench_app
from bench.load.config import LoadConfig
from extensions import db
from models import AvailabilityWindow, SessionType, User
from services import accounts

ZONE = "UTC"
OPEN_HOUR, CLOSE_HOUR = 6, 22
SLOT_MINUTES = 30
DAYS = 400
LEAD_DAYS = 30  # far enough ahead that no reminder falls due during the run
PASSWORD = "load-password"
DENSE_BOOKINGS = 2000


@dataclass(frozen=True)
class Person:
    id: int
    token: str


@dataclass(frozen=True)
class Coach(Person):
    instant_type_id: int
    request_type_id: int


@dataclass(frozen=True)
class Calendar:
    """A public calendar the readers read: June 2027's slots and month page."""

    name: str
    coach_id: int
    session_type_id: int
    slug: str
    free_starts: int = 0  # filled in by the reader check at the start of the run

    def slots_path(self) -> str:
        return (
            f"/api/bookings/{self.coach_id}/slots?session_type_id={self.session_type_id}"
            f"&duration_minutes=60&start={scenario.MONTH_START:%Y-%m-%dT%H:%M:%SZ}"
            f"&end={scenario.MONTH_END:%Y-%m-%dT%H:%M:%SZ}"
        )

    def page_path(self) -> str:
        return f"/coaches/{self.slug}?view=month&date={scenario.MONTH_START:%Y-%m-%d}"


@dataclass(frozen=True)
class Seed:
    coaches: list[Coach]
    clients: list[Person]
    calendars: list[Calendar]
    first_day: date
    seconds: float


def seed(config: LoadConfig) -> Seed:
    """Migrate the run's database and write everything the load needs into it."""
    began = time.monotonic()
    with tempfile.TemporaryDirectory() as tmp:
        app = bench_app(config.database_url, tmp)  # migrated, cheap password hashing
        scenario.no_periodic_thread(app)
        try:
            with app.app_context():
                dense = _dense_coach()
            real_id, _real_client, real_type, real_slug = scenario.seed_real_coach(app)
            real = Calendar("real", real_id, real_type, real_slug)
            first_day = datetime.now(UTC).date() + timedelta(days=LEAD_DAYS)
            with app.app_context():
                coaches = [_new_load_coach(n, first_day) for n in range(config.coaches)]
                clients = [_new_client(n) for n in range(config.clients)]
        finally:
            with app.app_context():
                db.engine.dispose()
    return Seed(coaches, clients, [dense, real], first_day, time.monotonic() - began)


def _user(email: str, name: str, role: str, zone: str) -> User:
    return accounts.register_user(
        email=email, password=PASSWORD, name=name, role=role, timezone=zone
    )


def _dense_coach() -> Calendar:
    """Issue 4's coach: the scenario's window, 2,000 bookings over the year."""
    coach_id, client_id, type_id = scenario.seed_coach(
        "dense-coach@load.example", "dense-client@load.example", "dense-coach", "Dense Coach"
    )
    starts = scenario.booking_starts(DENSE_BOOKINGS)
    scenario.insert_bookings(coach_id, client_id, type_id, starts, 60)
    return Calendar("dense", coach_id, type_id, "dense-coach")


def _new_load_coach(n: int, first_day: date) -> Coach:
    coach = _user(f"load-coach-{n}@load.example", f"Load Coach {n}", "coach", ZONE)
    coach.calendar_privacy = "public"
    types = [
        SessionType(
            coach_id=coach.id,
            name=name,
            duration_min=SLOT_MINUTES,
            duration_max=SLOT_MINUTES,
            duration_default=SLOT_MINUTES,
            price_amount=0,
            firm_booking=firm,
            max_advance_days=730,
        )
        for name, firm in (("Instant", "everyone"), ("Request", "nobody"))
    ]
    db.session.add_all(types)
    opens = datetime.combine(first_day, datetime.min.time(), UTC).replace(hour=OPEN_HOUR)
    db.session.add(
        AvailabilityWindow(
            coach_id=coach.id,
            start_at=opens,
            end_at=opens.replace(hour=CLOSE_HOUR),
            timezone=ZONE,
            recurrence_weekdays="MO,TU,WE,TH,FR,SA,SU",
            recurrence_until=first_day + timedelta(days=DAYS),
            series_end_at=opens + timedelta(days=DAYS + 1),
        )
    )
    db.session.commit()
    token, _ = accounts.issue_api_token(coach)
    return Coach(coach.id, token, types[0].id, types[1].id)


def _new_client(n: int) -> Person:
    client = _user(f"load-client-{n}@load.example", f"Load Client {n}", "client", ZONE)
    token, _ = accounts.issue_api_token(client)
    return Person(client.id, token)


def free_starts(first_day: date, day: int) -> list[datetime]:
    """A load coach's free 30-minute starts on the ``day``-th day of its availability."""
    opens = datetime.combine(first_day + timedelta(days=day), datetime.min.time(), UTC)
    count = (CLOSE_HOUR - OPEN_HOUR) * 60 // SLOT_MINUTES
    return [opens + timedelta(hours=OPEN_HOUR, minutes=SLOT_MINUTES * i) for i in range(count)]
