"""Booking transitions: accept, decline, suggest, choose, cancel, reschedule, complete.

Each one locks the booking, asks ``domain.status`` whether this actor may make the move
(nothing else decides it), writes the history entry and the notifications, and commits
them together. Moves that take time again (choose, reschedule) re-check it under the
calendar lock.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select

from domain.errors import AppError, not_found, validation_error
from domain.refunds import CancellationPolicy, calculate_refund_amount
from domain.status import BookingState, check_reschedule, check_transition, payment_deadline
from extensions import db
from models import Booking, Coupon, CouponRedemption, SessionType, TimeSuggestion, User
from models.types import utcnow
from services import calendar, notifications, payments
from services.bookings import new_slot_key, payment_status_for, record
from services.transactions import lock_calendar, write_transaction

logger = logging.getLogger(__name__)

MAX_SUGGESTIONS = 3
# Ending without payment frees the time and gives the coupon back.
UNPAID_ENDINGS = frozenset({"declined", "expired", "cancelled_by_client", "cancelled_by_coach"})


@dataclass(frozen=True)
class Refund:
    amount: int
    status: str  # "none" when nothing is due, "pending" until the money has moved


def accept(user: User, booking_id: int, message: str = "", now: datetime | None = None):
    """The coach confirms a request; a paid one then waits for the client's payment."""
    now = now or utcnow()
    with write_transaction():
        booking, actor = _locked(user, booking_id)
        _move(booking, actor, "confirmed", user.id, now, message)
        _await_payment(booking, now)
        notifications.booking_changed(booking, "booking_confirmed", user.id, message)
    return booking


def decline(user: User, booking_id: int, message: str = "", now: datetime | None = None):
    """The coach declines a request, or the client declines the suggested times."""
    now = now or utcnow()
    with write_transaction():
        booking, actor = _locked(user, booking_id)
        _move(booking, actor, "declined", user.id, now, message)
        kind = "booking_declined" if actor == "coach" else "suggestion_declined"
        notifications.booking_changed(booking, kind, user.id, message)
    return booking


def suggest(
    user: User,
    booking_id: int,
    times: list[tuple[datetime, datetime]],
    message: str = "",
    now: datetime | None = None,
):
    """The coach offers 1-3 other times of the same length; they hold nothing."""
    now = now or utcnow()
    with write_transaction():
        booking, actor = _locked(user, booking_id)
        check_transition(actor, _state(booking), "time_suggested", now)
        lock_calendar(booking.coach_id)
        _check_suggestions(booking, times, now)
        booking.suggestions.clear()
        for start, end in times:
            booking.suggestions.append(TimeSuggestion(start_at=start, end_at=end))
        _move(booking, actor, "time_suggested", user.id, now, message)
        notifications.booking_changed(booking, "times_suggested", user.id, message)
    return booking


def choose(user: User, booking_id: int, suggestion_id: int, now: datetime | None = None):
    """The client takes one suggested time: confirmed if it is still free, else 409."""
    now = now or utcnow()
    with write_transaction(keep_loaded=True):
        booking, actor = _locked(user, booking_id)
        if booking.status != "time_suggested":  # only suggested times can be chosen
            raise AppError(
                "invalid_transition",
                f"A booking that is {booking.status} has no suggested times to choose.",
                {"status": [booking.status]},
            )
        check_transition(actor, _state(booking), "confirmed", now)
        suggestion = next((s for s in booking.suggestions if s.id == suggestion_id), None)
        if suggestion is None:
            raise not_found("suggestion")
        if suggestion.start_at <= now:
            # An offer that has started is no longer free time: never confirm the past.
            message = "This suggested time has passed."
            raise AppError("slot_unavailable", message, {"suggestion_id": [message]})
        lock_calendar(booking.coach_id)
        # Offered earlier: the notice may have run short since, the time must be free.
        _take_time(booking, suggestion.start_at, now, timing=False)
        _await_payment(booking, now)
        _move(booking, actor, "confirmed", user.id, now, "")
        notifications.booking_changed(booking, "booking_confirmed", user.id)
    return booking


