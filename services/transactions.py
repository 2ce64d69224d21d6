"""Transactions: the SQLite write lock and mapping constraint violations to AppError."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy import event, text
from sqlalchemy.engine import Engine
from sqlalchemy.exc import IntegrityError

from domain.errors import AppError
from extensions import db

# The SQLSTATE PostgreSQL raises when an exclusion constraint rejects a row.
EXCLUSION_VIOLATION = "23P01"
UNIQUE_VIOLATION = "23505"
# The first key of PostgreSQL advisory locks taken per coach calendar.
CALENDAR_LOCK_SPACE = 1


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
    first. On PostgreSQL the constraints do the work and this is an ordinary transaction.
    The caller commits; an exception rolls back. The exclusion constraint's refusal becomes
    409 ``slot_unavailable`` wherever it surfaces: at an explicit flush, an autoflush or
    the commit.
    """
    session = db.session
    session.commit()
    if session.get_bind().dialect.name == "sqlite":
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


def slot_unavailable(message: str = "This time has just been booked.") -> AppError:
    """409: someone else holds (part of) this time."""
    return AppError("slot_unavailable", message, {"start": [message]})


def constraint_violated(exc: Exception) -> tuple[str | None, str | None]:
    """(sqlstate, constraint name) of a DB error, where the driver tells them."""
    orig = getattr(exc, "orig", None)
    sqlstate = getattr(orig, "sqlstate", None)
    diag = getattr(orig, "diag", None)
    return sqlstate, getattr(diag, "constraint_name", None)


def lock_calendar(coach_id: int) -> None:
    """Serialise writers of one coach's calendar for the rest of the transaction.

    On PostgreSQL a transaction-scoped advisory lock per coach: the exclusion constraint
    already refuses overlaps, but counting group seats and coupon redemptions needs the
    lock. On SQLite ``BEGIN IMMEDIATE`` (see ``write_transaction``) already holds every
    writer off.
    """
    if db.session.get_bind().dialect.name == "postgresql":
        db.session.execute(
            text("SELECT pg_advisory_xact_lock(:space, :key)"),
            {"space": CALENDAR_LOCK_SPACE, "key": coach_id},
        )
