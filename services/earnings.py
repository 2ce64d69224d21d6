"""A coach's earnings (SPEC 5): each booking that brought money, what the client paid,
what went back, the platform fee and what the coach keeps; totals per currency.

Through Stripe the coach keeps what was paid, less what was refunded and the platform
fee (``coach_payout`` when nothing was refunded: the fee is in the client's total or
taken from the payout, as ``PLATFORM_FEE_PAYER`` says; a refund comes out of the
coach's part). Bookings paid to the coach
directly (``offline``) are listed with the payout they are worth; Coachbook holds none
of that money.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field

from flask import current_app
from sqlalchemy import or_, select
from sqlalchemy.orm import joinedload

from extensions import db
from models import Booking, User
from services.catalog import require_coach


@dataclass(frozen=True)
class EarningsRow:
    booking: Booking
    paid: int
    refunded: int
    fee: int
    kept: int
    direct: bool  # paid to the coach directly, not through Stripe


@dataclass
class Totals:
    paid: int = 0
    refunded: int = 0
    fee: int = 0
    kept: int = 0
    direct: int = 0


@dataclass(frozen=True)
class Earnings:
    rows: list[EarningsRow]
    totals: dict[str, Totals] = field(default_factory=dict)  # by currency
    fee_percent: str = ""
    fee_fixed: int = 0
    fee_payer: str = "client"


def earnings(coach: User, limit: int = 200) -> Earnings:
    require_coach(coach)
    bookings = db.session.scalars(
        select(Booking)
        .options(joinedload(Booking.client), joinedload(Booking.session_type))
        .where(
            Booking.coach_id == coach.id,
            or_(
                Booking.amount_paid > 0,
                (Booking.payment_status == "offline")
                & Booking.status.in_(("confirmed", "completed")),
            ),
        )
        .order_by(Booking.start_at.desc(), Booking.id.desc())
        .limit(limit)
    ).all()
    rows, totals = [], defaultdict(Totals)
    for booking in bookings:
        row = _row(booking)
        rows.append(row)
        total = totals[booking.currency]
        if row.direct:
            total.direct += row.kept
        else:
            total.paid += row.paid
            total.refunded += row.refunded
            total.fee += row.fee
            total.kept += row.kept
    config = current_app.config
    return Earnings(
        rows,
        dict(totals),
        str(config["PLATFORM_FEE_PERCENT"]),
        int(config["PLATFORM_FEE_FIXED"]),
        config["PLATFORM_FEE_PAYER"],
    )


def _row(booking: Booking) -> EarningsRow:
    if booking.payment_status == "offline":
        return EarningsRow(booking, 0, 0, 0, booking.coach_payout, True)
    paid, refunded, fee = booking.amount_paid, booking.amount_refunded, booking.platform_fee_amount
    # Unrefunded, this is the booking's coach_payout (the fee is in the total or taken
    # from the payout); a refund comes out of the coach's part, the fee stays.
    return EarningsRow(booking, paid, refunded, fee, max(paid - refunded - fee, 0), False)
