"""Background jobs (SPEC 3): on RQ with ``REDIS_URL``, in-process after the commit
without it.

``enqueue(task, *args)`` is called while a change is being written; the job is handed
over only after the commit (nothing runs for a change that rolled back). With Redis it
goes on the ``default`` RQ queue for ``flask --app app worker``; if Redis cannot be
reached the work is not lost: every task here re-reads its rows and the periodic sweeps
(``jobs.tasks.periodic_tick``) pick up whatever was left. Without Redis the task runs in
this process right after the commit, in an app context (and database session) of its
own.

Tasks are module-level functions of ``jobs.tasks`` taking ids, never ORM objects.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from functools import cache

from flask import Flask, current_app

from services.effects import after_commit
from services.log_context import current_request_id

logger = logging.getLogger(__name__)

QUEUE = "default"
# A job that runs longer than this is stopped by the worker (and swept again later).
JOB_TIMEOUT_SECONDS = 300


def enqueue(task: Callable, *args) -> None:
    """Run ``task(*args)`` after the current transaction commits."""
    after_commit(dispatch, task, *args)


def dispatch(task: Callable, *args) -> None:
    """Hand ``task(*args)`` over now: to RQ, or run it here without Redis."""
    app = current_app._get_current_object()
    if app.config.get("REDIS_URL"):
        import redis

        try:
            queue(app).enqueue(task, *args, job_timeout=JOB_TIMEOUT_SECONDS, meta=job_meta())
        except redis.RedisError:
            logger.warning(
                "Redis unreachable: %s%s left for the periodic sweep", task.__name__, args
            )
        return
    run_in_process(app, task, *args)


def job_meta() -> dict:
    """What a job carries from the request that caused it: its id, for the logs."""
    return {"request_id": current_request_id()}


def run_in_process(app: Flask, task: Callable, *args) -> None:
    """Run the task in an app context of its own (its own database session: the caller's
    may be finishing a commit); a failure is logged, never raised to the caller."""
    with app.app_context():
        try:
            task(*args)
        except Exception:
            logger.exception("in-process job %s%s failed", task.__name__, args)


def queue(app: Flask | None = None):
    """The app's RQ queue on ``REDIS_URL``."""
    from rq import Queue

    app = app or current_app._get_current_object()
    return Queue(QUEUE, connection=redis_connection(app.config["REDIS_URL"]))


@cache
def redis_connection(url: str):
    import redis

    return redis.Redis.from_url(url, socket_connect_timeout=2, socket_timeout=5)
