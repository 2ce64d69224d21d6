"""Booking transitions by each role (SPEC section 4 "Status machine", section 8): the party
who may make a move gets 200, the other party 403, outsiders 404 (they may not know the
booking exists), a visitor 401, an impossible move 409 ``invalid_transition``. Every move
writes one history entry and notifies the other party; declining and cancelling free
the time."""

from __future__ import annotations

import pytest

from tests.api.booking_setup import at, book, notifications_for, slot_starts
from tests.api.scheduling import z
from tests.api.transition_setup import (
    ROLES,
    act,
    current,
    situation,
    suggest_body,
)
from tests.factories import make_client
from tests.helpers import assert_error


def choose_first(booking: dict) -> dict:
    return {"suggestion_id": booking["suggestions"][0]["id"]}


def status_body(status: str):
    return lambda booking: {"status": status, "reason": "Note"}


# name → (status the booking is in, action, method, body, {role: expected status code}).
# Roles not named: other_client and other_coach 404, visitor 401.
MOVES = {
    "accept a request": (
        "requested", "accept", "POST", lambda b: {"message": "Note"},
        {"coach": 200, "client": 403},
    ),
    "decline a request": (
        "requested", "decline", "POST", lambda b: {"message": "Note"},
        {"coach": 200, "client": 403},
    ),
    "suggest times for a request": (
        "requested", "suggest", "POST", lambda b: suggest_body(14, message="Note"),
        {"coach": 200, "client": 403},
    ),
    "cancel a request": (
        "requested", "cancel", "POST", lambda b: {"reason": "Note"},
        {"coach": 409, "client": 200},
    ),
    "choose a suggested time": (
        "time_suggested", "choose", "POST", choose_first,
        {"coach": 403, "client": 200},
    ),
    "decline the suggested times": (
        "time_suggested", "decline", "POST", lambda b: {"message": "Note"},
        {"coach": 403, "client": 200},
    ),
    "cancel a booking with times suggested": (
        "time_suggested", "cancel", "POST", lambda b: {"reason": "Note"},
        {"coach": 409, "client": 200},
    ),
    "cancel a confirmed booking": (
        "confirmed", "cancel", "POST", lambda b: {"reason": "Note"},
        {"coach": 200, "client": 200},
    ),
    "reschedule a confirmed booking": (
        "confirmed", "reschedule", "POST", lambda b: {"start": at(13).isoformat()},
        {"coach": 200, "client": 200},
    ),
    "reschedule a request": (
        "requested", "reschedule", "POST", lambda b: {"start": at(13).isoformat()},
        {"coach": 409, "client": 409},
    ),
    "mark an ended session completed": (
        "ended", "status", "PUT", status_body("completed"),
        {"coach": 200, "client": 403},
    ),
    "mark a future session completed": (
        "confirmed", "status", "PUT", status_body("completed"),
        {"coach": 409, "client": 403},
    ),
    "set cancelled_by_coach": (
        "confirmed", "status", "PUT", status_body("cancelled_by_coach"),
        {"coach": 200, "client": 403},
    ),
    "set cancelled_by_client": (
        "confirmed", "status", "PUT", status_body("cancelled_by_client"),
        {"coach": 403, "client": 200},
    ),
    "accept a confirmed booking": (
        "confirmed", "accept", "POST", lambda b: {},
        {"coach": 409, "client": 409},
    ),
    "suggest times for a confirmed booking": (
        "confirmed", "suggest", "POST", lambda b: suggest_body(14),
        {"coach": 409, "client": 409},
    ),
    "decline a confirmed booking": (
        "confirmed", "decline", "POST", lambda b: {},
        {"coach": 409, "client": 409},
    ),
    # A request has no suggestions to choose from (the coach would accept it instead).
    "choose on a request": (
        "requested", "choose", "POST", lambda b: {"suggestion_id": 1},
        {"coach": 409, "client": 409},
    ),
    "accept a declined request": (
        "declined", "accept", "POST", lambda b: {},
        {"coach": 409, "client": 409},
    ),
    "cancel a declined request": (
        "declined", "cancel", "POST", lambda b: {},
        {"coach": 409, "client": 409},
    ),
    "complete a declined request": (
        "declined", "status", "PUT", status_body("completed"),
        {"coach": 409, "client": 409},
    ),
}  # fmt: skip

ERROR_CODES = {401: "unauthorized", 403: "forbidden", 404: "not_found", 409: "invalid_transition"}
DEFAULTS = {"other_client": 404, "other_coach": 404, "visitor": 401}


def matrix():
    for name, (status, action, method, body, expected) in MOVES.items():
        for role in ROLES:
            code = {**DEFAULTS, **expected}[role]
            yield pytest.param(status, action, method, body, role, code, id=f"{name}-{role}")


@pytest.mark.parametrize("status, action, method, body, role, code", list(matrix()))
def test_each_role_gets_the_expected_answer(app, api, status, action, method, body, role, code):
    moment = situation(app, api, status)
    before = current(api, moment)
    response = act(api, moment.people[role], moment.id, action, body(before), method=method)
    if code == 200:
        assert response.status_code == 200, response.get_json()
        assert current(api, moment)["status"] != before["status"] or action == "reschedule"
        return
    assert_error(response, code, ERROR_CODES[code])
    assert current(api, moment) == before


