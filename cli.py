"""Flask CLI commands: ``flask --app app seed-demo``."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

import click
from flask import Flask
from flask.cli import with_appcontext
from sqlalchemy import select

from extensions import db
from models import AvailabilityWindow, Booking, Connection, Coupon, SessionType, User
from models.types import utcnow
from services import accounts, availability, transitions
from services.bookings import BookingRequest, create_booking

DEMO_COACH = {
    "email": "coach@example.com",
    "password": "demo-coach-pass",
    "name": "Dana Demo",
    "role": "coach",
    "timezone": "Europe/Berlin",
}
DEMO_CLIENT = {
    "email": "client@example.com",
    "password": "demo-client-pass",
    "name": "Chris Client",
    "role": "client",
    "timezone": "Europe/Berlin",
}
DEMO_SECOND_CLIENT = {
    "email": "robin@example.com",
    "password": "demo-client-pass",
    "name": "Robin Requester",
    "role": "client",
    "timezone": "America/New_York",
}
DEMO_SESSION_TYPES = (
    {
        "name": "Free intro call",
        "description": "Get to know each other: goals, questions, fit.",
        "duration_min": 30,
        "duration_max": 30,
        "duration_default": 30,
        "price_amount": 0,
        "color": "#16a34a",
    },
    {
        "name": "Coaching session",
        "description": "A focused one-on-one session.",
        "duration_min": 30,
        "duration_max": 120,
        "duration_default": 60,
        "duration_step": 15,
        "price_amount": 9000,
        "firm_booking": "connected",
        "buffer_after_minutes": 15,
    },
    {
        "name": "Group workshop",
        "description": "Monthly workshop in a small group.",
        "format": "group",
        "max_attendees": 8,
        "duration_min": 90,
        "duration_max": 90,
        "duration_default": 90,
        "price_amount": 3500,
        "color": "#9333ea",
    },
)
DEMO_WEEKS = 4
DEMO_COUPON = "WELCOME10"


def register_commands(app: Flask) -> None:
    app.cli.add_command(seed_demo)
    app.cli.add_command(worker)
    app.cli.add_command(tick)


@click.command("worker")
@click.option("--burst", is_flag=True, help="Run the queued jobs, then stop.")
@with_appcontext
def worker(burst: bool) -> None:
    """An RQ worker on REDIS_URL with the scheduler for the periodic jobs."""
    from flask import current_app

    from jobs.schedule import run_worker

    if not current_app.config.get("REDIS_URL"):
        raise click.ClickException(
            "REDIS_URL is not set: without Redis, jobs run inside the app process "
            "(flask --app app run) and need no worker."
        )
    run_worker(burst=burst)


@click.command("tick")
@with_appcontext
def tick() -> None:
    """Run the periodic jobs once now (expire holds, deadlines, reminders, completion,
    outbox sweep) and print what each did."""
    from services import periodic

    for name, count in periodic.run_all().items():
        click.echo(f"{name}: {count}")


DEMO_EMBED_ORIGIN = "http://localhost:8000"


@click.command("seed-demo")
@with_appcontext
def seed_demo() -> None:
    """Create (once) a public demo coach, a connected client, session types and availability."""
    coach = _user(DEMO_COACH)
    coach.calendar_privacy = "public"
    coach.currency = "EUR"
    coach.vat_rate = Decimal("0.19")
    # docs/examples/embed served by ``python -m http.server 8000`` shows the embed.
    coach.embed_domains = sorted({*(coach.embed_domains or []), DEMO_EMBED_ORIGIN})
    client = _user(DEMO_CLIENT)
    robin = _user(DEMO_SECOND_CLIENT)
    for values in DEMO_SESSION_TYPES:
        _session_type(coach, values)
    _connection(client, coach)
    _weekly_availability(coach)
    _coupon(coach)
    db.session.commit()
    _group_window(coach)
    _demo_bookings(coach, client, robin)
    click.echo("Demo data is ready. Sign in at /login with:")
    click.echo(f"  coach   {DEMO_COACH['email']} / {DEMO_COACH['password']}")
    click.echo(f"  client  {DEMO_CLIENT['email']} / {DEMO_CLIENT['password']}")
    click.echo(
        f"  client  {DEMO_SECOND_CLIENT['email']} / {DEMO_SECOND_CLIENT['password']}"
        "  (not connected: paid sessions are requests)"
    )
    click.echo(f"  public calendar of the coach: /coaches/{coach.slug}")


def _user(values: dict) -> User:
    user = accounts.find_user_by_email(values["email"])
    if user is None:
        user = accounts.register_user(**values)
    return user


def _session_type(coach: User, values: dict) -> None:
    exists = db.session.scalar(
        select(SessionType.id).where(
            SessionType.coach_id == coach.id, SessionType.name == values["name"]
        )
    )
    if exists is None:
        db.session.add(SessionType(coach_id=coach.id, **values))


def _connection(client: User, coach: User) -> None:
    pair_key = Connection.key_for(client.id, coach.id)
    if db.session.scalar(select(Connection.id).where(Connection.pair_key == pair_key)) is None:
        db.session.add(
            Connection(
                requester_id=client.id,
                addressee_id=coach.id,
                pair_key=pair_key,
                status="accepted",
                responded_at=utcnow(),
            )
        )


def _weekly_availability(coach: User) -> None:
    """Mon-Fri 09:00-17:00 in the coach's zone for the next four weeks."""
    has_windows = db.session.scalar(
        select(AvailabilityWindow.id).where(AvailabilityWindow.coach_id == coach.id).limit(1)
    )
    if has_windows is not None:
        return
    zone = ZoneInfo(coach.timezone)
    first_day = date.today() + timedelta(days=1)
    until = first_day + timedelta(weeks=DEMO_WEEKS)
    start = datetime.combine(first_day, time(9, 0), tzinfo=zone)
    end = datetime.combine(first_day, time(17, 0), tzinfo=zone)
    last_end = datetime.combine(until, time(17, 0), tzinfo=zone)
    db.session.add(
        AvailabilityWindow(
            coach_id=coach.id,
            start_at=start.astimezone(ZoneInfo("UTC")),
            end_at=end.astimezone(ZoneInfo("UTC")),
            timezone=coach.timezone,
            instant_booking=True,
            recurrence_weekdays="MO,TU,WE,TH,FR",
            recurrence_until=until,
            series_end_at=last_end.astimezone(ZoneInfo("UTC")),
        )
    )


