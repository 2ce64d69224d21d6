"""The periodic jobs with a clock the test sets (an explicit ``now``): holds and payment
deadlines expire, ended sessions complete, reminders go once at each offset; two
workers running the same tick at once still act once."""

from __future__ import annotations

import threading
import traceback
from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from sqlalchemy import select

from extensions import db
from models import Booking, BookingHistory
from models.types import utcnow
from services import periodic
from tests.api.booking_setup import (
    at,
    booked,
    make_scene,
    notifications_for,
    slot_starts,
    stored_booking,
    update_booking,
)
from tests.api.scheduling import z
from tests.api.transition_setup import act, ok
from tests.factories import make_booking
from tests.jobs.conftest import WAIT_SECONDS, rows

MINUTE = timedelta(minutes=1)


@pytest.fixture
def app_config(smtp_sink):
    return {"MAIL_SERVER": "127.0.0.1", "MAIL_PORT": smtp_sink[1]}


@pytest.fixture
def scene(app, api):
    """A public coach with a free 60-minute type (reminders 1440 and 60 minutes before)
    and a Monday 09:00-17:00 window, and a client."""
    return make_scene(app, api)


def history(app, booking_id: int) -> list[tuple]:
    with app.app_context():
        query = (
            select(BookingHistory.from_status, BookingHistory.to_status, BookingHistory.by_user_id)
            .where(BookingHistory.booking_id == booking_id)
            .order_by(BookingHistory.id)
        )
        return [tuple(entry) for entry in db.session.execute(query)]


def short(app, scene, start: datetime, length: timedelta | None = None, **fields) -> int:
    """A booking row of ``length`` (the type's default without it) from ``start``."""
    end = start + length if length else None
    return make_booking(app, scene.coach, scene.client, scene.session_type, start, end, **fields)


def held(app, scene, start: datetime, expires_at: datetime, length=None) -> int:
    """A booking waiting for its Stripe payment, holding the time until ``expires_at``."""
    booking_id = short(app, scene, start, length, status="pending_payment")
    update_booking(
        app,
        booking_id,
        payment_status="payment_pending",
        checkout_expires_at=expires_at,
        price_total=6300,
    )
    return booking_id


def accepted_unpaid(app, scene, start: datetime, deadline: datetime, length=None) -> int:
    """An accepted request still to be paid by ``deadline``."""
    booking_id = short(app, scene, start, length)
    update_booking(app, booking_id, payment_status="payment_pending", payment_deadline_at=deadline)
    return booking_id


def ids(outbox_rows: list[dict]) -> set[str]:
    return {r["message_id"] for r in outbox_rows}


def reminders(app) -> list[dict]:
    return [r for r in rows(app) if r["kind"] == "reminder"]


def tick(app, now: datetime) -> dict:
    """One tick at ``now``, the clock moved there for everything it starts (the send jobs
    after each change read the clock themselves)."""
    with time_machine.travel(now), app.app_context():
        done = periodic.run_all(now)
    assert -1 not in done.values(), done
    return done


# --- expiry and completion -----------------------------------------------------------


def test_a_hold_past_its_checkout_expiry_expires_and_frees_the_time(app, api, scene):
    expires_at = utcnow() + timedelta(minutes=30)
    booking_id = held(app, scene, at(10), expires_at)
    assert z(at(10)) not in slot_starts(api, scene)

    assert tick(app, expires_at - MINUTE)["expire_holds"] == 0
    assert stored_booking(app, booking_id)["status"] == "pending_payment"

    assert tick(app, expires_at + MINUTE)["expire_holds"] == 1
    assert stored_booking(app, booking_id)["status"] == "expired"
    assert history(app, booking_id)[-1] == ("pending_payment", "expired", None)
    assert z(at(10)) in slot_starts(api, scene)
    for person in (scene.coach, scene.client):
        assert ("booking_expired", booking_id) in notifications_for(app, person)
    told = [r for r in rows(app) if r["booking_id"] == booking_id]
    assert [(r["to_address"], r["status"]) for r in told] == [(scene.client.email, "sent")]

    assert tick(app, expires_at + 10 * MINUTE)["expire_holds"] == 0
    assert len(history(app, booking_id)) == 1


