"""The load: visitors reading calendars, clients booking, coaches accepting requests; and
the phases that run them together for a fixed time.

- **readers** (anonymous, closed loop, no pause): in turn the month of slots over the API
  (``GET /api/bookings/<coach>/slots`` for June 2027, 60 minutes) and the month page
  (``GET /coaches/<slug>?view=month``) of the dense and of the real coach; latency per
  kind;
- **bookers** (closed loop): ``POST /api/bookings`` for a free time of a load coach. A
  ``SlotAllocator`` hands every (coach, start) out once, so bookings never race: any 409
  is an error. A share of them use the coach's ``request`` session type and wait for the
  coach;
- **acceptors**: the coaches' side, ``POST /api/bookings/<id>/accept`` for each request.

HTTP goes through ``clients`` (aiohttp by default, or httpx), a keep-alive pool per role.
A POST answered 502/503/504, or whose connection failed, is what a real client would
retry: it is sent once more. If the first attempt had committed, the retry gets 409
``slot_unavailable``: counted, and the booking looked for in the database afterwards.
Every first failure counts as an error.
"""

from __future__ import annotations

import asyncio
import itertools
import random
import time
from collections import Counter, deque
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field, replace
from datetime import datetime

from bench.load.clients import Http, RequestFailed, pool
from bench.load.config import LoadConfig
from bench.load.metrics import PhaseStats, watch_loop_lag
from bench.load.seed import Coach, Person, Seed, free_starts
from bench.load.sockets import EventTracker, Expected

RETRY_STATUSES = {502, 503, 504}
RETRY_DELAY = 0.2


class SlotAllocator:
    """Each (coach, start) exactly once, round-robin over the coaches and day by day
    through each coach's availability: a run never asks two clients for one time."""

    def __init__(self, coaches: list[Coach], first_day):
        self.coaches = coaches
        self.first_day = first_day
        self._turn = itertools.cycle(range(len(coaches)))
        self._days = [0] * len(coaches)
        self._free: list[deque[datetime]] = [deque() for _ in coaches]

    def take(self) -> tuple[Coach, datetime]:
        index = next(self._turn)
        free = self._free[index]
        if not free:
            free.extend(free_starts(self.first_day, self._days[index]))
            self._days[index] += 1
        return self.coaches[index], free.popleft()


@dataclass(frozen=True)
class Made:
    """A booking the API answered 201 for."""

    coach_id: int
    client_id: int
    start: datetime
    kind: str  # "instant" or "request"


@dataclass
class Ledger:
    """Everything the workload was told was stored, for the checks afterwards."""

    made: dict[int, Made] = field(default_factory=dict)
    accepted: set[int] = field(default_factory=set)
    # A retry answered 409: the first attempt (502 or a broken connection) had committed.
    ambiguous: list[tuple[int, int, datetime]] = field(default_factory=list)
    retries: Counter = field(default_factory=Counter)


