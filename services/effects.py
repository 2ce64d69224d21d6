"""Side effects (emails, socket events, jobs) that run only after the transaction commits.

Services call ``after_commit(fn, *args)`` while they work; the callables run once the
session commits and are dropped if it rolls back, so nothing is announced that did not
happen.

With ``REDIS_URL`` set the effects are hand-offs to Redis (Socket.IO publishes, RQ
enqueues): those of a request are handed, when the request ends, to a ``Dispatcher``,
one background thread per app process, so the response does not wait for them; the
thread runs them in commit order.
What they hand over is safe without them (the outbox rows are committed, the sweeper
sends what no job did; a live event is best-effort). Without Redis, and outside a
request (jobs, the CLI), they run right here, in the committing thread.
"""

from __future__ import annotations

import atexit
import logging
import os
import queue
import threading
import time
from collections.abc import Callable

from flask import Flask, current_app, g, has_request_context
from sqlalchemy import event
from sqlalchemy.orm import Session

from services.log_context import NO_REQUEST, bound, current_request_id

logger = logging.getLogger(__name__)

_KEY = "after_commit"


def after_commit(fn: Callable, *args, **kwargs) -> None:
    """Run ``fn(*args, **kwargs)`` after the current transaction commits."""
    from extensions import db

    db.session().info.setdefault(_KEY, []).append((fn, args, kwargs))


def install(session_class: type[Session] | Session, app: Flask) -> None:
    """Hook the session events (once) and the app's end of request."""
    app.teardown_request(_hand_over)
    if event.contains(session_class, "after_commit", _run_pending):
        return
    event.listen(session_class, "after_commit", _run_pending)
    event.listen(session_class, "after_soft_rollback", _drop_pending)


def _run_pending(session: Session) -> None:
    pending = session.info.pop(_KEY, [])
    if not pending:
        return
    if has_request_context() and current_app.config.get("REDIS_URL"):
        g.setdefault(_KEY, []).extend(pending)  # handed over when the request ends
    else:
        run(pending)


def _hand_over(_error=None) -> None:
    """At the end of a request: its committed effects to the dispatcher thread (handing
    them over at the commit would have the thread compete with the rest of the request
    for the interpreter)."""
    pending = g.pop(_KEY, None)
    if pending:
        Dispatcher.of(current_app._get_current_object()).put(pending, current_request_id())


def run(pending: list) -> None:
    for fn, args, kwargs in pending:
        try:
            fn(*args, **kwargs)
        except Exception:  # one failing effect must not stop the others
            logger.exception("after-commit effect %s failed", getattr(fn, "__name__", fn))


def _drop_pending(session: Session, previous_transaction) -> None:
    if previous_transaction.parent is None:
        session.info.pop(_KEY, None)


class Dispatcher:
    """A background thread of this process running an app's after-commit effects, in
    the order of their commits. Before the process exits it finishes what it holds
    (``DRAIN_SECONDS`` at most)."""

    DRAIN_SECONDS = 5.0
    _lock = threading.Lock()

    def __init__(self, app: Flask):
        self.app = app
        self.pid = os.getpid()
        self.queue: queue.Queue = queue.Queue()
        thread = threading.Thread(target=self._loop, name="after-commit-effects", daemon=True)
        thread.start()
        atexit.register(self.drain, self.DRAIN_SECONDS)

    @classmethod
    def of(cls, app: Flask) -> Dispatcher:
        """The app's dispatcher in this process (a forked worker starts its own)."""
        dispatcher = app.extensions.get("effects_dispatcher")
        if dispatcher is None or dispatcher.pid != os.getpid():
            with cls._lock:
                dispatcher = app.extensions.get("effects_dispatcher")
                if dispatcher is None or dispatcher.pid != os.getpid():
                    dispatcher = app.extensions["effects_dispatcher"] = cls(app)
        return dispatcher

    def put(self, pending: list, request_id: str = NO_REQUEST) -> None:
        """Run ``pending`` on the thread, logging (and enqueueing jobs) as ``request_id``."""
        self.queue.put((request_id, pending))

    def drain(self, timeout: float) -> bool:
        """Wait until every effect handed over so far has run; False on timeout."""
        deadline = time.monotonic() + timeout
        with self.queue.all_tasks_done:
            while self.queue.unfinished_tasks:
                remaining = deadline - time.monotonic()
                if remaining <= 0 or not self.queue.all_tasks_done.wait(remaining):
                    return not self.queue.unfinished_tasks
        return True

    def _loop(self) -> None:
        while True:
            request_id, pending = self.queue.get()
            try:
                with self.app.app_context(), bound(request_id):
                    run(pending)
            except Exception:  # never let the thread die
                logger.exception("after-commit effects failed")
            finally:
                self.queue.task_done()


def drain(app: Flask, timeout: float = Dispatcher.DRAIN_SECONDS) -> bool:
    """Wait for the effects of this app's requests handed to its dispatcher so far."""
    dispatcher = app.extensions.get("effects_dispatcher")
    return dispatcher is None or dispatcher.drain(timeout)
