"""In-app notifications, and the one place a booking change is reported: its
notifications and emails written in the same transaction (SPEC 10), its live events
queued for after the commit (SPEC 7, ``services.live``)."""

from __future__ import annotations

import logging
from datetime import UTC, datetime

from flask import current_app
from sqlalchemy import func, select, update

from domain.errors import not_found
from extensions import db
from models import Booking, Notification, User
from models.types import utcnow
from services import emails, live
from services.effects import after_commit
from services.outbox import queue as queue_emails
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
    """Insert the notifications; each reaches its user live after the commit, with the
    user's unread count as of this transaction."""
    if not notes:
        return
    # One multi-row INSERT; RETURNING order is not promised, so rows pair up by user.
    table = Notification.__table__  # a Core insert: the ORM's costs three times as much
    rows = db.session.execute(
        table.insert().returning(table.c.id, table.c.user_id), [_full(note) for note in notes]
    ).all()
    counts = dict(
        db.session.execute(
            select(Notification.user_id, func.count())
            .where(
                Notification.user_id.in_({note["user_id"] for note in notes}),
                Notification.read_at.is_(None),
            )
            .group_by(Notification.user_id)
        ).all()
    )
    waiting = {}
    for note in notes:
        waiting.setdefault(note["user_id"], []).append(note)
    for note_id, user_id in sorted(rows):
        note = waiting[user_id].pop(0)
        live.notification({**note, "id": note_id}, counts.get(user_id, 0))


def _full(note: dict) -> dict:
    """The same keys in every row of one executemany (the columns' defaults fill the rest)."""
    return {"booking_id": None, **note}


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
    queue_emails(emails.for_booking(booking, "booking_created", booking.client_id))
    _announce(booking)


def booking_changed(
    booking: Booking,
    kind: str,
    actor_id: int | None,
    note: str = "",
    *,
    refund: int | None = None,
    freed: tuple | None = None,
    moved_from: datetime | None = None,
) -> None:
    """Tell the other party (both parties for the system) what happened, by notification,
    email and live event. ``refund``: the amount a cancellation refunds; ``freed``: the
    blocked (start, end) a move left, besides the booking's own time; ``moved_from``: the
    start before a move."""
    title, body = _texts(booking, kind, note)
    write(
        [
            _about(booking, user_id, kind, title, body)
            for user_id in (booking.coach_id, booking.client_id)
            if user_id != actor_id
        ]
    )
    queue_emails(
        emails.for_booking(booking, kind, actor_id, note, refund=refund, moved_from=moved_from)
    )
    _announce(booking, freed)


_PAYMENT_TITLES = {
    "payment_receipt": ("Payment received", "{client} paid {amount}"),
    "payment_failed": ("Your payment did not go through", ""),
    "refund_issued": ("Refund issued", ""),
}


def payment_changed(booking: Booking, kind: str, *, refund: int | None = None) -> None:
    """A payment came in, failed, or was refunded: the client's notification and
    email (the coach's notification for a payment received)."""
    title, coach_title = _PAYMENT_TITLES[kind]
    body = _when(booking)
    notes = [_about(booking, booking.client_id, kind, title, body)]
    if coach_title:
        amount = current_app.jinja_env.filters["money"](booking.amount_paid, booking.currency)
        coach_note = coach_title.format(client=_name(booking.client_id), amount=amount)
        notes.append(_about(booking, booking.coach_id, kind, coach_note, body))
    write(notes)
    queue_emails(emails.for_booking(booking, kind, None, refund=refund))


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
            live.unread_changed(user.id, unread_count(user.id))
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
        if result.rowcount:
            live.unread_changed(user.id, 0)
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


def _announce(booking: Booking, freed: tuple | None = None) -> None:
    """The live events of a change: ``booking_update`` to the parties, and
    ``availability_update`` to the calendar for the time the booking holds or held
    (and ``freed``, the time a move left)."""
    after_commit(logger.info, "booking %s is now %s", booking.id, booking.status)
    live.booking_update(booking)
    live.availability_update(booking.coach_id, booking.blocked_start_at, booking.blocked_end_at)
    if freed is not None:
        live.availability_update(booking.coach_id, *freed)
