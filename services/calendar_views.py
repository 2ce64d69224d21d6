"""The coach calendar page (month, week, day) as its viewer may see it.

One read each of the coach, the active session types, the availability windows and the
active bookings around the days shown (plus, only when a type's firm rule needs it, the
viewer's connection): a constant few statements however many bookings there are. Bookable
starts for every session type shown come from that one read, with
``domain.slots.Bookability`` run per type in memory: the same rules as the slots API and
the booking itself. The privacy check is the API's (``require_calendar_view``).
"""

from __future__ import annotations

from bisect import bisect_right
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from functools import cached_property
from typing import NamedTuple
from zoneinfo import ZoneInfo

from domain import calendar_grid as grid
from domain import slots
from domain.errors import AppError
from models import SessionType, User
from models.types import utcnow
from services import calendar, catalog, connections
from services.visibility import is_connected, require_calendar_view, viewer_id_of

PENDING_STATUSES = frozenset({"requested", "pending_payment"})
STEP = timedelta(minutes=15)


@dataclass(frozen=True)
class CalendarQuery:
    view: str
    day: date | None  # None: today in the viewer's zone
    zone: str
    session_type_id: int | None


class Start(NamedTuple):
    """A bookable start time: the type it opens the booking modal with, firm or request.
    (A tuple: a month holds thousands.)"""

    start: datetime
    end: datetime
    session_type_id: int
    kind: str


@dataclass
class Entry:
    """Something shown on the time grid: free time (with its starts), a booking, busy."""

    kind: str  # free | pending | confirmed | own | busy
    start: datetime
    end: datetime
    title: str = ""
    status: str | None = None
    booking_id: int | None = None
    starts: list[Start] = field(default_factory=list)


@dataclass(frozen=True)
class Placed:
    """An entry's piece on one day, its lane among overlapping pieces, its starts."""

    piece: grid.Piece
    lane: int
    lanes: int
    starts: list[tuple[Start, int]]  # (start, minutes from the piece's start)

    @property
    def entry(self) -> Entry:
        return self.piece.item


@dataclass(frozen=True)
class Cell:
    """A run of empty time the viewer may click: from ``start`` (on the grid) ``until``."""

    start: datetime
    until: datetime


@dataclass
class Column:
    day: grid.Day
    zone: ZoneInfo
    placed: list[Placed]
    cells: list[grid.Piece]
    is_today: bool

    @cached_property
    def marks(self) -> list[grid.HourMark]:
        """Its hours as the local clock shows them (asked for the side's labels and for
        the days of 23 or 25 hours, which label their own)."""
        return grid.hour_marks(self.day, self.zone)


@dataclass
class CalendarPage:
    coach: User
    view: str
    zone: str
    period: grid.Period
    today: date
    now: datetime
    session_types: list[SessionType]
    selected: SessionType | None
    request_type: SessionType | None  # the type empty time is requested with
    is_owner: bool
    may_request: bool
    free_by_date: dict[date, int] = field(default_factory=dict)  # start times per day
    columns: list[Column] = field(default_factory=list)  # week and day
    weeks: list[list[date]] = field(default_factory=list)  # month
    day_lists: list[tuple[SessionType, list[Start]]] = field(default_factory=list)  # month

    def next_free_after(self, day: date) -> date | None:
        """The next day shown in the month with a bookable start, for the "next" hint."""
        return min((d for d in self.free_by_date if d > day), default=None)

    @property
    def axis(self) -> Column | None:
        """The column whose hour marks label the grid's side: a day of ordinary length
        when there is one (a 23- or 25-hour day labels its own hours)."""
        ordinary = [c for c in self.columns if c.day.minutes == 24 * 60]
        return (ordinary or self.columns or [None])[0]


def coach_calendar(viewer, slug: str, query: CalendarQuery, now: datetime | None = None):
    """The page for ``slug``: 404 exactly as the API's when the viewer may not see it."""
    coach = require_calendar_view(viewer, connections.find_coach_by_slug(slug))
    types = catalog.active_session_types(coach)
    page = _page(viewer, coach, types, query, now or utcnow())
    zone = ZoneInfo(query.zone)
    days = grid.days(page.period.first, page.period.count, zone)
    if page.view == "month":  # the grid's days of the neighbouring months stay unmarked
        days = [d for d in days if d.date.month == page.period.anchor.month]
    occurrences, bookings, busy = _read(page, types, days[0].start, days[-1].end)
    shown = [page.selected] if page.selected else types
    connected = _viewer_connected(viewer, coach, shown, page.is_owner)
    per_type = _slots(coach, shown, occurrences, busy, days, page.now, connected)
    page.free_by_date = _count_by_day(per_type, days)
    if page.view == "month":
        page.weeks = grid.weeks(page.period.first, page.period.count)
        page.day_lists = _day_lists(shown, per_type, days, page.period.anchor)
        return page
    free = _free_entries(occurrences, busy, page.selected, types, _merged(per_type))
    entries = free + _booking_entries(bookings, viewer_id_of(viewer), page.is_owner)
    page.columns = _columns(page, days, zone, entries, occurrences, bookings)
    return page


