"""A coach's availability windows: create, edit or delete a whole series or one occurrence."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import and_, bindparam, exists, or_, select
from sqlalchemy.orm import selectinload

from domain import recurrence
from domain.errors import forbidden, not_found, validation_error
from extensions import db
from models import AvailabilityException, AvailabilityWindow, SessionType, User
from models.types import utcnow
from services import live
from services.catalog import require_coach
from services.transactions import write_transaction
from services.visibility import can_view_calendar

logger = logging.getLogger(__name__)

MAX_ONE_OFF = timedelta(days=7)
MAX_RECURRING_OCCURRENCE = timedelta(hours=24)
MAX_SERIES_YEARS = 2
MAX_SERIES_SPAN = timedelta(days=366 * MAX_SERIES_YEARS)
# A window occurrence lasts at most this long, so a range query can bound its scan.
LONGEST_OCCURRENCE = MAX_ONE_OFF


@dataclass(frozen=True)
class WindowInput:
    start: datetime
    end: datetime
    session_type_id: int | None
    instant_booking: bool
    weekdays: tuple[str, ...] | None
    until: date | None
    count: int | None


def to_domain(window, edits: dict | None = None) -> recurrence.Window:
    """A window, object or row, as the pure expansion sees it. ``edits`` by original start:
    by default the object's exceptions."""
    if edits is None:
        edits = {
            e.occurrence_start: recurrence.OccurrenceEdit(
                e.kind, e.start_at, e.end_at, e.instant_booking
            )
            for e in window.exceptions
        }
    weekdays = window.recurrence_weekdays
    return recurrence.Window(
        id=window.id,
        start=window.start_at,
        end=window.end_at,
        timezone=window.timezone,
        session_type_id=window.session_type_id,
        instant_booking=window.instant_booking,
        weekdays=tuple(weekdays.split(",")) if weekdays is not None else None,
        until=window.recurrence_until,
        count=window.recurrence_count,
        edits=edits,
    )


def windows_in_range(coach_id: int, start: datetime, end: datetime) -> list[recurrence.Window]:
    """Only the windows that can touch [start, end), with their edits, as the expansion sees
    them. One query of plain rows, no ORM objects (every booking and calendar read runs
    it): a window with n exceptions comes as n rows."""
    params = {"coach_id": coach_id, "start": start, "end": end}
    windows: dict[int, tuple] = {}
    for row in db.session.execute(_WINDOWS_IN_RANGE, params):
        edits = windows.setdefault(row.id, (row, {}))[1]
        if row.edit_kind is not None:
            edits[row.edit_of] = recurrence.OccurrenceEdit(
                row.edit_kind, row.edit_start, row.edit_end, row.edit_instant
            )
    return [to_domain(window, edits) for window, edits in windows.values()]


def _windows_in_range_query():
    """Built once. An occurrence may be moved outside its series' dates, so a window with a
    moved occurrence in the range counts too."""
    window, exception = AvailabilityWindow.__table__, AvailabilityException.__table__
    coach_id, start, end = bindparam("coach_id"), bindparam("start"), bindparam("end")
    within_series = and_(
        window.c.start_at < end,
        or_(window.c.series_end_at.is_(None), window.c.series_end_at > start),
    )
    moved = exception.alias("moved")
    moved_into_range = exists().where(
        moved.c.window_id == window.c.id,
        moved.c.kind == "modified",
        moved.c.start_at < end,
        moved.c.end_at > start,
    )
    return (
        select(
            window.c.id,
            window.c.start_at,
            window.c.end_at,
            window.c.timezone,
            window.c.session_type_id,
            window.c.instant_booking,
            window.c.recurrence_weekdays,
            window.c.recurrence_until,
            window.c.recurrence_count,
            exception.c.occurrence_start.label("edit_of"),
            exception.c.kind.label("edit_kind"),
            exception.c.start_at.label("edit_start"),
            exception.c.end_at.label("edit_end"),
            exception.c.instant_booking.label("edit_instant"),
        )
        .select_from(window.outerjoin(exception, exception.c.window_id == window.c.id))
        .where(window.c.coach_id == coach_id, or_(within_series, moved_into_range))
        .order_by(window.c.id)
    )


_WINDOWS_IN_RANGE = _windows_in_range_query()


def create_window(coach: User, values: dict) -> AvailabilityWindow:
    """A one-off window, or a weekly series with ``values["recurrence"]``."""
    with write_transaction():
        require_coach(coach)
        data = window_input(values)
        _check(coach, data)
        window = AvailabilityWindow(coach_id=coach.id, timezone=coach.timezone)
        _assign(window, data)
        db.session.add(window)
        _announce(coach.id, _window_range(window))
    logger.info("availability %s created by coach %s", window.id, coach.id)
    return window


def get_own_window(coach: User, window_id: int) -> AvailabilityWindow:
    """The caller's window. Someone else's is a 404 unless the caller may see that coach's
    calendar (and so the window): then 403, since they may know it but not change it.
    A client is refused as a role, whatever the id (403, as for creating one)."""
    require_coach(coach)
    window = db.session.get(AvailabilityWindow, window_id)
    if window is None:
        raise not_found("availability")
    if window.coach_id != coach.id:
        if not can_view_calendar(coach, db.session.get(User, window.coach_id)):
            raise not_found("availability")
        raise forbidden("Only the coach who owns this availability can change it.")
    return window


