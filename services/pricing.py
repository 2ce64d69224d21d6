"""Prices of a coach's sessions: the breakdown of SPEC section 5 from the session type, the
duration and a coupon. One function for the booking modal's preview and the booking."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

from flask import current_app

from domain.errors import not_found
from domain.pricing import Discount, PlatformFee, PriceBreakdown, calculate_price
from extensions import db
from models import Coupon, SessionType, User
from models.types import utcnow
from services.catalog import bookable_session_type, check_duration, usable_coupon
from services.visibility import can_view_calendar


def price_preview(
    viewer,
    session_type_id: int,
    duration: int | None,
    coupon_code: str | None,
    now: datetime | None = None,
) -> PriceBreakdown:
    """The breakdown the booking modal shows, computed by the same function as the booking."""
    session_type = db.session.get(SessionType, session_type_id)
    if session_type is None or not can_view_calendar(viewer, session_type.coach):
        raise not_found("session type")
    coach = session_type.coach
    session_type = bookable_session_type(coach, session_type_id)
    duration = check_duration(session_type, duration)
    coupon = usable_coupon(coach, coupon_code, now or utcnow()) if coupon_code else None
    return price_for(coach, session_type, duration, coupon)


def price_for(
    coach: User, session_type: SessionType, duration: int, coupon: Coupon | None
) -> PriceBreakdown:
    config = current_app.config
    fee = PlatformFee(
        Decimal(str(config["PLATFORM_FEE_PERCENT"])),
        int(config["PLATFORM_FEE_FIXED"]),
        config["PLATFORM_FEE_PAYER"],
    )
    discount = None
    if coupon is not None:
        discount = Discount(coupon.code, coupon.percent_off, coupon.amount_off)
    return calculate_price(
        price_default=session_type.price_amount,
        duration_default=session_type.duration_default,
        duration=duration,
        currency=coach.currency,
        vat_rate=coach.vat_rate or Decimal(0),
        discount=discount,
        fee=fee,
    )
