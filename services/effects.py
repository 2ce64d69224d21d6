"""Side effects (emails, socket events, jobs) that run only after the transaction commits.

Services call ``after_commit(fn, *args)`` while they work; the callables run once the
session commits and are dropped if it rolls back, so nothing is announced that did not
happen.
"""

from __future__ import annotations

import logging
from collections.abc import Callable

from sqlalchemy import event
from sqlalchemy.orm import Session

logger = logging.getLogger(__name__)

_KEY = "after_commit"


def after_commit(fn: Callable, *args, **kwargs) -> None:
    """Run ``fn(*args, **kwargs)`` after the current transaction commits."""
    from extensions import db

    db.session().info.setdefault(_KEY, []).append((fn, args, kwargs))


def install(session_class: type[Session] | Session) -> None:
    """Hook the session events once (idempotent)."""
    if event.contains(session_class, "after_commit", _run_pending):
        return
    event.listen(session_class, "after_commit", _run_pending)
    event.listen(session_class, "after_soft_rollback", _drop_pending)


def _run_pending(session: Session) -> None:
    pending = session.info.pop(_KEY, [])
    for fn, args, kwargs in pending:
        try:
            fn(*args, **kwargs)
        except Exception:  # one failing effect must not stop the others
            logger.exception("after-commit effect %s failed", getattr(fn, "__name__", fn))


def _drop_pending(session: Session, previous_transaction) -> None:
    if previous_transaction.parent is None:
        session.info.pop(_KEY, None)