def _coupon(coach: User) -> None:
    """WELCOME10: 10 % off, for trying the coupon field in the booking modal."""
    exists = db.session.scalar(
        select(Coupon.id).where(Coupon.coach_id == coach.id, Coupon.code == DEMO_COUPON)
    )
    if exists is None:
        db.session.add(Coupon(coach_id=coach.id, code=DEMO_COUPON, percent_off=10))


def _group_window(coach: User) -> None:
    """The group workshop: one session on the Saturday after next, 10:00-11:30 local."""
    workshop = db.session.scalar(
        select(SessionType).where(
            SessionType.coach_id == coach.id, SessionType.name == "Group workshop"
        )
    )
    exists = db.session.scalar(
        select(AvailabilityWindow.id).where(AvailabilityWindow.session_type_id == workshop.id)
    )
    if exists is not None:
        return
    zone = ZoneInfo(coach.timezone)
    today = datetime.now(zone).date()
    saturday = today + timedelta(days=(5 - today.weekday()) % 7 + 7)
    start = datetime.combine(saturday, time(10, 0), tzinfo=zone)
    values = {"start": start, "end": start + timedelta(minutes=90), "session_type_id": workshop.id}
    availability.create_window(coach, values)  # the API's path: the same checks


def _demo_bookings(coach: User, client: User, robin: User) -> None:
    """Bookings in several states, made through the same services as the API."""
    has_bookings = db.session.scalar(select(Booking.id).where(Booking.coach_id == coach.id))
    if has_bookings is not None:
        return
    types = {
        st.name: st.id
        for st in db.session.scalars(select(SessionType).where(SessionType.coach_id == coach.id))
    }
    days = _next_weekdays(coach.timezone, 5)
    zone = ZoneInfo(coach.timezone)

    def at(day: date, hour: int) -> datetime:
        return datetime.combine(day, time(hour, 0), tzinfo=zone).astimezone(ZoneInfo("UTC"))

    def book(who: User, type_name: str, start: datetime, minutes: int | None = None):
        request = BookingRequest(
            coach.id, types[type_name], start, minutes, message="Booked by the demo data."
        )
        return create_booking(who, request)

    book(client, "Free intro call", at(days[0], 10))
    book(client, "Coaching session", at(days[1], 14), 90)
    book(robin, "Coaching session", at(days[2], 11))
    suggested = book(robin, "Coaching session", at(days[3], 9))
    transitions.suggest(
        coach,
        suggested.id,
        [(at(days[3], 15), at(days[3], 16))],
        "The morning is taken; does the afternoon suit you?",
    )
    cancelled = book(client, "Free intro call", at(days[4], 16))
    transitions.cancel(client, cancelled.id, "Something came up.")


def _next_weekdays(timezone: str, count: int) -> list[date]:
    """The next ``count`` weekdays from tomorrow in the coach's zone."""
    day = datetime.now(ZoneInfo(timezone)).date() + timedelta(days=1)
    days = []
    while len(days) < count:
        if day.weekday() < 5:
            days.append(day)
        day += timedelta(days=1)
    return days
