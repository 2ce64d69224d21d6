"""Free time and bookable start times (SPEC section 4, "Availability").

Free time is the windows' occurrences minus the blocked ranges of active bookings (each
already widened by its session type's buffers): the seed's "slot splitting", computed
instead of stored. A start is bookable when it keeps the minimum notice, the maximum advance and
the coach's local 15-minute grid, the session itself lies inside one occurrence that admits
the session type (a request may also lie outside availability), and its own buffered range
overlaps no other active booking's buffered range (buffers stack). ``Bookability`` decides
it, for the listing and for every write alike.

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
    client_id: int | None = None


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


class Unbookable(Exception):
    """Why a start cannot be booked. A ``timing`` reason (notice, advance, grid) is the
    caller's mistake (400); any other means the time is not free (409)."""

    TIMING = frozenset({"notice", "advance", "grid"})

    def __init__(self, reason: str, message: str):
        super().__init__(message)
        self.reason = reason
        self.message = message

    @property
    def timing(self) -> bool:
        return self.reason in self.TIMING


@dataclass(frozen=True)
class Verdict:
    """A bookable start: firm or request, the availability occurrence it lies in (None
    for a request outside availability) and, for a group session, the seats' shared key."""

    kind: str
    occurrence: Occurrence | None
    group_key: str | None = None


