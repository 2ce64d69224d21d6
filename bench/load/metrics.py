"""What a phase records: latencies and successes per kind of request, errors by kind, and
the event loop's lag (the load generator's own delay, which every figure includes)."""

from __future__ import annotations

import asyncio
import math
import time
from collections import Counter
from dataclasses import dataclass, field


def percentile(values: list[float], q: float) -> float | None:
    """Nearest-rank percentile (``q`` in 0..1) of ``values``; None when there are none."""
    if not values:
        return None
    ordered = sorted(values)
    return ordered[max(0, math.ceil(q * len(ordered)) - 1)]


@dataclass
class PhaseStats:
    """One phase's figures. Times are ``time.monotonic()`` seconds; latencies in ms."""

    name: str
    began: float = 0.0
    ended: float = 0.0
    latencies: dict[str, list[float]] = field(default_factory=dict)
    # When each successful request of a kind completed (for rates and timelines).
    done_at: dict[str, list[float]] = field(default_factory=dict)
    errors: Counter = field(default_factory=Counter)  # (kind, what) -> count
    # Error answers and failures in time, for the fault timeline: (time, kind, what).
    error_log: list[tuple[float, str, str]] = field(default_factory=list)
    loop_lag_ms: list[float] = field(default_factory=list)
    cpu_cores: dict[str, float] = field(default_factory=dict)
    nginx: dict[str, dict] = field(default_factory=dict)
    notes: dict[str, object] = field(default_factory=dict)

    @property
    def seconds(self) -> float:
        return self.ended - self.began

    def success(self, kind: str, started: float, finished: float) -> None:
        self.latencies.setdefault(kind, []).append((finished - started) * 1000)
        self.done_at.setdefault(kind, []).append(finished)

    def failure(self, kind: str, what: str) -> None:
        self.errors[(kind, what)] += 1
        self.error_log.append((time.monotonic(), kind, what))

    def count(self, kind: str) -> int:
        """Successes of ``kind`` completed while the phase ran (not while it wound down)."""
        return sum(1 for t in self.done_at.get(kind, ()) if t <= self.ended)

    def rate(self, *kinds: str) -> float:
        return sum(self.count(kind) for kind in kinds) / self.seconds if self.seconds else 0.0

    def error_count(self, *kinds: str) -> int:
        return sum(n for (kind, _), n in self.errors.items() if not kinds or kind in kinds)

    def requests(self, *kinds: str) -> int:
        kinds = kinds or tuple(self.latencies)
        return sum(len(self.latencies.get(kind, ())) for kind in kinds) + self.error_count(*kinds)

    def timeline(self, kinds: tuple[str, ...], step: float = 1.0) -> list[int]:
        """Successes of ``kinds`` per ``step`` seconds from the phase's start."""
        buckets = [0] * max(1, math.ceil(self.seconds / step))
        for kind in kinds:
            for t in self.done_at.get(kind, ()):
                index = int((t - self.began) / step)
                if 0 <= index < len(buckets):
                    buckets[index] += 1
        return buckets

    def summary(self, kind: str) -> dict[str, float | int | None]:
        values = self.latencies.get(kind, [])
        return {
            "n": len(values),
            "rate": self.count(kind) / self.seconds if self.seconds else 0.0,
            "p50": percentile(values, 0.50),
            "p95": percentile(values, 0.95),
            "p99": percentile(values, 0.99),
            "errors": self.error_count(kind),
        }


async def watch_loop_lag(stats: PhaseStats, stop: asyncio.Event, every: float = 0.05) -> None:
    """How late the event loop wakes up: time the load generator adds to every figure."""
    while not stop.is_set():
        planned = time.monotonic() + every
        await asyncio.sleep(every)
        stats.loop_lag_ms.append(max(0.0, (time.monotonic() - planned) * 1000))