def list_own_windows(coach: User) -> list[AvailabilityWindow]:
    """The caller's windows and series (with their exceptions), earliest first."""
    require_coach(coach)
    return list(
        db.session.scalars(
            select(AvailabilityWindow)
            .where(AvailabilityWindow.coach_id == coach.id)
            .options(selectinload(AvailabilityWindow.exceptions))
            .order_by(AvailabilityWindow.start_at, AvailabilityWindow.id)
        )
    )


def get_own_occurrence(
    coach: User, window_id: int, occurrence: datetime
) -> tuple[AvailabilityWindow, recurrence.Occurrence]:
    """One occurrence of the caller's window as it is now (moved or not), by its original
    start: get_own_window's rule for the window, 404 for a start that is not one of its
    occurrences or one that was deleted."""
    window = get_own_window(coach, window_id)
    _require_occurrence(window, occurrence)
    spec = to_domain(window)
    edit = spec.edits.get(occurrence)
    if edit is not None and edit.kind == "deleted":
        raise not_found("occurrence")
    plain = recurrence.expand(
        recurrence.Window(**{**spec.__dict__, "edits": {}}),
        occurrence - timedelta(days=1),
        occurrence + timedelta(days=2),
    )
    found = next(o for o in plain if o.occurrence == occurrence)
    if edit is not None:
        instant = window.instant_booking if edit.instant_booking is None else edit.instant_booking
        found = recurrence.Occurrence(
            window.id, occurrence, edit.start, edit.end, window.session_type_id, instant
        )
    return window, found


def update_series(coach: User, window_id: int, changes: dict) -> AvailabilityWindow:
    """Change the whole series; omitted fields keep their values. Edits of single
    occurrences are kept only while the series keeps its times and pattern (otherwise they
    would point at nothing)."""
    with write_transaction():
        window = get_own_window(coach, window_id)
        before = _window_range(window)
        _change_series(coach, window, window_input(changes, window))
        _announce(coach.id, before, _window_range(window))
    return window


def _change_series(coach: User, window: AvailabilityWindow, data: WindowInput) -> None:
    _check(coach, data)
    pattern_changed = (
        window.start_at != data.start
        or window.end_at != data.end
        or window.recurrence_weekdays != _weekdays(data)
        or window.recurrence_until != data.until
        or window.recurrence_count != data.count
    )
    _assign(window, data)
    if pattern_changed:
        window.exceptions.clear()


def update_occurrence(
    coach: User,
    window_id: int,
    occurrence: datetime,
    start: datetime,
    end: datetime,
    instant_booking: bool | None,
) -> AvailabilityWindow:
    """Move or change one occurrence of a series (or the one-off window itself)."""
    with write_transaction():
        window = get_own_window(coach, window_id)
        _require_occurrence(window, occurrence)
        if not window.is_recurring:
            before = _window_range(window)
            instant = window.instant_booking if instant_booking is None else instant_booking
            data = WindowInput(start, end, window.session_type_id, instant, None, None, None)
            _change_series(coach, window, data)
            _announce(coach.id, before, _window_range(window))
            return window
        if end <= start:
            raise validation_error({"end": ["Must be after start."]})
        if end - start > MAX_RECURRING_OCCURRENCE:
            raise validation_error({"end": ["An occurrence lasts at most 24 hours."]})
        before = _occurrence_range(window, occurrence)
        _set_exception(window, occurrence, "modified", start, end, instant_booking)
        _announce(coach.id, before, (start, end))
    return window


def delete_window(coach: User, window_id: int, occurrence: datetime | None) -> None:
    """Delete the series, or (with ``occurrence``) just that one occurrence."""
    with write_transaction():
        window = get_own_window(coach, window_id)
        if occurrence is not None:
            _require_occurrence(window, occurrence)
        if occurrence is None or not window.is_recurring:
            _announce(coach.id, _window_range(window))
            db.session.delete(window)
        else:
            _announce(coach.id, _occurrence_range(window, occurrence))
            _set_exception(window, occurrence, "deleted", None, None, None)
    logger.info("availability %s deleted (%s)", window_id, occurrence or "series")


def _announce(coach_id: int, *ranges: tuple[datetime, datetime] | None) -> None:
    """``availability_update`` for each changed range (once each), after the commit."""
    for span in dict.fromkeys(r for r in ranges if r is not None):
        live.availability_update(coach_id, *span)


def _window_range(window: AvailabilityWindow) -> tuple[datetime, datetime]:
    """The time a window covers: a one-off window's own time; a series from its first
    start to its last end, and its occurrences moved elsewhere. A series without end is
    announced up to two years (the longest series with an end) from its start or today,
    whichever is later: a calendar cannot show bookable time much further ahead."""
    start, end = window.start_at, window.series_end_at
    if end is None:
        end = max(start, utcnow()) + MAX_SERIES_SPAN
    for edit in window.exceptions:
        if edit.kind == "modified":
            start, end = min(start, edit.start_at), max(end, edit.end_at)
    return start, end


