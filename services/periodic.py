"""The periodic jobs (SPEC 4 "the system", SPEC 10): expire unpaid holds, expire accepted
bookings left unpaid at the payment deadline, send reminders, mark ended sessions
completed, sweep the outbox.

Each sweep finds candidates with one query, then changes each booking in a transaction
of its own that locks the row and checks again that the change is still due: two
workers running the same tick at once act once (the second finds the status moved on,
or, for reminders, the outbox's unique ``dedupe_key`` taken). A sweep that fails is
logged and the others still run; the next tick retries what was left.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import datetime, timedelta

from sqlalchemy import select

from extensions import db
from models import Booking, SessionType
from models.types import utcnow
from services import emails, outbox, payments
from services.transactions import write_transaction
from services.transitions import move_as_system

logger = logging.getLogger(__name__)

# Reminders are looked for this far ahead (the longest offset a session type may set).
REMINDER_HORIZON = timedelta(days=14)


def run_all(now: datetime | None = None) -> dict[str, int]:
    """One tick: every sweep, each on its own; what each did (-1: it failed)."""
    now = now or utcnow()
    done = {}
    for name, sweep in SWEEPS.items():
        try:
            done[name] = sweep(now)
        except Exception:
            logger.exception("periodic job %s failed", name)
            db.session.rollback()
            done[name] = -1
    return done


def reconcile_payments(now: datetime) -> int:
    """Bookings and refunds waiting for Stripe, checked against it and repaired."""
    return payments.reconcile(now)


def expire_holds(now: datetime) -> int:
    """``pending_payment`` whose checkout hold has run out → ``expired`` (time freed).
    With Stripe the reconciliation does it, after asking Stripe: a hold paid at the last
    moment is confirmed, not expired."""
    if payments.enabled():
        return 0
    ids = _ids(
        Booking.status == "pending_payment",
        Booking.checkout_expires_at.is_not(None),
        Booking.checkout_expires_at <= now,
    )
    return sum(
        move_as_system(
            booking_id,
            "expired",
            "booking_expired",
            now,
            lambda b: (
                b.status == "pending_payment"
                and b.checkout_expires_at is not None
                and b.checkout_expires_at <= now
            ),
            "The payment hold ran out.",
        )
        for booking_id in ids
    )


def expire_unpaid(now: datetime) -> int:
    """Accepted (``confirmed``) but still unpaid at the payment deadline → ``expired``."""
    ids = _ids(
        Booking.status == "confirmed",
        Booking.payment_status == "payment_pending",
        Booking.payment_deadline_at.is_not(None),
        Booking.payment_deadline_at <= now,
    )
    return sum(
        move_as_system(
            booking_id,
            "expired",
            "booking_expired",
            now,
            lambda b: (
                b.status == "confirmed"
                and b.payment_status == "payment_pending"
                and b.payment_deadline_at is not None
                and b.payment_deadline_at <= now
            ),
            "Not paid by the payment deadline.",
        )
        for booking_id in ids
    )


def complete_ended(now: datetime) -> int:
    """Confirmed sessions that have ended → ``completed``."""
    ids = _ids(Booking.status == "confirmed", Booking.end_at <= now)
    return sum(
        move_as_system(
            booking_id,
            "completed",
            "booking_completed",
            now,
            lambda b: b.status == "confirmed" and b.end_at <= now,
            "",
        )
        for booking_id in ids
    )


def send_reminders(now: datetime) -> int:
    """Queue the reminders that are due: for each confirmed session, the most imminent
    offset whose moment has come, once per offset, party and start time (a moved session
    is reminded again). A session booked after a reminder's moment skips that reminder."""
    rows = db.session.execute(
        select(Booking, SessionType)
        .join(SessionType, SessionType.id == Booking.session_type_id)
        .where(
            Booking.status == "confirmed",
            Booking.start_at > now,
            Booking.start_at <= now + REMINDER_HORIZON,
        )
        .order_by(Booking.start_at)
    ).all()
    due = [
        (booking.id, session_type.reminder_offsets_minutes, offset)
        for booking, session_type in rows
        if (offset := due_offset(booking, session_type.reminder_offsets_minutes, now))
    ]
    db.session.commit()
    return sum(_remind(booking_id, offsets, offset, now) for booking_id, offsets, offset in due)


def _remind(booking_id: int, offsets: list[int], offset: int, now: datetime) -> int:
    """Queue one booking's reminders at ``offset`` if, under the row lock, that reminder
    is still due: a cancel or a move committed since the sweep's query wins (a moved
    session must not be reminded at the old offset under its new start, which would take
    the new start's reminder). The outbox's ``dedupe_key`` makes it once per offset,
    party and start."""
    with write_transaction():
        booking = db.session.scalar(
            select(Booking)
            .where(Booking.id == booking_id)
            .with_for_update()
            .execution_options(populate_existing=True)
        )
        if (
            booking is None
            or booking.status != "confirmed"
            or booking.start_at <= now
            or due_offset(booking, offsets, now) != offset
        ):
            return 0
        batch = [
            email
            for recipient in (booking.client_id, booking.coach_id)
            if (email := emails.reminder(booking, offset, recipient)) is not None
        ]
        return len(outbox.queue(batch))


def due_offset(booking: Booking, offsets: list[int], now: datetime) -> int | None:
    """The reminder offset (minutes before the start) due now for this booking, if any:
    the smallest whose moment has passed, provided the booking existed at that moment."""
    passed = [
        offset
        for offset in offsets
        if booking.start_at - timedelta(minutes=offset) <= now
        and booking.created_at <= booking.start_at - timedelta(minutes=offset)
    ]
    return min(passed) if passed else None


def sweep_outbox(now: datetime) -> int:
    """Send outbox rows that are due again or stuck with a dead worker."""
    return outbox.sweep(now)


def _ids(*conditions) -> list[int]:
    ids = list(db.session.scalars(select(Booking.id).where(*conditions).order_by(Booking.id)))
    db.session.commit()
    return ids


SWEEPS: dict[str, Callable[[datetime], int]] = {
    "reconcile_payments": reconcile_payments,
    "expire_holds": expire_holds,
    "expire_unpaid": expire_unpaid,
    "complete_ended": complete_ended,
    "send_reminders": send_reminders,
    "sweep_outbox": sweep_outbox,
}
