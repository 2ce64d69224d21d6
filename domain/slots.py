"""Free time and bookable start times (SPEC section 4, "Availability").

Free time is the windows' occurrences minus the blocked ranges of active bookings (each
already widened by its session type's buffers): the seed's "slot splitting", computed
instead of stored. A start is bookable when the session itself lies inside one occurrence
that admits the session type, and its own buffered range overlaps no other active
booking's buffered range (buffers stack).

Internally times are integer UTC seconds: a month of 15-minute candidates is a few
thousand integer comparisons, not datetime arithmetic.
"""

from __future__ import annotations

from bisect import bisect_right
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from domain.recurrence import Occurrence

GRID_SECONDS = 15 * 60


@dataclass(frozen=True)
class Busy:
    """An active booking's blocked range (buffers included). Seats of one group session
    share a ``slot_key``."""

    start: datetime
    end: datetime
    slot_key: str = ""


@dataclass(frozen=True)
class FreeSpan:
    window_id: int
    occurrence: datetime
    start: datetime
    end: datetime
    session_type_id: int | None
    instant_booking: bool


@dataclass(frozen=True)
class SlotRules:
    """What the chosen session type and duration require of a start time."""

    session_type_id: int
    duration_minutes: int
    buffer_before_minutes: int = 0
    buffer_after_minutes: int = 0
    min_notice_minutes: int = 120
    max_advance_days: int = 90
    firm_booking: str = "everyone"
    is_group: bool = False
    max_attendees: int = 1


@dataclass(frozen=True)
class Slot:
    start: datetime
    end: datetime
    kind: str  # "firm" | "request"
    seats_left: int | None = None


def group_slot_key(window_id: int, occurrence: datetime) -> str:
    """The key all seats of one group session share."""
    return f"g-{window_id}-{occurrence.astimezone(UTC):%Y%m%dT%H%M%SZ}"


def is_firm(instant_booking: bool, firm_booking: str, viewer_connected: bool) -> bool:
    """SPEC 4: firm when the window books instantly and the type's rule admits the client."""
    if not instant_booking:
        return False
    return firm_booking == "everyone" or (firm_booking == "connected" and viewer_connected)


def free_time(occurrences: Iterable[Occurrence], busy: Sequence[Busy]) -> list[FreeSpan]:
    """Each occurrence minus the busy ranges, in start order; untouched ones come back whole."""
    merged = _merge([(_ts(b.start), _ts(b.end)) for b in busy])
    ends = [e for _, e in merged]
    spans = []
    for occ in occurrences:
        for start, end in _subtract(_ts(occ.start), _ts(occ.end), merged, ends):
            spans.append(
                FreeSpan(
                    occ.window_id,
                    occ.occurrence,
                    _dt(start),
                    _dt(end),
                    occ.session_type_id,
                    occ.instant_booking,
                )
            )
    spans.sort(key=lambda s: s.start)
    return spans


def bookable_slots(
    occurrences: Iterable[Occurrence],
    busy: Sequence[Busy],
    rules: SlotRules,
    *,
    now: datetime,
    range_start: datetime,
    range_end: datetime,
    timezone: str,
    viewer_connected: bool = False,
) -> list[Slot]:
    """Every bookable start in [range_start, range_end) for this type and duration."""
    earliest = max(_ts_ceil(now) + rules.min_notice_minutes * 60, _ts_ceil(range_start))
    latest = min(_ts(now + timedelta(days=rules.max_advance_days)), _ts_ceil(range_end) - 1)
    admitted = [o for o in occurrences if _admits(o, rules)]
    if rules.is_group:
        return _group_slots(admitted, busy, rules, earliest, latest, viewer_connected)
    merged = _merge([(_ts(b.start), _ts(b.end)) for b in busy])
    starts = [s for s, _ in merged]
    ends = [e for _, e in merged]
    duration = rules.duration_minutes * 60
    before, after = rules.buffer_before_minutes * 60, rules.buffer_after_minutes * 60
    zone = ZoneInfo(timezone)
    slots = []
    for occ in admitted:
        kind = (
            "firm"
            if is_firm(occ.instant_booking, rules.firm_booking, viewer_connected)
            else "request"
        )
        first = _grid_ceil(max(_ts(occ.start), earliest), zone)
        last = min(_ts(occ.end) - duration, latest)
        for start in range(first, last + 1, GRID_SECONDS):
            blocked_start, blocked_end = start - before, start + duration + after
            i = bisect_right(ends, blocked_start)  # first busy range ending after it begins
            if i < len(starts) and starts[i] < blocked_end:
                continue
            slots.append(Slot(_dt(start), _dt(start + duration), kind))
    slots.sort(key=lambda s: s.start)
    return _unique(slots)


