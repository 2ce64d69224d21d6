"""Migrations: empty → head on SQLite and PostgreSQL, models and migrations agree, and the
PostgreSQL exclusion constraint makes overlapping active bookings of a coach impossible."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from flask_migrate import check, downgrade, upgrade
from sqlalchemy import inspect, update
from sqlalchemy.exc import IntegrityError

from app import create_app
from extensions import db
from models import Booking, SessionType, User
from tests.conftest import _base_config, create_pg_database, drop_pg_database

EXPECTED_TABLES = {
    "user",
    "api_token",
    "web_session",
    "connection",
    "session_type",
    "coupon",
    "availability_window",
    "availability_exception",
    "booking",
    "booking_history",
    "time_suggestion",
    "coupon_redemption",
    "payment",
    "refund",
    "notification",
    "outbox_email",
    "processed_webhook_event",
}
T0 = datetime(2030, 3, 4, 9, 0, tzinfo=UTC)


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def empty_database_url(request, tmp_path):
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'empty.sqlite3'}"
        return
    url = create_pg_database(request.getfixturevalue("postgres_server_url"), "coachbook_mig")
    yield url
    drop_pg_database(url)


def test_upgrade_from_empty_to_head_creates_every_table_and_matches_the_models(
    empty_database_url, tmp_path
):
    app = create_app(_base_config(empty_database_url, tmp_path))
    with app.app_context():
        upgrade()
        tables = set(inspect(db.engine).get_table_names())
        assert tables >= EXPECTED_TABLES
        check()  # raises if the models hold changes no migration has
        downgrade(revision="base")
        assert set(inspect(db.engine).get_table_names()) <= {"alembic_version"}
        upgrade()
        db.engine.dispose()


@pytest.fixture(scope="module")
def pg_app(postgres_server_url, tmp_path_factory):
    url = create_pg_database(postgres_server_url, "coachbook_excl")
    app = create_app(_base_config(url, tmp_path_factory.mktemp("excl")))
    with app.app_context():
        upgrade()
        db.engine.dispose()
    yield app
    with app.app_context():
        db.engine.dispose()
    drop_pg_database(url)


@pytest.fixture
def pg(pg_app):
    """An app context on the PostgreSQL database with a coach, a client and a session type."""
    with pg_app.app_context():
        coach = User(
            email="c@example.com",
            password_hash="x",
            name="C",
            role="coach",
            timezone="UTC",
            slug="c",
        )
        other_coach = User(
            email="o@example.com",
            password_hash="x",
            name="O",
            role="coach",
            timezone="UTC",
            slug="o",
        )
        client = User(
            email="k@example.com", password_hash="x", name="K", role="client", timezone="UTC"
        )
        db.session.add_all([coach, other_coach, client])
        db.session.flush()
        session_type = SessionType(coach_id=coach.id, name="S")
        db.session.add(session_type)
        db.session.commit()
        yield {
            "coach": coach.id,
            "other": other_coach.id,
            "client": client.id,
            "type": session_type.id,
        }
        db.session.rollback()
        for model in (Booking, SessionType, User):
            db.session.query(model).delete()
        db.session.commit()


def _booking(
    ids,
    start_minutes,
    end_minutes,
    *,
    coach="coach",
    status="confirmed",
    slot_key=None,
    buffer_after=0,
):
    start = T0 + timedelta(minutes=start_minutes)
    end = T0 + timedelta(minutes=end_minutes)
    booking = Booking(
        coach_id=ids[coach],
        client_id=ids["client"],
        session_type_id=ids["type"],
        start_at=start,
        end_at=end,
        blocked_start_at=start,
        blocked_end_at=end + timedelta(minutes=buffer_after),
        duration_minutes=end_minutes - start_minutes,
        slot_key=slot_key or f"b-{start_minutes}-{end_minutes}-{status}-{coach}",
        status=status,
        kind="firm",
        currency="EUR",
    )
    db.session.add(booking)
    db.session.commit()
    return booking


@pytest.mark.postgres
def test_two_overlapping_active_bookings_of_one_coach_are_refused(pg):
    _booking(pg, 60, 120)
    with pytest.raises(IntegrityError) as caught:
        _booking(pg, 90, 150, status="requested")
    db.session.rollback()
    assert caught.value.orig.sqlstate == "23P01"
    assert db.session.query(Booking).count() == 1


@pytest.mark.postgres
@pytest.mark.parametrize("status", ["pending_payment", "requested", "confirmed"])
def test_every_active_status_holds_the_time(pg, status):
    _booking(pg, 0, 60, status=status)
    with pytest.raises(IntegrityError):
        _booking(pg, 30, 90, status="confirmed")
    db.session.rollback()


@pytest.mark.postgres
def test_buffers_stack_so_a_booking_inside_the_buffer_is_refused(pg):
    _booking(pg, 0, 60, buffer_after=15)
    with pytest.raises(IntegrityError):
        _booking(pg, 70, 130)
    db.session.rollback()
    _booking(pg, 75, 135)  # right after the buffer ends
    assert db.session.query(Booking).count() == 2


@pytest.mark.postgres
def test_back_to_back_other_coaches_and_inactive_bookings_do_not_conflict(pg):
    _booking(pg, 0, 60)
    _booking(pg, 60, 120)  # back to back: ranges are half-open
    _booking(pg, 0, 60, coach="other")
    for status in ("declined", "expired", "cancelled_by_client", "time_suggested", "completed"):
        _booking(pg, 30, 90, status=status)
    assert db.session.query(Booking).count() == 8


@pytest.mark.postgres
def test_seats_of_one_group_session_share_the_time_but_nothing_else_does(pg):
    _booking(pg, 0, 90, slot_key="g-1-20300304T0900")
    _booking(pg, 0, 90, slot_key="g-1-20300304T0900")
    with pytest.raises(IntegrityError):
        _booking(pg, 30, 60, slot_key="b-one-on-one")
    db.session.rollback()
    assert db.session.query(Booking).count() == 2


@pytest.mark.postgres
def test_reactivating_a_cancelled_booking_over_another_is_refused(pg):
    cancelled = _booking(pg, 0, 60, status="cancelled_by_client")
    _booking(pg, 0, 60)
    with pytest.raises(IntegrityError) as caught:
        db.session.execute(
            update(Booking).where(Booking.id == cancelled.id).values(status="confirmed")
        )
    db.session.rollback()
    assert caught.value.orig.diag.constraint_name == "booking_no_overlap"
