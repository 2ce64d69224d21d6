"""How much of a cancelled booking is refunded (SPEC section 5, ``calculate_refund_amount``).

By the coach (or before payment): everything paid. By the client, by the hours left before
the start: from 24 h all of it, from 2 h 50 % rounded half up, later nothing (the defaults).
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from domain.refunds import CancellationPolicy, calculate_refund_amount

START = datetime(2026, 6, 10, 14, tzinfo=UTC)
PAID = 16741  # an odd amount, so that half of it needs rounding


DEFAULTS = CancellationPolicy()  # 24 h, 2 h, 50 %


def refund(before: timedelta, *, by="client", paid=PAID, policy=DEFAULTS) -> int:
    return calculate_refund_amount(
        amount_paid=paid, start=START, now=START - before, cancelled_by=by, policy=policy
    )


def hours(h: float) -> timedelta:
    return timedelta(hours=h)


@pytest.mark.parametrize("before", [hours(72), hours(3), hours(0.5), hours(-5)])
def test_the_coach_cancelling_refunds_everything_paid_at_any_time(before):
    assert refund(before, by="coach") == PAID


def test_the_system_cancelling_refunds_everything_paid():
    assert refund(hours(1), by="system") == PAID


def test_a_client_cancelling_a_day_or_more_ahead_gets_everything_back():
    assert refund(hours(24)) == PAID  # exactly at the boundary
    assert refund(timedelta(days=30)) == PAID


def test_a_client_cancelling_between_two_and_twenty_four_hours_ahead_gets_half_rounded_up():
    assert refund(hours(24) - timedelta(seconds=1)) == 8371  # 8370.5
    assert refund(hours(5)) == 8371
    assert refund(hours(2)) == 8371  # exactly at the boundary
    assert refund(hours(5), paid=16740) == 8370


def test_a_client_cancelling_less_than_two_hours_ahead_gets_nothing():
    assert refund(hours(2) - timedelta(microseconds=1)) == 0
    assert refund(hours(0)) == 0
    assert refund(hours(-1)) == 0


@pytest.mark.parametrize("by", ["client", "coach", "system"])
def test_nothing_is_refunded_when_nothing_was_paid(by):
    assert refund(hours(48), by=by, paid=0) == 0


def test_the_session_types_own_policy_applies():
    policy = CancellationPolicy(
        full_refund_hours=48, partial_refund_hours=6, partial_refund_percent=25
    )
    assert refund(hours(48), policy=policy) == PAID
    assert refund(hours(47), policy=policy) == 4185  # 4185.25
    assert refund(hours(6), policy=policy) == 4185
    assert refund(hours(5), policy=policy) == 0


def test_a_policy_without_a_partial_refund_goes_from_all_to_nothing():
    policy = CancellationPolicy(
        full_refund_hours=24, partial_refund_hours=24, partial_refund_percent=50
    )
    assert refund(hours(24), policy=policy) == PAID
    assert refund(hours(23), policy=policy) == 0


# --- properties ---------------------------------------------------------------------------

policies = st.tuples(st.integers(0, 168), st.integers(0, 168), st.integers(0, 100)).map(
    lambda p: CancellationPolicy(max(p[0], p[1]), min(p[0], p[1]), p[2])
)
offsets = st.integers(-3 * 86_400, 10 * 86_400).map(lambda s: timedelta(seconds=s))


@settings(max_examples=200, deadline=None)
@given(
    paid=st.integers(0, 10_000_000),
    by=st.sampled_from(["client", "coach", "system"]),
    policy=policies,
    earlier=offsets,
    later=offsets,
)
def test_a_refund_is_never_more_than_paid_and_never_grows_as_the_start_approaches(
    paid, by, policy, earlier, later
):
    earlier, later = max(earlier, later), min(earlier, later)  # time before the start
    first = refund(earlier, by=by, paid=paid, policy=policy)
    second = refund(later, by=by, paid=paid, policy=policy)
    assert 0 <= second <= first <= paid
    if by != "client":
        assert first == second == paid
