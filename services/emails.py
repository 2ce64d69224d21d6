"""What email a booking change sends, to whom, with which words (SPEC 10).

``for_booking`` is called by ``services.notifications`` in the transaction of the
change and returns the ``outbox.Email`` objects to queue; ``reminder`` composes one
reminder. The session type's settings decide: ``email_notifications`` off sends
nothing, ``email_events_off`` lists the events (keys of ``EMAIL_EVENTS``) it sends no
email for.

Each change becomes a ``Draft`` per recipient (``services.email_format`` renders it):
times in the recipient's zone, the other party's name, an absolute link to the booking
page (``BASE_URL``) and, for a confirmed or moved session, an ``.ics`` invitation; a
cancelled one carries METHOD:CANCEL. Everything comes from the booking and the rows it
refers to, which the change has in its session already: composing costs no query.
"""

from __future__ import annotations

from datetime import UTC, datetime

from services.email_format import MINUS, Change, Draft, render, span
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
    session_type = booking.session_type
    compose = COMPOSERS.get(kind)
    if compose is None or not session_type.email_notifications:
        return []
    change = Change(booking, actor_id, note, refund, moved_from)
    off = set(session_type.email_events_off or ())
    return [
        render(change, draft)
        for draft in compose(change)
        if draft.event not in off and draft.to.is_active_account
    ]


def reminder(booking, offset_minutes: int, recipient_id: int) -> Email | None:
    """The reminder ``offset_minutes`` before the session to one party, or None when the
    session type sends no reminders."""
    session_type = booking.session_type
    if (
        not session_type.email_notifications
        or "reminder" in (session_type.email_events_off or ())
        or booking.status != "confirmed"
    ):
        return None
    change = Change(booking, None)
    user = {change.coach.id: change.coach, change.client.id: change.client}.get(recipient_id)
    if user is None or not user.is_active_account:
        return None
    other = change.other(user)
    draft = Draft(
        user, "reminder", "reminder",
        f"Reminder: {change.type_name} with {other.name}, {change.short(user)}",
        f"Your session starts in {span(offset_minutes)}",
        [f"{change.type_name} with {other.name} starts at {change.clock(user)}."],
        after=change.payment_lines(user),
    )  # fmt: skip
    email = render(change, draft)
    start = booking.start_at.astimezone(UTC)
    email.dedupe_key = f"reminder:{booking.id}:{recipient_id}:{offset_minutes}:{start:%Y%m%dT%H%M}"
    return email


# --- what each change sends --------------------------------------------------------


def _created(c: Change) -> list[Draft]:
    booking = c.booking
    if booking.status == "confirmed":
        return _firm_confirmations(c, f"{c.client.name} booked {c.type_name}.")
    if booking.status != "requested":
        return []  # pending_payment: the confirmation comes with the payment
    coach, client = c.coach, c.client
    message = (booking.message or "").strip()
    return [
        Draft(
            coach, "request", "request_received",
            f"New request from {client.name}: {c.type_name}, {c.short(coach)}",
            f"New request from {client.name}",
            [
                f"{client.name} asks for {c.type_name} at this time. Accept it, decline it "
                "or suggest other times on the booking page.",
                "The time stays reserved until you answer.",
            ],
            note=(f"Message from {client.name}", message) if message else None,
            action="Answer the request",
        ),
        Draft(
            client, "request", "request_sent",
            f"Request sent: {c.type_name} with {coach.name}, {c.short(client)}",
            "Your request was sent",
            [
                f"{coach.name} will accept it, decline it or suggest other times; we will "
                "e-mail you the answer. Until then the time is reserved for you."
            ],
            note=("Your message", message) if message else None,
            action="View your request",
        ),
    ]  # fmt: skip


def _firm_confirmations(c: Change, coach_line: str, client_line: str = "") -> list[Draft]:
    """A new confirmed booking: the coach's "New booking", the client's confirmation."""
    coach, client = c.coach, c.client
    message = (c.booking.message or "").strip()
    return [
        _confirmation(c, client, client_line or f"{c.type_name} with {coach.name} is booked."),
        Draft(
            coach, "confirmation", "new_booking",
            f"New booking: {c.type_name} with {client.name}, {c.short(coach)}",
            f"New booking from {client.name}",
            [coach_line],
            after=[*c.payment_lines(coach), _CALENDAR_ADD],
            note=(f"Message from {client.name}", message) if message else None,
            ics="REQUEST",
        ),
    ]  # fmt: skip


_CALENDAR_ADD = "The attached invitation adds the session to your calendar."
_CALENDAR_UPDATE = "The attached invitation updates the session in your calendar."
_CALENDAR_REMOVE = "The attached cancellation removes the session from your calendar."


