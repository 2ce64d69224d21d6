"""The price breakdown's JSON shape (SPEC 8.1), as the API's one schema for it dumps it."""

from __future__ import annotations

from decimal import Decimal

from blueprints.api.common import PriceBreakdownOut
from domain.pricing import Discount, PlatformFee, calculate_price


def as_json(duration: int, **values) -> dict:
    values.setdefault("fee", PlatformFee(Decimal("5"), 0, "client"))
    breakdown = calculate_price(
        price_default=9000, duration_default=60, duration=duration, currency="EUR", **values
    )
    return PriceBreakdownOut().dump(breakdown)


def test_the_breakdown_has_exactly_the_spec_shape():
    data = as_json(90, vat_rate=Decimal("0.19"), discount=Discount("SPRING", percent_off=10))
    assert data == {
        "currency": "EUR",
        "base": 13500,
        "discount": {"code": "SPRING", "amount": 1350},
        "net": 12150,
        "vat": {"rate": "0.19", "amount": 2309},
        "platform_fee": {"amount": 608, "payer": "client"},
        "total": 15067,
        "coach_payout": 14459,
    }


def test_without_a_coupon_the_discount_has_no_code_and_amount_zero():
    assert as_json(60)["discount"] == {"code": None, "amount": 0}
