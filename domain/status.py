"""The booking status machine of SPEC section 4, as data, and the one function that
answers "may this actor move this booking to that status"."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from domain.errors import AppError

# Every status a booking can have, and the ones that hold the coach's time (SPEC 4):
# ``time_suggested`` holds none. The models' check constraint and the exclusion
# constraint's condition are made from these.
BOOKING_STATUSES = (
    "pending_payment",
    "requested",
    "time_suggested",
    "confirmed",
    "declined",
    "expired",
    "completed",
    "cancelled_by_coach",
    "cancelled_by_client",
)
ACTIVE_STATUSES = ("pending_payment", "requested", "confirmed")

# (from, to) → the actors who may make that move: "coach", "client" or "system".
TRANSITIONS: dict[tuple[str, str], frozenset[str]] = {
    ("pending_payment", "confirmed"): frozenset({"system"}),
    ("pending_payment", "expired"): frozenset({"system"}),
    ("pending_payment", "cancelled_by_client"): frozenset({"client"}),
    ("requested", "confirmed"): frozenset({"coach"}),
    ("requested", "declined"): frozenset({"coach"}),
    ("requested", "time_suggested"): frozenset({"coach"}),
    ("requested", "cancelled_by_client"): frozenset({"client"}),
    ("time_suggested", "confirmed"): frozenset({"client"}),
    ("time_suggested", "declined"): frozenset({"client"}),
    ("time_suggested", "cancelled_by_client"): frozenset({"client"}),
    ("confirmed", "completed"): frozenset({"coach", "system"}),
    ("confirmed", "cancelled_by_coach"): frozenset({"coach"}),
    ("confirmed", "cancelled_by_client"): frozenset({"client"}),
    ("confirmed", "expired"): frozenset({"system"}),
}
STATUSES = frozenset(s for pair in TRANSITIONS for s in pair)
# Moves a person can no longer make once the session has started: accepting a request
# would confirm time already past, cancelling would refund a session that took place.
CLOSED_AT_START = frozenset(
    {
        ("requested", "confirmed"),
        ("confirmed", "cancelled_by_coach"),
        ("confirmed", "cancelled_by_client"),
    }
)


@dataclass(frozen=True)
class BookingState:
    status: str
    start: datetime
    end: datetime


def check_transition(actor: str, booking: BookingState, target: str, now: datetime) -> None:
    """Return if ``actor`` may move ``booking`` to ``target`` now; else raise.

    403 ``forbidden`` when the move exists but is not this actor's; 409
    ``invalid_transition`` when it does not exist from this status, or a session would be
    completed before it ended.
    """
    allowed = TRANSITIONS.get((booking.status, target))
    if allowed is None:
        raise AppError(
            "invalid_transition",
            f"A booking that is {booking.status} cannot become {target}.",
            {"status": [booking.status], "target": [target]},
        )
    if actor not in allowed:
        raise AppError("forbidden", f"Only the {' or '.join(sorted(allowed))} can do this.")
    if (booking.status, target) in CLOSED_AT_START and actor != "system" and now >= booking.start:
        raise AppError(
            "invalid_transition",
            "The session has started already.",
            {"status": [booking.status], "target": [target]},
        )
    if target == "completed" and now < booking.end:
        raise AppError(
            "invalid_transition",
            "A session can be marked completed only after it ended.",
            {"status": [booking.status], "target": [target]},
        )


def check_reschedule(
    actor: str, booking: BookingState, now: datetime, full_refund_hours: int
) -> None:
    """A confirmed booking moves: the client while the full-refund window is open, the coach
    any time before it starts (SPEC section 4)."""
    if booking.status != "confirmed":
        raise AppError(
            "invalid_transition",
            f"A booking that is {booking.status} cannot be rescheduled.",
            {"status": [booking.status]},
        )
    if actor == "coach":
        if now >= booking.start:
            raise AppError("invalid_transition", "The session has started already.")
        return
    if actor != "client":
        raise AppError("forbidden", "Only the coach or the client can reschedule.")
    if booking.start - now < timedelta(hours=full_refund_hours):
        raise AppError(
            "invalid_transition",
            f"Rescheduling closes {full_refund_hours} hours before the start.",
            {"start": ["The full-refund window has closed."]},
        )


# An accepted request that needs payment must be paid this long before it starts...
PAYMENT_DEADLINE_BEFORE_START = timedelta(hours=12)
# ...but the client always gets at least this long after the acceptance to pay.
MIN_TIME_TO_PAY = timedelta(hours=1)


def payment_deadline(start: datetime, accepted_at: datetime) -> datetime:
    """When an accepted, unpaid booking expires (SPEC 4: 12 h before the start by
    default); a request accepted late still leaves an hour to pay, never past the start."""
    return min(start, max(start - PAYMENT_DEADLINE_BEFORE_START, accepted_at + MIN_TIME_TO_PAY))
