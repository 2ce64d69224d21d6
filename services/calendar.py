"""Range reads of a coach's calendar: free time, bookings, busy blocks and bookable slots.
Every entry point asks the one privacy function first."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import bindparam, select

from domain import recurrence, slots
from domain.errors import validation_error
from domain.status import ACTIVE_STATUSES
from extensions import db
from models import Booking, SessionType, User
from models.types import utcnow
from services.availability import LONGEST_OCCURRENCE, windows_in_range
from services.catalog import bookable_session_type, check_duration
from services.transactions import slot_unavailable
from services.visibility import is_connected, require_calendar_view, viewer_id_of

MAX_RANGE = timedelta(days=62)
# A booking lasts at most a day plus two 8-hour buffers: a range scan can stop there.
LONGEST_BLOCK = timedelta(hours=24 + 16)


@dataclass(frozen=True)
class CalendarView:
    coach: User
    viewer_id: int | None
    free: list[slots.FreeSpan]
    bookings: list  # rows of calendar_bookings()


def check_range(start: datetime, end: datetime) -> None:
    if end <= start:
        raise validation_error({"end": ["Must be after start."]})
    if end - start > MAX_RANGE:
        raise validation_error({"end": [f"A range spans at most {MAX_RANGE.days} days."]})


_BOOKING = Booking.__table__.c


def _in_range(*columns):
    """Active bookings whose blocked range touches [start, end): an indexed range scan on
    (coach, blocked start) bounded on both sides, never the coach's whole history.
    Parameters ``coach_id``, ``start`` and ``earliest`` (``start - LONGEST_BLOCK``), ``end``.
    Plain rows of table columns: no ORM objects to build."""
    return select(*columns).where(
        _BOOKING.coach_id == bindparam("coach_id"),
        _BOOKING.blocked_start_at < bindparam("end"),
        _BOOKING.blocked_start_at > bindparam("earliest"),
        _BOOKING.blocked_end_at > bindparam("start"),
        _BOOKING.status.in_(ACTIVE_STATUSES),
    )


def _range_params(coach_id: int, start: datetime, end: datetime) -> dict:
    return {"coach_id": coach_id, "start": start, "earliest": start - LONGEST_BLOCK, "end": end}


# Built once, like every statement on the booking path: building one costs more than
# running it.
_BUSY = _in_range(_BOOKING.blocked_start_at, _BOOKING.blocked_end_at, _BOOKING.slot_key)
_CALENDAR_BOOKINGS = _in_range(
    _BOOKING.id,
    _BOOKING.coach_id,
    _BOOKING.client_id,
    _BOOKING.session_type_id,
    _BOOKING.start_at,
    _BOOKING.end_at,
    _BOOKING.blocked_start_at,
    _BOOKING.blocked_end_at,
    _BOOKING.slot_key,
    _BOOKING.status,
    _BOOKING.kind,
).order_by(_BOOKING.blocked_start_at)


def busy_in_range(coach_id: int, start: datetime, end: datetime) -> list[slots.Busy]:
    """Just the three columns the slot computation needs, without loading whole rows."""
    rows = db.session.execute(_BUSY, _range_params(coach_id, start, end))
    return [slots.Busy(*row) for row in rows]


def calendar_bookings(coach_id: int, start: datetime, end: datetime) -> list:
    """The columns a calendar shows of active bookings in the range (named tuples)."""
    return list(db.session.execute(_CALENDAR_BOOKINGS, _range_params(coach_id, start, end)))


_TYPES = SessionType.__table__
_CLIENTS = User.__table__.alias("client")


def _named(with_client: bool):
    """The calendar's booking columns with the session type's name and, for the coach's own
    view only, the client's name: one statement however many bookings."""
    columns = [*_CALENDAR_BOOKINGS.selected_columns, _TYPES.c.name.label("session_type_name")]
    source = Booking.__table__.join(_TYPES, _TYPES.c.id == _BOOKING.session_type_id)
    if with_client:
        columns.append(_CLIENTS.c.name.label("client_name"))
        source = source.join(_CLIENTS, _CLIENTS.c.id == _BOOKING.client_id)
    return _in_range(*columns).select_from(source).order_by(_BOOKING.blocked_start_at)


_NAMED = {False: _named(False), True: _named(True)}


def calendar_bookings_named(
    coach_id: int, start: datetime, end: datetime, *, with_client_names: bool = False
) -> list:
    """``calendar_bookings`` with ``session_type_name`` (and ``client_name`` when asked:
    only for the coach, who may see who booked)."""
    statement = _NAMED[with_client_names]
    return list(db.session.execute(statement, _range_params(coach_id, start, end)))


