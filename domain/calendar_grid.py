"""The calendar's layout: which local days a view shows, each day's real length, its hour
marks and the pieces of items placed on it. Pure: no Flask, no database.

A local day runs from its local midnight to the next local midnight, so a day with a
daylight-saving change lasts 23 or 25 hours; the hour marks are the instants whose local
time is on the hour (02:00 is missing on a spring-forward day and repeated on a fall-back
day). Positions are real elapsed minutes from the day's start. An item that crosses a
local midnight is split into one piece per day it touches.
"""

from __future__ import annotations

from bisect import bisect_right
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

VIEWS = ("month", "week", "day")
FIRST_YEAR, LAST_YEAR = 1971, 2199  # dates a calendar may show (no overflow at the edges)
QUARTER = timedelta(minutes=15)


@dataclass(frozen=True)
class Period:
    """What a view shows around the date asked for, and where previous/next lead."""

    view: str
    anchor: date
    first: date
    count: int
    previous: date
    next: date

    @property
    def last(self) -> date:
        return self.first + timedelta(days=self.count - 1)


@dataclass(frozen=True)
class HourMark:
    offset: int  # minutes from the day's start
    local: datetime  # the local time at that instant (aware)
    repeated: bool = False  # the second of two equal labels (the hour clocks go back)