# (status, actor, action, method, body) → (new status, notification kind for the other party)
SUCCESSES = {
    "accept": ("requested", "coach", "accept", "POST", {"message": "Note"}, "confirmed",
               "booking_confirmed"),
    "decline a request": ("requested", "coach", "decline", "POST", {"message": "Note"},
                          "declined", "booking_declined"),
    "suggest": ("requested", "coach", "suggest", "POST", suggest_body(14, message="Note"),
                "time_suggested", "times_suggested"),
    "decline suggestions": ("time_suggested", "client", "decline", "POST", {"message": "Note"},
                            "declined", "suggestion_declined"),
    "choose": ("time_suggested", "client", "choose", "POST", None, "confirmed",
               "booking_confirmed"),
    "client cancels": ("confirmed", "client", "cancel", "POST", {"reason": "Note"},
                       "cancelled_by_client", "booking_cancelled"),
    "coach cancels": ("confirmed", "coach", "cancel", "POST", {"reason": "Note"},
                      "cancelled_by_coach", "booking_cancelled"),
    "client withdraws a request": ("requested", "client", "cancel", "POST", {"reason": "Note"},
                                   "cancelled_by_client", "booking_cancelled"),
    "reschedule": ("confirmed", "client", "reschedule", "POST", {"start": at(13).isoformat()},
                   "confirmed", "booking_rescheduled"),
    "complete": ("ended", "coach", "status", "PUT", {"status": "completed", "reason": "Note"},
                 "completed", "booking_completed"),
}  # fmt: skip


@pytest.mark.parametrize(
    "status, actor, action, method, body, target, kind", SUCCESSES.values(), ids=SUCCESSES.keys()
)
def test_every_transition_writes_one_history_entry_and_notifies_the_other_party(
    app, api, status, actor, action, method, body, target, kind
):
    moment = situation(app, api, status)
    before = current(api, moment)
    body = body if body is not None else {"suggestion_id": before["suggestions"][0]["id"]}
    person = moment.people[actor]
    other = moment.people["client" if actor == "coach" else "coach"]
    actors_before = notifications_for(app, person)
    others_before = notifications_for(app, other)

    response = act(api, person, moment.id, action, body, method=method)

    assert response.status_code == 200, response.get_json()
    after = current(api, moment)
    assert after["status"] == target
    assert after["history"][:-1] == before["history"]
    entry = after["history"][-1]
    assert (entry["from"], entry["to"], entry["by"]) == (before["status"], target, person.id)
    assert entry["at"].endswith("Z")
    if action == "reschedule":
        assert entry["note"].startswith("Moved from")
    else:
        assert entry["note"] == ("" if action == "choose" else "Note")
    assert notifications_for(app, person) == actors_before
    assert notifications_for(app, other) == [*others_before, (kind, moment.id)]
    newest = api.get("/api/notifications", as_=other).get_json()["items"][0]
    assert newest["url"] == f"/bookings/{moment.id}"
    if action != "choose" and action != "reschedule":
        assert "Message: Note" in newest["body"]


# --- time freed and taken -----------------------------------------------------------------


@pytest.mark.parametrize(
    "status, actor, action",
    [
        ("requested", "coach", "decline"),
        ("requested", "client", "cancel"),
        ("confirmed", "client", "cancel"),
        ("confirmed", "coach", "cancel"),
    ],
)
def test_declining_or_cancelling_frees_the_time(app, api, status, actor, action):
    moment = situation(app, api, status)
    scene = moment.scene
    assert z(at(10)) not in slot_starts(api, scene)
    assert act(api, moment.people[actor], moment.id, action).status_code == 200
    assert z(at(10)) in slot_starts(api, scene)
    response = book(api, scene, at(10), as_=make_client(app))
    assert response.status_code == 201, response.get_json()


def test_accepting_keeps_the_time_taken(app, api):
    moment = situation(app, api, "requested")
    assert act(api, moment.scene.coach, moment.id, "accept").status_code == 200
    assert z(at(10)) not in slot_starts(api, moment.scene)
    assert_error(book(api, moment.scene, at(10), as_=make_client(app)), 409, "slot_unavailable")


def test_accepting_a_paid_request_without_stripe_leaves_it_to_be_paid_offline(app, api):
    moment = situation(app, api, "requested", price_amount=6000)
    booking = act(api, moment.scene.coach, moment.id, "accept").get_json()["booking"]
    assert (booking["status"], booking["payment"]["status"]) == ("confirmed", "offline")


def test_a_transition_on_a_booking_that_does_not_exist_is_not_found(app, api):
    moment = situation(app, api, "requested")
    assert_error(act(api, moment.scene.coach, 987654, "accept"), 404, "not_found")


@pytest.mark.parametrize(
    "action, body, field",
    [
        ("accept", {"message": "x" * 2001}, "message"),
        ("decline", {"message": 5}, "message"),
        ("cancel", {"reason": ["no"]}, "reason"),
        ("status", {"status": "declined"}, "status"),
        ("status", {}, "status"),
    ],
)
def test_a_transition_with_a_bad_body_is_refused_and_changes_nothing(app, api, action, body, field):
    moment = situation(app, api, "requested")
    before = current(api, moment)
    method = "PUT" if action == "status" else "POST"
    response = act(api, moment.scene.coach, moment.id, action, body, method=method)
    assert_error(response, 400, "validation_error", (field,))
    assert current(api, moment) == before
