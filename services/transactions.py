"""Transactions: the SQLite write lock and mapping constraint violations to AppError."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from functools import cache

from sqlalchemy import bindparam, event, select
from sqlalchemy.engine import Engine
from sqlalchemy.exc import IntegrityError

from domain.errors import AppError
from extensions import db

# The SQLSTATE PostgreSQL raises when an exclusion constraint rejects a row.
EXCLUSION_VIOLATION = "23P01"
UNIQUE_VIOLATION = "23505"


def install_sqlite_hooks(engine: Engine) -> None:
    """Let pysqlite leave transaction control to SQLAlchemy, so ``BEGIN IMMEDIATE`` works.

    The recipe of SQLAlchemy's SQLite documentation for Python < 3.12, plus an opt-in
    execution option ``sqlite_begin`` that ``write_transaction`` sets.
    """

    @event.listens_for(engine, "connect")
    def _connect(dbapi_connection, _record):
        dbapi_connection.isolation_level = None
        dbapi_connection.execute("PRAGMA foreign_keys=ON")
        dbapi_connection.execute("PRAGMA busy_timeout=30000")
        # WAL lets readers go on while one writer holds the lock (synchronous stays FULL:
        # a committed booking survives a power cut).
        dbapi_connection.execute("PRAGMA journal_mode=WAL")

    @event.listens_for(engine, "begin")
    def _begin(connection):
        mode = connection.get_execution_options().get("sqlite_begin", "DEFERRED")
        connection.exec_driver_sql(f"BEGIN {mode}")


@contextmanager
def write_transaction() -> Iterator[None]:
    """Start a transaction that holds the write lock before anything is read.

    On SQLite, ``BEGIN IMMEDIATE`` serialises writers, so a conflict check and the insert
    that follows cannot interleave with another writer's (SPEC section 4). It must be the
    first statement of the transaction, so whatever the request read before is committed
    first. On PostgreSQL the constraints and ``lock_calendar`` do the work: the transaction
    the request's first read opened simply goes on (no commit, so the rows it loaded stay
    loaded, and every statement still sees the latest committed data).
    The caller commits; an exception rolls back. The exclusion constraint's refusal becomes
    409 ``slot_unavailable`` wherever it surfaces: at an explicit flush, an autoflush or
    the commit.
    """
    session = db.session
    if session.get_bind().dialect.name == "sqlite":
        session.commit()
        session.connection(execution_options={"sqlite_begin": "IMMEDIATE"})
    try:
        yield
    except IntegrityError as exc:
        session.rollback()
        if constraint_violated(exc)[0] == EXCLUSION_VIOLATION:
            raise slot_unavailable() from exc
        raise
    except BaseException:
        session.rollback()
        raise


def database_refuses_overlaps() -> bool:
    """Does the database itself refuse overlapping active bookings of a coach? PostgreSQL's
    exclusion constraint ``booking_no_overlap`` does; SQLite has none (there the check
    under ``BEGIN IMMEDIATE`` is all)."""
    return db.session.get_bind().dialect.name == "postgresql"


def slot_unavailable(message: str = "This time has just been booked.") -> AppError:
    """409: someone else holds (part of) this time."""
    return AppError("slot_unavailable", message, {"start": [message]})


def constraint_violated(exc: Exception) -> tuple[str | None, str | None]:
    """(sqlstate, constraint name) of a DB error, where the driver tells them."""
    orig = getattr(exc, "orig", None)
    sqlstate = getattr(orig, "sqlstate", None)
    diag = getattr(orig, "diag", None)
    return sqlstate, getattr(diag, "constraint_name", None)


def lock_calendar(coach_id: int):
    """Serialise writers of one coach's calendar for the rest of the transaction, and
    return the coach (None if there is no such user).

    On PostgreSQL the coach's row is locked ``FOR NO KEY UPDATE``: the exclusion
    constraint already refuses overlaps, but counting group seats and coupon redemptions
    needs the lock, and taking it while loading the coach costs no extra round trip. (That
    lock mode does not block the foreign-key checks of bookings that merely point at the
    coach.) On SQLite ``BEGIN IMMEDIATE`` (see ``write_transaction``) already holds every
    writer off, and the clause is left out.
    """
    return db.session.scalar(_lock_query(), {"coach_id": coach_id})


def lock_calendar_with_type(coach_id: int, session_type_id: int | None):
    """``lock_calendar``, loading the coach's session type of that id in the same round
    trip: (coach or None, session type or None)."""
    params = {"coach_id": coach_id, "session_type_id": session_type_id}
    row = db.session.execute(_lock_with_type_query(), params).first()
    return (None, None) if row is None else (row[0], row[1])


# The statements are built once (on first use: the models import this module).
@cache
def _lock_query():
    from models import User

    return (
        select(User)
        .where(User.id == bindparam("coach_id"))
        .with_for_update(of=User, key_share=True)
    )


@cache
def _lock_with_type_query():
    from models import SessionType, User

    same_coach = (SessionType.id == bindparam("session_type_id")) & (
        SessionType.coach_id == User.id
    )
    return (
        select(User, SessionType)
        .outerjoin(SessionType, same_coach)
        .where(User.id == bindparam("coach_id"))
        .with_for_update(of=User, key_share=True)
    )
