"""services.effects.after_commit: side effects run once after the commit, never before it,
and are dropped when the transaction rolls back (SPEC section 4, Booking 7). Checked on a
bare session and through real bookings, on SQLite and PostgreSQL."""

from __future__ import annotations

import logging
from datetime import timedelta

import pytest
from sqlalchemy import select, text
from sqlalchemy.exc import IntegrityError

from domain.errors import AppError
from extensions import db
from models import Booking, Coupon, Notification
from services import notifications
from services.effects import after_commit
from services.transactions import write_transaction
from tests.api.booking_setup import at, book, booked, booking_url, make_scene
from tests.factories import make_booking, make_client, make_coach
from tests.helpers import assert_error

ANNOUNCER = "services.notifications"


def seen_from_another_connection(table: str, row_id: int) -> bool:
    """Is the row committed, as any other connection (another request) would see it?"""
    with db.engine.connect() as connection:
        query = text(f'SELECT count(*) FROM "{table}" WHERE id = :id')
        return connection.execute(query, {"id": row_id}).scalar() == 1


def add_notification(user_id: int) -> Notification:
    notification = Notification(user_id=user_id, kind="test", title="Hello")
    db.session.add(notification)
    db.session.flush()
    return notification


@pytest.fixture
def user(app):
    return make_client(app)


@pytest.fixture
def logs(caplog):
    """caplog at INFO for the effect and announcement loggers.

    The migrations' ``fileConfig`` (run in this process by the fixtures) disables every
    logger that existed then; switch ours back on for the test."""
    loggers = [logging.getLogger(name) for name in ("services.effects", ANNOUNCER)]
    disabled = [logger.disabled for logger in loggers]
    for logger in loggers:
        logger.disabled = False
    caplog.set_level(logging.INFO, logger=ANNOUNCER)
    yield caplog
    for logger, was in zip(loggers, disabled, strict=True):
        logger.disabled = was


# --- the hook on a bare session ---------------------------------------------------------------


def test_an_effect_runs_once_after_the_commit_and_sees_the_committed_row(app, user):
    calls = []
    with app.app_context():
        notification = add_notification(user.id)
        row_id = notification.id

        def effect(label):
            calls.append((label, seen_from_another_connection("notification", row_id)))

        after_commit(effect, "sent")
        assert calls == []
        db.session.flush()
        assert calls == []
        db.session.commit()
        assert calls == [("sent", True)]
        add_notification(user.id)
        db.session.commit()
    assert calls == [("sent", True)]


def test_effects_run_in_the_order_they_were_registered_with_their_arguments(app, user):
    calls = []
    with app.app_context():
        add_notification(user.id)
        after_commit(lambda *args, **kwargs: calls.append((args, kwargs)), 1, 2, key="a")
        after_commit(lambda: calls.append("second"))
        db.session.commit()
    assert calls == [((1, 2), {"key": "a"}), "second"]


def test_an_effect_is_dropped_on_rollback(app, user):
    calls = []
    with app.app_context():
        notification = add_notification(user.id)
        row_id = notification.id
        after_commit(calls.append, "rolled back")
        db.session.rollback()
        assert not seen_from_another_connection("notification", row_id)
        add_notification(user.id)
        db.session.commit()
    assert calls == []


def test_an_effect_is_dropped_when_the_commit_itself_fails(app, user):
    calls = []
    with app.app_context():
        db.session.add(Coupon(coach_id=make_coach(app).id, code="BAD", percent_off=500))
        after_commit(calls.append, "never")
        with pytest.raises(IntegrityError):
            db.session.commit()
        db.session.rollback()
        add_notification(user.id)
        db.session.commit()
    assert calls == []


def test_an_effect_is_dropped_when_a_write_transaction_fails(app, user):
    calls = []
    with app.app_context():
        with pytest.raises(AppError), write_transaction():
            add_notification(user.id)
            after_commit(calls.append, "never")
            raise AppError("slot_unavailable", "Taken.")
        db.session.commit()
        assert db.session.scalar(select(Notification.id)) is None
    assert calls == []


def test_a_failing_effect_does_not_stop_the_others_nor_undo_the_commit(app, user, logs):
    calls = []

    def broken():
        raise RuntimeError("mail server down")

    with app.app_context():
        notification = add_notification(user.id)
        row_id = notification.id
        after_commit(calls.append, "first")
        after_commit(broken)
        after_commit(calls.append, "third")
        db.session.commit()
        assert seen_from_another_connection("notification", row_id)
    assert calls == ["first", "third"]
    failures = [r for r in logs.records if "after-commit effect broken failed" in r.message]
    assert len(failures) == 1
    assert failures[0].exc_info[0] is RuntimeError