class Bookability:
    """The one answer to "may this start be booked?", for the slot listing and for every
    write that takes time (booking, suggesting, choosing, rescheduling).

    Built from the coach's availability occurrences and the active bookings around the
    time (``busy``, their buffered ranges), the session type's rules and the moment.
    ``busy=None`` says the database itself refuses overlapping one-to-one bookings
    (PostgreSQL's exclusion constraint): only group seats are then counted here.
    """

    def __init__(
        self,
        occurrences: Iterable[Occurrence],
        busy: Sequence[Busy] | None,
        rules: SlotRules,
        *,
        now: datetime,
        timezone: str,
        viewer_connected: bool = False,
    ):
        self.rules = rules
        self.now = now
        self.zone = ZoneInfo(timezone)
        self.viewer_connected = viewer_connected
        self.admitted = [o for o in occurrences if _admits(o, rules)]
        self.busy = busy
        merged = _merge([(_ts(b.start), _ts(b.end)) for b in busy or ()])
        self._starts = [s for s, _ in merged]
        self._ends = [e for _, e in merged]
        self._duration = rules.duration_minutes * 60
        self._before = rules.buffer_before_minutes * 60
        self._after = rules.buffer_after_minutes * 60

    # --- one start ---------------------------------------------------------------

    def decide(
        self, start: datetime, *, client_id: int | None = None, outside_ok: bool = False
    ) -> Verdict:
        """The verdict for ``start``, or ``Unbookable``: timing first, then the time."""
        self.check_timing(start)
        return self.decide_time(start, client_id=client_id, outside_ok=outside_ok)

    def check_timing(self, start: datetime) -> None:
        """After the minimum notice, within the maximum advance, on the coach's local
        15-minute grid. Compared before any conversion: a date near year 1 or 9999 would
        overflow in the coach's zone."""
        rules = self.rules
        if start < self.now + timedelta(minutes=rules.min_notice_minutes):
            raise Unbookable("notice", f"Book at least {rules.min_notice_minutes} minutes ahead.")
        if start > self.now + timedelta(days=rules.max_advance_days):
            raise Unbookable("advance", f"Book at most {rules.max_advance_days} days ahead.")
        local = start.astimezone(self.zone)
        if local.minute % 15 or local.second or local.microsecond:
            raise Unbookable("grid", "Start on the quarter hour (:00, :15, :30, :45).")

    def decide_time(
        self, start: datetime, *, client_id: int | None = None, outside_ok: bool = False
    ) -> Verdict:
        """Is the time itself free? Inside an occurrence that admits the type (or, with
        ``outside_ok``, anywhere: then a request), clear of other bookings' buffered
        ranges, with a seat left in a group session. Timing is not checked here."""
        begin = _ts(start)
        if self.rules.is_group:
            return self._group_verdict(begin, client_id)
        containing = [o for o in self.admitted if _ts(o.start) <= begin < _ts(o.end)]
        containing = [o for o in containing if begin + self._duration <= _ts(o.end)]
        if not containing and not outside_ok:
            raise Unbookable("outside", "This time is not within the coach's availability.")
        if self.busy is not None and self._clashes(begin):
            raise Unbookable("taken", "This time has just been booked.")
        if not containing:
            return Verdict("request", None)
        best = max(containing, key=lambda o: self._kind(o) == "firm")
        return Verdict(self._kind(best), best)

    # --- the listing -------------------------------------------------------------

    def slots(self, range_start: datetime, range_end: datetime) -> list[Slot]:
        """Every bookable start in [range_start, range_end), by the same rules."""
        now, rules = self.now, self.rules
        earliest = max(_ts_ceil(now) + rules.min_notice_minutes * 60, _ts_ceil(range_start))
        latest = min(_ts(now + timedelta(days=rules.max_advance_days)), _ts_ceil(range_end) - 1)
        if rules.is_group:
            return self._group_slots(earliest, latest)
        found = []
        for occ in self.admitted:
            kind = self._kind(occ)
            first = _grid_ceil(max(_ts(occ.start), earliest), self.zone)
            last = min(_ts(occ.end) - self._duration, latest)
            for start in range(first, last + 1, GRID_SECONDS):
                if not self._clashes(start):
                    found.append(Slot(_dt(start), _dt(start + self._duration), kind))
        found.sort(key=lambda s: s.start)
        return _unique(found)

    # --- shared by both ----------------------------------------------------------

    def _kind(self, occ: Occurrence) -> str:
        firm = is_firm(occ.instant_booking, self.rules.firm_booking, self.viewer_connected)
        return "firm" if firm else "request"

    def _clashes(self, start: int) -> bool:
        """Does [start - buffer before, end + buffer after) overlap a busy range?"""
        blocked_start, blocked_end = start - self._before, start + self._duration + self._after
        i = bisect_right(self._ends, blocked_start)  # first busy range ending after it begins
        return i < len(self._starts) and self._starts[i] < blocked_end

    def _seats(self, occ: Occurrence) -> tuple[str, list[Busy], bool]:
        """A group session's key, its taken seats, and whether another booking clashes."""
        key = group_slot_key(occ.window_id, occ.occurrence)
        start = _ts(occ.start)
        low, high = start - self._before, start + self._duration + self._after
        seats = [b for b in self.busy or () if b.slot_key == key]
        clash = any(
            b.slot_key != key and _ts(b.start) < high and _ts(b.end) > low for b in self.busy or ()
        )
        return key, seats, clash

    def _group_verdict(self, begin: int, client_id: int | None) -> Verdict:
        occ = next(
            (
                o
                for o in self.admitted
                if _ts(o.start) == begin and begin + self._duration <= _ts(o.end)
            ),
            None,
        )
        if occ is None:
            raise Unbookable("outside", "This time is not within the coach's availability.")
        key, seats, clash = self._seats(occ)
        if client_id is not None and any(b.client_id == client_id for b in seats):
            raise Unbookable("seat_held", "You have a seat in this group session already.")
        if len(seats) >= self.rules.max_attendees:
            raise Unbookable("full", "This group session is full.")
        if clash:
            raise Unbookable("taken", "This time has just been booked.")
        return Verdict(self._kind(occ), occ, key)

    def _group_slots(self, earliest: int, latest: int) -> list[Slot]:
        """One slot per group session with seats left and no other booking in the way."""
        found = []
        for occ in self.admitted:
            start = _ts(occ.start)
            if not earliest <= start <= latest or start + self._duration > _ts(occ.end):
                continue
            _key, seats, clash = self._seats(occ)
            if clash or len(seats) >= self.rules.max_attendees:
                continue
            left = self.rules.max_attendees - len(seats)
            found.append(Slot(occ.start, _dt(start + self._duration), self._kind(occ), left))
        return found


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
    bookability = Bookability(
        occurrences, busy, rules, now=now, timezone=timezone, viewer_connected=viewer_connected
    )
    return bookability.slots(range_start, range_end)


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