def _occurrence_range(window: AvailabilityWindow, occurrence: datetime):
    """The time one occurrence of a series holds now (moved or not); None once deleted."""
    edit = to_domain(window).edits.get(occurrence)
    if edit is not None:
        return (edit.start, edit.end) if edit.kind == "modified" else None
    plain = recurrence.expand(
        recurrence.Window(**{**to_domain(window).__dict__, "edits": {}}),
        occurrence - timedelta(days=1),
        occurrence + timedelta(days=2),
    )
    found = next((o for o in plain if o.occurrence == occurrence), None)
    return (found.start, found.end) if found is not None else None


def window_input(values: dict, window: AvailabilityWindow | None = None) -> WindowInput:
    """The parsed fields of a request as one window; with ``window``, what is omitted keeps
    that window's value (an update), else the defaults of a new window."""
    if "recurrence" in values:
        recurrence_ = values["recurrence"] or {}
        weekdays = tuple(recurrence_["weekdays"]) if recurrence_ else None
        until, count = recurrence_.get("until"), recurrence_.get("count")
    elif window is not None and window.is_recurring:
        weekdays = tuple(window.recurrence_weekdays.split(","))
        until, count = window.recurrence_until, window.recurrence_count
    else:
        weekdays, until, count = None, None, None
    return WindowInput(
        start=values["start"],
        end=values["end"],
        session_type_id=values.get(
            "session_type_id", window.session_type_id if window is not None else None
        ),
        instant_booking=values.get(
            "instant_booking", window.instant_booking if window is not None else True
        ),
        weekdays=weekdays,
        until=until,
        count=count,
    )


def _require_occurrence(window: AvailabilityWindow, occurrence: datetime) -> None:
    spec = to_domain(window)
    around = recurrence.expand(
        recurrence.Window(**{**spec.__dict__, "edits": {}}),
        occurrence - timedelta(days=1),
        occurrence + timedelta(days=2),
    )
    if not any(o.occurrence == occurrence for o in around):
        raise not_found("occurrence")


def _set_exception(window, occurrence, kind, start, end, instant_booking) -> None:
    existing = next((e for e in window.exceptions if e.occurrence_start == occurrence), None)
    if existing is None:
        existing = AvailabilityException(occurrence_start=occurrence)
        window.exceptions.append(existing)
    existing.kind = kind
    existing.start_at, existing.end_at = start, end
    existing.instant_booking = instant_booking


def _assign(window: AvailabilityWindow, data: WindowInput) -> None:
    window.start_at, window.end_at = data.start, data.end
    window.session_type_id = data.session_type_id
    window.instant_booking = data.instant_booking
    window.recurrence_weekdays = _weekdays(data)
    window.recurrence_until, window.recurrence_count = data.until, data.count
    window.series_end_at = recurrence.series_end(_spec(window))


def _spec(window: AvailabilityWindow) -> recurrence.Window:
    return recurrence.Window(
        id=window.id or 0,
        start=window.start_at,
        end=window.end_at,
        timezone=window.timezone,
        weekdays=tuple(window.recurrence_weekdays.split(","))
        if window.recurrence_weekdays
        else None,
        until=window.recurrence_until,
        count=window.recurrence_count,
    )


def _weekdays(data: WindowInput) -> str | None:
    if data.weekdays is None:
        return None
    order = recurrence.WEEKDAY_CODES
    return ",".join(sorted(set(data.weekdays), key=order.index))


def _check(coach: User, data: WindowInput) -> None:
    problems: dict[str, list[str]] = {}
    if data.end <= data.start:
        problems["end"] = ["Must be after start."]
    elif data.weekdays is None and data.end - data.start > MAX_ONE_OFF:
        problems["end"] = ["A one-off window lasts at most 7 days."]
    elif data.weekdays is not None and data.end - data.start > MAX_RECURRING_OCCURRENCE:
        problems["end"] = ["Each occurrence lasts at most 24 hours."]
    if data.weekdays is not None:
        local_start = data.start.astimezone(ZoneInfo(coach.timezone))
        code = recurrence.WEEKDAY_CODES[local_start.weekday()]
        if code not in data.weekdays:
            problems["recurrence.weekdays"] = [
                f"The first occurrence ({local_start:%Y-%m-%d}, {code}) must fall on one of "
                "the weekdays."
            ]
        if data.until is not None:
            if data.until < local_start.date():
                problems["recurrence.until"] = ["Must not be before the first occurrence."]
            elif data.until > local_start.date() + MAX_SERIES_SPAN:
                problems["recurrence.until"] = [f"At most {MAX_SERIES_YEARS} years ahead."]
    if data.session_type_id is not None:
        session_type = db.session.get(SessionType, data.session_type_id)
        if (
            session_type is None
            or session_type.coach_id != coach.id
            or session_type.deleted_at is not None
        ):
            problems["session_type_id"] = ["Not one of your session types."]
    if problems:
        raise validation_error(problems)
