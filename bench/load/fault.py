"""The fault run: during the booking load, SIGKILL one gunicorn worker process (the
master forks a new one) and one RQ worker (nothing restarts it: this module does, after
``restart_delay`` seconds, as systemd would, with the stack's command and environment).

The app process killed is the busier of the two over the half second before (so it
surely has requests in flight). An RQ worker started ``with_scheduler=True`` has forked
RQ's scheduler as a child, which outlives a SIGKILL of its parent (it is in the worker's
process group); the supervisor does what systemd does with a unit's control group when
its main process died: it stops what is left of the group (SIGTERM, then SIGKILL), then
starts the worker again.

What it measures: when each process died and came back, the outbox rows the killed RQ
worker left claimed (``sending``: the sweep takes those back only after
``services.outbox.STALE_CLAIM``), and, from the phase's record, the booking rate before
and after the kill: how long until it was back at 90 % of what it was before.
"""

from __future__ import annotations

import asyncio
import bisect
import contextlib
import os
import signal
import time
from dataclasses import dataclass, field

import psycopg

from bench.load.metrics import PhaseStats
from bench.load.stack import Stack, alive, children, cpu_seconds

RECOVERED = 0.9  # of the rate before the kill
WINDOW = 1.0  # seconds over which a rate is taken
HELD_FOR = 2  # windows in a row at or above RECOVERED


@dataclass
class FaultRecord:
    app_killed: int | None = None
    killed_at: float | None = None  # time.monotonic()
    app_respawned: int | None = None
    respawn_seconds: float | None = None
    rq_killed: int | None = None
    rq_orphans: list[int] = field(default_factory=list)  # its children alive after the kill
    rq_orphans_killed: list[int] = field(default_factory=list)
    rq_restarted: int | None = None
    rq_restart_seconds: float | None = None
    outbox_at_restart: dict[str, int] = field(default_factory=dict)


def outbox_status(dsn: str) -> dict[str, int]:
    with psycopg.connect(dsn) as connection:
        rows = connection.execute("SELECT status, count(*) FROM outbox_email GROUP BY status")
        return dict(rows.fetchall())


class Fault:
    def __init__(self, stack: Stack, kill_after: float, restart_delay: float):
        self.stack = stack
        self.kill_after = kill_after
        self.restart_delay = restart_delay
        self.record = FaultRecord()

    async def inject(self, _stats: PhaseStats) -> None:
        """``kill_after`` seconds into the phase: kill both, watch, restart the worker."""
        await asyncio.sleep(self.kill_after - 0.5)
        stack, record = self.stack, self.record
        before = {pid: cpu_seconds(pid) or 0.0 for pid in stack.app_processes()}
        await asyncio.sleep(0.5)
        busy = {pid: (cpu_seconds(pid) or 0.0) - cpu for pid, cpu in before.items()}
        record.app_killed = max(busy, key=busy.__getitem__)
        record.rq_killed = stack.rq_workers()[0]
        rq_children = children(record.rq_killed)
        os.kill(record.app_killed, signal.SIGKILL)
        os.kill(record.rq_killed, signal.SIGKILL)
        record.killed_at = time.monotonic()
        record.rq_orphans = [pid for pid in rq_children if alive(pid)]
        await asyncio.gather(self._watch_respawn(set(before)), self._supervise_rq())

    async def _watch_respawn(self, before: set[int], limit: float = 30.0) -> None:
        assert self.record.killed_at is not None
        while time.monotonic() - self.record.killed_at < limit:
            new = set(self.stack.app_processes()) - before
            if new:
                self.record.app_respawned = new.pop()
                self.record.respawn_seconds = time.monotonic() - self.record.killed_at
                return
            await asyncio.sleep(0.02)

    async def _supervise_rq(self) -> None:
        assert self.record.killed_at is not None
        await asyncio.sleep(self.restart_delay)
        self.record.outbox_at_restart = await asyncio.to_thread(
            outbox_status, self.stack.config.dsn
        )
        self.record.rq_orphans_killed = await asyncio.to_thread(
            stop_group, self.record.rq_killed, self.record.rq_orphans
        )
        self.record.rq_restarted = await asyncio.to_thread(self.stack.restart_rq_worker, 1)
        self.record.rq_restart_seconds = time.monotonic() - self.record.killed_at


def stop_group(leader: int, members: list[int], grace: float = 5.0) -> list[int]:
    """Stop what is left of a dead process's group (systemd: the unit's control group):
    SIGTERM, and SIGKILL for whoever is still there after ``grace`` seconds."""
    left = [pid for pid in members if alive(pid)]
    if not left:
        return []
    with contextlib.suppress(ProcessLookupError):
        os.killpg(leader, signal.SIGTERM)
    deadline = time.monotonic() + grace
    while any(alive(pid) for pid in left) and time.monotonic() < deadline:
        time.sleep(0.1)
    for pid in left:
        if alive(pid):
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)
    return left


def recovery(stats: PhaseStats, kinds: tuple[str, ...], killed_at: float) -> dict:
    """The booking rate before the kill (from 3 s into the phase), the lowest 1-second
    rate after it, and how long after the kill the rate was back at ``RECOVERED`` of the
    rate before for ``HELD_FOR`` windows in a row (0: it never fell below)."""
    done = sorted(t for kind in kinds for t in stats.done_at.get(kind, ()))
    warm = stats.began + 3.0

    def rate(start: float, end: float) -> float:
        return (bisect.bisect_left(done, end) - bisect.bisect_left(done, start)) / (end - start)

    before = rate(warm, killed_at)
    lowest, recovered_after, t = None, None, killed_at
    while t + WINDOW * HELD_FOR <= stats.ended:
        now = rate(t, t + WINDOW)
        lowest = now if lowest is None else min(lowest, now)
        if recovered_after is None and all(
            rate(t + WINDOW * i, t + WINDOW * (i + 1)) >= RECOVERED * before
            for i in range(HELD_FOR)
        ):
            recovered_after = t - killed_at
        if recovered_after is not None and t - killed_at > 10:
            break
        t += 0.1
    seconds_around = range(-5, 16)
    timeline = {s: rate(killed_at + s, killed_at + s + 1) for s in seconds_around}
    return {
        "rate_before": before,
        "lowest_rate_after": lowest,
        "recovered_after_seconds": recovered_after,
        "timeline": timeline,
    }


def errors_around(stats: PhaseStats, killed_at: float, seconds: float = 30.0) -> dict:
    """Errors clients saw from 1 s before the kill to ``seconds`` after, by kind."""
    found: dict[str, int] = {}
    for at, kind, what in stats.error_log:
        if killed_at - 1 <= at <= killed_at + seconds:
            key = f"{kind}: {what}"
            found[key] = found.get(key, 0) + 1
    return found
