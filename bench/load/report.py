"""Figures out of a run: nginx's view of each phase (its JSON access log: the time it
took to answer and the time the app took, ``upstream_seconds``), the table printed at
the end, and a side-by-side Markdown table of several runs' JSON files::

    .venv/bin/python -m bench.load.report /tmp/coachbook-load/run-p1.json run-p2.json
"""

from __future__ import annotations

import json
import re
import sys
from collections import Counter
from pathlib import Path

from bench.load.metrics import percentile

READ_KINDS = ("slots dense", "slots real", "page dense", "page real")
BOOK_KINDS = ("book instant", "book request")
_SLOTS = re.compile(r"^/api/bookings/(\d+)/slots")
_PAGE = re.compile(r"^/coaches/([^/?]+)\?")


def log_offset(path: Path) -> int:
    return path.stat().st_size if path.exists() else 0


def nginx_phase(path: Path, start: int, end: int, calendars: dict[str, str]) -> dict:
    """Per kind of request in the byte range [start, end) of the access log: count,
    statuses, p50/p95 of nginx's request time and of the app's (upstream) time, ms.
    ``calendars`` maps a coach id or slug to its calendar's name (dense, real)."""
    seconds: dict[str, list[float]] = {}
    upstream: dict[str, list[float]] = {}
    statuses: dict[str, Counter] = {}
    with path.open("rb") as log:
        log.seek(start)
        data = log.read(max(0, end - start))
    for line in data.splitlines():
        try:
            entry = json.loads(line)
        except ValueError:
            continue
        method, _, rest = entry["request"].partition(" ")
        target = rest.rpartition(" ")[0]
        kind = _kind(method, target, calendars)
        if kind is None:
            continue
        statuses.setdefault(kind, Counter())[entry["status"]] += 1
        seconds.setdefault(kind, []).append(float(entry["seconds"]) * 1000)
        times = [float(v) for v in re.split(r"[,:] ?", entry["upstream_seconds"]) if _num(v)]
        if times:
            upstream.setdefault(kind, []).append(sum(times) * 1000)
    return {
        kind: {
            "n": len(values),
            "statuses": dict(statuses[kind]),
            "p50": percentile(values, 0.5),
            "p95": percentile(values, 0.95),
            "upstream_p50": percentile(upstream.get(kind, []), 0.5),
            "upstream_p95": percentile(upstream.get(kind, []), 0.95),
        }
        for kind, values in seconds.items()
    }


def nginx_errors(path: Path) -> dict[str, int]:
    """nginx's error log by kind of message (a 502's cause: the app process closed the
    connection, refused it, ...): the text after the connection number, without the
    request's details."""
    found: Counter = Counter()
    if path.exists():
        for line in path.read_text(errors="replace").splitlines():
            message = line.partition("*")[2].partition(" ")[2].partition(", client:")[0]
            found[re.sub(r"\(\d+: ", "(", message)[:120] or line[:120]] += 1
    return dict(found)


def _num(value: str) -> bool:
    try:
        float(value)
    except ValueError:
        return False
    return True


def _kind(method: str, target: str, calendars: dict[str, str]) -> str | None:
    if method == "POST" and target == "/api/bookings":
        return "book"
    if method == "POST" and target.endswith("/accept"):
        return "accept"
    if match := _SLOTS.match(target):
        return f"slots {calendars.get(match.group(1), '?')}"
    if match := _PAGE.match(target):
        return f"page {calendars.get(match.group(1), '?')}"
    return None


# --- the printed table ---------------------------------------------------------------------


def ms(value: float | None) -> str:
    return "-" if value is None else f"{value:.1f}"


