"""The booking status machine of SPEC section 4, and who may make each move.

The SPEC's table is written out here again, independently, and compared with the data
the application uses; then every move is tried by every actor.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from domain.errors import AppError
from domain.status import (
    ACTIVE_STATUSES,
    BOOKING_STATUSES,
    TRANSITIONS,
    BookingState,
    check_reschedule,
    check_transition,
    payment_deadline,
)

ACTORS = ("coach", "client", "system")

# SPEC 4, "Status machine": from → {to: who may do it}.
SPEC_TABLE = {
    "pending_payment": {
        "confirmed": {"system"},  # the payment succeeded
        "expired": {"system"},  # the checkout session expired
        "cancelled_by_client": {"client"},  # abandoning an unpaid checkout
    },
    "requested": {
        "confirmed": {"coach"},  # accept
        "declined": {"coach"},
        "time_suggested": {"coach"},
        "cancelled_by_client": {"client"},
    },
    "time_suggested": {
        "confirmed": {"client"},  # choosing a suggested time
        "declined": {"client"},  # declining the suggestion
        "cancelled_by_client": {"client"},
    },
    "confirmed": {
        "completed": {"coach", "system"},
        "cancelled_by_coach": {"coach"},
        "cancelled_by_client": {"client"},
        "expired": {"system"},  # an accepted request left unpaid at the deadline
    },
}
STATUSES = [
    "pending_payment",
    "requested",
    "time_suggested",
    "confirmed",
    "declined",
    "expired",
    "completed",
    "cancelled_by_coach",
    "cancelled_by_client",
]
ALLOWED = [(f, t, who) for f, moves in SPEC_TABLE.items() for t, who in moves.items()]

START = datetime(2026, 6, 10, 14, tzinfo=UTC)
END = START + timedelta(hours=1)
BEFORE = START - timedelta(days=3)
AFTER = END + timedelta(minutes=1)


def booking(status: str) -> BookingState:
    return BookingState(status, START, END)


def error_code(call) -> str | None:
    try:
        call()
    except AppError as error:
        return error.code
    return None


def test_the_transition_table_is_exactly_the_spec_table():
    as_data = {(f, t): frozenset(who) for f, t, who in ALLOWED}
    assert as_data == TRANSITIONS


def test_the_active_statuses_are_the_ones_holding_time():
    assert set(ACTIVE_STATUSES) == {"pending_payment", "requested", "confirmed"}
    assert set(BOOKING_STATUSES) == set(STATUSES)


def may_transition(actor: str, state: BookingState, target: str, now: datetime) -> bool:
    try:
        check_transition(actor, state, target, now)
    except AppError:
        return False
    return True


@pytest.mark.parametrize(("source", "target", "actors"), ALLOWED)
def test_each_allowed_move_passes_for_its_actors_and_is_forbidden_to_the_others(
    source, target, actors
):
    now = AFTER if target == "completed" else BEFORE
    for actor in ACTORS:
        code = error_code(lambda a=actor: check_transition(a, booking(source), target, now))
        assert code == (None if actor in actors else "forbidden"), actor
        assert may_transition(actor, booking(source), target, now) is (actor in actors)


NOT_ALLOWED = [(f, t) for f in STATUSES for t in STATUSES if t not in SPEC_TABLE.get(f, {})]


@pytest.mark.parametrize(("source", "target"), NOT_ALLOWED)
def test_a_move_not_in_the_table_is_an_invalid_transition_for_everyone(source, target):
    for actor in ACTORS:
        call = lambda a=actor: check_transition(a, booking(source), target, AFTER)  # noqa: E731
        assert error_code(call) == "invalid_transition"


def test_a_refused_move_names_the_status_and_the_target():
    with pytest.raises(AppError) as refused:
        check_transition("coach", booking("declined"), "confirmed", BEFORE)
    assert refused.value.details == {"status": ["declined"], "target": ["confirmed"]}


@pytest.mark.parametrize("actor", ["coach", "system"])
def test_completing_a_session_before_it_ends_is_an_invalid_transition(actor):
    for now in (BEFORE, START, END - timedelta(seconds=1)):
        code = error_code(
            lambda n=now: check_transition(actor, booking("confirmed"), "completed", n)
        )
        assert code == "invalid_transition"
    check_transition(actor, booking("confirmed"), "completed", END)  # from the end on


def test_final_statuses_allow_no_move_at_all():
    for source in set(STATUSES) - set(SPEC_TABLE):
        for target in STATUSES:
            assert not any(may_transition(a, booking(source), target, AFTER) for a in ACTORS)


# --- rescheduling -------------------------------------------------------------------------


def reschedule_code(actor: str, status: str, before_start: timedelta, full_refund_hours=24):
    state = booking(status)
    return error_code(
        lambda: check_reschedule(actor, state, START - before_start, full_refund_hours)
    )


def test_the_client_may_reschedule_while_the_full_refund_window_is_open():
    assert reschedule_code("client", "confirmed", timedelta(hours=48)) is None
    assert reschedule_code("client", "confirmed", timedelta(hours=24)) is None  # the boundary


def test_the_client_may_not_reschedule_once_the_full_refund_window_closed():
    just_inside = timedelta(hours=24) - timedelta(seconds=1)
    assert reschedule_code("client", "confirmed", just_inside) == "invalid_transition"
    assert reschedule_code("client", "confirmed", timedelta(hours=3), 2) is None
    assert reschedule_code("client", "confirmed", timedelta(hours=1), 2) == "invalid_transition"


def test_the_coach_may_reschedule_until_the_session_starts():
    assert reschedule_code("coach", "confirmed", timedelta(minutes=1)) is None
    assert reschedule_code("coach", "confirmed", timedelta(0)) == "invalid_transition"
    assert reschedule_code("coach", "confirmed", -timedelta(minutes=5)) == "invalid_transition"


@pytest.mark.parametrize("status", [s for s in STATUSES if s != "confirmed"])
def test_only_a_confirmed_booking_can_be_rescheduled(status):
    for actor in ("coach", "client"):
        assert reschedule_code(actor, status, timedelta(days=5)) == "invalid_transition"


def test_the_system_does_not_reschedule():
    assert reschedule_code("system", "confirmed", timedelta(days=5)) == "forbidden"


class TestPaymentDeadline:
    START = datetime(2026, 12, 10, 18, 0, tzinfo=UTC)

    def test_twelve_hours_before_the_start_when_accepted_early(self):
        accepted = self.START - timedelta(days=3)
        assert payment_deadline(self.START, accepted) == self.START - timedelta(hours=12)

    def test_an_hour_to_pay_when_accepted_late(self):
        accepted = self.START - timedelta(hours=5)
        assert payment_deadline(self.START, accepted) == accepted + timedelta(hours=1)

    def test_never_after_the_start(self):
        accepted = self.START - timedelta(minutes=20)
        assert payment_deadline(self.START, accepted) == self.START
