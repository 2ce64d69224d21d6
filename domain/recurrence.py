"""Availability windows expanded into concrete UTC occurrences for a requested range.

A weekly window keeps its local wall-clock times in the coach's IANA zone: 09:00-17:00
stays 09:00-17:00 local across daylight-saving changes. dateutil's rrule enumerates the
local dates; each local time is then resolved in the zone.

DST rule (deterministic): a local time that does not exist (in a spring-forward gap) is
moved forward by the gap, as a wall clock would be (02:30 on a day that jumps from 02:00 to
03:00 becomes 03:30); a local time that occurs twice (in a fall-back overlap) is the
first of the two instants (``fold=0``, the earlier one).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from dateutil.rrule import FR, MO, SA, SU, TH, TU, WE, WEEKLY, rrule

WEEKDAYS = {"MO": MO, "TU": TU, "WE": WE, "TH": TH, "FR": FR, "SA": SA, "SU": SU}
WEEKDAY_CODES = tuple(WEEKDAYS)


@dataclass(frozen=True)
class OccurrenceEdit:
    """An exception for one occurrence: deleted, or moved/edited (new UTC range)."""

    kind: str  # "deleted" | "modified"
    start: datetime | None = None
    end: datetime | None = None
    instant_booking: bool | None = None


@dataclass(frozen=True)
class Window:
    """An availability window as plain values (``start``/``end`` aware, first occurrence)."""

    id: int
    start: datetime
    end: datetime
    timezone: str
    session_type_id: int | None = None
    instant_booking: bool = True
    weekdays: tuple[str, ...] | None = None
    until: date | None = None
    count: int | None = None
    edits: Mapping[datetime, OccurrenceEdit] = field(default_factory=dict)


@dataclass(frozen=True)
class Occurrence:
    """One concrete stretch of availability in UTC. ``occurrence`` is its original start,
    the key for editing or deleting just this one."""

    window_id: int
    occurrence: datetime
    start: datetime
    end: datetime
    session_type_id: int | None
    instant_booking: bool


def resolve_local(day: date, wall: time, zone: ZoneInfo) -> datetime:
    """The UTC instant of a wall-clock time on a day, by the DST rule above."""
    # fold=0 picks the offset in force before a transition: for a time in a gap that lands
    # the instant after the gap by exactly its length; for a repeated time, the first one.
    return datetime.combine(day, wall, tzinfo=zone).replace(fold=0).astimezone(UTC)


def series_end(window: Window) -> datetime | None:
    """The end (UTC) of the last occurrence, or None for a series without end."""
    if window.weekdays is None:
        return window.end
    if window.until is None and window.count is None:
        return None
    zone = ZoneInfo(window.timezone)
    local_start = window.start.astimezone(zone)
    local_end = window.end.astimezone(zone)
    rule = _rule(window, local_start)
    last = rule[-1] if window.count is not None else rule.before(_until_bound(window), inc=True)
    if last is None:
        return window.end
    span_days = (local_end.date() - local_start.date()).days
    end_wall = local_end.time().replace(tzinfo=None)
    return resolve_local(last.date() + timedelta(days=span_days), end_wall, zone)


def expand(window: Window, range_start: datetime, range_end: datetime) -> list[Occurrence]:
    """The window's occurrences that overlap [range_start, range_end), edits applied."""
    if window.weekdays is None:
        candidates: Iterable[tuple[datetime, datetime]] = [(window.start, window.end)]
    else:
        candidates = _weekly(window, range_start, range_end)
    result = []
    for original_start, original_end in candidates:
        occurrence = _apply_edit(window, original_start, original_end)
        if occurrence is not None and occurrence.start < range_end and occurrence.end > range_start:
            result.append(occurrence)
    # Moved occurrences may come from outside the scanned dates.
    seen = {o.occurrence for o in result}
    for original_start, edit in window.edits.items():
        moved_in = edit.kind == "modified" and edit.start < range_end and edit.end > range_start
        if moved_in and original_start not in seen:
            result.append(_edited(window, original_start, edit))
    result.sort(key=lambda o: o.start)
    return result


def expand_all(windows: Iterable[Window], range_start: datetime, range_end: datetime):
    """Occurrences of many windows in the range, sorted by start."""
    occurrences = [o for w in windows for o in expand(w, range_start, range_end)]
    occurrences.sort(key=lambda o: o.start)
    return occurrences


def _weekly(window: Window, range_start: datetime, range_end: datetime):
    zone = ZoneInfo(window.timezone)
    local_start = window.start.astimezone(zone)
    local_end = window.end.astimezone(zone)
    span_days = (local_end.date() - local_start.date()).days
    start_wall = local_start.time().replace(tzinfo=None)
    end_wall = local_end.time().replace(tzinfo=None)
    # Occurrences starting up to a day before the range may still reach into it.
    duration = window.end - window.start
    after = (range_start - duration - timedelta(days=1)).astimezone(zone).replace(tzinfo=None)
    before = (range_end + timedelta(days=1)).astimezone(zone).replace(tzinfo=None)
    rule = _rule_from(window, local_start, after)
    if rule is None:
        return
    for local in rule.between(after, before, inc=True):
        start = resolve_local(local.date(), start_wall, zone)
        end = resolve_local(local.date() + timedelta(days=span_days), end_wall, zone)
        if end > start:
            yield start, end


def _rule(window: Window, local_start: datetime, skip_weeks: int = 0) -> rrule | None:
    """The series as an rrule on local wall-clock times, optionally starting ``skip_weeks``
    whole weeks later (fewer dates to walk through; a count shrinks by the occurrences
    skipped). None when the count is used up by then."""
    count = window.count
    if skip_weeks and count is not None:
        # The first occurrence falls on one of the weekdays, so every week from it holds
        # each weekday exactly once.
        count -= skip_weeks * len(set(window.weekdays))
        if count <= 0:
            return None
    return rrule(
        WEEKLY,
        byweekday=[WEEKDAYS[code] for code in window.weekdays],
        dtstart=local_start.replace(tzinfo=None) + timedelta(weeks=skip_weeks),
        until=_until_bound(window),
        count=count,
    )


def _rule_from(window: Window, local_start: datetime, after: datetime) -> rrule | None:
    """The series' rule starting at the last whole week before ``after`` (local, naive):
    expanding a long-running series costs the same in its first week as in its third year."""
    weeks = max(0, (after - local_start.replace(tzinfo=None)).days // 7)
    return _rule(window, local_start, weeks)


def _until_bound(window: Window) -> datetime | None:
    if window.until is None:
        return None
    return datetime.combine(window.until, time(23, 59, 59))


def _apply_edit(window: Window, start: datetime, end: datetime) -> Occurrence | None:
    edit = window.edits.get(start)
    if edit is None:
        return Occurrence(
            window.id, start, start, end, window.session_type_id, window.instant_booking
        )
    if edit.kind == "deleted":
        return None
    return _edited(window, start, edit)


def _edited(window: Window, original_start: datetime, edit: OccurrenceEdit) -> Occurrence:
    instant = window.instant_booking if edit.instant_booking is None else edit.instant_booking
    return Occurrence(
        window.id, original_start, edit.start, edit.end, window.session_type_id, instant
    )