def cancel(
    user: User,
    booking_id: int,
    reason: str = "",
    target: str | None = None,
    now: datetime | None = None,
) -> tuple[Booking, Refund]:
    """The client (refund by the policy) or the coach (full refund) cancels."""
    now = now or utcnow()
    with write_transaction():
        booking, actor = _locked(user, booking_id)
        target = target or f"cancelled_by_{actor}"
        session_type = db.session.get(SessionType, booking.session_type_id)
        _move(booking, actor, target, user.id, now, reason)
        booking.cancellation_reason = reason
        amount = refund_due(booking, session_type, actor, now)
        payments.queue_refund(booking, amount, "cancellation")  # paid through Stripe
        payments.close_checkout(booking)  # not paid yet: nobody pays it any more
        notifications.booking_changed(booking, "booking_cancelled", user.id, reason, refund=amount)
    return booking, Refund(amount, "pending" if amount else "none")


def refund_due(booking: Booking, session_type: SessionType, actor: str, now: datetime) -> int:
    """What cancelling by ``actor`` at ``now`` refunds (SPEC 5): all of it from the coach,
    the session type's policy from the client. The booking page shows it before asking."""
    return calculate_refund_amount(
        amount_paid=booking.amount_paid - booking.amount_refunded,
        start=booking.start_at,
        now=now,
        cancelled_by=actor,
        policy=cancellation_policy(session_type),
    )


def cancellation_policy(session_type: SessionType) -> CancellationPolicy:
    return CancellationPolicy(
        session_type.full_refund_hours,
        session_type.partial_refund_hours,
        session_type.partial_refund_percent,
    )


def reschedule(user: User, booking_id: int, new_start: datetime, now: datetime | None = None):
    """Move a confirmed booking to another free time of the same length, atomically."""
    now = now or utcnow()
    with write_transaction(keep_loaded=True):
        booking, actor = _locked(user, booking_id)
        session_type = db.session.get(SessionType, booking.session_type_id)
        check_reschedule(actor, _state(booking), now, session_type.full_refund_hours)
        old_start = booking.start_at
        freed = (booking.blocked_start_at, booking.blocked_end_at)
        lock_calendar(booking.coach_id)
        _take_time(booking, new_start, now)
        booking.ics_sequence += 1
        note = f"Moved from {old_start:%Y-%m-%d %H:%M} UTC to {new_start:%Y-%m-%d %H:%M} UTC"
        record(booking, booking.status, booking.status, user.id, now, note)
        notifications.booking_changed(
            booking, "booking_rescheduled", user.id, freed=freed, moved_from=old_start
        )
    return booking


def complete(user: User, booking_id: int, note: str = "", now: datetime | None = None):
    """The coach marks a session that has ended as completed."""
    now = now or utcnow()
    with write_transaction():
        booking, actor = _locked(user, booking_id)
        _move(booking, actor, "completed", user.id, now, note)
        notifications.booking_changed(booking, "booking_completed", user.id, note)
    return booking


def move_as_system(
    booking_id: int,
    target: str,
    kind: str,
    now: datetime,
    still_due: Callable[[Booking], bool],
    note: str = "",
) -> int:
    """Move one booking as the system (the periodic jobs) if, under the row lock, the move
    is still due: 1 if it moved, 0 if another worker or a party got there first."""
    with write_transaction():
        booking = db.session.scalar(
            select(Booking)
            .where(Booking.id == booking_id)
            .with_for_update()
            .execution_options(populate_existing=True)
        )
        if booking is None or not still_due(booking):
            return 0
        return move_locked_as_system(booking, target, kind, now, note)


def move_locked_as_system(booking: Booking, target: str, kind: str, now: datetime, note: str = ""):
    """Move a booking the caller has row-locked, as the system, and report it: 1, or 0
    when the status machine no longer allows it."""
    try:
        _move(booking, "system", target, None, now, note)
    except AppError:
        logger.info("booking %s: %s is no longer allowed", booking.id, target)
        return 0
    notifications.booking_changed(booking, kind, None, note)
    return 1


