"""Socket.IO clients listening through nginx, and the commit-to-event latency.

Each listener is a ``socketio.AsyncClient`` connected by WebSocket only (``/socket.io``)
with a user's bearer token: the server puts it in ``user:<id>``, which gets
``booking_update {booking_id, status, …}`` for every change of that user's bookings,
emitted by whichever app process made the change and carried to the process holding the
socket by Redis. Half the listeners are coaches who are booked, half clients who book.

For every booking change a listener's user is party to, the workload says when the
answer to its POST arrived (after the commit: the clock starts there) and the listener
notes when ``(user, booking, status)`` arrived. The event may beat the POST's answer
(the app hands its effects over when the request ends, as its answer is being sent): the
latency is then negative, and counted as such.
"""

from __future__ import annotations

import asyncio
import time
from collections import Counter
from dataclasses import dataclass, field

import socketio

from bench.load.metrics import percentile
from bench.load.seed import Person

Key = tuple[int, int, str]  # (user id, booking id, status)


@dataclass
class Expected:
    phase: str
    answered: float  # when the POST's answer arrived (after the commit)
    sent: float  # when the POST was sent (before the commit)


@dataclass
class EventTracker:
    arrivals: dict[Key, float] = field(default_factory=dict)
    expected: dict[Key, Expected] = field(default_factory=dict)
    connected: set[int] = field(default_factory=set)
    lifecycle: Counter = field(default_factory=Counter)  # connects, disconnects, …

    def expect(self, user_ids: tuple[int, ...], booking_id: int, status: str, e: Expected):
        for user_id in user_ids:
            if user_id in self.connected:
                self.expected[(user_id, booking_id, status)] = e

    def arrived(self, user_id: int, data: dict) -> None:
        try:
            key = (user_id, int(data["booking_id"]), str(data["status"]))
        except (KeyError, TypeError, ValueError):
            self.lifecycle["malformed events"] += 1
            return
        self.arrivals.setdefault(key, time.monotonic())

    def outstanding(self, phase: str) -> int:
        """Events of ``phase`` expected and not arrived yet."""
        return sum(
            1 for key, e in self.expected.items() if e.phase == phase and key not in self.arrivals
        )

    def figures(
        self, phase: str, between: tuple[float, float] | None = None
    ) -> dict[str, float | int | None]:
        """Latency (ms) from the POST's answer to the event, p50/p95; how many missed.
        ``between``: only changes answered in that span of ``time.monotonic()``."""
        after_answer, after_send, missed = [], [], 0
        for key, e in self.expected.items():
            if e.phase != phase:
                continue
            if between is not None and not between[0] <= e.answered < between[1]:
                continue
            arrival = self.arrivals.get(key)
            if arrival is None:
                missed += 1
                continue
            after_answer.append((arrival - e.answered) * 1000)
            after_send.append((arrival - e.sent) * 1000)
        return {
            "expected": len(after_answer) + missed,
            "missed": missed,
            "p50": percentile(after_answer, 0.50),
            "p95": percentile(after_answer, 0.95),
            "max": max(after_answer, default=None),
            "before_answer": sum(1 for v in after_answer if v < 0),
            "p50_from_send": percentile(after_send, 0.50),
            "p95_from_send": percentile(after_send, 0.95),
        }


class Listeners:
    """The connected clients; reconnect by themselves if their app process dies."""

    def __init__(self, base_url: str, tracker: EventTracker):
        self.base_url = base_url
        self.tracker = tracker
        self.clients: list[socketio.AsyncClient] = []

    async def connect(self, people: list[Person], batch: int = 10) -> None:
        for start in range(0, len(people), batch):
            await asyncio.gather(*(self._connect(p) for p in people[start : start + batch]))

    async def _connect(self, person: Person) -> None:
        tracker = self.tracker
        client = socketio.AsyncClient(
            reconnection=True,
            reconnection_delay=0.5,
            reconnection_delay_max=2,
            handle_sigint=False,
        )

        async def on_update(data: dict) -> None:
            tracker.arrived(person.id, data)

        async def on_connect() -> None:
            tracker.lifecycle["connects"] += 1

        async def on_disconnect(*_reason) -> None:
            tracker.lifecycle["disconnects"] += 1

        client.on("booking_update", on_update)
        client.on("connect", on_connect)
        client.on("disconnect", on_disconnect)
        await client.connect(
            self.base_url,
            transports=["websocket"],
            socketio_path="socket.io",
            auth={"token": person.token},
            wait_timeout=10,
        )
        tracker.connected.add(person.id)
        self.clients.append(client)

    async def close(self) -> None:
        """Disconnect everyone (an open WebSocket would hold gunicorn's graceful stop)."""
        await asyncio.gather(*(c.disconnect() for c in self.clients), return_exceptions=True)
        self.clients.clear()
