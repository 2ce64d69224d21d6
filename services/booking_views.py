"""Reads the booking page and the dashboards need: what this viewer may do with a booking
now (asked of ``domain.status``, the one place that decides a move), the refund a
cancellation would give now (``domain.refunds``, as the cancel service computes it), the
free times a suggestion or a reschedule may offer (``domain.slots.Bookability``, as the
services check them), and a user's sessions split into requests, upcoming and past."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import and_, or_, select
from sqlalchemy.orm import joinedload

from domain import slots
from domain.errors import AppError
from domain.refunds import CancellationPolicy
from domain.status import BookingState, check_reschedule, check_transition
from extensions import db
from models import Booking, SessionType, User
from models.types import utcnow
from services import bookings, calendar, payments, transitions

# The moves a person makes on the booking page: (action, the status it leads to).
MOVES = {
    "coach": (
        ("accept", "confirmed"),
        ("decline", "declined"),
        ("suggest", "time_suggested"),
        ("cancel", "cancelled_by_coach"),
        ("complete", "completed"),
    ),
    "client": (
        ("choose", "confirmed"),
        ("decline", "declined"),
        ("cancel", "cancelled_by_client"),
    ),
}
# Moves only one party ever makes (the others are each party's own: decline, cancel...).
ONLY_BY = {
    "accept": "coach",
    "suggest": "coach",
    "complete": "coach",
    "choose": "client",
    "pay": "client",
}
# Still going on: neither ended by a status nor (if it has not ended) in the past.
LIVE_STATUSES = ("pending_payment", "requested", "time_suggested", "confirmed")
PICKER_DAYS = 14
DASHBOARD_LIMIT = 20


@dataclass(frozen=True)
class BookingPage:
    booking: Booking
    actor: str  # "coach" or "client": the viewer's part in the booking
    other: User  # the other party
    actions: frozenset[str]
    policy: CancellationPolicy
    refund: int  # what a cancellation by the viewer would refund now


@dataclass(frozen=True)
class PickerDay:
    day: date
    slots: list[slots.Slot]


@dataclass(frozen=True)
class Picker:
    """Free starts for a suggestion or a reschedule, by the viewer's local day."""

    first_day: date
    days: list[PickerDay]
    earlier: date | None  # the previous page's first day, if it is not in the past
    later: date | None  # the next page's first day, if the advance allows one

    @property
    def last_day(self) -> date:
        return self.first_day + timedelta(days=PICKER_DAYS - 1)


@dataclass(frozen=True)
class Dashboard:
    requests: list[Booking]  # a coach's requests waiting for an answer, earliest first
    upcoming: list[Booking]  # earliest first
    past: list[Booking]  # latest first
    actions: dict[int, frozenset[str]]  # what the coach may do with each request now


def booking_page(user: User, booking_id: int, now: datetime | None = None) -> BookingPage:
    """A booking its coach or client asks for (404 for anyone else), with what they may do."""
    now = now or utcnow()
    booking = bookings.get_booking(user, booking_id)
    actor = actor_of(user, booking)
    return BookingPage(
        booking=booking,
        actor=actor,
        other=booking.client if actor == "coach" else booking.coach,
        actions=allowed_actions(booking, actor, now),
        policy=transitions.cancellation_policy(booking.session_type),
        refund=transitions.refund_due(booking, booking.session_type, actor, now),
    )


def actor_of(user: User, booking: Booking) -> str:
    return "coach" if user.id == booking.coach_id else "client"


def allowed_actions(booking: Booking, actor: str, now: datetime) -> frozenset[str]:
    """Exactly the moves the status machine lets ``actor`` make on ``booking`` now."""
    state = BookingState(booking.status, booking.start_at, booking.end_at)
    found = {name for name, target in MOVES[actor] if _may(actor, state, target, now)}
    if "choose" in found and not booking.suggestions:
        found.discard("choose")
    try:
        check_reschedule(actor, state, now, booking.session_type.full_refund_hours)
    except AppError:
        pass
    else:
        found.add("reschedule")
    if actor == "client" and awaits_payment(booking) and payments.enabled():
        found.add("pay")
    return frozenset(found)


def awaits_payment(booking: Booking) -> bool:
    """Held or accepted, and still to be paid online."""
    return booking.amount_paid == 0 and (
        booking.status == "pending_payment"
        or (
            booking.status == "confirmed"
            and booking.payment_status in ("payment_pending", "processing", "failed")
        )
    )


def _may(actor: str, state: BookingState, target: str, now: datetime) -> bool:
    try:
        check_transition(actor, state, target, now)
    except AppError:
        return False
    return True


