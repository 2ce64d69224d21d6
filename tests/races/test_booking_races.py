"""Races for a coach's time with real concurrent requests against a served app, on SQLite
and PostgreSQL (SPEC section 4, Booking 3; issue 5 "Races"): however many clients race,
no two active bookings overlap, a group session never takes more than its seats, and
every loser gets 409 ``slot_unavailable``, never a 5xx."""

from __future__ import annotations

from datetime import timedelta

import pytest

from extensions import db
from models import Booking
from tests.api.scheduling import MONDAY, create_window, local, z
from tests.factories import make_client, make_coach, make_session_type
from tests.races.racing import (
    Call,
    active_bookings,
    assert_no_overlap,
    assert_only_wins_and_conflicts,
    race,
)

BOOKINGS = "/api/bookings"


def at(hour: int, minute: int = 0):
    return local(MONDAY, hour, minute)


@pytest.fixture
def coach(app):
    return make_coach(app, calendar_privacy="public")


@pytest.fixture
def hour_type(app, coach):
    """60 minutes (30 to 90 in steps of 15), booked firm by everyone."""
    return make_session_type(app, coach)


@pytest.fixture
def nine_to_five(api, coach):
    return create_window(api, coach, at(9), at(17))


def clients(app, n: int):
    return [make_client(app) for _ in range(n)]


def book(coach, session_type: int, start, **extra) -> dict:
    return {"coach_id": coach.id, "session_type_id": session_type, "start": z(start), **extra}


def create(api, person, body: dict) -> dict:
    response = api.post(BOOKINGS, json=body, as_=person)
    assert response.status_code == 201, response.get_json()
    return response.get_json()["booking"]


@pytest.mark.usefixtures("nine_to_five")
def test_twenty_clients_booking_the_same_start_get_one_booking(app, served, coach, hour_type):
    racers = clients(app, 20)
    calls = [Call("POST", BOOKINGS, c.token, book(coach, hour_type, at(10))) for c in racers]

    answers = race(served, calls)

    winners = assert_only_wins_and_conflicts(answers, 201)
    assert len(winners) == 1, [a.status for a in answers]
    assert winners[0].body["booking"]["status"] == "confirmed"
    stored = active_bookings(app, coach.id)
    assert [(b.id, b.start_at) for b in stored] == [(winners[0].body["booking"]["id"], at(10))]


@pytest.mark.parametrize("buffer", [0, 15], ids=["no-buffers", "15-min-buffers"])
@pytest.mark.usefixtures("nine_to_five")
def test_overlapping_starts_never_give_overlapping_bookings(app, served, coach, buffer):
    """60-minute bookings starting every quarter hour from 10:00 to 11:00, four racers
    each; with buffers the blocked ranges (not only the sessions) must stay apart."""
    session_type = make_session_type(
        app, coach, buffer_before_minutes=buffer, buffer_after_minutes=buffer
    )
    starts = [at(10) + timedelta(minutes=15 * i) for i in range(5)]
    racers = clients(app, 4 * len(starts))
    calls = [
        Call("POST", BOOKINGS, c.token, book(coach, session_type, starts[i % len(starts)]))
        for i, c in enumerate(racers)
    ]

    answers = race(served, calls)

    winners = assert_only_wins_and_conflicts(answers, 201)
    stored = active_bookings(app, coach.id)
    assert sorted(b.id for b in stored) == sorted(a.body["booking"]["id"] for a in winners)
    assert_no_overlap(stored)
    # 10:00 and 11:00 fit side by side without buffers; with them every pair collides.
    assert 1 <= len(stored) <= (2 if buffer == 0 else 1)


def test_twelve_racers_for_a_group_of_three_get_three_seats(app, api, served, coach):
    group = make_session_type(
        app,
        coach,
        format="group",
        max_attendees=3,
        duration_min=60,
        duration_max=60,
        duration_default=60,
    )
    create_window(api, coach, at(14), at(15), session_type_id=group)
    racers = clients(app, 12)
    calls = [Call("POST", BOOKINGS, c.token, book(coach, group, at(14))) for c in racers]

    answers = race(served, calls)

    winners = assert_only_wins_and_conflicts(answers, 201)
    assert len(winners) == 3, [a.status for a in answers]
    stored = active_bookings(app, coach.id)
    assert len(stored) == 3
    assert len({b.slot_key for b in stored}) == 1
    assert {b.client_id for b in stored} == {a.body["booking"]["client_id"] for a in winners}


def test_clients_choosing_the_same_suggested_time_get_it_once(app, api, served, coach):
    """Each client's request got the same suggestion, which holds nothing; when they all
    choose it at once, one booking is confirmed and the others stay time_suggested."""
    session_type = make_session_type(app, coach, firm_booking="nobody")
    create_window(api, coach, at(9), at(17))
    racers = clients(app, 6)
    booking_ids, suggestion_ids = [], []
    for index, person in enumerate(racers):
        booking = create(api, person, book(coach, session_type, at(9 + index)))
        assert booking["status"] == "requested"
        response = api.post(
            f"{BOOKINGS}/{booking['id']}/suggest",
            json={"times": [{"start": z(at(15, 30)), "end": z(at(16, 30))}]},
            as_=coach,
        )
        assert response.status_code == 200, response.get_json()
        booking_ids.append(booking["id"])
        suggestion_ids.append(response.get_json()["booking"]["suggestions"][0]["id"])
    calls = [
        Call("POST", f"{BOOKINGS}/{b}/choose", c.token, {"suggestion_id": s})
        for c, b, s in zip(racers, booking_ids, suggestion_ids, strict=True)
    ]

    answers = race(served, calls)

    winners = assert_only_wins_and_conflicts(answers, 200)
    assert len(winners) == 1, [a.status for a in answers]
    assert winners[0].body["booking"]["status"] == "confirmed"
    stored = active_bookings(app, coach.id)
    assert [(b.id, b.start_at) for b in stored] == [(winners[0].body["booking"]["id"], at(15, 30))]
    with app.app_context():
        losers = [db.session.get(Booking, b) for b in booking_ids if b != stored[0].id]
        assert {b.status for b in losers} == {"time_suggested"}


@pytest.mark.usefixtures("nine_to_five")
def test_a_reschedule_into_a_time_being_booked_wins_or_loses_whole(
    app, api, served, coach, hour_type
):
    """One client moves their 10:00 booking to 15:00 while nine others book 15:00:
    exactly one of them gets 15:00; a lost reschedule leaves the booking at 10:00."""
    mover, *bookers = clients(app, 10)
    moved = create(api, mover, book(coach, hour_type, at(10)))
    move = {"start": z(at(15))}
    calls = [Call("POST", f"{BOOKINGS}/{moved['id']}/reschedule", mover.token, move)]
    calls += [Call("POST", BOOKINGS, c.token, book(coach, hour_type, at(15))) for c in bookers]

    answers = race(served, calls)

    rescheduled = answers[0].status == 200
    assert answers[0].status in (200, 409), answers[0]
    created = assert_only_wins_and_conflicts(answers[1:], 201)
    if not rescheduled:
        assert answers[0].code == "slot_unavailable", answers[0]
    assert len(created) + rescheduled == 1, [a.status for a in answers]
    stored = active_bookings(app, coach.id)
    assert_no_overlap(stored)
    mine = next(b for b in stored if b.id == moved["id"])
    assert mine.status == "confirmed"
    assert mine.start_at == (at(15) if rescheduled else at(10))
    assert len(stored) == (1 if rescheduled else 2)
