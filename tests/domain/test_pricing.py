"""The price breakdown of SPEC section 5: integer minor units, one rounding rule (half up).

base      = round_half_up(price_default * duration / duration_default)
discount  = percent → round_half_up(base * percent / 100); fixed → min(amount, base)
net       = base - discount
vat       = round_half_up(net * vat_rate)
fee       = round_half_up(net * PLATFORM_FEE_PERCENT / 100) + PLATFORM_FEE_FIXED
total     = net + vat + (fee if the client pays it)
payout    = net + vat - (fee if the coach pays it)
"""

from __future__ import annotations

from decimal import Decimal
from fractions import Fraction
from math import floor

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from domain.pricing import Discount, PlatformFee, PriceBreakdown, calculate_price, round_half_up

VAT_19 = Decimal("0.19")
CLIENT_PAYS = PlatformFee(Decimal(5), 0, "client")
COACH_PAYS = PlatformFee(Decimal(5), 0, "coach")


def price(duration=60, *, price_default=9000, duration_default=60, currency="EUR", **values):
    return calculate_price(
        price_default=price_default,
        duration_default=duration_default,
        duration=duration,
        currency=currency,
        **values,
    )


def parts(b: PriceBreakdown) -> tuple[int, ...]:
    return (b.base, b.discount_amount, b.net, b.vat_amount, b.fee_amount, b.total, b.coach_payout)


# --- rounding -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "rounded"),
    [("2.5", 3), ("0.5", 1), ("1.5", 2), ("1.4999", 1), ("2.4", 2), ("-0.5", -1), ("7", 7)],
)
def test_halves_round_up_never_to_even(value, rounded):
    assert round_half_up(Decimal(value)) == rounded


# --- worked examples ----------------------------------------------------------------------


def test_ninety_minutes_of_a_sixty_minute_type_cost_one_and_a_half_times_the_price():
    assert price(90).base == 13500
    assert price(30).base == 4500


def test_a_pro_rata_base_rounds_half_up():
    assert price(30, price_default=1001).base == 501  # 500.5
    assert price(60, price_default=1000, duration_default=45).base == 1333  # 1333.33


def test_vat_and_a_fee_the_client_pays_are_added_to_the_total():
    b = price(90, vat_rate=VAT_19, fee=CLIENT_PAYS)
    # base 13500, vat 19 % = 2565, fee 5 % = 675
    assert parts(b) == (13500, 0, 13500, 2565, 675, 16740, 16065)
    assert b.fee_payer == "client"


def test_a_fee_the_coach_pays_comes_out_of_the_payout():
    b = price(90, vat_rate=VAT_19, fee=COACH_PAYS)
    assert parts(b) == (13500, 0, 13500, 2565, 675, 16065, 15390)
    assert b.fee_payer == "coach"


def test_a_percent_coupon_rounds_half_up_and_vat_and_fee_follow_the_net():
    b = price(45, vat_rate=VAT_19, discount=Discount("SPRING", percent_off=15))
    # base 6750; 15 % = 1012.5 → 1013; net 5737; vat 1090.03 → 1090; fee 286.85 → 287
    assert parts(b) == (6750, 1013, 5737, 1090, 287, 7114, 6827)
    assert b.discount_code == "SPRING"


def test_vat_and_fee_halves_round_up():
    b = price(60, price_default=50, vat_rate=VAT_19)
    assert (b.vat_amount, b.fee_amount) == (10, 3)  # 9.5 and 2.5


def test_a_fixed_coupon_is_taken_off_the_base():
    b = price(60, discount=Discount("TENOFF", amount_off=1000))
    assert (b.discount_amount, b.net) == (1000, 8000)


def test_a_fixed_coupon_larger_than_the_base_discounts_exactly_the_base():
    b = price(60, vat_rate=VAT_19, discount=Discount("BIG", amount_off=20000))
    assert parts(b) == (9000, 9000, 0, 0, 0, 0, 0)


def test_a_hundred_percent_coupon_makes_the_session_free_without_a_fee():
    b = price(60, discount=Discount("FREE", percent_off=100), fee=PlatformFee(Decimal(5), 30))
    assert parts(b) == (9000, 9000, 0, 0, 0, 0, 0)


