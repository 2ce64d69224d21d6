"""A month of calendar or slots costs a fixed number of SQL statements, however many
bookings the coach has (issue 4, "Queries that scale"): never one per day or per booking.
Booking costs a fixed few too (issue 5, "Performance"), and reads nothing back."""

from __future__ import annotations

import uuid
from datetime import UTC, timedelta

import pytest
from sqlalchemy import event

from extensions import db
from models import Booking
from tests.api.scheduling import MONDAY, calendar_url, create_window, local, slots_url, z
from tests.factories import (
    make_client,
    make_coach,
    make_connection,
    make_session_type,
)

MAX_STATEMENTS = 8
MONTH = {"start": z(local(MONDAY, 0)), "end": z(local(MONDAY + timedelta(days=31), 0))}


def make_bookings(app, coach, client, session_type: int, starts) -> None:
    """Confirmed one-hour bookings at these starts, inserted at once."""
    with app.app_context():
        for start in starts:
            db.session.add(
                Booking(
                    coach_id=coach.id,
                    client_id=client.id,
                    session_type_id=session_type,
                    start_at=start.astimezone(UTC),
                    end_at=(start + timedelta(hours=1)).astimezone(UTC),
                    blocked_start_at=start.astimezone(UTC),
                    blocked_end_at=(start + timedelta(hours=1)).astimezone(UTC),
                    duration_minutes=60,
                    slot_key=f"b-{uuid.uuid4()}",
                    status="confirmed",
                    kind="firm",
                    currency="EUR",
                )
            )
        db.session.commit()


def in_the_month(n: int):
    """n sessions on the month's days, four a day at 09, 11, 13 and 15 o'clock."""
    return [local(MONDAY + timedelta(days=i // 4), 9 + 2 * (i % 4)) for i in range(n)]


def over_the_year(n: int):
    """n sessions on the days before and after the month, one a day."""
    before = [local(MONDAY - timedelta(days=1 + i), 10) for i in range(n // 2)]
    after = [local(MONDAY + timedelta(days=40 + i), 10) for i in range(n - n // 2)]
    return before + after


ALL_300 = in_the_month(100) + over_the_year(200)


TRANSACTION_CONTROL = ("BEGIN", "COMMIT", "ROLLBACK", "SAVEPOINT", "RELEASE")


def statements_of(app, send, status: int = 200) -> list[str]:
    """The SQL statements one request executes, authentication included. Transaction
    control is left out: SQLite's driver is sent an explicit BEGIN, PostgreSQL's is not."""
    statements: list[str] = []

    def record(_conn, _cursor, statement, *_args) -> None:
        if not statement.lstrip().upper().startswith(TRANSACTION_CONTROL):
            statements.append(statement)

    with app.app_context():
        engine = db.engine
        event.listen(engine, "before_cursor_execute", record)
        try:
            response = send()
        finally:
            event.remove(engine, "before_cursor_execute", record)
    assert response.status_code == status, response.get_json()
    return statements


@pytest.fixture
def busy_coach(app, api):
    """A coach with weekday availability 09:00-17:00 for a year, a connected client asking."""
    coach = make_coach(app)
    client = make_client(app)
    make_connection(app, client, coach, "accepted")
    session_type = make_session_type(app, coach)
    first = local(MONDAY - timedelta(weeks=26), 9)
    create_window(
        api,
        coach,
        first,
        first.replace(hour=17),
        recurrence={"weekdays": ["MO", "TU", "WE", "TH", "FR"], "count": 260},
    )
    make_bookings(app, coach, client, session_type, ALL_300[::60])
    return coach, client, session_type


def grow_to_300_bookings(app, coach, client, session_type) -> None:
    """The other 295: 100 in the month in all, 200 over the rest of the year."""
    rest = [start for i, start in enumerate(ALL_300) if i % 60]
    make_bookings(app, coach, client, session_type, rest)


@pytest.mark.parametrize("endpoint", ["slots", "bookings"])
def test_a_month_costs_the_same_few_statements_with_5_or_300_bookings(
    app, api, busy_coach, endpoint
):
    coach, client, session_type = busy_coach

    def one_month():
        if endpoint == "slots":
            query = {**MONTH, "session_type_id": session_type}
            return api.get(slots_url(coach.id), query_string=query, as_=client)
        return api.get(calendar_url(coach.id), query_string=MONTH, as_=client)

    with_5 = statements_of(app, one_month)
    grow_to_300_bookings(app, coach, client, session_type)
    with_300 = statements_of(app, one_month)
    assert one_month().get_json()["items"]
    report = f"GET …/{endpoint} for a month: {len(with_5)} statements with 5 bookings, "
    report += f"{len(with_300)} with 300"
    assert len(with_5) == len(with_300), report + "\n" + "\n".join(with_300)
    assert len(with_300) <= MAX_STATEMENTS, report + "\n" + "\n".join(with_300)


class TestBookingStatements:
    """In production mode (jobs on RQ): the request writes the booking and everything it
    causes in its transaction, and the e-mails are sent by a worker, not by the request."""

    @pytest.fixture
    def app_config(self, redis_url):
        return {"REDIS_URL": redis_url, "SOCKETIO_MESSAGE_QUEUE": None}

    @pytest.mark.redis
    def test_a_booking_costs_the_same_few_statements_and_reads_nothing_back(
        self, app, api, busy_coach
    ):
        coach, client, session_type = busy_coach

        def book(day: int):
            body = {
                "coach_id": coach.id,
                "session_type_id": session_type,
                "start": local(MONDAY + timedelta(days=day), 16).isoformat(),
            }
            return lambda: api.post("/api/bookings", json=body, as_=client)

        with_5 = statements_of(app, book(1), 201)
        grow_to_300_bookings(app, coach, client, session_type)
        with_300 = statements_of(app, book(2), 201)

        report = "\n".join(with_300)
        assert len(with_5) == len(with_300) <= MAX_STATEMENTS + 3, report
        kinds = [statement.lstrip().split(None, 1)[0].upper() for statement in with_300]
        # The booking, its first history entry, both notifications, the parties' unread
        # counts for the live bell, both e-mails: nothing of the booking read back.
        assert kinds[-5:] == ["INSERT", "INSERT", "INSERT", "SELECT", "INSERT"], report
        assert "notification.read_at IS NULL" in with_300[-2], report
        assert "INSERT" not in kinds[:-5], report
