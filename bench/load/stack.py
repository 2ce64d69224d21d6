"""The stack under test: its database and Redis db, ``scripts/prod-local start|stop``, its
processes (found through the pid files and /proc) and their CPU time.

``scripts/prod_local.py`` is loaded as a module only to restart a killed RQ worker exactly
as ``start`` spawns one (same command, environment, log and pid file, so ``stop`` stops
the new one too).
"""

from __future__ import annotations

import contextlib
import importlib.util
import os
import signal
import subprocess
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from unittest import mock

import psycopg
import redis

from bench.load.config import ROOT, LoadConfig

CLOCK_TICKS = os.sysconf("SC_CLK_TCK")


# --- database and Redis ----------------------------------------------------------------


def recreate_database(config: LoadConfig) -> None:
    """DROP (forcing out stale connections) and CREATE the run's own database."""
    with psycopg.connect(config.admin_dsn, autocommit=True) as connection:
        connection.execute(f'DROP DATABASE IF EXISTS "{config.database}" WITH (FORCE)')
        connection.execute(f'CREATE DATABASE "{config.database}"')


def drop_database(config: LoadConfig) -> None:
    with psycopg.connect(config.admin_dsn, autocommit=True) as connection:
        connection.execute(f'DROP DATABASE IF EXISTS "{config.database}" WITH (FORCE)')


def flush_redis(config: LoadConfig) -> None:
    """Empty the run's Redis database (queues, schedules, rate-limit counters) only."""
    redis.Redis.from_url(config.redis_url).flushdb()


# --- start and stop --------------------------------------------------------------------


