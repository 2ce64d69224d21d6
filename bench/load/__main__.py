"""``.venv/bin/python -m bench.load [--processes 1|2] [--duration S] [--fault]``

1. recreate the run's database and empty its Redis db, migrate and seed (``seed``);
2. ``scripts/prod-local start`` with the run's environment (``config.stack_env``);
3. connect the Socket.IO listeners, then the phases, each for a fixed time:
   - ``warmup``: 4 readers and 4 bookers: light load (its socket events' latency is the
     figure without a backlog);
   - ``read``: the 20 readers alone: the calendar reads' latency without writes;
   - ``mixed``: readers, bookers (a share of requests), coaches accepting, listeners: the
     booking rate through nginx under reads, the reads under bookings, the socket
     events' latency;
   - ``max``: bookings only, 48 at once: the most bookings per second through nginx;
   - with ``--fault`` only ``mixed``, with one app process and one RQ worker killed;
   after each phase the run waits (90 s at most) until that phase's socket events have
   all arrived, so the next phase starts without its backlog;
4. wait for the outbox to empty, check the database;
5. ``scripts/prod-local stop`` (always), print the table, write the JSON.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import logging
import shutil
import signal
import socket
import sys
import time
from dataclasses import asdict
from pathlib import Path

from bench.load import checks, fault, report, stack
from bench.load.config import LoadConfig
from bench.load.metrics import PhaseStats, percentile
from bench.load.seed import Seed, seed
from bench.load.sockets import EventTracker, Listeners
from bench.load.workload import Workload

BOOK_KINDS = report.BOOK_KINDS
# How long the outbox may take to empty after the load: one RQ worker sends ~95 e-mails/s
# here, two per booking, so a run's backlog takes minutes.
DRAIN_SECONDS = 600.0
# After a phase: how long its socket events may take to arrive before the next phase.
SETTLE_SECONDS = 90.0
# A row claimed by the killed worker waits STALE_CLAIM (5 min) for the sweep.
FAULT_DRAIN_SECONDS = 600.0


def parse_args(argv: list[str] | None) -> tuple[LoadConfig, Path | None, bool]:
    parser = argparse.ArgumentParser(prog="python -m bench.load", description=__doc__)
    parser.add_argument("--processes", type=int, default=2, help="app processes (2)")
    parser.add_argument("--duration", type=float, default=60.0, help="mixed phase, s (60)")
    parser.add_argument("--fault", action="store_true", help="kill and restart processes")
    parser.add_argument("--read-seconds", type=float, default=20.0)
    parser.add_argument("--max-seconds", type=float, default=30.0)
    parser.add_argument("--readers", type=int, default=20)
    parser.add_argument("--bookers", type=int, default=24, help="in the mixed phase (24)")
    parser.add_argument("--max-bookers", type=int, default=48, help="in the max phase (48)")
    parser.add_argument("--sockets", type=int, default=50)
    parser.add_argument("--http", choices=("aiohttp", "httpx"), default="aiohttp")
    parser.add_argument("--threads", type=int, default=100, help="GUNICORN_THREADS (100)")
    parser.add_argument("--rq-workers", type=int, default=1)
    parser.add_argument("--port", type=int, default=8180)
    parser.add_argument("--app-port", type=int, default=8181)
    parser.add_argument("--database", default="coachbook_load")
    parser.add_argument("--redis-db", type=int, default=5)
    parser.add_argument("--run-dir", type=Path, default=Path("/tmp/coachbook-load"))
    parser.add_argument("--kill-after", type=float, default=20.0)
    parser.add_argument("--drain-seconds", type=float, default=None)
    parser.add_argument(
        "--env",
        action="append",
        default=[],
        metavar="KEY=VALUE",
        help="extra environment for the stack (e.g. DATABASE_POOL_SIZE=25); repeatable",
    )
    parser.add_argument("--json", type=Path, default=None, help="where to write the figures")
    parser.add_argument("--keep-db", action="store_true", help="keep the database afterwards")
    args = parser.parse_args(argv)
    drain = args.drain_seconds or (FAULT_DRAIN_SECONDS if args.fault else DRAIN_SECONDS)
    config = LoadConfig(
        processes=args.processes,
        fault=args.fault,
        read_seconds=args.read_seconds,
        mixed_seconds=args.duration,
        max_seconds=args.max_seconds,
        readers=args.readers,
        bookers=args.bookers,
        max_bookers=args.max_bookers,
        sockets=args.sockets,
        http=args.http,
        threads=args.threads,
        rq_workers=args.rq_workers,
        database=args.database,
        redis_db=args.redis_db,
        port=args.port,
        app_port=args.app_port,
        run_dir=args.run_dir.resolve(),
        drain_seconds=drain,
        kill_after=args.kill_after,
        extra_env=dict(item.split("=", 1) for item in args.env),
    )
    return config, args.json, args.keep_db


def title(config: LoadConfig) -> str:
    parts = [f"{config.processes} app process{'es' if config.processes > 1 else ''}"]
    if config.fault:
        parts.append("fault")
    if config.http != "aiohttp":
        parts.append(config.http)
    parts += [f"{key}={value}" for key, value in config.extra_env.items()]
    return ", ".join(parts)


def _refuse_if_taken(config: LoadConfig) -> None:
    for port in (config.port, config.app_port):
        with socket.socket() as probe:
            if probe.connect_ex(("127.0.0.1", port)) == 0:
                sys.exit(f"port {port} is in use: another stack? (choose --port/--app-port)")


# --- the run -----------------------------------------------------------------------------


class Run:
    """The phases against a started stack, and what they found."""

    def __init__(self, config: LoadConfig, the_stack: stack.Stack, data: Seed):
        self.config = config
        self.stack = the_stack
        self.seed = data
        self.tracker = EventTracker()
        self.listeners = Listeners(config.base_url, self.tracker)
        self.workload = Workload(config, data, self.tracker)
        self.meter = stack.CpuMeter(the_stack)
        self.phases: list[PhaseStats] = []
        self.fault: fault.Fault | None = None
        self.calendar_names: dict[str, str] = {}

    def _before(self, stats: PhaseStats) -> None:
        stats.notes["log_start"] = report.log_offset(self.config.access_log)
        self.meter.start()

    def _after(self, stats: PhaseStats) -> None:
        stats.cpu_cores = self.meter.stop()
        stats.notes["database_per_second"] = self.meter.database
        end = report.log_offset(self.config.access_log)
        stats.nginx = report.nginx_phase(
            self.config.access_log, int(stats.notes["log_start"]), end, self.calendar_names
        )

    async def phase(self, name: str, seconds: float, **roles) -> PhaseStats:
        shown = {role: value for role, value in roles.items() if not callable(value)}
        print(f"phase {name}: {seconds:.0f} s {shown}", flush=True)
        stats = await self.workload.run_phase(
            name, seconds, before=self._before, after=self._after, **roles
        )
        self.phases.append(stats)
        stats.notes["events_caught_up_after"] = await self._settle(stats)
        busy = stats.cpu_cores.get("machine (all processes)", 0.0)
        other = stats.cpu_cores.get("other processes", 0.0)
        print(
            f"  {stats.rate(*BOOK_KINDS):.0f} bookings/s, {stats.error_count()} errors, "
            f"machine CPU {busy:.2f} cores of which other processes {other:.2f}",
            flush=True,
        )
        return stats

    async def _settle(self, stats: PhaseStats, limit: float = SETTLE_SECONDS) -> float | None:
        """Wait until the phase's socket events have all arrived (the app's after-commit
        effects have caught up), so the next phase starts without this one's backlog;
        how long that took after the phase ended (None: not within ``limit``)."""
        while self.tracker.outstanding(stats.name):
            waited = time.monotonic() - stats.ended
            if waited > limit:
                return None
            await asyncio.sleep(0.2)
        return time.monotonic() - stats.ended

    async def run(self) -> dict:
        config, workload = self.config, self.workload
        await workload.open()
        try:
            await workload.check_calendars()
            for calendar in workload.calendars:
                self.calendar_names[str(calendar.coach_id)] = calendar.name
                self.calendar_names[calendar.slug] = calendar.name
            half = config.sockets // 2
            people = [*self.seed.coaches[:half], *self.seed.clients[: config.sockets - half]]
            await self.listeners.connect(people)
            print(f"{len(self.tracker.connected)} Socket.IO listeners connected", flush=True)
            await self.phase("warmup", config.warmup_seconds, readers=4, bookers=4)
            mixed = {
                "readers": config.readers,
                "bookers": config.bookers,
                "acceptors": config.acceptors,
                "request_share": config.request_share,
            }
            if config.fault:
                self.fault = fault.Fault(self.stack, config.kill_after, config.restart_delay)
                await self.phase("mixed", config.mixed_seconds, during=self.fault.inject, **mixed)
            else:
                await self.phase("read", config.read_seconds, readers=config.readers)
                await self.phase("mixed", config.mixed_seconds, **mixed)
                await self.phase("max", config.max_seconds, bookers=config.max_bookers)
            load_ended = self.phases[-1].ended
            print("waiting for the outbox to empty", flush=True)
            outbox = await asyncio.to_thread(
                checks.wait_for_outbox,
                config.dsn,
                config.outbox_dir,
                load_ended,
                config.drain_seconds,
            )
        finally:
            await self.listeners.close()
            await workload.close()
        coach_ids = [coach.id for coach in self.seed.coaches]
        bookings = checks.check_bookings(config.dsn, coach_ids, workload.ledger)
        result = self.result(outbox, bookings)
        result["nginx_errors"] = report.nginx_errors(config.run_dir / "logs" / "nginx-error.log")
        return result

    def result(self, outbox: checks.OutboxCheck, bookings: checks.BookingCheck) -> dict:
        phases = [self._phase_result(stats) for stats in self.phases]
        errors = sum(stats.error_count() for stats in self.phases)
        requests = sum(stats.requests() for stats in self.phases)
        result = {
            "title": title(self.config),
            "config": {k: str(v) for k, v in asdict(self.config).items()},
            "calendars": [asdict(c) for c in self.workload.calendars],
            "seed_seconds": self.seed.seconds,
            "listeners": {
                "connected": len(self.tracker.connected),
                **dict(self.tracker.lifecycle),
            },
            "phases": phases,
            "errors": errors,
            "requests": requests,
            "error_rate": errors / requests if requests else 0.0,
            "retries": dict(self.workload.ledger.retries),
            "requests_left_unanswered": self.workload.requests_waiting,
            "checks": {"bookings": asdict(bookings), "outbox": asdict(outbox)},
        }
        result["checks"]["outbox"]["timeline"] = outbox.timeline[
            :: max(1, len(outbox.timeline) // 40)
        ]
        if self.fault is not None:
            result["fault"] = self._fault_result()
        return result

    def _phase_result(self, stats: PhaseStats) -> dict:
        lag = stats.loop_lag_ms
        return {
            "name": stats.name,
            "seconds": stats.seconds,
            "kinds": {kind: stats.summary(kind) for kind in sorted(stats.latencies)},
            "booking_rate": stats.rate(*BOOK_KINDS),
            "errors": {f"{kind}: {what}": n for (kind, what), n in stats.errors.items()},
            "cpu_cores": {k: round(v, 3) for k, v in stats.cpu_cores.items()},
            "database_per_second": {
                k: round(v, 2) for k, v in stats.notes["database_per_second"].items()
            },
            "nginx": stats.nginx,
            "loop_lag_ms": [
                round(percentile(lag, 0.5) or 0, 1),
                round(percentile(lag, 0.95) or 0, 1),
                round(max(lag, default=0), 1),
            ],
            "events": self.tracker.figures(stats.name),
            "events_caught_up_after": stats.notes.get("events_caught_up_after"),
            "events_p95_per_10s": [
                self.tracker.figures(stats.name, (t, t + 10))["p95"]
                for t in _steps(stats.began, stats.ended, 10)
            ],
            "bookings_per_second": stats.timeline(BOOK_KINDS),
        }

    def _fault_result(self) -> dict:
        assert self.fault is not None
        record = self.fault.record
        mixed = next(stats for stats in self.phases if stats.name == "mixed")
        found: dict = {"record": asdict(record)}
        if record.killed_at is not None:
            found["killed_at_seconds_into_phase"] = record.killed_at - mixed.began
            found["recovery"] = fault.recovery(mixed, BOOK_KINDS, record.killed_at)
            found["errors_around_kill"] = fault.errors_around(mixed, record.killed_at)
            kill = record.killed_at
            found["events_around_kill"] = self.tracker.figures("mixed", (kill - 1, kill + 10))
            found["events_after"] = self.tracker.figures("mixed", (kill + 10, mixed.ended))
        found["rq_registries"] = rq_registries(self.config.redis_url)
        return found


def _steps(start: float, end: float, step: float) -> list[float]:
    return [start + step * i for i in range(max(1, int((end - start) // step)))]


def rq_registries(redis_url: str) -> dict[str, int]:
    """Jobs RQ holds as failed (a killed worker's job ends there), started, queued."""
    import redis
    from rq import Queue

    queue = Queue("default", connection=redis.Redis.from_url(redis_url))
    return {
        "queued": queue.count,
        "started": queue.started_job_registry.count,
        "failed": queue.failed_job_registry.count,
        "scheduled": queue.scheduled_job_registry.count,
    }


# --- main ----------------------------------------------------------------------------------


def _terminate(_signum, _frame) -> None:
    raise SystemExit("terminated")  # unwinds through the finally that stops the stack


def main(argv: list[str] | None = None) -> int:
    config, json_path, keep_db = parse_args(argv)
    logging.basicConfig(level=logging.WARNING)
    logging.getLogger("socketio").setLevel(logging.ERROR)
    logging.getLogger("engineio").setLevel(logging.ERROR)
    signal.signal(signal.SIGTERM, _terminate)
    _refuse_if_taken(config)
    machine = {
        "uptime_before": stack.uptime_line(),
        "tests_running": bool(stack.others_running()),
    }
    print(f"{title(config)}; machine: {machine['uptime_before']}", flush=True)
    if machine["tests_running"]:
        print("  note: the test suite is running alongside", flush=True)
    shutil.rmtree(config.run_dir, ignore_errors=True)
    config.run_dir.mkdir(parents=True)
    stack.recreate_database(config)
    stack.flush_redis(config)
    try:
        data = seed(config)
        print(
            f"seeded {len(data.coaches)} load coaches, {len(data.clients)} clients, dense "
            f"and real coach in {data.seconds:.1f} s",
            flush=True,
        )
        with stack.running_stack(config) as the_stack:
            print(f"stack up on {config.base_url} ({config.processes} app processes)", flush=True)
            result = asyncio.run(Run(config, the_stack, data).run())
        print("stack stopped", flush=True)
    finally:
        left = stack.leftovers(config)
        if left:
            print(f"WARNING: processes of the run still alive: {left}", flush=True)
        if not keep_db:
            stack.drop_database(config)
    machine["uptime_after"] = stack.uptime_line()
    machine["tests_running"] = machine["tests_running"] or bool(stack.others_running())
    result["machine"] = machine
    json_path = json_path or Path(
        f"/tmp/coachbook-load-p{config.processes}{'-fault' if config.fault else ''}.json"
    )
    json_path.write_text(json.dumps(result, indent=1, default=str))
    # The stack's logs go with the figures (the next run starts with an empty run folder).
    logs = json_path.with_suffix(".logs")
    shutil.rmtree(logs, ignore_errors=True)
    shutil.copytree(config.run_dir / "logs", logs)
    report.print_run(result)
    print(f"\nfigures written to {json_path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
