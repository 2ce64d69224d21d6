"""Suggesting other times (coach) and choosing one (client): 1-3 free times of the same
length, offers that hold nothing, re-checked under the lock when chosen (SPEC section 4)."""

from __future__ import annotations

from datetime import timedelta

import pytest

from extensions import db
from models import TimeSuggestion
from tests.api.booking_setup import at, booked, in_future, notifications_for, rows, slot_starts
from tests.api.scheduling import create_window, z
from tests.api.transition_setup import act, current, ok, situation, suggest_body
from tests.factories import make_client
from tests.helpers import assert_error


def move_suggestion(app, suggestion_id: int, start) -> None:
    with app.app_context():
        suggestion = db.session.get(TimeSuggestion, suggestion_id)
        length = suggestion.end_at - suggestion.start_at
        suggestion.start_at, suggestion.end_at = start, start + length
        db.session.commit()


def times(*pairs) -> dict:
    return {"times": [{"start": s.isoformat(), "end": e.isoformat()} for s, e in pairs]}


# --- suggest --------------------------------------------------------------------------------


@pytest.mark.parametrize("hours", [(14,), (14, 12), (16, 12, 14)], ids=["one", "two", "three"])
def test_the_coach_suggests_one_to_three_times(app, api, hours):
    moment = situation(app, api, "requested")
    booking = ok(act(api, moment.scene.coach, moment.id, "suggest", suggest_body(*hours)))
    assert booking["status"] == "time_suggested"
    assert (booking["start"], booking["end"]) == (z(at(10)), z(at(11)))
    suggested = [(s["start"], s["end"]) for s in booking["suggestions"]]
    assert suggested == [(z(at(h)), z(at(h + 1))) for h in sorted(hours)]
    assert len({s["id"] for s in booking["suggestions"]}) == len(hours)


def test_suggesting_frees_the_requested_time_and_holds_the_suggested_ones_loosely(app, api):
    moment = situation(app, api, "requested")
    ok(act(api, moment.scene.coach, moment.id, "suggest", suggest_body(14)))
    offered = slot_starts(api, moment.scene)
    assert {z(at(10)), z(at(14))} <= set(offered)


def refused_suggestion(app, api, body: dict, *fields: str) -> None:
    moment = situation(app, api, "requested")
    before, written = current(api, moment), rows(app)
    response = act(api, moment.scene.coach, moment.id, "suggest", body)
    assert_error(response, 400, "validation_error", fields)
    assert current(api, moment) == before
    assert rows(app) == written


@pytest.mark.parametrize("hours", [(), (12, 13, 14, 15)], ids=["none", "four"])
def test_zero_or_four_suggestions_are_refused(app, api, hours):
    refused_suggestion(app, api, suggest_body(*hours), "times")


def test_a_suggestion_of_another_length_is_refused(app, api):
    refused_suggestion(app, api, times((at(14), at(15, 30))), "times.0.end")


def test_a_taken_time_is_refused_with_its_position(app, api):
    moment = situation(app, api, "requested")
    booked(api, moment.scene, at(15), as_=make_client(app))
    response = act(api, moment.scene.coach, moment.id, "suggest", suggest_body(13, 15))
    error = assert_error(response, 400, "validation_error", ("times.1.start",))
    assert "times.0.start" not in error["details"]
    assert current(api, moment)["status"] == "requested"


def test_a_time_inside_another_bookings_buffer_is_refused(app, api):
    moment = situation(app, api, "requested", buffer_after_minutes=30)
    booked(api, moment.scene, at(14), as_=make_client(app))  # blocks 14:00-15:30
    response = act(api, moment.scene.coach, moment.id, "suggest", suggest_body(15))
    assert_error(response, 400, "validation_error", ("times.0.start",))


@pytest.mark.parametrize(
    "problem",
    ["outside the availability", "off the grid", "too far ahead", "in the past"],
)
def test_a_time_that_could_not_be_booked_is_refused(app, api, problem):
    start = {
        "outside the availability": at(18),
        "off the grid": at(14, 10),
        "too far ahead": at(10) + timedelta(days=60),
        "in the past": in_future(-48),
    }[problem]
    refused_suggestion(app, api, times((start, start + timedelta(hours=1))), "times.0.start")


def test_a_time_inside_the_minimum_notice_is_refused(app, api):
    moment = situation(app, api, "requested")
    create_window(api, moment.scene.coach, in_future(0.25), in_future(7))
    soon = in_future(1)
    response = act(
        api, moment.scene.coach, moment.id, "suggest", times((soon, soon + timedelta(hours=1)))
    )
    assert_error(response, 400, "validation_error", ("times.0.start",))