def _confirmation(c: Change, user, line: str, kind: str = "confirmation") -> Draft:
    other = c.other(user)
    pay = user.id == c.client.id and c.booking.payment_status == "payment_pending"
    return Draft(
        user, "confirmation", kind,
        f"Confirmed: {c.type_name} with {other.name}, {c.short(user)}",
        "Your session is confirmed",
        [line],
        after=[*c.payment_lines(user), _CALENDAR_ADD],
        action="Pay now" if pay else "View booking",
        ics="REQUEST",
    )  # fmt: skip


def _confirmed(c: Change) -> list[Draft]:
    coach, client = c.coach, c.client
    if c.by(coach):  # accepted the request
        pay = c.booking.payment_status == "payment_pending"
        return [
            Draft(
                client, "accepted", "request_accepted",
                f"Request accepted: {c.type_name} with {coach.name}, {c.short(client)}",
                "Your request was accepted",
                [f"{coach.name} accepted your request: the session is confirmed."],
                after=[*c.payment_lines(client), _CALENDAR_ADD],
                note=c.noted(f"Message from {coach.name}"),
                action="Pay now" if pay else "View booking",
                ics="REQUEST",
            ),
            _confirmation(c, coach, f"You accepted {client.name}'s request."),
        ]  # fmt: skip
    if c.by(client):  # chose one of the suggested times
        chose = Draft(
            coach, "confirmation", "time_chosen",
            f"{client.name} chose {c.short(coach)}: {c.type_name}",
            f"{client.name} chose a time",
            [f"{client.name} chose one of the times you suggested: the session is confirmed."],
            after=[*c.payment_lines(coach), _CALENDAR_ADD],
            ics="REQUEST",
        )  # fmt: skip
        return [_confirmation(c, client, "You chose this time: the session is confirmed."), chose]
    # the system: the payment of a booking held for it came in
    return _firm_confirmations(
        c,
        f"{client.name} booked and paid {c.type_name}.",
        f"Your payment was received: {c.type_name} with {coach.name} is booked.",
    )


def _declined(c: Change) -> list[Draft]:
    coach, client = c.coach, c.client
    return [
        Draft(
            client, "declined", "request_declined",
            f"Request declined: {c.type_name} with {coach.name}, {c.short(client)}",
            "Your request was declined",
            [f"{coach.name} declined your request, so this time is not reserved for you."],
            note=c.noted(f"Message from {coach.name}"),
            show_price=False,
            extra_link=c.calendar_link(),
        )
    ]  # fmt: skip


def _suggestion_declined(c: Change) -> list[Draft]:
    coach, client = c.coach, c.client
    return [
        Draft(
            coach, "declined", "suggestion_declined",
            f"{client.name} declined your suggested times: {c.type_name}",
            "Suggested times declined",
            [f"{client.name} declined the times you suggested, so the request is closed."],
            when_label="Asked for",
            show_price=False,
            note=c.noted(f"Message from {client.name}"),
        )
    ]  # fmt: skip


def _suggested(c: Change) -> list[Draft]:
    coach, client = c.coach, c.client
    return [
        Draft(
            client, "suggested", "times_suggested",
            f"{coach.name} suggested other times for {c.type_name}",
            "Other times suggested",
            [f"{coach.name} cannot make the time you asked for and suggests:"],
            times=[c.when(client, s.start_at, s.end_at) for s in c.booking.suggestions],
            when_label="You asked for",
            after=["Choose one on the booking page. The suggested times are not reserved for "
                   "you until you do."],
            note=c.noted(f"Message from {coach.name}"),
            action="Choose a time",
        )
    ]  # fmt: skip


def _cancelled(c: Change) -> list[Draft]:
    previous = c.previous_status()
    if previous in ("requested", "time_suggested"):
        return _withdrawn(c)
    coach, client = c.coach, c.client
    invited = previous == "confirmed"  # a held, unpaid booking had no invitation
    drafts = []
    for user in (client, coach) if invited else (client,):
        other = c.other(user)
        who = "You" if c.by(user) else other.name
        drafts.append(
            Draft(
                user, "cancelled", "cancellation",
                f"Cancelled: {c.type_name} with {other.name}, {c.short(user)}",
                "Session cancelled",
                [f"{who} cancelled this session; the time is free again."],
                after=[*c.refund_lines(user), *([_CALENDAR_REMOVE] if invited else [])],
                note=c.noted("Reason given"),
                show_price=False,
                ics="CANCEL" if invited else None,
            )
        )  # fmt: skip
    return drafts


def _withdrawn(c: Change) -> list[Draft]:
    coach, client = c.coach, c.client
    return [
        Draft(
            coach, "cancelled", "request_withdrawn",
            f"Request withdrawn: {c.type_name} with {client.name}, {c.short(coach)}",
            "Request withdrawn",
            [f"{client.name} withdrew the request; nothing is reserved for it any more."],
            note=c.noted("Reason given"),
            show_price=False,
        ),
        Draft(
            client, "cancelled", "request_withdrawn",
            f"Request withdrawn: {c.type_name} with {coach.name}, {c.short(client)}",
            "Your request was withdrawn",
            ["You withdrew this request; nothing is reserved for it any more."],
            note=c.noted("Reason given"),
            show_price=False,
        ),
    ]  # fmt: skip