def _page(viewer, coach: User, types, query: CalendarQuery, now: datetime) -> CalendarPage:
    """What the page is about: the period, the viewer's part, the types on offer."""
    selected = _selected(types, query.session_type_id)
    today = now.astimezone(ZoneInfo(query.zone)).date()
    viewer_id = viewer_id_of(viewer)
    request_type = _request_type(selected, types)
    return CalendarPage(
        coach=coach,
        view=query.view,
        zone=query.zone,
        period=grid.period(query.view, query.day or today),
        today=today,
        now=now,
        session_types=types,
        selected=selected,
        request_type=request_type,
        is_owner=viewer_id == coach.id,
        may_request=request_type is not None and viewer_id not in (None, coach.id),
    )


def _selected(types: list[SessionType], session_type_id: int | None) -> SessionType | None:
    if session_type_id is None:
        return None
    for session_type in types:
        if session_type.id == session_type_id:
            return session_type
    message = "This coach offers no such session type. Choose one from the list."
    raise AppError("validation_error", message, {"type": [message]})


def _request_type(selected: SessionType | None, types: list[SessionType]):
    """Empty time is requested with the chosen type, else the first one-on-one type."""
    candidates = [selected] if selected else types
    return next((t for t in candidates if t.format != "group"), None)


def _read(page: CalendarPage, types, start: datetime, end: datetime):
    """Availability and active bookings around [start, end): wide enough for the longest
    session and the largest buffers of the types shown, so the starts near the edges are
    decided with everything that could stand in their way. The month shows no bookings:
    it reads only their blocked ranges (``busy_in_range``), as the slots API does."""
    before = max((t.buffer_before_minutes for t in types), default=0)
    after = max((t.duration_max + t.buffer_after_minutes for t in types), default=0)
    earlier, later = start - timedelta(minutes=before), end + timedelta(minutes=after)
    occurrences = calendar.occurrences(page.coach.id, start, later)
    if page.view == "month":
        return occurrences, [], calendar.busy_in_range(page.coach.id, earlier, later)
    bookings = calendar.calendar_bookings_named(
        page.coach.id, earlier, later, with_client_names=page.is_owner
    )
    return occurrences, bookings, calendar.busy_of(bookings)


def _viewer_connected(viewer, coach: User, types, is_owner: bool) -> bool:
    """Does a "connected" firm rule admit this viewer? Asked only when a type needs it;
    on a "connected" calendar the viewer's being here already says yes."""
    if is_owner or viewer_id_of(viewer) is None:
        return False
    if not any(calendar.needs_connection(t.firm_booking) for t in types):
        return False
    return coach.calendar_privacy == "connected" or is_connected(viewer, coach)


def _slots(coach, types, occurrences, busy, days, now, connected) -> dict[int, list]:
    """Every bookable start in the days shown, per type: ``domain.slots.Bookability``
    over the one read, as the slots API and the booking decide them."""
    per_type = {}
    for session_type in types:
        rules = calendar.slot_rules(session_type, session_type.duration_default)
        bookability = slots.Bookability(
            occurrences,
            busy,
            rules,
            now=now,
            timezone=coach.timezone,
            viewer_connected=connected,
        )
        per_type[session_type.id] = bookability.slots(days[0].start, days[-1].end)
    return per_type


def _merged(per_type: dict[int, list]) -> list[Start]:
    """One start per instant: the first type (firm before request) that may start there."""
    best: dict[datetime, Start] = {}
    for type_id, found in per_type.items():
        for slot in found:
            kept = best.get(slot.start)
            if kept is None or (kept.kind == "request" and slot.kind == "firm"):
                best[slot.start] = Start(slot.start, slot.end, type_id, slot.kind)
    return sorted(best.values(), key=lambda s: s.start)


def _day_lists(types, per_type, days: list[grid.Day], anchor: date):
    """The picked day's starts, type by type (the month view lists them beside the grid)."""
    day = next((d for d in days if d.date == anchor), None)
    lists = []
    for session_type in types if day else ():
        starts = [
            Start(s.start, s.end, session_type.id, s.kind)
            for s in per_type[session_type.id]
            if day.start <= s.start < day.end
        ]
        if starts:
            lists.append((session_type, starts))
    return lists


