"""Connections between users: request, accept, decline, list (SPEC section 4)."""

from __future__ import annotations

import logging

from sqlalchemy import exists, or_, select

from domain.errors import AppError, not_found, validation_error
from extensions import db
from models import Booking, Connection, User
from models.types import utcnow
from services import notifications
from services.transactions import refused, write_transaction

logger = logging.getLogger(__name__)


def find_coach_by_slug(slug: str) -> User | None:
    """The coach whose address (slug) this is: the one lookup, normalised once."""
    normalised = slug.strip().lower()
    if not normalised or len(normalised) > 64:
        return None
    return db.session.scalar(select(User).where(User.slug == normalised, User.role == "coach"))


def request_by_slug(requester: User, slug: str) -> Connection:
    """Ask a coach, by the address they share, to connect.

    Only coaches who take requests can be asked: a ``public`` or ``connected`` calendar. A
    ``private`` coach answers 404, exactly as an unknown address, so a private coach's
    address cannot be discovered; they connect from their side (``request_by_id``)."""
    coach = find_coach_by_slug(slug)
    if coach is not None and coach.id == requester.id:
        raise validation_error({"coach_slug": ["You cannot connect with yourself."]})
    if coach is None or coach.calendar_privacy == "private":
        raise not_found("coach")
    return _request(requester, coach)


def request_by_id(requester: User, addressee_id: int) -> Connection:
    """Ask someone the caller already knows, by id: a person who shares a booking with
    them (a coach asking a client who booked, or the client asking that coach). Any
    other id answers 404, as a missing one does, so ids cannot be used to find people
    or to send them notifications."""
    if addressee_id == requester.id:
        raise validation_error({"addressee_id": ["You cannot connect with yourself."]})
    addressee = db.session.get(User, addressee_id)
    if addressee is None or not _share_a_booking(requester.id, addressee_id):
        raise not_found("user")
    return _request(requester, addressee)


def _share_a_booking(user_a: int, user_b: int) -> bool:
    pair = or_(
        (Booking.coach_id == user_a) & (Booking.client_id == user_b),
        (Booking.coach_id == user_b) & (Booking.client_id == user_a),
    )
    return db.session.scalar(select(exists().where(pair)))


def _request(requester: User, addressee: User) -> Connection:
    """Ask ``addressee`` to connect; one connection per pair, whoever asked first."""
    if not addressee.is_active:
        raise not_found("user")
    pair_key = Connection.key_for(requester.id, addressee.id)
    # The write lock first (SQLite), so two people asking at once queue up instead of
    # one failing with "database is locked"; PostgreSQL's unique pair_key decides there.
    try:
        with write_transaction():
            existing = db.session.scalar(select(Connection).where(Connection.pair_key == pair_key))
            if existing is not None:
                raise _exists(existing)
            connection = Connection(
                requester_id=requester.id, addressee_id=addressee.id, pair_key=pair_key
            )
            db.session.add(connection)
            notifications.notify(
                addressee.id,
                "connection_requested",
                f"{requester.name} wants to connect",
                "Accept to let them see your calendar if it is shared with connections.",
                url="/dashboard",
            )
    except AppError as error:
        if error.code != "connection_exists" or error.details:
            raise
        # The other side asked at the same moment: answer with their connection.
        existing = db.session.scalar(select(Connection).where(Connection.pair_key == pair_key))
        raise _exists(existing) from error
    logger.info("connection %s requested by %s", connection.id, requester.id)
    return connection


def respond_to_connection(user: User, connection_id: int, *, accept: bool) -> Connection:
    """The addressee accepts or declines a pending request."""
    with write_transaction():
        # Locked (the row on PostgreSQL, the database on SQLite), so a double click answers
        # once and the second sees the new status: 409, not a 500 or a second answer.
        connection = db.session.get(Connection, connection_id, with_for_update=True)
        if connection is None or user.id not in (connection.requester_id, connection.addressee_id):
            raise not_found("connection")
        if user.id != connection.addressee_id:
            raise AppError("forbidden", "Only the person asked can answer this request.")
        if connection.status != "pending":
            raise AppError(
                "invalid_transition",
                f"This request was {connection.status} already.",
                {"status": [connection.status]},
            )
        connection.status = "accepted" if accept else "declined"
        connection.responded_at = utcnow()
        if accept:
            notifications.notify(
                connection.requester_id,
                "connection_accepted",
                f"{user.name} accepted your connection request",
                url="/dashboard",
            )
    logger.info("connection %s %s by %s", connection.id, connection.status, user.id)
    return connection


def list_connections(
    user: User, status: str | None = None, limit: int = 200, before_id: int | None = None
) -> list[Connection]:
    """The user's connections, newest first, optionally of one status, paged by id."""
    query = select(Connection).where(
        or_(Connection.requester_id == user.id, Connection.addressee_id == user.id)
    )
    if status is not None:
        query = query.where(Connection.status == status)
    if before_id is not None:
        query = query.where(Connection.id < before_id)
    return list(db.session.scalars(query.order_by(Connection.id.desc()).limit(limit)))


def people_in(connections: list[Connection], user_id: int) -> dict[int, User]:
    """The other party of each connection, by id, in one query."""
    ids = {c.other_party(user_id) for c in connections}
    if not ids:
        return {}
    return {u.id: u for u in db.session.scalars(select(User).where(User.id.in_(ids)))}


def connection_between(user_a_id: int, user_b_id: int) -> Connection | None:
    return db.session.scalar(
        select(Connection).where(Connection.pair_key == Connection.key_for(user_a_id, user_b_id))
    )


def _exists(existing: Connection) -> AppError:
    """409 naming the pair's connection, whoever asked first."""
    error = refused("uq_connection_pair_key")
    error.details = {"connection_id": existing.id, "status": existing.status}
    return error