def _await_payment(booking: Booking, now: datetime) -> None:
    """A confirmed request's payment status; one still to be paid gets its deadline."""
    booking.payment_status = payment_status_for(booking.price_total)
    if booking.payment_status == "payment_pending":
        booking.payment_deadline_at = payment_deadline(booking.start_at, now)


def _locked(user: User, booking_id: int) -> tuple[Booking, str]:
    return locked_for(user.id, booking_id)


def locked_for(user_id: int, booking_id: int) -> tuple[Booking, str]:
    """The booking, row-locked, and the caller's part in it; 404 for outsiders."""
    booking = db.session.scalar(select(Booking).where(Booking.id == booking_id).with_for_update())
    if booking is None or user_id not in (booking.coach_id, booking.client_id):
        raise not_found("booking")
    return booking, "coach" if user_id == booking.coach_id else "client"


def _state(booking: Booking) -> BookingState:
    return BookingState(booking.status, booking.start_at, booking.end_at)


def _move(booking: Booking, actor: str, target: str, by: int | None, now, note: str) -> None:
    check_transition(actor, _state(booking), target, now)
    record(booking, booking.status, target, by, now, note)
    if target in UNPAID_ENDINGS and booking.amount_paid == 0:
        _release_coupon(booking, now)
    if target in UNPAID_ENDINGS:
        booking.ics_sequence += 1  # the cancellation replaces the invitation (RFC 5546)
    booking.status = target


def _take_time(booking: Booking, start: datetime, now: datetime, timing: bool = True) -> None:
    """Move the booking to ``start`` (same length) if that time may be booked."""
    session_type = db.session.get(SessionType, booking.session_type_id)
    coach = db.session.get(User, booking.coach_id)
    verdict = calendar.check_time(
        coach, session_type, start, booking.duration_minutes, now=now, timing=timing,
        moving=booking.id,
    )  # fmt: skip
    end = start + timedelta(minutes=booking.duration_minutes)
    before = timedelta(minutes=session_type.buffer_before_minutes)
    after = timedelta(minutes=session_type.buffer_after_minutes)
    booking.start_at, booking.end_at = start, end
    booking.blocked_start_at, booking.blocked_end_at = start - before, end + after
    booking.slot_key = verdict.group_key or new_slot_key()
    booking.availability_window_id = verdict.occurrence.window_id


def _check_suggestions(booking: Booking, times, now: datetime) -> None:
    """1-3 different times of the booking's length, each one bookable now: a problem is
    a 400 on that time, whatever it is (the suggestion holds nothing)."""
    if not 1 <= len(times) <= MAX_SUGGESTIONS:
        raise validation_error({"times": [f"Suggest 1 to {MAX_SUGGESTIONS} times."]})
    coach = db.session.get(User, booking.coach_id)
    session_type = db.session.get(SessionType, booking.session_type_id)
    problems = {}
    for index, (start, end) in enumerate(times):
        if end - start != timedelta(minutes=booking.duration_minutes):
            problems[f"times.{index}.end"] = [
                f"A suggestion lasts {booking.duration_minutes} minutes, like the request."
            ]
            continue
        try:
            calendar.check_time(
                coach, session_type, start, booking.duration_minutes, now=now, moving=booking.id
            )
        except AppError as error:
            problems[f"times.{index}.start"] = error.details.get("start") or [error.message]
    if len({start for start, _ in times}) != len(times):
        problems["times"] = ["Suggest different times."]
    if problems:
        raise validation_error(problems)


def _release_coupon(booking: Booking, now: datetime) -> None:
    redemption = db.session.scalar(
        select(CouponRedemption).where(
            CouponRedemption.booking_id == booking.id, CouponRedemption.released_at.is_(None)
        )
    )
    if redemption is None:
        return
    redemption.released_at = now
    coupon = db.session.get(Coupon, redemption.coupon_id)
    coupon.redemption_count = max(0, coupon.redemption_count - 1)