@pytest.mark.parametrize(
    "start, end",
    [
        ("0001-01-01T00:00:00+14:00", "0001-01-01T01:00:00+14:00"),
        ("9999-12-31T22:45:00Z", "9999-12-31T23:45:00Z"),
    ],
    ids=["year 1", "year 9999"],
)
def test_a_time_at_the_edge_of_the_calendar_is_refused(app, api, start, end):
    refused_suggestion(app, api, {"times": [{"start": start, "end": end}]}, "times.0.start")


def test_the_same_time_twice_is_refused(app, api):
    refused_suggestion(app, api, suggest_body(14, 14), "times")


def test_a_suggestion_without_an_offset_is_refused(app, api):
    naive = [at(14).replace(tzinfo=None), at(15).replace(tzinfo=None)]
    body = {"times": [{"start": naive[0].isoformat(), "end": naive[1].isoformat()}]}
    refused_suggestion(app, api, body, "times.0.start", "times.0.end")


def test_suggesting_again_after_suggesting_is_an_invalid_transition(app, api):
    moment = situation(app, api, "time_suggested")
    response = act(api, moment.scene.coach, moment.id, "suggest", suggest_body(15))
    assert_error(response, 409, "invalid_transition")


# --- choose ---------------------------------------------------------------------------------


def test_choosing_a_suggestion_confirms_the_booking_at_that_time(app, api):
    moment = situation(app, api, "requested")
    offered = ok(act(api, moment.scene.coach, moment.id, "suggest", suggest_body(14, 15)))
    later = offered["suggestions"][1]
    booking = ok(act(api, moment.scene.client, moment.id, "choose", {"suggestion_id": later["id"]}))
    assert booking["status"] == "confirmed"
    assert (booking["start"], booking["end"], booking["duration_minutes"]) == (
        z(at(15)),
        z(at(16)),
        60,
    )
    offered_now = slot_starts(api, moment.scene, as_=make_client(app))
    assert z(at(15)) not in offered_now
    assert {z(at(10)), z(at(14))} <= set(offered_now)


def test_choosing_a_suggestion_of_another_booking_is_not_found(app, api):
    moment = situation(app, api, "time_suggested")
    other = situation(app, api, "time_suggested")
    foreign = other.booking["suggestions"][0]["id"]
    before = current(api, moment)
    response = act(api, moment.scene.client, moment.id, "choose", {"suggestion_id": foreign})
    assert_error(response, 404, "not_found")
    assert current(api, moment) == before
    assert current(api, other)["status"] == "time_suggested"


def test_a_suggested_time_taken_meanwhile_cannot_be_chosen(app, api):
    moment = situation(app, api, "time_suggested")
    suggestion = moment.booking["suggestions"][0]
    booked(api, moment.scene, at(14), as_=make_client(app))
    before = current(api, moment)
    coach_notes = notifications_for(app, moment.scene.coach)
    response = act(
        api, moment.scene.client, moment.id, "choose", {"suggestion_id": suggestion["id"]}
    )
    assert_error(response, 409, "slot_unavailable")
    assert current(api, moment) == before
    assert before["status"] == "time_suggested"
    assert notifications_for(app, moment.scene.coach) == coach_notes


def test_a_suggested_time_that_has_passed_cannot_be_chosen(app, api):
    moment = situation(app, api, "requested")
    create_window(api, moment.scene.coach, in_future(-5), in_future(7))
    soon = in_future(3)
    offered = ok(
        act(api, moment.scene.coach, moment.id, "suggest", times((soon, soon + timedelta(hours=1))))
    )
    suggestion = offered["suggestions"][0]
    # The client waits until the offered hour has begun.
    move_suggestion(app, suggestion["id"], in_future(-0.5))
    response = act(
        api, moment.scene.client, moment.id, "choose", {"suggestion_id": suggestion["id"]}
    )
    assert_error(response, 409, "slot_unavailable", ("suggestion_id",))
    assert current(api, moment)["status"] == "time_suggested"


def test_choosing_twice_is_an_invalid_transition(app, api):
    moment = situation(app, api, "time_suggested")
    body = {"suggestion_id": moment.booking["suggestions"][0]["id"]}
    ok(act(api, moment.scene.client, moment.id, "choose", body))
    assert_error(
        act(api, moment.scene.client, moment.id, "choose", body), 409, "invalid_transition"
    )


@pytest.mark.parametrize("body", [{}, {"suggestion_id": "1"}, {"suggestion_id": None}])
def test_choosing_without_a_suggestion_id_is_refused(app, api, body):
    moment = situation(app, api, "time_suggested")
    response = act(api, moment.scene.client, moment.id, "choose", body)
    assert_error(response, 400, "validation_error", ("suggestion_id",))


def test_declining_the_suggestions_ends_the_booking(app, api):
    moment = situation(app, api, "time_suggested")
    booking = ok(act(api, moment.scene.client, moment.id, "decline", {"message": "No thanks"}))
    assert booking["status"] == "declined"
    assert z(at(14)) in slot_starts(api, moment.scene)
