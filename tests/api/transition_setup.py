"""Bookings brought into each status through the API, and the people who may (or may not)
act on them: the coach, the booking's client, another client, another coach, a visitor."""

from __future__ import annotations

from dataclasses import dataclass

from tests.api.booking_setup import (
    Scene,
    at,
    booked,
    booking_url,
    in_future,
    make_scene,
    move_booking_to,
)
from tests.factories import Person, make_client, make_coach

ROLES = ("coach", "client", "other_client", "other_coach", "visitor")


@dataclass(frozen=True)
class Situation:
    scene: Scene
    booking: dict
    people: dict[str, Person | None]

    @property
    def id(self) -> int:
        return self.booking["id"]


def suggest_body(*hours: int, message: str = "") -> dict:
    times = [{"start": at(h).isoformat(), "end": at(h + 1).isoformat()} for h in hours]
    return {"times": times, "message": message}


def act(api, person, booking_id: int, action: str, body: dict | None = None, method="POST"):
    return api.request(method, booking_url(booking_id, action), json=body or {}, as_=person)


def ok(response) -> dict:
    assert response.status_code == 200, response.get_json()
    return response.get_json()["booking"]


def situation(app, api, status: str, **scene_fields) -> Situation:
    """A 10:00-11:00 booking on the Monday, made as a request and brought to ``status``:
    requested, time_suggested (one suggestion, 14:00), confirmed, ended (confirmed, in the
    past), declined."""
    scene = make_scene(app, api, instant_booking=False, **scene_fields)
    booking = booked(api, scene, at(10))
    coach = scene.coach
    if status == "time_suggested":
        booking = ok(act(api, coach, booking["id"], "suggest", suggest_body(14)))
    elif status in ("confirmed", "ended"):
        booking = ok(act(api, coach, booking["id"], "accept"))
    elif status == "declined":
        booking = ok(act(api, coach, booking["id"], "decline"))
    if status == "ended":
        move_booking_to(app, booking["id"], in_future(-3))
    people = {
        "coach": coach,
        "client": scene.client,
        "other_client": make_client(app),
        "other_coach": make_coach(app),
        "visitor": None,
    }
    return Situation(scene, booking, people)


def current(api, situation_: Situation) -> dict:
    """The booking as its coach sees it now."""
    response = api.get(booking_url(situation_.id), as_=situation_.scene.coach)
    assert response.status_code == 200, response.get_json()
    return response.get_json()["booking"]
