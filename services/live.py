"""Live updates (SPEC 7): the Socket.IO events, queued during a change and emitted only
after its commit.

Rooms: ``user:<id>`` (every connection of that user joins it) and ``calendar:<coach_id>``
(viewers who may see that calendar, ``blueprints/sockets.py``). With ``REDIS_URL`` set,
Flask-SocketIO publishes through Redis, so an event emitted here from any app process or
RQ worker reaches clients connected to any other. Events are best-effort: a client that
was away refetches its fragments when it reconnects.
"""

from __future__ import annotations

import logging
from datetime import datetime

from domain.timezones import iso_utc
from extensions import socketio
from services.effects import after_commit

logger = logging.getLogger(__name__)


def user_room(user_id: int) -> str:
    return f"user:{user_id}"


def calendar_room(coach_id: int) -> str:
    return f"calendar:{coach_id}"


def booking_update(booking) -> None:
    """``booking_update`` to the booking's coach and client, after the commit."""
    data = {
        "booking_id": booking.id,
        "status": booking.status,
        "start": iso_utc(booking.start_at),
        "end": iso_utc(booking.end_at),
        "coach_id": booking.coach_id,
        "client_id": booking.client_id,
    }
    after_commit(emit, "booking_update", data, _parties(booking))


def payment_update(booking) -> None:
    """``payment_update`` to the booking's parties, after the commit."""
    data = {"booking_id": booking.id, "payment_status": booking.payment_status}
    after_commit(emit, "payment_update", data, _parties(booking))


def _parties(booking) -> list[str]:
    """The rooms of the booking's coach and client: one emit (one publish) reaches both."""
    return [user_room(booking.coach_id), user_room(booking.client_id)]


def availability_update(coach_id: int, start: datetime, end: datetime) -> None:
    """``availability_update`` to the coach's calendar room: free time in [start, end)
    may have changed. It says nothing about who booked."""
    data = {"coach_id": coach_id, "start": iso_utc(start), "end": iso_utc(end)}
    after_commit(emit, "availability_update", data, calendar_room(coach_id))


def notification(note: dict, unread_count: int) -> None:
    """``notification`` to its user, after the commit."""
    data = {
        "id": note["id"],
        "title": note["title"],
        "body": note["body"],
        "url": note["url"],
        "unread_count": unread_count,
    }
    after_commit(emit, "notification", data, user_room(note["user_id"]))


def unread_changed(user_id: int, unread_count: int) -> None:
    """``notification_read`` to the user's other tabs: their bell shows the new count."""
    after_commit(emit, "notification_read", {"unread_count": unread_count}, user_room(user_id))


def emit(event: str, data: dict, room: str | list[str]) -> None:
    """Emit now (through the message queue when there is one); never raises."""
    try:
        socketio.emit(event, data, to=room)
    except Exception:  # a live update is best-effort: the change itself is committed
        logger.exception("could not emit %s to %s", event, room)