def busy_of(bookings) -> list[slots.Busy]:
    return [slots.Busy(b.blocked_start_at, b.blocked_end_at, b.slot_key) for b in bookings]


def occurrences(coach_id: int, start: datetime, end: datetime) -> list[recurrence.Occurrence]:
    windows = windows_in_range(coach_id, start - LONGEST_OCCURRENCE, end)
    return recurrence.expand_all(windows, start, end)


def calendar(viewer, coach_id: int, start: datetime, end: datetime) -> CalendarView:
    """Free availability after splitting, and the active bookings in the range."""
    coach = require_calendar_view(viewer, db.session.get(User, coach_id))
    check_range(start, end)
    bookings = calendar_bookings(coach.id, start, end)
    free = slots.free_time(occurrences(coach.id, start, end), busy_of(bookings))
    free = [span for span in free if span.end > start and span.start < end]
    return CalendarView(coach, viewer_id_of(viewer), free, bookings)


def bookable_slots(
    viewer,
    coach_id: int,
    session_type_id: int,
    duration: int | None,
    start: datetime,
    end: datetime,
    now: datetime | None = None,
):
    """Every bookable start for the type and duration in the range, as this viewer may book."""
    coach = require_calendar_view(viewer, db.session.get(User, coach_id))
    check_range(start, end)
    session_type = bookable_session_type(coach, session_type_id)
    duration = check_duration(session_type, duration)
    now = now or utcnow()
    rules = slot_rules(session_type, duration)
    margin = timedelta(minutes=duration + rules.buffer_after_minutes)
    busy = busy_in_range(
        coach.id, start - timedelta(minutes=rules.buffer_before_minutes), end + margin
    )
    bookability = slots.Bookability(
        occurrences(coach.id, start, end + margin),
        busy,
        rules,
        now=now,
        timezone=coach.timezone,
        viewer_connected=needs_connection(rules.firm_booking) and is_connected(viewer, coach),
    )
    return bookability.slots(start, end)


def slot_rules(session_type: SessionType, duration: int) -> slots.SlotRules:
    """What the session type and the chosen duration ask of a start time."""
    return slots.SlotRules(
        session_type_id=session_type.id,
        duration_minutes=duration,
        buffer_before_minutes=session_type.buffer_before_minutes,
        buffer_after_minutes=session_type.buffer_after_minutes,
        min_notice_minutes=session_type.min_notice_minutes,
        max_advance_days=session_type.max_advance_days,
        firm_booking=session_type.firm_booking,
        is_group=session_type.format == "group",
        max_attendees=session_type.max_attendees,
    )


def needs_connection(firm_booking: str) -> bool:
    """Only a connected-only firm rule depends on the connection: skip the query otherwise."""
    return firm_booking == "connected"


def check_time(
    coach: User,
    session_type: SessionType,
    start: datetime,
    duration: int,
    *,
    now: datetime,
    timing: bool = True,
    client_id: int | None = None,
    viewer_connected: bool = False,
    moving: int | None = None,
    overlaps_by_database: bool = False,
    outside_ok: bool = False,
) -> slots.Verdict:
    """May this start be booked now? Reads the coach's availability and the bookings
    around it, and lets ``domain.slots.Bookability`` decide (under the caller's lock).

    ``timing=False`` skips notice, advance and grid (a suggestion offered earlier);
    ``moving`` is the booking being moved, whose own time does not count as taken;
    ``overlaps_by_database``: the booking about to be inserted will be refused by the
    exclusion constraint if it overlaps (PostgreSQL), so only group seats are read;
    ``outside_ok``: a new booking may ask for time outside availability (then a request).
    Timing problems are a 400 on ``start``; a time that is not free a 409."""
    rules = slot_rules(session_type, duration)
    end = start + timedelta(minutes=duration)
    busy = None
    if rules.is_group or not overlaps_by_database:
        around = calendar_bookings(
            coach.id,
            start - timedelta(minutes=rules.buffer_before_minutes),
            end + timedelta(minutes=rules.buffer_after_minutes),
        )
        busy = [
            slots.Busy(b.blocked_start_at, b.blocked_end_at, b.slot_key, b.client_id)
            for b in around
            if b.id != moving
        ]
    bookability = slots.Bookability(
        occurrences(coach.id, start - timedelta(days=1), end),
        busy,
        rules,
        now=now,
        timezone=coach.timezone,
        viewer_connected=viewer_connected,
    )
    try:
        if timing:
            bookability.check_timing(start)
        return bookability.decide_time(start, client_id=client_id, outside_ok=outside_ok)
    except slots.Unbookable as refused:
        if refused.timing:
            raise validation_error({"start": [refused.message]}) from None
        raise slot_unavailable(refused.message) from None
