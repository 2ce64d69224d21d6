"""Real concurrent HTTP requests against a served app, released together by a barrier.

Each racer opens its own connection first, waits at the barrier, then sends its request,
so the requests reach the server as close together as the threads allow. Nothing is
mocked: the served app runs its real transactions on the test database.
"""

from __future__ import annotations

import http.client
import json
import threading
import time
from dataclasses import dataclass, field
from itertools import combinations

from sqlalchemy import select

from domain.status import ACTIVE_STATUSES
from extensions import db
from models import Booking

# Every request and every wait is bounded, so a stuck race fails instead of hanging.
REQUEST_TIMEOUT = 20.0


@dataclass(frozen=True)
class Call:
    """One racer's request, signed with its bearer token."""

    method: str
    path: str
    token: str
    body: dict | None = None


@dataclass
class Answer:
    status: int
    body: dict = field(default_factory=dict)
    seconds: float = 0.0

    @property
    def code(self) -> str | None:
        """The error code of an error body, else None."""
        error = self.body.get("error")
        return error.get("code") if isinstance(error, dict) else None


def race(address: tuple[str, int], calls: list[Call], timeout: float = REQUEST_TIMEOUT):
    """Send every call at once (one thread each); the answers in the calls' order."""
    barrier = threading.Barrier(len(calls))
    answers: list[Answer | None] = [None] * len(calls)

    def run(index: int, call: Call) -> None:
        try:
            answers[index] = _send(address, call, barrier, timeout)
        except Exception as error:  # reported in the answer, so the test shows it
            answers[index] = Answer(0, {"exception": repr(error)})

    threads = [
        threading.Thread(target=run, args=(i, call), daemon=True) for i, call in enumerate(calls)
    ]
    for thread in threads:
        thread.start()
    deadline = time.monotonic() + timeout + 5
    for thread in threads:
        thread.join(max(0.0, deadline - time.monotonic()))
    stuck = sum(thread.is_alive() for thread in threads)
    assert not stuck, f"{stuck} of {len(calls)} racers did not finish within {timeout} s"
    return answers


def _send(address, call: Call, barrier: threading.Barrier, timeout: float) -> Answer:
    connection = http.client.HTTPConnection(*address, timeout=timeout)
    try:
        connection.connect()
        payload = json.dumps(call.body).encode() if call.body is not None else None
        headers = {"Authorization": f"Bearer {call.token}", "Accept": "application/json"}
        if payload is not None:
            headers["Content-Type"] = "application/json"
        barrier.wait(timeout)
        started = time.perf_counter()
        connection.request(call.method, call.path, body=payload, headers=headers)
        response = connection.getresponse()
        raw = response.read()
        seconds = time.perf_counter() - started
        try:
            body = json.loads(raw) if raw else {}
        except ValueError:
            body = {"raw": raw.decode(errors="replace")[:500]}
        return Answer(response.status, body, seconds)
    finally:
        connection.close()


def assert_only_wins_and_conflicts(answers: list[Answer], win: int) -> list[Answer]:
    """Every answer is the win status or 409 ``slot_unavailable`` (never a 5xx, never
    "database is locked"); returns the winners."""
    for answer in answers:
        if answer.status != win:
            assert answer.status == 409, answer
            assert answer.code == "slot_unavailable", answer
    return [answer for answer in answers if answer.status == win]


def active_bookings(app, coach_id: int) -> list[Booking]:
    """The coach's stored bookings that hold time, read afresh from the database."""
    with app.app_context():
        rows = db.session.scalars(
            select(Booking)
            .where(Booking.coach_id == coach_id, Booking.status.in_(ACTIVE_STATUSES))
            .order_by(Booking.blocked_start_at, Booking.id)
        ).all()
        db.session.expunge_all()
        return list(rows)


def assert_no_overlap(bookings: list[Booking]) -> None:
    """No two active bookings' blocked ranges overlap (seats of one group session may)."""
    for a, b in combinations(bookings, 2):
        if a.slot_key == b.slot_key and a.slot_key.startswith("g-"):
            continue
        overlap = a.blocked_start_at < b.blocked_end_at and b.blocked_start_at < a.blocked_end_at
        assert not overlap, (
            f"bookings {a.id} [{a.blocked_start_at}, {a.blocked_end_at}) and "
            f"{b.id} [{b.blocked_start_at}, {b.blocked_end_at}) overlap"
        )