def require_action(page: BookingPage, action: str, now: datetime | None = None) -> None:
    """Refuse a move the viewer may not make now, as the service would: 403 for the other
    party's move, 409 ``invalid_transition`` for one this status does not allow."""
    if action in page.actions:
        return
    owner = ONLY_BY.get(action, page.actor)
    if owner != page.actor:
        raise AppError("forbidden", f"Only the {owner} can do this.")
    booking, now = page.booking, now or utcnow()
    state = BookingState(booking.status, booking.start_at, booking.end_at)
    if action == "reschedule":
        check_reschedule(page.actor, state, now, booking.session_type.full_refund_hours)
    elif action == "pay":
        raise AppError(
            "invalid_transition",
            "This booking has nothing to pay online.",
            {"payment_status": [booking.payment_status]},
        )
    else:
        target = dict(MOVES[page.actor])[action]
        check_transition(page.actor, state, target, now)
    raise AppError(
        "invalid_transition",
        f"A booking that is {booking.status} has no suggested times to choose.",
        {"status": [booking.status]},
    )


def free_starts(
    booking: Booking,
    zone: str,
    first_day: date | None = None,
    now: datetime | None = None,
) -> Picker:
    """The bookable starts of the booking's type and length over ``PICKER_DAYS`` local
    days from ``first_day`` (default today), as the services check a suggestion or a
    reschedule: the booking's own time does not count as taken, but is not offered."""
    now = now or utcnow()
    tz = ZoneInfo(zone)
    session_type = booking.session_type
    latest = now + timedelta(days=session_type.max_advance_days)
    today = now.astimezone(tz).date()
    # Nothing is bookable before today or after the maximum advance: stay within them.
    first_day = min(max(first_day or today, today), latest.astimezone(tz).date())
    start = datetime.combine(first_day, time(), tzinfo=tz)
    end = datetime.combine(first_day + timedelta(days=PICKER_DAYS), time(), tzinfo=tz)
    found = _bookable(booking, session_type, start, end, now)
    found = [slot for slot in found if slot.start != booking.start_at]
    later_day = first_day + timedelta(days=PICKER_DAYS)
    earlier_day = first_day - timedelta(days=PICKER_DAYS)
    return Picker(
        first_day=first_day,
        days=_by_day(found, tz),
        earlier=max(earlier_day, today) if first_day > today else None,
        later=later_day if end < latest else None,
    )


def _bookable(booking: Booking, session_type: SessionType, start, end, now) -> list[slots.Slot]:
    rules = calendar.slot_rules(session_type, booking.duration_minutes)
    before = timedelta(minutes=rules.buffer_before_minutes)
    margin = timedelta(minutes=rules.duration_minutes + rules.buffer_after_minutes)
    around = calendar.calendar_bookings(booking.coach_id, start - before, end + margin)
    busy = calendar.busy_of([row for row in around if row.id != booking.id])
    bookability = slots.Bookability(
        calendar.occurrences(booking.coach_id, start, end + margin),
        busy,
        rules,
        now=now,
        timezone=booking.coach.timezone,
    )
    return bookability.slots(start, end)


def _by_day(found: list[slots.Slot], tz: ZoneInfo) -> list[PickerDay]:
    days: dict[date, list[slots.Slot]] = {}
    for slot in found:
        days.setdefault(slot.start.astimezone(tz).date(), []).append(slot)
    return [PickerDay(day, items) for day, items in sorted(days.items())]


def dashboard(user: User, now: datetime | None = None) -> Dashboard:
    """The user's sessions: a coach's open requests first, then upcoming and past ones."""
    now = now or utcnow()
    mine = or_(Booking.coach_id == user.id, Booking.client_id == user.id)
    live = and_(Booking.end_at > now, Booking.status.in_(LIVE_STATUSES))
    requests = []
    upcoming_filter = live
    if user.is_coach:
        waiting = and_(live, Booking.coach_id == user.id, Booking.status == "requested")
        requests = _sessions(waiting, Booking.start_at)
        upcoming_filter = and_(live, ~waiting)
    return Dashboard(
        requests=requests,
        upcoming=_sessions(and_(mine, upcoming_filter), Booking.start_at),
        past=_sessions(and_(mine, ~live), Booking.start_at.desc()),
        actions={b.id: allowed_actions(b, "coach", now) for b in requests},
    )


def _sessions(where, order) -> list[Booking]:
    query = (
        select(Booking)
        .where(where)
        .options(
            joinedload(Booking.session_type), joinedload(Booking.coach), joinedload(Booking.client)
        )
        .order_by(order, Booking.id)
        .limit(DASHBOARD_LIMIT)
    )
    return list(db.session.scalars(query))