def _rescheduled(c: Change) -> list[Draft]:
    booking = c.booking
    drafts = []
    for user in (c.client, c.coach):
        other = c.other(user)
        was = []
        if c.moved_from is not None:
            old_end = c.moved_from + (booking.end_at - booking.start_at)
            was = [("Was", c.when(user, c.moved_from, old_end))]
        drafts.append(
            Draft(
                user, "rescheduled", "rescheduled",
                f"Moved: {c.type_name} with {other.name}, now {c.short(user)}",
                "Session moved",
                [f"{'You' if c.by(user) else other.name} moved this session to a new time."],
                when_label="New time",
                rows=was,
                after=[_CALENDAR_UPDATE],
                ics="REQUEST",
            )
        )  # fmt: skip
    return drafts


def _expired(c: Change) -> list[Draft]:
    coach, client = c.coach, c.client
    if c.previous_status() != "confirmed":  # a hold for a payment that never came
        return [
            Draft(
                client, "expired", "hold_expired",
                f"Not booked: {c.type_name} with {coach.name}, {c.short(client)}",
                "The reserved time was released",
                ["The payment was not completed in time, so the time is no longer reserved "
                 "for you and nothing was charged."],
                show_price=False,
            )
        ]  # fmt: skip
    reasons = {
        client.id: "The payment was not made by the deadline, so the booking was cancelled "
        "and the time freed.",
        coach.id: f"{client.name} did not pay by the deadline, so the booking was cancelled "
        "and the time is free again.",
    }
    return [
        Draft(
            user, "expired", "expired_unpaid",
            f"Cancelled unpaid: {c.type_name} with {c.other(user).name}, {c.short(user)}",
            "Booking cancelled: not paid in time",
            [reasons[user.id]],
            after=[_CALENDAR_REMOVE],
            show_price=False,
            ics="CANCEL",
        )
        for user in (client, coach)
    ]  # fmt: skip


def _receipt(c: Change) -> list[Draft]:
    booking, coach, client = c.booking, c.coach, c.client
    paid = c.money(booking.amount_paid)
    rows = [("Session price", c.money(booking.price_base))]
    if booking.discount_amount:
        rows.append((f"Discount {booking.discount_code or ''}".strip(),
                     f"{MINUS}{c.money(booking.discount_amount)}"))  # fmt: skip
    if booking.vat_amount:
        percent = format((booking.vat_rate * 100).normalize(), "f")
        rows.append((f"VAT {percent} %", c.money(booking.vat_amount)))
    if booking.platform_fee_amount and booking.platform_fee_payer == "client":
        rows.append(("Platform fee", c.money(booking.platform_fee_amount)))
    rows += [("Total", c.money(booking.price_total)), ("Paid", paid)]
    return [
        Draft(
            client, "payment", "payment_receipt",
            f"Receipt: {paid} for {c.type_name} with {coach.name}",
            "Payment received",
            [f"Thank you: your payment of {paid} was received."],
            rows=rows,
            show_price=False,
        )
    ]  # fmt: skip


def _payment_failed(c: Change) -> list[Draft]:
    booking, coach, client = c.booking, c.coach, c.client
    until = booking.payment_deadline_at or booking.checkout_expires_at
    deadline = f" before {c.at(client, until)}" if until else ""
    return [
        Draft(
            client, "payment", "payment_failed",
            f"Payment failed: {c.type_name} with {coach.name}, {c.short(client)}",
            "Your payment did not go through",
            [f"Nothing was charged. Try again on the booking page{deadline}; unpaid, the "
             "booking is cancelled then."],
            action="Pay now",
        )
    ]  # fmt: skip


def _refund_issued(c: Change) -> list[Draft]:
    booking, coach, client = c.booking, c.coach, c.client
    back = c.money(c.refund)
    rows = [("Refunded", back), ("Paid", c.money(booking.amount_paid))]
    if booking.amount_refunded != c.refund:
        rows.append(("Refunded in all", c.money(booking.amount_refunded)))
    return [
        Draft(
            client, "cancelled", "refund_issued",
            f"Refund of {back}: {c.type_name} with {coach.name}",
            "Your refund is on its way",
            [f"{back} goes back to the way you paid; it can take a few days to arrive."],
            rows=rows,
            show_price=False,
        )
    ]  # fmt: skip


COMPOSERS = {
    "booking_created": _created,
    "booking_confirmed": _confirmed,
    "booking_declined": _declined,
    "suggestion_declined": _suggestion_declined,
    "times_suggested": _suggested,
    "booking_cancelled": _cancelled,
    "booking_rescheduled": _rescheduled,
    "booking_expired": _expired,
    "payment_receipt": _receipt,
    "payment_failed": _payment_failed,
    "refund_issued": _refund_issued,
}  # booking_completed sends nothing: both were there
