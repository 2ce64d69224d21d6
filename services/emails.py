"""What email a booking change sends, to whom, with which words (SPEC 10).

``for_booking`` is called by ``services.notifications`` in the transaction of the
change and returns the ``outbox.Email`` objects to queue; ``reminder`` composes one
reminder. The session type's settings decide: ``email_notifications`` off sends
nothing, ``email_events_off`` lists the events (keys of ``EMAIL_EVENTS``) it sends no
email for.
"""

from __future__ import annotations

from datetime import datetime

from services.outbox import Email

# Each email event a coach can switch off per session type, with its label.
EMAIL_EVENTS: dict[str, str] = {
    "confirmation": "Booking confirmed (with calendar invitation)",
    "request": "Request received / sent",
    "accepted": "Request accepted",
    "declined": "Request or suggestion declined",
    "suggested": "Other times suggested",
    "cancelled": "Booking cancelled (with refund)",
    "rescheduled": "Booking moved to another time",
    "expired": "Booking expired unpaid",
    "payment": "Payment receipt or failure",
    "reminder": "Reminders before the session",
}


def for_booking(
    booking,
    kind: str,
    actor_id: int | None,
    note: str = "",
    *,
    refund: int | None = None,
    moved_from: datetime | None = None,
) -> list[Email]:
    """The emails a booking change sends (``kind`` as in ``services.notifications``)."""
    return []


def reminder(booking, offset_minutes: int, recipient_id: int) -> Email | None:
    """The reminder ``offset_minutes`` before the session to one party, or None when the
    session type sends no reminders."""
    return None
