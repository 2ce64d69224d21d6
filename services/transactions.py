"""Transactions: the one way services write (``write_transaction``), the SQLite write
lock, calendar locks, and the table of what a constraint's refusal means."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from functools import cache

from sqlalchemy import bindparam, event, select
from sqlalchemy.engine import Engine
from sqlalchemy.exc import IntegrityError

from domain.errors import AppError
from extensions import db

# The SQLSTATE PostgreSQL raises when an exclusion constraint rejects a row.
EXCLUSION_VIOLATION = "23P01"


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


def slot_unavailable(message: str = "This time has just been booked.") -> AppError:
    """409: someone else holds (part of) this time."""
    return AppError("slot_unavailable", message, {"start": [message]})


def _taken(code: str, field: str, message: str):
    return lambda: AppError(code, message, {field: [message]})


# What a constraint's refusal means to the caller: the one table that turns an
# IntegrityError into an AppError. Keyed by constraint name (PostgreSQL names it); the
# columns are how SQLite names it ("UNIQUE constraint failed: user.email").
CONSTRAINT_ERRORS: dict[str, tuple[str, Callable[[], AppError]]] = {
    "booking_no_overlap": ("", slot_unavailable),
    "uq_user_email": (
        "user.email",
        _taken("email_taken", "email", "An account with this e-mail address exists already."),
    ),
    "uq_user_slug": ("user.slug", _taken("slug_taken", "slug", "This address is taken.")),
    "uq_coupon_coach_id_code": (
        "coupon.coach_id, coupon.code",
        lambda: AppError(
            "coupon_exists", "You have a coupon with this code.", {"code": ["In use."]}
        ),
    ),
    "uq_connection_pair_key": (
        "connection.pair_key",
        lambda: AppError("connection_exists", "A connection between you exists already."),
    ),
}


def refused(constraint: str) -> AppError:
    """The error a check before the write gives for what the constraint would refuse."""
    return CONSTRAINT_ERRORS[constraint][1]()


def constraint_error(exc: IntegrityError) -> AppError | None:
    """The AppError a constraint's refusal stands for, or None for one we do not expect."""
    orig = getattr(exc, "orig", None)
    if getattr(orig, "sqlstate", None) == EXCLUSION_VIOLATION:
        return slot_unavailable()
    name = getattr(getattr(orig, "diag", None), "constraint_name", None)
    if name in CONSTRAINT_ERRORS:
        return CONSTRAINT_ERRORS[name][1]()
    text = str(orig)
    for columns, error in CONSTRAINT_ERRORS.values():
        if columns and text == f"UNIQUE constraint failed: {columns}":
            return error()
    return None


@contextmanager
def write_transaction(*, keep_loaded: bool = False) -> Iterator[None]:
    """The one way a service writes: a transaction that holds the write lock before
    anything is read, committed when the block ends, rolled back when it raises.

    On SQLite, ``BEGIN IMMEDIATE`` serialises writers, so a conflict check and the insert
    that follows cannot interleave with another writer's (SPEC section 4). It must be the
    first statement of the transaction, so whatever the request read before is committed
    first. On PostgreSQL the constraints and ``lock_calendar`` do the work: the transaction
    the request's first read opened simply goes on (no commit, so the rows it loaded stay
    loaded, and every statement still sees the latest committed data).

    A constraint's refusal, wherever it surfaces (a flush, an autoflush, the commit),
    becomes the AppError of ``CONSTRAINT_ERRORS``. ``keep_loaded``: the objects keep the
    values just written instead of being expired and read back (the booking path answers
    with exactly what it committed, without another round of queries).
    """
    session = db.session
    if session.get_bind().dialect.name == "sqlite":
        session.commit()
        session.connection(execution_options={"sqlite_begin": "IMMEDIATE"})
    try:
        yield
        _commit(session, keep_loaded)
    except IntegrityError as exc:
        session.rollback()
        error = constraint_error(exc)
        if error is None:
            raise
        raise error from exc
    except BaseException:
        session.rollback()
        raise


def _commit(scoped, keep_loaded: bool) -> None:
    session = scoped()  # the request's Session: expire_on_commit is its setting
    if not keep_loaded:
        session.commit()
        return
    expire = session.expire_on_commit
    session.expire_on_commit = False
    try:
        session.commit()
    finally:
        session.expire_on_commit = expire


def database_refuses_overlaps() -> bool:
    """Does the database itself refuse overlapping active bookings of a coach? PostgreSQL's
    exclusion constraint ``booking_no_overlap`` does; SQLite has none (there the check
    under ``BEGIN IMMEDIATE`` is all)."""
    return db.session.get_bind().dialect.name == "postgresql"


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