def test_effects_of_one_request_do_not_leak_into_the_next(app, user):
    calls = []
    with app.app_context():
        add_notification(user.id)
        after_commit(calls.append, "abandoned")
    with app.app_context():
        add_notification(user.id)
        db.session.commit()
    assert calls == []


# --- through real bookings ---------------------------------------------------------------------


def announced(caplog) -> list[str]:
    return [r.getMessage() for r in caplog.records if r.name == ANNOUNCER]


class CommittedCheck(logging.Handler):
    """Records, when the announcement is logged, whether the booking is already visible to
    another connection: the announcement must come after the commit, never before."""

    def __init__(self):
        super().__init__(logging.INFO)
        self.seen: list[tuple[str, bool]] = []

    def emit(self, record):
        booking_id = int(record.args[0])
        self.seen.append((record.getMessage(), seen_from_another_connection("booking", booking_id)))


@pytest.fixture
def committed_check():
    handler = CommittedCheck()
    logger = logging.getLogger(ANNOUNCER)
    previous = logger.level
    logger.addHandler(handler)
    logger.setLevel(logging.INFO)
    yield handler
    logger.removeHandler(handler)
    logger.setLevel(previous)


def test_a_new_booking_is_announced_once_after_its_commit(app, api, logs, committed_check):
    scene = make_scene(app, api)
    booking = booked(api, scene, at(10))
    assert announced(logs) == [f"booking {booking['id']} is now confirmed"]
    assert committed_check.seen == [(f"booking {booking['id']} is now confirmed", True)]


def test_a_transition_is_announced_after_its_commit(app, api, logs, committed_check):
    scene = make_scene(app, api, instant_booking=False)
    booking = booked(api, scene, at(10))
    logs.clear()
    response = api.post(booking_url(booking["id"], "accept"), json={}, as_=scene.coach)
    assert response.status_code == 200
    assert announced(logs) == [f"booking {booking['id']} is now confirmed"]
    assert committed_check.seen[-1] == (f"booking {booking['id']} is now confirmed", True)


def test_a_booking_refused_with_409_announces_nothing(app, api, logs):
    scene = make_scene(app, api)
    booked(api, scene, at(10))
    assert len(announced(logs)) == 1
    logs.clear()
    assert_error(book(api, scene, at(10), as_=make_client(app)), 409, "slot_unavailable")
    assert_error(book(api, scene, at(10, 30), as_=make_client(app)), 409, "slot_unavailable")
    assert announced(logs) == []


def test_a_refused_transition_announces_nothing(app, api, logs):
    scene = make_scene(app, api)
    booking = booked(api, scene, at(10))
    logs.clear()
    response = api.post(booking_url(booking["id"], "accept"), json={}, as_=scene.coach)
    assert_error(response, 409, "invalid_transition")
    assert announced(logs) == []


def test_a_booking_the_exclusion_constraint_refuses_at_commit_announces_nothing(app, api, logs):
    """The last line of defence on PostgreSQL: a booking that slipped past the check is
    refused by the constraint when it is written, and its notifications go with it."""
    if "postgresql" not in app.config["SQLALCHEMY_DATABASE_URI"]:
        pytest.skip("the exclusion constraint exists on PostgreSQL only")
    scene = make_scene(app, api)
    first = make_booking(app, scene.coach, scene.client, scene.session_type, at(10))
    with app.app_context():
        with pytest.raises(AppError) as refused, write_transaction(keep_loaded=True):
            row = db.session.get(Booking, first)
            twin = Booking(
                **{
                    c.key: getattr(row, c.key)
                    for c in Booking.__mapper__.column_attrs
                    if c.key not in ("id", "slot_key")
                },
                slot_key="b-twin",
            )
            twin.start_at += timedelta(minutes=30)
            twin.end_at += timedelta(minutes=30)
            twin.blocked_start_at, twin.blocked_end_at = twin.start_at, twin.end_at
            db.session.add(twin)
            db.session.flush()
            notifications.booking_created(twin)
        assert refused.value.code == "slot_unavailable"
        assert db.session.scalar(select(db.func.count()).select_from(Booking)) == 1
        assert db.session.scalar(select(db.func.count()).select_from(Notification)) == 0
    assert announced(logs) == []