@dataclass(frozen=True)
class Day:
    """One local day: its UTC bounds and its real length in minutes."""

    date: date
    start: datetime
    end: datetime

    @property
    def minutes(self) -> int:
        return int((self.end - self.start).total_seconds() // 60)

    def offset(self, moment: datetime) -> int:
        """Minutes from the day's start to ``moment``, clamped to the day."""
        moment = min(max(moment, self.start), self.end)
        return int((moment - self.start).total_seconds() // 60)


@dataclass(frozen=True)
class Piece:
    """The part of an item that lies on one day, with its position on that day."""

    item: object
    start: datetime
    end: datetime
    top: int
    height: int
    continues_before: bool
    continues_after: bool


def period(view: str, anchor: date) -> Period:
    """The days a month, week (Monday first) or day view shows around ``anchor``."""
    if view == "day":
        return Period(view, anchor, anchor, 1, anchor - timedelta(days=1), anchor + timedelta(1))
    if view == "week":
        first = anchor - timedelta(days=anchor.weekday())
        return Period(view, anchor, first, 7, anchor - timedelta(7), anchor + timedelta(7))
    if view != "month":
        raise ValueError(f"unknown view {view!r}")
    month_start = anchor.replace(day=1)
    next_month = (month_start + timedelta(days=32)).replace(day=1)
    previous_month = (month_start - timedelta(days=1)).replace(day=1)
    first = month_start - timedelta(days=month_start.weekday())
    last_day = next_month - timedelta(days=1)
    last = last_day + timedelta(days=6 - last_day.weekday())
    return Period(view, anchor, first, (last - first).days + 1, previous_month, next_month)


def in_bounds(day: date) -> bool:
    """Dates whose months and weeks can be computed without running off the calendar."""
    return FIRST_YEAR <= day.year <= LAST_YEAR


def local_midnight(day: date, zone: ZoneInfo) -> datetime:
    """The first instant (UTC) of a local date. A midnight that does not exist (a zone
    that springs forward at 00:00) resolves to the end of the gap, the day's first instant."""
    return datetime.combine(day, time(0), tzinfo=zone).replace(fold=0).astimezone(UTC)


def days(first: date, count: int, zone: ZoneInfo) -> list[Day]:
    bounds = [local_midnight(first + timedelta(days=n), zone) for n in range(count + 1)]
    return [Day(first + timedelta(days=n), bounds[n], bounds[n + 1]) for n in range(count)]


def hour_marks(day: Day, zone: ZoneInfo) -> list[HourMark]:
    """Every instant of the day whose local time is on the hour, from the actual clock:
    hour by hour from midnight, or by quarter hours in a zone that shifts by 30 minutes."""
    moments = _steps(day, zone, timedelta(hours=1))
    if any(local.minute for _, local in moments):
        moments = [(m, local) for m, local in _steps(day, zone, QUARTER) if not local.minute]
    marks, seen = [], set()
    for moment, local in moments:
        marks.append(HourMark(day.offset(moment), local, local.hour in seen))
        seen.add(local.hour)
    return marks


def _steps(day: Day, zone: ZoneInfo, step: timedelta) -> list[tuple[datetime, datetime]]:
    steps, moment = [], day.start
    while moment < day.end:
        steps.append((moment, moment.astimezone(zone)))
        moment += step
    return steps


def split(
    items: Iterable,
    days_shown: list[Day],
    start_of: Callable = lambda item: item.start,
    end_of: Callable = lambda item: item.end,
) -> list[list[Piece]]:
    """Each item cut at local midnights: one list of pieces per day, in item order."""
    placed: list[list[Piece]] = [[] for _ in days_shown]
    if not days_shown:
        return placed
    starts = [d.start for d in days_shown]
    for item in items:
        begin, finish = start_of(item), end_of(item)
        if finish <= days_shown[0].start or begin >= days_shown[-1].end:
            continue
        index = max(bisect_right(starts, begin) - 1, 0)
        while index < len(days_shown) and days_shown[index].start < finish:
            day = days_shown[index]
            if day.end > begin:
                placed[index].append(place(item, day, begin, finish))
            index += 1
    return placed


def place(item, day: Day, begin: datetime, finish: datetime) -> Piece:
    """The piece of [begin, finish) that lies on ``day`` (they must overlap)."""
    start, end = max(begin, day.start), min(finish, day.end)
    top = day.offset(start)
    return Piece(
        item, start, end, top, max(day.offset(end) - top, 1), begin < day.start, finish > day.end
    )


def weeks(first: date, count: int) -> list[list[date]]:
    """The month grid's rows: seven dates each."""
    dates = [first + timedelta(days=n) for n in range(count)]
    return [dates[n : n + 7] for n in range(0, count, 7)]


def grid_ceil(moment: datetime, zone: ZoneInfo) -> datetime:
    """Round up to the quarter hour of ``zone``'s wall clock (the coach's booking grid)."""
    local = moment.astimezone(zone)
    extra = (local.minute % 15) * 60 + local.second + local.microsecond / 1e6
    if not extra:
        return moment
    return moment + timedelta(seconds=15 * 60 - extra)


def subtract(
    start: datetime, end: datetime, taken: Iterable[tuple[datetime, datetime]]
) -> list[tuple[datetime, datetime]]:
    """[start, end) minus the taken ranges, as sorted free runs."""
    runs = []
    cursor = start
    for taken_start, taken_end in sorted(taken):
        if taken_end <= cursor:
            continue
        if taken_start >= end:
            break
        if taken_start > cursor:
            runs.append((cursor, taken_start))
        cursor = max(cursor, taken_end)
    if cursor < end:
        runs.append((cursor, end))
    return runs


def lanes(pieces: list[Piece]) -> list[tuple[int, int]]:
    """Side-by-side lanes for the overlapping pieces of one day: ``(lane, lanes)`` per
    piece, in the pieces' order; pieces that overlap nothing get ``(0, 1)``."""
    placed = [(0, 1)] * len(pieces)
    order = sorted(range(len(pieces)), key=lambda i: (pieces[i].top, -pieces[i].height))
    cluster: list[int] = []
    lane_ends: list[int] = []
    cluster_end = 0
    for i in order:
        piece = pieces[i]
        if cluster and piece.top >= cluster_end:
            _close(placed, cluster, len(lane_ends))
            cluster, lane_ends, cluster_end = [], [], 0
        lane = next((k for k, end in enumerate(lane_ends) if end <= piece.top), len(lane_ends))
        if lane == len(lane_ends):
            lane_ends.append(0)
        lane_ends[lane] = piece.top + piece.height
        placed[i] = (lane, 1)
        cluster.append(i)
        cluster_end = max(cluster_end, piece.top + piece.height)
    _close(placed, cluster, len(lane_ends))
    return placed


def _close(placed: list[tuple[int, int]], cluster: list[int], count: int) -> None:
    for i in cluster:
        placed[i] = (placed[i][0], count)