def _group_slots(admitted, busy, rules, earliest, latest, viewer_connected) -> list[Slot]:
    """One slot per group session (occurrence) with seats left and no other booking in the way."""
    slots = []
    duration = rules.duration_minutes * 60
    for occ in admitted:
        start = _ts(occ.start)
        if not earliest <= start <= latest or start + duration > _ts(occ.end):
            continue
        key = group_slot_key(occ.window_id, occ.occurrence)
        blocked = (
            start - rules.buffer_before_minutes * 60,
            start + duration + rules.buffer_after_minutes * 60,
        )
        taken = sum(1 for b in busy if b.slot_key == key)
        clash = any(
            b.slot_key != key and _ts(b.start) < blocked[1] and _ts(b.end) > blocked[0]
            for b in busy
        )
        if clash or taken >= rules.max_attendees:
            continue
        kind = (
            "firm"
            if is_firm(occ.instant_booking, rules.firm_booking, viewer_connected)
            else "request"
        )
        slots.append(Slot(occ.start, _dt(start + duration), kind, rules.max_attendees - taken))
    return slots


def _admits(occ: Occurrence, rules: SlotRules) -> bool:
    if rules.is_group:
        return occ.session_type_id == rules.session_type_id
    return occ.session_type_id is None or occ.session_type_id == rules.session_type_id


def _grid_ceil(ts: int, zone: ZoneInfo) -> int:
    """Round up to the coach's local 15-minute grid (every zone's offset is a multiple of
    15 minutes today, but the local clock is what the grid means)."""
    offset = int(_dt(ts).astimezone(zone).utcoffset().total_seconds())
    local = ts + offset
    return ts + (-local) % GRID_SECONDS


def _merge(ranges: list[tuple[int, int]]) -> list[tuple[int, int]]:
    ranges.sort()
    merged: list[tuple[int, int]] = []
    for start, end in ranges:
        if merged and start <= merged[-1][1]:
            if end > merged[-1][1]:
                merged[-1] = (merged[-1][0], end)
        else:
            merged.append((start, end))
    return merged


def _subtract(start: int, end: int, merged: list[tuple[int, int]], ends: list[int]):
    """[start, end) minus the merged busy ranges; ``ends`` are their ends, for bisecting."""
    pieces = []
    cursor = start
    i = bisect_right(ends, start)
    for busy_start, busy_end in merged[i:]:
        if busy_start >= end:
            break
        if busy_start > cursor:
            pieces.append((cursor, busy_start))
        cursor = max(cursor, busy_end)
    if cursor < end:
        pieces.append((cursor, end))
    return pieces


def _unique(slots: list[Slot]) -> list[Slot]:
    """Overlapping windows may offer the same start twice; keep one, firm before request."""
    best: dict[datetime, Slot] = {}
    for slot in slots:
        kept = best.get(slot.start)
        if kept is None or (kept.kind == "request" and slot.kind == "firm"):
            best[slot.start] = slot
    return sorted(best.values(), key=lambda s: s.start)


def _ts(value: datetime) -> int:
    return int(value.timestamp())


def _ts_ceil(value: datetime) -> int:
    """Whole seconds rounded up: a start may not precede ``now + notice`` by a microsecond."""
    return _ts(value) + (1 if value.microsecond else 0)


def _dt(ts: int) -> datetime:
    return datetime.fromtimestamp(ts, UTC)
