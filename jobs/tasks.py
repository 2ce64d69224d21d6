"""The job functions: what RQ (or the in-process runner) calls, each one service call in
the app context the runner provides. Arguments are ids, never ORM objects."""

from __future__ import annotations

import logging

logger = logging.getLogger(__name__)


def send_emails(outbox_ids: list[int]) -> int:
    """Send these outbox rows (each claimed first, so a duplicate job sends nothing)."""
    from services import outbox

    return outbox.deliver_many(outbox_ids)


def send_refund(refund_id: int) -> str:
    """Ask Stripe for this refund (its idempotency key: a second run is the same refund)."""
    from services import payments

    return payments.send_refund(refund_id)


def expire_checkout(session_id: str) -> None:
    """Close a Checkout Session nobody should pay any more."""
    from services import payments

    payments.expire_session(session_id)


def periodic_tick(tick: str | None = None) -> dict:
    """One tick of the periodic jobs. On RQ the next tick is scheduled first, so a crash
    in this one does not end the chain; every sweep is idempotent."""
    from flask import current_app

    from jobs import schedule

    if tick is not None and current_app.config.get("REDIS_URL"):
        schedule.schedule_next_tick()
    from services import periodic

    return periodic.run_all()