def test_an_accepted_booking_unpaid_at_its_deadline_expires(app, api, scene, smtp_sink):
    sink, _ = smtp_sink
    deadline = at(10) - timedelta(hours=12)
    booking_id = accepted_unpaid(app, scene, at(10), deadline)

    assert tick(app, deadline - MINUTE)["expire_unpaid"] == 0
    assert tick(app, deadline + MINUTE)["expire_unpaid"] == 1

    assert stored_booking(app, booking_id)["status"] == "expired"
    assert history(app, booking_id) == [("confirmed", "expired", None)]
    assert z(at(10)) in slot_starts(api, scene)
    for person in (scene.coach, scene.client):
        assert ("booking_expired", booking_id) in notifications_for(app, person)
    told = [r for r in rows(app) if r["kind"] != "reminder"]  # the day before had one
    parties = sorted([scene.coach.email, scene.client.email])
    assert sorted(r["to_address"] for r in told) == parties
    assert sorted(m["To"] for m in sink.messages if m["Message-ID"] in ids(told)) == parties


def test_a_paid_or_free_confirmed_booking_is_not_expired(app, scene):
    booking_id = make_booking(app, scene.coach, scene.client, scene.session_type, at(10))
    update_booking(app, booking_id, payment_deadline_at=at(10) - timedelta(hours=12))

    assert tick(app, at(10) - timedelta(hours=1))["expire_unpaid"] == 0
    assert stored_booking(app, booking_id)["status"] == "confirmed"


def test_a_confirmed_session_completes_once_it_has_ended(app, scene):
    booking_id = make_booking(app, scene.coach, scene.client, scene.session_type, at(10))

    assert tick(app, at(11) - MINUTE)["complete_ended"] == 0
    assert tick(app, at(11))["complete_ended"] == 1

    assert stored_booking(app, booking_id)["status"] == "completed"
    assert history(app, booking_id) == [("confirmed", "completed", None)]
    for person in (scene.coach, scene.client):
        assert ("booking_completed", booking_id) in notifications_for(app, person)
    assert tick(app, at(12))["complete_ended"] == 0


# --- reminders -------------------------------------------------------------------------


def test_due_offset_is_the_most_imminent_passed_offset_of_a_booking_that_existed_then():
    start = datetime(2027, 3, 1, 10, 0, tzinfo=UTC)
    early = Booking(start_at=start, created_at=start - timedelta(days=7))
    late = Booking(start_at=start, created_at=start - timedelta(hours=3))

    def due(booking, before: timedelta, offsets=(1440, 60)):
        return periodic.due_offset(booking, list(offsets), start - before)

    assert due(early, timedelta(hours=25)) is None
    assert due(early, timedelta(hours=24)) == 1440  # the moment itself counts
    assert due(early, timedelta(hours=23, minutes=59)) == 1440
    assert due(early, timedelta(minutes=60)) == 60
    assert due(early, timedelta(minutes=1)) == 60
    assert due(late, timedelta(hours=2, minutes=59)) is None  # made after the 24-h moment
    assert due(late, timedelta(minutes=59)) == 60
    assert due(early, timedelta(minutes=59), offsets=()) is None


def test_reminders_go_once_at_each_offset(app, api, scene, smtp_sink):
    sink, _ = smtp_sink
    booking = booked(api, scene, at(10))
    start = at(10)
    parties = sorted([scene.coach.email, scene.client.email])

    assert tick(app, start - timedelta(hours=24, minutes=1))["send_reminders"] == 0
    assert tick(app, start - timedelta(hours=23, minutes=59))["send_reminders"] == 2
    day_before = reminders(app)
    assert sorted(r["to_address"] for r in day_before) == parties
    assert all(r["booking_id"] == booking["id"] for r in day_before)
    assert all("1 day" in r["body_text"] for r in day_before)

    assert tick(app, start - timedelta(hours=23, minutes=58))["send_reminders"] == 0
    assert tick(app, start - timedelta(hours=2))["send_reminders"] == 0
    assert tick(app, start - timedelta(minutes=59))["send_reminders"] == 2
    assert tick(app, start - timedelta(minutes=58))["send_reminders"] == 0

    hour_before = reminders(app)[2:]
    assert sorted(r["to_address"] for r in hour_before) == parties
    assert all("1 hour" in r["body_text"] for r in hour_before)
    assert {r["status"] for r in reminders(app)} == {"sent"}
    subjects = [m["Subject"] for m in sink.messages if m["Subject"].startswith("Reminder")]
    assert len(subjects) == 4
    assert all(len(found) == 1 for found in sink.by_message_id().values())