def test_a_zero_decimal_currency_uses_the_same_formulas_in_whole_yen():
    b = price(45, price_default=5000, currency="JPY", vat_rate=Decimal("0.10"))
    # base 3750, vat 375, fee 187.5 → 188
    assert parts(b) == (3750, 0, 3750, 375, 188, 4313, 4125)
    assert b.currency == "JPY"


def test_a_fixed_platform_fee_is_added_to_the_percentage():
    b = price(60, price_default=10000, fee=PlatformFee(Decimal("2.9"), 30, "client"))
    assert (b.fee_amount, b.total) == (320, 10320)


def test_without_vat_the_vat_is_zero():
    b = price(60)
    assert (b.vat_rate, b.vat_amount) == (Decimal(0), 0)


# --- the two documented choices -----------------------------------------------------------


def test_a_free_session_carries_no_platform_fee_even_a_fixed_one():
    for payer in ("client", "coach"):
        b = price(60, price_default=0, fee=PlatformFee(Decimal(5), 50, payer))
        assert parts(b) == (0, 0, 0, 0, 0, 0, 0)


def test_a_fee_the_coach_pays_never_exceeds_what_the_coach_receives():
    b = price(60, price_default=20, fee=PlatformFee(Decimal(5), 50, "coach"))
    assert (b.net, b.fee_amount, b.total, b.coach_payout) == (20, 20, 20, 0)
    b = price(60, price_default=20, fee=PlatformFee(Decimal(5), 50, "client"))
    assert (b.fee_amount, b.total, b.coach_payout) == (51, 71, 20)  # the client's fee is not capped


# --- properties ---------------------------------------------------------------------------


def half_up(value: Fraction) -> int:
    """The rule for amounts that are never negative, computed independently of Decimal."""
    return floor(value + Fraction(1, 2))


discounts = st.one_of(
    st.none(),
    st.integers(1, 100).map(lambda p: Discount("PCT", percent_off=p)),
    st.integers(0, 20_000_000).map(lambda a: Discount("FIX", amount_off=a)),
)
fees = st.builds(
    PlatformFee,
    percent=st.decimals(0, 30, places=2),
    fixed=st.integers(0, 1000),
    payer=st.sampled_from(["client", "coach"]),
)
quarter_hours = st.integers(1, 32).map(lambda n: n * 15)


@settings(max_examples=200, deadline=None)
@given(
    price_default=st.integers(0, 10_000_000),
    duration_default=quarter_hours,
    duration=quarter_hours,
    vat_rate=st.decimals(0, Decimal("0.5"), places=4),
    discount=discounts,
    fee=fees,
    currency=st.sampled_from(["EUR", "JPY", "KWD"]),
)
def test_the_parts_add_up_and_no_amount_is_negative(
    price_default, duration_default, duration, vat_rate, discount, fee, currency
):
    b = calculate_price(
        price_default=price_default,
        duration_default=duration_default,
        duration=duration,
        currency=currency,
        vat_rate=vat_rate,
        discount=discount,
        fee=fee,
    )
    client_fee = b.fee_amount if fee.payer == "client" else 0
    coach_fee = b.fee_amount if fee.payer == "coach" else 0
    assert b.total == b.net + b.vat_amount + client_fee
    assert b.coach_payout == b.net + b.vat_amount - coach_fee
    assert b.net == b.base - b.discount_amount
    assert 0 <= b.discount_amount <= b.base
    assert min(parts(b)) >= 0

    # Each part by the SPEC formula, in exact fractions.
    assert b.base == half_up(Fraction(price_default * duration, duration_default))
    if discount is None:
        assert b.discount_amount == 0
    elif discount.percent_off is not None:
        assert b.discount_amount == half_up(Fraction(b.base * discount.percent_off, 100))
    else:
        assert b.discount_amount == min(discount.amount_off, b.base)
    assert b.vat_amount == half_up(b.net * Fraction(vat_rate))
    spec_fee = half_up(b.net * Fraction(fee.percent) / 100) + fee.fixed if b.net > 0 else 0
    if fee.payer == "coach":
        spec_fee = min(spec_fee, b.net + b.vat_amount)
    assert b.fee_amount == spec_fee
