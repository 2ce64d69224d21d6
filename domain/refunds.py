"""How much of a cancelled booking is refunded (SPEC section 5)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from domain.pricing import round_half_up


@dataclass(frozen=True)
class CancellationPolicy:
    full_refund_hours: int = 24
    partial_refund_hours: int = 2
    partial_refund_percent: int = 50


def calculate_refund_amount(
    *,
    amount_paid: int,
    start: datetime,
    now: datetime,
    cancelled_by: str,
    policy: CancellationPolicy = CancellationPolicy(),
) -> int:
    """By the coach (or the system): everything paid. By the client: everything from
    ``full_refund_hours`` before the start, ``partial_refund_percent`` from
    ``partial_refund_hours``, nothing later. Before payment nothing was paid, so 0."""
    if amount_paid <= 0:
        return 0
    if cancelled_by != "client":
        return amount_paid
    hours_before = Decimal((start - now).total_seconds()) / 3600
    if hours_before >= policy.full_refund_hours:
        return amount_paid
    if hours_before >= policy.partial_refund_hours:
        return min(
            amount_paid, round_half_up(Decimal(amount_paid) * policy.partial_refund_percent / 100)
        )
    return 0