def _iso(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


class Workload:
    def __init__(self, config: LoadConfig, seed: Seed, tracker: EventTracker):
        self.config = config
        self.seed = seed
        self.calendars = seed.calendars
        self.tracker = tracker
        self.ledger = Ledger()
        self.allocator = SlotAllocator(seed.coaches, seed.first_day)
        self._clients = itertools.cycle(seed.clients)
        self._requests: asyncio.Queue[tuple[Coach, int, int]] = asyncio.Queue()
        self._random = random.Random(4)
        self.http: dict[str, Http] = {}

    # --- connections ---------------------------------------------------------------------

    async def open(self) -> None:
        """A keep-alive pool per role, each as large as its concurrency."""
        sizes = {
            "readers": self.config.readers,
            "bookers": max(self.config.bookers, self.config.max_bookers),
            "acceptors": self.config.acceptors,
        }
        for role, size in sizes.items():
            self.http[role] = pool(self.config.http, self.config.base_url, size)

    async def close(self) -> None:
        for client in self.http.values():
            await client.close()

    async def check_calendars(self) -> None:
        """Each calendar's slots and page answer 200; note its free starts in June."""
        checked = []
        for calendar in self.calendars:
            slots = await self.http["readers"].get(calendar.slots_path())
            page = await self.http["readers"].get(calendar.page_path())
            if slots.status != 200 or page.status != 200:
                raise RuntimeError(
                    f"{calendar.name} calendar: slots {slots.status}, page "
                    f"{page.status}: {slots.body[:300]!r}"
                )
            checked.append(replace(calendar, free_starts=len(slots.json()["items"])))
        self.calendars = checked

    # --- the roles -------------------------------------------------------------------------

    async def reader(self, n: int, stats: PhaseStats, stop: asyncio.Event) -> None:
        """GET the four reads in turn (starting at the ``n``-th), no pause between."""
        reads = [
            (f"{what} {c.name}", path)
            for c in self.calendars
            for what, path in (("slots", c.slots_path()), ("page", c.page_path()))
        ]
        http = self.http["readers"]
        for turn in itertools.count(n):
            if stop.is_set():
                return
            kind, path = reads[turn % len(reads)]
            started = time.monotonic()
            try:
                response = await http.get(path)
            except RequestFailed as error:
                stats.failure(kind, error.kind)
                continue
            if response.status == 200:
                stats.success(kind, started, time.monotonic())
            else:
                stats.failure(kind, str(response.status))

    async def booker(self, stats: PhaseStats, stop: asyncio.Event, request_share: float) -> None:
        """Book free times one after another; requests go to the coaches' queue."""
        while not stop.is_set():
            coach, start = self.allocator.take()
            kind = "request" if self._random.random() < request_share else "instant"
            await self.book(stats, coach, next(self._clients), start, kind)

    async def book(
        self, stats: PhaseStats, coach: Coach, client: Person, start: datetime, kind: str
    ) -> None:
        type_id = coach.request_type_id if kind == "request" else coach.instant_type_id
        body = {"coach_id": coach.id, "session_type_id": type_id, "start": _iso(start)}
        headers = {"Authorization": f"Bearer {client.token}"}
        label = f"book {kind}"
        first_sent = time.monotonic()
        for attempt in (1, 2):
            sent = time.monotonic()
            try:
                response = await self.http["bookers"].post("/api/bookings", body, headers)
            except RequestFailed as error:
                what, retry = error.kind, True
            else:
                answered = time.monotonic()
                if response.status == 201:
                    booking = response.json()["booking"]
                    self.ledger.made[booking["id"]] = Made(coach.id, client.id, start, kind)
                    stats.success(label, first_sent, answered)
                    if attempt == 2:
                        self.ledger.retries["201 on the retry"] += 1
                    expected = Expected(stats.name, answered, sent)
                    parties = (coach.id, client.id)
                    self.tracker.expect(parties, booking["id"], booking["status"], expected)
                    if booking["status"] == "requested":
                        self._requests.put_nowait((coach, booking["id"], client.id))
                    return
                if attempt == 2 and response.status == 409:
                    # The first attempt had committed: the client knows it has the time.
                    self.ledger.retries["409 on the retry (first attempt had committed)"] += 1
                    self.ledger.ambiguous.append((coach.id, client.id, start))
                    return
                what = str(response.status)
                retry = response.status in RETRY_STATUSES
            if attempt == 2:
                self.ledger.retries[f"retry failed too ({what})"] += 1
                stats.failure(label, f"{what} on the retry")
                return
            stats.failure(label, what)
            if not retry:
                return
            self.ledger.retries["retried"] += 1
            await asyncio.sleep(RETRY_DELAY)

    async def acceptor(self, stats: PhaseStats, stop: asyncio.Event) -> None:
        """The coach accepts each request as it comes in."""
        while not stop.is_set():
            try:
                coach, booking_id, client_id = await asyncio.wait_for(
                    self._requests.get(), timeout=0.2
                )
            except TimeoutError:
                continue
            await self.accept(stats, coach, booking_id, client_id)

    async def accept(self, stats: PhaseStats, coach: Coach, booking_id: int, client_id: int):
        headers = {"Authorization": f"Bearer {coach.token}"}
        path = f"/api/bookings/{booking_id}/accept"
        first_sent = time.monotonic()
        for attempt in (1, 2):
            sent = time.monotonic()
            try:
                response = await self.http["acceptors"].post(path, {}, headers)
            except RequestFailed as error:
                what, retry = error.kind, True
            else:
                answered = time.monotonic()
                if response.status == 200:
                    stats.success("accept", first_sent, answered)
                    self.ledger.accepted.add(booking_id)
                    expected = Expected(stats.name, answered, sent)
                    self.tracker.expect((coach.id, client_id), booking_id, "confirmed", expected)
                    return
                if attempt == 2 and response.status == 409:
                    self.ledger.retries["accept: 409 on the retry (had committed)"] += 1
                    self.ledger.accepted.add(booking_id)
                    return
                what = str(response.status)
                retry = response.status in RETRY_STATUSES
            if attempt == 2:
                stats.failure("accept", f"{what} on the retry")
                return
            stats.failure("accept", what)
            if not retry:
                return
            await asyncio.sleep(RETRY_DELAY)

    @property
    def requests_waiting(self) -> int:
        return self._requests.qsize()

    # --- phases ------------------------------------------------------------------------

    async def run_phase(
        self,
        name: str,
        seconds: float,
        *,
        readers: int = 0,
        bookers: int = 0,
        acceptors: int = 0,
        request_share: float = 0.0,
        during: Callable[[PhaseStats], Awaitable[None]] | None = None,
        before: Callable[[PhaseStats], None] | None = None,
        after: Callable[[PhaseStats], None] | None = None,
    ) -> PhaseStats:
        """Run these roles together for ``seconds``; in-flight requests then finish (and
        are recorded, but a rate counts only what completed within the ``seconds``).
        ``before``/``after`` run around the measured time (CPU meters, log offsets);
        ``during`` runs alongside (the fault)."""
        stats = PhaseStats(name)
        stop = asyncio.Event()
        if before is not None:
            before(stats)
        stats.began = time.monotonic()
        tasks = [asyncio.create_task(watch_loop_lag(stats, stop))]
        tasks += [asyncio.create_task(self.reader(n, stats, stop)) for n in range(readers)]
        tasks += [
            asyncio.create_task(self.booker(stats, stop, request_share)) for _ in range(bookers)
        ]
        tasks += [asyncio.create_task(self.acceptor(stats, stop)) for _ in range(acceptors)]
        side = asyncio.create_task(during(stats)) if during is not None else None
        try:
            await asyncio.sleep(seconds)
        finally:
            stats.ended = time.monotonic()
            stop.set()
            await asyncio.gather(*tasks)
            if side is not None:
                await side
        if after is not None:
            after(stats)
        return stats
