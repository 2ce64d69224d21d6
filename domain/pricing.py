"""The price breakdown of SPEC section 5: one function for the preview and the booking.

All amounts are integer minor units of the coach's currency (for zero-decimal currencies
such as JPY the minor unit is the unit itself, so the formulas are the same); Decimal is
used only inside the computation, with one rounding rule: half up.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

FEE_PAYERS = ("client", "coach")


def round_half_up(value: Decimal) -> int:
    """0.5 → 1, 2.5 → 3, -0.5 → -1 (away from zero at the half)."""
    return int(value.quantize(Decimal(1), rounding=ROUND_HALF_UP))


@dataclass(frozen=True)
class PlatformFee:
    percent: Decimal = Decimal(5)
    fixed: int = 0
    payer: str = "client"


@dataclass(frozen=True)
class Discount:
    """A coupon's terms: ``percent_off`` (1-100) or ``amount_off`` (minor units)."""

    code: str
    percent_off: int | None = None
    amount_off: int | None = None


@dataclass(frozen=True)
class PriceBreakdown:
    currency: str
    base: int
    discount_code: str | None
    discount_amount: int
    net: int
    vat_rate: Decimal
    vat_amount: int
    fee_amount: int
    fee_payer: str
    total: int
    coach_payout: int


def calculate_price(
    *,
    price_default: int,
    duration_default: int,
    duration: int,
    currency: str,
    vat_rate: Decimal = Decimal(0),
    discount: Discount | None = None,
    fee: PlatformFee = PlatformFee(),
) -> PriceBreakdown:
    """SPEC section 5, exactly.

    Two cases the formula leaves open are settled so no amount is ever negative: a booking
    whose net is 0 (a free session, or a 100 % coupon) carries no platform fee, and a fee
    the coach pays never exceeds what the coach receives (net + VAT).
    """
    base = round_half_up(Decimal(price_default) * duration / duration_default)
    discount_amount = _discount_amount(base, discount)
    net = base - discount_amount
    vat = round_half_up(Decimal(net) * vat_rate)
    fee_amount = 0
    if net > 0:
        fee_amount = round_half_up(Decimal(net) * fee.percent / 100) + fee.fixed
    if fee.payer == "coach":
        fee_amount = min(fee_amount, net + vat)
    total = net + vat + (fee_amount if fee.payer == "client" else 0)
    payout = net + vat - (fee_amount if fee.payer == "coach" else 0)
    return PriceBreakdown(
        currency=currency,
        base=base,
        discount_code=discount.code if discount else None,
        discount_amount=discount_amount,
        net=net,
        vat_rate=vat_rate,
        vat_amount=vat,
        fee_amount=fee_amount,
        fee_payer=fee.payer,
        total=total,
        coach_payout=payout,
    )


def _discount_amount(base: int, discount: Discount | None) -> int:
    if discount is None:
        return 0
    if discount.percent_off is not None:
        return round_half_up(Decimal(base) * discount.percent_off / 100)
    return min(discount.amount_off or 0, base)
