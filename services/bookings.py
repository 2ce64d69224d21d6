"""Booking a coach's time: the race-safe creation and the reads (SPEC section 4).

The conflict check and the insert happen in one transaction that cannot double-book:
``write_transaction`` takes SQLite's write lock before anything is read and the bookings
around the time are checked under it; on PostgreSQL ``lock_calendar`` serialises one
coach's writers and the exclusion constraint ``booking_no_overlap`` refuses an overlapping
row whatever happens (mapped to 409): it is the overlap check of a new booking there.
"""

from __future__ import annotations

import logging
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta

from flask import current_app
from sqlalchemy import and_, or_, select

from domain.errors import not_found, validation_error
from extensions import db
from models import Booking, BookingHistory, User
from models.types import utcnow
from services import calendar, catalog, notifications, payments, pricing
from services.inserts import insert_new_booking
from services.transactions import (
    database_refuses_overlaps,
    lock_calendar_with_type,
    write_transaction,
)
from services.visibility import is_connected, require_calendar_view

logger = logging.getLogger(__name__)

MAX_MESSAGE = 2000


@dataclass(frozen=True)
class BookingRequest:
    coach_id: int
    session_type_id: int
    start: datetime
    duration_minutes: int | None = None
    message: str = ""
    coupon_code: str | None = None


def create_booking(client: User, request: BookingRequest, now: datetime | None = None) -> Booking:
    """Book the time, firm or as a request, with its price; 409 if someone was faster.

    Everything is read once, under the lock: the checks cost no more than the re-reads
    they would need after ``write_transaction`` commits what the request read before.
    """
    now = now or utcnow()
    if request.coach_id == client.id:
        raise validation_error({"coach_id": ["You cannot book your own calendar."]})
    with write_transaction(keep_loaded=True):
        # The session type comes with the locked coach; holding it keeps it in the session,
        # so bookable_session_type finds it there.
        coach, _session_type = lock_calendar_with_type(request.coach_id, request.session_type_id)
        coach = require_calendar_view(client, coach)
        session_type = catalog.bookable_session_type(coach, request.session_type_id)
        duration = catalog.check_duration(session_type, request.duration_minutes)
        if len(request.message) > MAX_MESSAGE:
            raise validation_error({"message": [f"At most {MAX_MESSAGE} characters."]})
        verdict = calendar.check_time(
            coach,
            session_type,
            request.start,
            duration,
            now=now,
            client_id=client.id,
            viewer_connected=calendar.needs_connection(session_type.firm_booking)
            and is_connected(client, coach),
            overlaps_by_database=database_refuses_overlaps(),
            outside_ok=True,  # SPEC 4: a request may ask for time outside availability
        )
        coupon = None
        if request.coupon_code:
            coupon = catalog.usable_coupon(coach, request.coupon_code, now)
            coupon.redemption_count += 1
        price = pricing.price_for(coach, session_type, duration, coupon)
        booking = _new_booking(client, session_type, request, duration, verdict, price)
        booking.coupon_id = coupon.id if coupon is not None else None
        insert_new_booking(
            booking,
            history_entry(None, None, booking.status, client.id, now, booking.message),
            booking.coupon_id,
        )
        if booking.status == "pending_payment":
            # Stripe's answer is part of the booking: if it fails, nothing is made.
            payments.start_checkout(booking, now, payments.hold_until(now))
        notifications.booking_created(booking)
    logger.info("booking %s created: %s %s", booking.id, booking.kind, booking.status)
    return booking


def initial_status(firm: bool, total: int) -> tuple[str, str]:
    """(status, payment status) of a new booking (SPEC 4, Booking 5 and 6)."""
    payment = payment_status_for(total)
    if not firm:
        return "requested", payment
    if payment == "payment_pending":
        return "pending_payment", payment  # held while the client pays at Stripe
    return "confirmed", payment


def payment_status_for(total: int) -> str:
    """Free: nothing to pay; Stripe not configured: paid to the coach directly (offline)."""
    if total == 0:
        return "not_required"
    return "payment_pending" if current_app.config.get("STRIPE_SECRET_KEY") else "offline"


def new_slot_key() -> str:
    """The key of a one-to-one booking: its own, so no other booking shares it."""
    return f"b-{uuid.uuid4().hex}"


def record(booking: Booking, from_status, to_status, by_user_id, now, note: str = "") -> None:
    """Add a history entry to the booking: who (None for the system), from, to, when, note."""
    booking.history.append(history_entry(None, from_status, to_status, by_user_id, now, note))


def history_entry(booking_id, from_status, to_status, by_user_id, now, note: str) -> BookingHistory:
    return BookingHistory(
        booking_id=booking_id,
        from_status=from_status,
        to_status=to_status,
        by_user_id=by_user_id,
        at=now,
        note=note or "",
    )


def get_booking(user: User, booking_id: int) -> Booking:
    """A booking its coach or client asks for; 404 for everyone else."""
    booking = db.session.get(Booking, booking_id)
    if booking is None or user.id not in (booking.coach_id, booking.client_id):
        raise not_found("booking")
    return booking


def list_sessions(
    user: User,
    start: datetime | None,
    end: datetime | None,
    limit: int,
    after: tuple[datetime, int] | None = None,
) -> list[Booking]:
    """The user's own bookings (as coach or client), earliest first, paged by (start, id)."""
    query = select(Booking).where(or_(Booking.coach_id == user.id, Booking.client_id == user.id))
    if start is not None:
        query = query.where(Booking.end_at > start)
    if end is not None:
        query = query.where(Booking.start_at < end)
    if after is not None:
        query = query.where(
            or_(
                Booking.start_at > after[0],
                and_(Booking.start_at == after[0], Booking.id > after[1]),
            )
        )
    query = query.order_by(Booking.start_at, Booking.id).limit(limit)
    return list(db.session.scalars(query))


def _new_booking(client, session_type, request, duration, verdict, price) -> Booking:
    """The booking row: its time widened by the type's buffers, firm or request as the
    verdict says, the status that follows, and the price breakdown."""
    start = request.start
    end = start + timedelta(minutes=duration)
    before = timedelta(minutes=session_type.buffer_before_minutes)
    after = timedelta(minutes=session_type.buffer_after_minutes)
    status, payment_status = initial_status(verdict.kind == "firm", price.total)
    return Booking(
        coach_id=session_type.coach_id,
        client_id=client.id,
        session_type_id=session_type.id,
        availability_window_id=verdict.occurrence.window_id if verdict.occurrence else None,
        start_at=start,
        end_at=end,
        blocked_start_at=start - before,
        blocked_end_at=end + after,
        duration_minutes=duration,
        slot_key=verdict.group_key or new_slot_key(),
        status=status,
        kind=verdict.kind,
        payment_status=payment_status,
        message=request.message.strip(),
        currency=price.currency,
        price_base=price.base,
        discount_code=price.discount_code,
        discount_amount=price.discount_amount,
        price_net=price.net,
        vat_rate=price.vat_rate,
        vat_amount=price.vat_amount,
        platform_fee_amount=price.fee_amount,
        platform_fee_payer=price.fee_payer,
        price_total=price.total,
        coach_payout=price.coach_payout,
    )
