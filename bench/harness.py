"""Timing helpers: warm up, repeat, report the median (and the spread) in milliseconds."""

from __future__ import annotations

import statistics
import time
from collections.abc import Callable
from dataclasses import dataclass


@dataclass(frozen=True)
class Result:
    name: str
    median_ms: float
    p90_ms: float
    runs: int
    note: str = ""


def measure(
    name: str, fn: Callable[[], object], *, runs: int = 200, warmup: int = 20, note: str = ""
) -> Result:
    for _ in range(warmup):
        fn()
    samples = []
    for _ in range(runs):
        started = time.perf_counter()
        fn()
        samples.append((time.perf_counter() - started) * 1000)
    samples.sort()
    return Result(
        name, statistics.median(samples), samples[int(len(samples) * 0.9) - 1], runs, note
    )


def print_results(results: list[Result]) -> None:
    width = max(len(r.name) for r in results)
    print(f"{'benchmark'.ljust(width)}  {'median ms':>10}  {'p90 ms':>8}  {'runs':>5}  note")
    for r in results:
        print(
            f"{r.name.ljust(width)}  {r.median_ms:>10.3f}  {r.p90_ms:>8.3f}  {r.runs:>5}  {r.note}"
        )
