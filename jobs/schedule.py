"""The periodic jobs' clock: a chain of RQ jobs, one per minute, or a thread without Redis.

With Redis every ``flask --app app worker`` seeds the chain when it starts and each tick
schedules the next one. A tick's job id is derived from its minute and enqueued with
``unique=True``, so however many workers seed or continue the chain, one job runs per
minute. Without Redis a daemon thread in each serving process runs the tick every
``PERIODIC_INTERVAL_SECONDS``; the sweeps are idempotent and lock what they change, so
two processes ticking at once still act once.
"""

from __future__ import annotations

import logging
import os
import signal
import sys
import threading
from datetime import UTC, datetime, timedelta

from flask import Flask, current_app

from jobs import queue, run_in_process
from services.log_context import bound

logger = logging.getLogger(__name__)

TICK = timedelta(minutes=1)
_started: set[int] = set()
_lock = threading.Lock()


def tick_job_id(moment: datetime) -> str:
    return f"periodic-tick-{moment:%Y%m%dT%H%M}"


def schedule_next_tick(now: datetime | None = None) -> bool:
    """Put the tick of the next minute on RQ's schedule; False if it was there already."""
    from rq.exceptions import DuplicateJobError

    from jobs.tasks import periodic_tick

    now = now or datetime.now(UTC)
    at = now.replace(second=0, microsecond=0) + TICK
    job_id = tick_job_id(at)
    try:
        queue().enqueue_at(at, periodic_tick, job_id, job_id=job_id, unique=True)
    except DuplicateJobError:
        return False
    return True


def start_in_process(app: Flask) -> None:
    """Start the periodic thread of this process once (only without Redis)."""
    if app.config.get("REDIS_URL") or not app.config.get("PERIODIC_JOBS_IN_PROCESS"):
        return
    with _lock:
        if id(app) in _started:
            return
        _started.add(id(app))
    interval = app.config["PERIODIC_INTERVAL_SECONDS"]
    thread = threading.Thread(target=_loop, args=(app, interval), name="periodic-jobs", daemon=True)
    thread.start()
    logger.info("periodic jobs run in this process every %s s (no REDIS_URL)", interval)


def _loop(app: Flask, interval: float) -> None:
    from jobs.tasks import periodic_tick

    stop = threading.Event()
    while not stop.wait(interval):
        run_in_process(app, periodic_tick)


def run_worker(burst: bool = False) -> None:
    """An RQ worker on the app's queue with RQ's scheduler (for the ticks and delayed
    jobs), the periodic chain seeded. Jobs run in this process, in the app context the
    CLI pushed: no fork, so the app and its connection pool are built once."""
    q = queue()
    if not burst:
        schedule_next_tick()
    worker = _worker_class()([q], connection=q.connection)
    # RQ forks its scheduler off this process: it must not outlive a killed worker.
    os.register_at_fork(after_in_child=_die_with_parent)
    logger.info("worker on %s, queue %r", current_app.config["REDIS_URL"], q.name)
    worker.work(burst=burst, with_scheduler=True)


def _die_with_parent() -> None:
    """In a child of the worker (RQ's scheduler): get SIGTERM when the worker dies, even
    by SIGKILL, so no orphan scheduler keeps the scheduler lock (Linux's PR_SET_PDEATHSIG;
    elsewhere a supervisor stopping the process group does it)."""
    if not sys.platform.startswith("linux"):
        return
    import ctypes

    pr_set_pdeathsig = 1
    ctypes.CDLL("libc.so.6", use_errno=True).prctl(pr_set_pdeathsig, signal.SIGTERM)


def _worker_class():
    from rq import SimpleWorker

    class Worker(SimpleWorker):
        """RQ's SimpleWorker, its command channel read in short waits: RQ reads it in
        60-second waits and closes it while a read is pending, so a stopping worker
        (burst mode done, or a SIGTERM) could hang for up to a minute."""

        def perform_job(self, job, *args, **kwargs):
            """Run the job logging as the request that enqueued it (``meta``)."""
            with bound(job.meta.get("request_id")):
                return super().perform_job(job, *args, **kwargs)

        def subscribe(self):
            self.log.info("Worker %s: subscribing to %s", self.name, self.pubsub_channel_name)
            self.pubsub = self.connection.pubsub()
            self.pubsub.subscribe(**{self.pubsub_channel_name: self.handle_payload})
            self.pubsub_thread = self.pubsub.run_in_thread(
                sleep_time=0.5, daemon=True, exception_handler=self._pubsub_exception_handler
            )

    return Worker