def prod_local(config: LoadConfig, command: str, log: Path) -> None:
    """``scripts/prod-local <command>`` with the run's environment, output to ``log``."""
    log.parent.mkdir(parents=True, exist_ok=True)
    with log.open("ab") as out:
        code = subprocess.call(
            [str(ROOT / "scripts" / "prod-local"), command],
            cwd=ROOT,
            env=config.stack_env(),
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    if code != 0:
        raise RuntimeError(f"scripts/prod-local {command} failed ({code}): see {log}")


@contextlib.contextmanager
def running_stack(config: LoadConfig) -> Iterator[Stack]:
    """Start the stack; stop it on the way out, whatever happened in between."""
    log = config.run_dir / "prod-local.log"
    try:
        prod_local(config, "start", log)
        yield Stack(config)
    finally:
        prod_local(config, "stop", log)
        _reap_children()
        stray = leftovers(config)
        if stray:
            print(f"WARNING: still running after prod-local stop, stopped now: {stray}")
            for pid in stray:
                with contextlib.suppress(ProcessLookupError):
                    os.kill(pid, signal.SIGTERM)
            time.sleep(3)
            for pid in leftovers(config):
                with contextlib.suppress(ProcessLookupError):
                    os.kill(pid, signal.SIGKILL)
            _reap_children()


def _reap_children() -> None:
    """Collect the exit status of processes this one spawned (a restarted worker)."""
    with contextlib.suppress(ChildProcessError):
        while os.waitpid(-1, os.WNOHANG)[0]:
            pass


@dataclass
class Stack:
    config: LoadConfig

    def pid(self, name: str) -> int | None:
        path = self.config.run_dir / f"{name}.pid"
        try:
            return int(path.read_text().strip())
        except (OSError, ValueError):
            return None

    @property
    def master(self) -> int:
        pid = self.pid("web")
        if pid is None:
            raise RuntimeError("gunicorn's pid file is missing")
        return pid

    def app_processes(self) -> list[int]:
        """gunicorn's worker processes: the master's children."""
        return children(self.master)

    def rq_workers(self) -> list[int]:
        pids = (self.pid(f"worker-{n}") for n in range(1, self.config.rq_workers + 1))
        return [pid for pid in pids if pid is not None and alive(pid)]

    def nginx(self) -> list[int]:
        master = self.pid("nginx")
        return [master, *children(master)] if master else []

    def restart_rq_worker(self, number: int) -> int:
        """Start ``worker-<number>`` again as ``scripts/prod-local start`` does (what a
        supervisor such as systemd would do); the new pid."""
        module = _prod_local_module()
        with mock.patch.dict(os.environ, self.config.stack_env(), clear=True):
            stack = module.Stack()
            flask = [str(module.BIN / "flask"), "--app", "app"]
            stack.spawn(f"worker-{number}", [*flask, "worker"], stack.app_env())
        pid = self.pid(f"worker-{number}")
        assert pid is not None
        return pid


def _prod_local_module():
    spec = importlib.util.spec_from_file_location("prod_local", ROOT / "scripts/prod_local.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


# --- /proc -------------------------------------------------------------------------------


def _stat_fields(pid: int) -> list[str] | None:
    """The fields of /proc/<pid>/stat after the command name (which may hold spaces)."""
    try:
        text = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    return text.rpartition(")")[2].split()


def alive(pid: int) -> bool:
    fields = _stat_fields(pid)
    return fields is not None and fields[0] != "Z"


def children(parent: int) -> list[int]:
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            fields = _stat_fields(int(entry.name))
            if fields is not None and fields[1] == str(parent) and fields[0] != "Z":
                found.append(int(entry.name))
    return sorted(found)


def cpu_seconds(pid: int) -> float | None:
    """User + system CPU time of a process so far."""
    fields = _stat_fields(pid)
    if fields is None:
        return None
    # After the name: state(0) ppid(1) ... utime(11) stime(12).
    return (int(fields[11]) + int(fields[12])) / CLOCK_TICKS


def _comm(pid: int) -> str:
    try:
        return Path(f"/proc/{pid}/comm").read_text().strip()
    except OSError:
        return ""


def postgres_server_seconds() -> float:
    """CPU time of the whole PostgreSQL server (every database): the postmaster, its
    live children, and the children it has reaped (a backend that lived only during a
    phase: an overflow connection of a pool, opened and closed per request)."""
    total = 0.0
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit() or _comm(int(entry.name)) != "postgres":
            continue
        fields = _stat_fields(int(entry.name))
        if fields is None:
            continue
        own = (int(fields[11]) + int(fields[12])) / CLOCK_TICKS
        if _comm(int(fields[1])) != "postgres":  # the postmaster: add its reaped children
            own += (int(fields[13]) + int(fields[14])) / CLOCK_TICKS
        total += own
    return total


def database_activity(dsn: str, database: str) -> dict[str, float]:
    """``pg_stat_database`` counters of one database: sessions opened, commits, time
    spent running statements (ms), rows inserted."""
    with psycopg.connect(dsn, autocommit=True) as connection:
        row = connection.execute(
            "SELECT sessions, xact_commit, xact_rollback, active_time, tup_inserted"
            " FROM pg_stat_database WHERE datname = %s",
            (database,),
        ).fetchone()
    keys = ("sessions", "commits", "rollbacks", "active_ms", "rows_inserted")
    return dict(zip(keys, (float(v or 0) for v in row or (0,) * 5), strict=True))


def redis_server() -> list[int]:
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                if (entry / "comm").read_text().strip() == "redis-server":
                    found.append(int(entry.name))
            except OSError:
                continue
    return found


def machine_busy_seconds() -> tuple[float, float]:
    """(busy, total) CPU seconds of the whole machine since boot, summed over cores."""
    values = [int(v) for v in Path("/proc/stat").read_text().split("\n")[0].split()[1:]]
    idle = values[3] + values[4]  # idle + iowait
    total = sum(values[:8])  # guest time is already counted in user
    return (total - idle) / CLOCK_TICKS, total / CLOCK_TICKS


def uptime_line() -> str:
    return subprocess.run(["uptime"], capture_output=True, text=True).stdout.strip()


def leftovers(config: LoadConfig) -> list[int]:
    """Processes still running with the run's folder in their environment (the stack's)."""
    marker = f"PROD_DIR={config.run_dir}".encode()
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit() and int(entry.name) != os.getpid():
            try:
                environ = (entry / "environ").read_bytes().split(b"\0")
            except OSError:
                continue
            if marker in environ and alive(int(entry.name)):
                found.append(int(entry.name))
    return found


def others_running() -> list[str]:
    """Other heavy work on the machine that could disturb the figures (the test suite)."""
    out = subprocess.run(["pgrep", "-af", "pytest"], capture_output=True, text=True).stdout
    return [line for line in out.splitlines() if "pgrep" not in line]


class CpuMeter:
    """CPU seconds per group of processes over a phase: this load generator, the app
    processes, the RQ workers, nginx, the PostgreSQL server (all its databases, short-
    lived backends included), Redis (shared with whatever else uses it) and the machine
    as a whole; and the run's database's own counters (``database_activity``)."""

    def __init__(self, stack: Stack):
        self.stack = stack
        self._start: dict[str, dict[int, float]] = {}
        self._postgres = 0.0
        self._database: dict[str, float] = {}
        self._machine: tuple[float, float] = (0.0, 0.0)
        self._began = 0.0
        self.database: dict[str, float] = {}  # per second over the last phase

    def groups(self) -> dict[str, list[int]]:
        stack = self.stack
        return {
            "load generator": [os.getpid()],
            "app processes": [stack.master, *stack.app_processes()],
            "RQ workers": stack.rq_workers(),
            "nginx": stack.nginx(),
            "Redis (shared)": redis_server(),
        }

    def _sample(self) -> dict[str, dict[int, float]]:
        return {
            name: {pid: cpu for pid in pids if (cpu := cpu_seconds(pid)) is not None}
            for name, pids in self.groups().items()
        }

    def _activity(self) -> dict[str, float]:
        return database_activity(self.stack.config.dsn, self.stack.config.database)

    def start(self) -> None:
        self._database = self._activity()
        self._start = self._sample()
        self._postgres = postgres_server_seconds()
        self._machine = machine_busy_seconds()
        self._began = time.monotonic()

    def stop(self) -> dict[str, float]:
        """Cores used on average by each group since ``start`` (1.0 = one core busy)."""
        end = self._sample()
        postgres = postgres_server_seconds()
        busy, total = machine_busy_seconds()
        wall = time.monotonic() - self._began
        activity = self._activity()
        self.database = {k: (activity[k] - self._database[k]) / wall for k in activity}
        cores = {}
        for name, pids in end.items():
            before = self._start.get(name, {})
            # A process that appeared during the phase started from zero.
            used = sum(cpu - before.get(pid, 0.0) for pid, cpu in pids.items())
            cores[name] = used / wall
        cores["PostgreSQL server"] = (postgres - self._postgres) / wall
        run = sum(cores.values())
        cores["machine (all processes)"] = (busy - self._machine[0]) / wall
        # Whatever else ran (the test suite, another stack): a disturbed phase shows here.
        cores["other processes"] = max(0.0, cores["machine (all processes)"] - run)
        cores["machine capacity"] = (total - self._machine[1]) / wall
        return cores