def _count_by_day(per_type: dict[int, list], days: list[grid.Day]) -> dict[date, int]:
    """How many distinct start times each local day has (found by the days' bounds)."""
    found: dict[int, set] = {}
    bounds = [d.start for d in days]
    for slots_of_type in per_type.values():
        for slot in slots_of_type:
            index = bisect_right(bounds, slot.start) - 1
            if index >= 0 and slot.start < days[index].end:
                found.setdefault(index, set()).add(slot.start)
    return {days[index].date: len(starts) for index, starts in found.items()}


def _admits(span: slots.FreeSpan, selected: SessionType | None) -> bool:
    if selected is None:
        return True
    if selected.format == "group":
        return span.session_type_id == selected.id
    return span.session_type_id in (None, selected.id)


def _free_entries(occurrences, busy, selected, types, starts: list[Start]) -> list[Entry]:
    """Free time after splitting (overlapping windows merged), each with its starts; a
    start outside it (a group session with seats left) stands on its own."""
    names = {t.id: t.name for t in types}
    entries: list[Entry] = []
    for span in slots.free_time(occurrences, busy):
        if not _admits(span, selected):
            continue
        if entries and span.start <= entries[-1].end:
            entries[-1].end = max(entries[-1].end, span.end)
            continue
        title = "Free" if span.session_type_id is None else names.get(span.session_type_id, "")
        entries.append(Entry("free", span.start, span.end, title or "Free"))
    begins = [e.start for e in entries]
    for start in starts:
        i = bisect_right(begins, start.start) - 1
        if i >= 0 and start.start < entries[i].end:
            entries[i].starts.append(start)
        else:
            entries.append(Entry("free", start.start, start.end, names[start.session_type_id]))
            entries[-1].starts.append(start)
    return entries


def _booking_entries(bookings, viewer_id: int | None, is_owner: bool) -> list[Entry]:
    """The coach sees names and statuses; a client their own sessions; everyone else
    only anonymous busy blocks, one per time (group seats share it)."""
    entries: list[Entry] = []
    busy_seen: set[tuple[datetime, datetime]] = set()
    for b in bookings:
        if is_owner:
            kind = "pending" if b.status in PENDING_STATUSES else "confirmed"
            title = f"{b.client_name} · {b.session_type_name}"
            entries.append(Entry(kind, b.start_at, b.end_at, title, b.status, b.id))
        elif viewer_id is not None and b.client_id == viewer_id:
            entries.append(Entry("own", b.start_at, b.end_at, b.session_type_name, b.status, b.id))
        elif (b.start_at, b.end_at) not in busy_seen:
            busy_seen.add((b.start_at, b.end_at))
            entries.append(Entry("busy", b.start_at, b.end_at, "Busy"))
    return entries


def _columns(page: CalendarPage, days, zone, entries, occurrences, bookings) -> list[Column]:
    pieces_by_day = grid.split(sorted(entries, key=lambda e: e.start), days)
    cells_by_day = _cells(page, days, entries, occurrences, bookings)
    columns = []
    for day, pieces, cells in zip(days, pieces_by_day, cells_by_day, strict=True):
        placed = [
            Placed(piece, lane, count, _starts_in(piece))
            for piece, (lane, count) in zip(pieces, grid.lanes(pieces), strict=True)
        ]
        columns.append(Column(day, zone, placed, cells, day.date == page.today))
    return columns


def _starts_in(piece: grid.Piece) -> list[tuple[Start, int]]:
    return [
        (s, int((s.start - piece.start).total_seconds() // 60))
        for s in piece.item.starts
        if piece.start <= s.start < piece.end
    ]


def _cells(page: CalendarPage, days, entries, occurrences, bookings):
    """Per day, the runs of empty future time the viewer may click (calendar.js opens the
    quarter hour clicked): a client asks for it (a request outside availability), the
    coach adds availability there."""
    cells: list[list[grid.Piece]] = [[] for _ in days]
    if not (page.is_owner or page.may_request):
        return cells
    earliest, latest = page.now, days[-1].end
    if not page.is_owner:
        rules = page.request_type
        earliest = page.now + timedelta(minutes=rules.min_notice_minutes)
        latest = min(latest, page.now + timedelta(days=rules.max_advance_days))
    taken = [(e.start, e.end) for e in entries]
    taken += [(b.blocked_start_at, b.blocked_end_at) for b in bookings]
    if page.is_owner:
        taken += [(o.start, o.end) for o in occurrences]
    taken.sort()
    coach_zone = ZoneInfo(page.coach.timezone)
    for index, day in enumerate(days):
        low, high = max(day.start, earliest), min(day.end, latest)
        for start, end in grid.subtract(low, high, taken) if low < high else ():
            start = grid.grid_ceil(start, coach_zone)
            if end - start >= STEP:
                cells[index].append(grid.place(Cell(start, end), day, start, end))
    return cells