def test_a_booking_made_three_hours_before_gets_no_day_before_reminder(app, api, scene):
    booking = booked(api, scene, at(10))
    update_booking(app, booking["id"], created_at=at(10) - timedelta(hours=3))

    assert tick(app, at(10) - timedelta(hours=2, minutes=59))["send_reminders"] == 0
    assert tick(app, at(10) - timedelta(minutes=59))["send_reminders"] == 2
    assert all("1 hour" in r["body_text"] for r in reminders(app))


def test_a_rescheduled_booking_is_reminded_again_for_its_new_time(app, api, scene):
    booking = booked(api, scene, at(10))
    assert tick(app, at(10) - timedelta(hours=23, minutes=59))["send_reminders"] == 2

    ok(act(api, scene.client, booking["id"], "reschedule", {"start": at(14).isoformat()}))

    assert tick(app, at(10) - timedelta(hours=23, minutes=58))["send_reminders"] == 0
    assert tick(app, at(14) - timedelta(hours=23, minutes=59))["send_reminders"] == 2
    assert tick(app, at(14) - timedelta(hours=23, minutes=58))["send_reminders"] == 0
    assert tick(app, at(14) - timedelta(minutes=59))["send_reminders"] == 2
    assert len(reminders(app)) == 6


def test_a_cancelled_booking_gets_no_reminder(app, api, scene):
    booking = booked(api, scene, at(10))
    ok(act(api, scene.client, booking["id"], "cancel", {"reason": "Ill"}))

    assert tick(app, at(10) - timedelta(hours=23, minutes=59))["send_reminders"] == 0
    assert tick(app, at(10) - timedelta(minutes=59))["send_reminders"] == 0
    assert reminders(app) == []


# --- two workers at once -----------------------------------------------------------------


def test_two_workers_running_the_same_tick_act_once(app, api, scene, smtp_sink):
    """Holds, deadlines, ended sessions and due reminders, all at once, ticked by two
    workers released together: each booking moves once and each reminder goes once."""
    sink, _ = smtp_sink
    now = at(12)
    half = timedelta(minutes=30)
    holds = [held(app, scene, at(9) + n * half, now - MINUTE, half) for n in range(3)]
    ended = [short(app, scene, at(10, 30) + n * half, half) for n in range(2)]
    unpaid = [accepted_unpaid(app, scene, at(16) + n * half, now - MINUTE, half) for n in range(2)]
    coming = [booked(api, scene, at(14 + n))["id"] for n in range(2)]
    before = len(rows(app))

    done = race_ticks(app, now, workers=2)

    moved = {name: sum(d[name] for d in done) for name in done[0]}
    assert moved["expire_holds"] == len(holds)
    assert moved["expire_unpaid"] == len(unpaid)
    assert moved["complete_ended"] == len(ended)
    assert moved["send_reminders"] == 2 * len(coming)
    for booking_id, status in (
        *((b, "expired") for b in holds + unpaid),
        *((b, "completed") for b in ended),
        *((b, "confirmed") for b in coming),
    ):
        assert stored_booking(app, booking_id)["status"] == status
    for booking_id in holds + unpaid + ended:
        assert len([h for h in history(app, booking_id) if h[2] is None]) == 1
        kinds = [k for k, b in notifications_for(app, scene.client) if b == booking_id]
        assert len(kinds) == 1, kinds
    for booking_id in coming:
        assert len([r for r in reminders(app) if r["booking_id"] == booking_id]) == 2
    assert len(rows(app)) - before == 2 * len(coming) + len(holds) + 2 * len(unpaid)
    assert {r["status"] for r in rows(app)} == {"sent"}
    assert all(len(found) == 1 for found in sink.by_message_id().values())


def race_ticks(app, now: datetime, workers: int) -> list[dict]:
    """``periodic.run_all(now)`` in one thread per worker (an app context each), released
    together, with the clock at ``now``; what each did."""
    barrier = threading.Barrier(workers)
    done: list[dict | str] = [{} for _ in range(workers)]

    def run(index: int) -> None:
        try:
            with app.app_context():
                barrier.wait(WAIT_SECONDS)
                done[index] = periodic.run_all(now)
        except BaseException as error:  # shown by the assertion below
            done[index] = "".join(traceback.format_exception(error))

    threads = [threading.Thread(target=run, args=(i,), daemon=True) for i in range(workers)]
    with time_machine.travel(now):
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(WAIT_SECONDS * 2)
    assert not any(thread.is_alive() for thread in threads), "a worker did not finish"
    assert all(isinstance(d, dict) and -1 not in d.values() for d in done), done
    return done