def print_run(result: dict) -> None:
    """The figures of one run (``result``: what ``__main__`` writes as JSON)."""
    print()
    print(f"== {result['title']} ==")
    print(f"machine: {result['machine']['uptime_before']}")
    if result["machine"]["tests_running"]:
        print("  the test suite ran alongside (pytest found)")
    header = f"{'phase':8} {'kind':14} {'n':>7} {'rate/s':>8} {'p50 ms':>8} {'p95 ms':>8}"
    print(header + f" {'errors':>7}  nginx p50/p95, app p50/p95 (ms)")
    for phase in result["phases"]:
        for kind, row in phase["kinds"].items():
            nginx = phase["nginx"].get("book" if kind.startswith("book") else kind, {})
            nginx_text = (
                f"{ms(nginx.get('p50'))}/{ms(nginx.get('p95'))}, "
                f"{ms(nginx.get('upstream_p50'))}/{ms(nginx.get('upstream_p95'))}"
                if nginx
                else ""
            )
            print(
                f"{phase['name']:8} {kind:14} {row['n']:>7} {row['rate']:>8.1f} "
                f"{ms(row['p50']):>8} {ms(row['p95']):>8} {row['errors']:>7}  {nginx_text}"
            )
        if phase["booking_rate"]:
            print(f"{'':8} bookings/s through the proxy: {phase['booking_rate']:.1f}")
        events = phase.get("events")
        if events and events["expected"]:
            print(
                f"{'':8} socket events: {events['expected']} expected, {events['missed']} "
                f"missed, p50 {ms(events['p50'])} / p95 {ms(events['p95'])} ms after the "
                f"answer ({events['before_answer']} before it)"
            )
        if phase.get("events_caught_up_after") is not None:
            print(f"{'':8} its events all arrived {phase['events_caught_up_after']:.1f} s after it")
        if phase["errors"]:
            print(f"{'':8} errors: {phase['errors']}")
        cpu = ", ".join(f"{k} {v:.2f}" for k, v in phase["cpu_cores"].items())
        print(f"{'':8} CPU (cores): {cpu}")
        database = ", ".join(f"{k} {v:.1f}" for k, v in phase["database_per_second"].items())
        print(f"{'':8} the run's database, per second: {database}")
        lag = phase["loop_lag_ms"]
        print(f"{'':8} load generator's loop lag p50/p95/max: {lag[0]}/{lag[1]}/{lag[2]} ms")
    checks = result["checks"]
    print("checks:", json.dumps(checks["bookings"], default=str))
    print("outbox:", json.dumps(checks["outbox"], default=str))
    if result.get("fault"):
        print("fault:", json.dumps(result["fault"], default=str, indent=1))
    print("retries:", result["retries"])
    print("nginx error log:", result.get("nginx_errors", {}))
    print("error rate:", f"{result['error_rate']:.5f}", f"({result['errors']} errors)")


# --- side by side --------------------------------------------------------------------------


def _phase(result: dict, name: str) -> dict:
    return next((p for p in result["phases"] if p["name"] == name), {})


def _kind_value(result: dict, phase: str, kind: str, key: str) -> str:
    row = _phase(result, phase).get("kinds", {}).get(kind)
    return ms(row.get(key)) if row else "-"


def compare(results: list[dict]) -> str:
    """A Markdown table: one column per run."""
    rows: list[tuple[str, list[str]]] = []

    def add(label: str, values: list[str]) -> None:
        rows.append((label, values))

    def rate(phase: str) -> list[str]:
        return [
            f"{_phase(r, phase).get('booking_rate', 0):.0f}" if _phase(r, phase) else "-"
            for r in results
        ]

    add("bookings/s through the proxy, mixed load", rate("mixed"))
    add("bookings/s through the proxy, max-throughput phase", rate("max"))
    for kind in ("book instant",):
        for phase in ("mixed", "max"):
            add(
                f"POST /api/bookings p50 / p95 (ms), {phase}",
                [
                    f"{_kind_value(r, phase, kind, 'p50')} / {_kind_value(r, phase, kind, 'p95')}"
                    for r in results
                ],
            )
    for phase in ("read", "mixed"):
        for kind in READ_KINDS:
            add(
                f"{kind} p50 / p95 (ms), {phase} phase",
                [
                    f"{_kind_value(r, phase, kind, 'p50')} / {_kind_value(r, phase, kind, 'p95')}"
                    for r in results
                ],
            )
    add("error rate (errors / requests)", [f"{r['error_rate']:.4%}" for r in results])
    add("errors", [str(r["errors"]) for r in results])
    add("double bookings", [str(r["checks"]["bookings"]["double_bookings"]) for r in results])
    for phase in ("warmup", "mixed", "max"):
        add(
            f"socket event p50 / p95 after the answer (ms), {phase}",
            [
                f"{ms(_phase(r, phase).get('events', {}).get('p50'))} / "
                f"{ms(_phase(r, phase).get('events', {}).get('p95'))}"
                for r in results
            ],
        )
        add(
            f"socket events missed / expected, {phase}",
            [
                f"{_phase(r, phase).get('events', {}).get('missed', '-')} / "
                f"{_phase(r, phase).get('events', {}).get('expected', '-')}"
                for r in results
            ],
        )
    add(
        "socket events all arrived, seconds after the mixed phase ended",
        [ms(_phase(r, "mixed").get("events_caught_up_after")) for r in results],
    )
    add(
        "outbox all sent after the load (s)",
        [ms(r["checks"]["outbox"]["all_sent_after"]) for r in results],
    )
    head = "| figure | " + " | ".join(r["title"] for r in results) + " |"
    lines = [head, "|---" * (len(results) + 1) + "|"]
    lines += [f"| {label} | " + " | ".join(values) + " |" for label, values in rows]
    return "\n".join(lines)


def main(paths: list[str]) -> None:
    results = [json.loads(Path(path).read_text()) for path in paths]
    print(compare(results))


if __name__ == "__main__":
    main(sys.argv[1:])
