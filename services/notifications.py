"""In-app notifications: written in the same transaction as the change they report
(SPEC 10); each booking change is announced after the commit (``_announce``)."""

from __future__ import annotations

import logging
from datetime import UTC

from sqlalchemy import func, select, update

from domain.errors import not_found
from extensions import db
from models import Booking, Notification, User
from models.types import utcnow
from services.effects import after_commit
from services.inserts import insert_rows
from services.transactions import write_transaction

logger = logging.getLogger(__name__)


def notify(user_id: int, kind: str, title: str, body: str = "", url: str = "/notifications"):
    """Write one notification in the current transaction."""
    write([notification_row(user_id, kind, title, body, url)])


def notification_row(
    user_id: int, kind: str, title: str, body: str = "", url: str = "/notifications"
):
    """A notification row; ``write`` stores several with one statement."""
    return {"user_id": user_id, "kind": kind, "title": title[:200], "body": body, "url": url}


def write(notes: list[dict]) -> None:
    insert_rows(Notification, notes)


def booking_created(booking: Booking) -> None:
    when = _when(booking)
    client_name = _name(booking.client_id)
    if booking.status == "requested":
        notes = [
            _about(
                booking,
                booking.coach_id,
                "booking_requested",
                f"New request from {client_name}",
                f"{when}. Accept, decline or suggest other times.",
            ),
            _about(
                booking,
                booking.client_id,
                "request_sent",
                "Your request was sent",
                f"{when}. You will hear as soon as the coach answers.",
            ),
        ]
    else:
        notes = [
            _about(
                booking,
                booking.coach_id,
                "booking_confirmed",
                f"New booking from {client_name}",
                when,
            ),
            _about(booking, booking.client_id, "booking_confirmed", "Your session is booked", when),
        ]
    write(notes)
    _announce(booking)


def booking_changed(booking: Booking, kind: str, actor_id: int | None, note: str = "") -> None:
    """Tell the other party (both parties for the system) what happened."""
    title, body = _texts(booking, kind, note)
    write(
        [
            _about(booking, user_id, kind, title, body)
            for user_id in (booking.coach_id, booking.client_id)
            if user_id != actor_id
        ]
    )
    _announce(booking)


def _about(booking: Booking, user_id: int, kind: str, title: str, body: str) -> dict:
    """A notification about a booking: it links to the booking's page."""
    return {
        **notification_row(user_id, kind, title, body, f"/bookings/{booking.id}"),
        "booking_id": booking.id,
    }


def list_notifications(user: User, limit: int, before_id: int | None) -> tuple[list, int]:
    query = select(Notification).where(Notification.user_id == user.id)
    if before_id is not None:
        query = query.where(Notification.id < before_id)
    items = list(db.session.scalars(query.order_by(Notification.id.desc()).limit(limit)))
    return items, unread_count(user.id)


def unread_count(user_id: int) -> int:
    return db.session.scalar(
        select(func.count()).where(Notification.user_id == user_id, Notification.read_at.is_(None))
    )


def mark_read(user: User, notification_id: int) -> Notification:
    """Mark the user's notification read (once: a second call keeps the first time)."""
    with write_transaction():
        notification = db.session.get(Notification, notification_id)
        if notification is None or notification.user_id != user.id:
            raise not_found("notification")
        changed = notification.read_at is None
        if changed:
            db.session.execute(
                update(Notification)
                .where(Notification.id == notification_id, Notification.read_at.is_(None))
                .values(read_at=utcnow())
            )
    if changed:
        db.session.refresh(notification)
    return notification


def mark_all_read(user: User) -> int:
    """Mark every unread notification of the user read; how many were unread."""
    with write_transaction():
        result = db.session.execute(
            update(Notification)
            .where(Notification.user_id == user.id, Notification.read_at.is_(None))
            .values(read_at=utcnow())
        )
    return result.rowcount


_TITLES = {
    "booking_confirmed": "Your session is confirmed",
    "booking_declined": "Your request was declined",
    "suggestion_declined": "The suggested times were declined",
    "times_suggested": "The coach suggested other times",
    "booking_cancelled": "A session was cancelled",
    "booking_rescheduled": "A session was moved",
    "booking_completed": "A session was completed",
    "booking_expired": "A booking expired",
}


def _texts(booking: Booking, kind: str, note: str) -> tuple[str, str]:
    body = _when(booking)
    if note:
        body += f". Message: {note}"
    return _TITLES.get(kind, "Your booking changed"), body


def _when(booking: Booking) -> str:
    return f"{booking.start_at.astimezone(UTC):%a %d %b %Y, %H:%M} UTC"


def _name(user_id: int) -> str:
    user = db.session.get(User, user_id)  # usually in the session already: no query
    return user.name if user is not None else "a client"


def _announce(booking: Booking) -> None:
    """After the commit: log the booking's new status. It reads the booking when it runs,
    so it sees the committed values (ids included)."""
    after_commit(_log_update, booking)


def _log_update(booking: Booking) -> None:
    logger.info("booking %s is now %s", booking.id, booking.status)
