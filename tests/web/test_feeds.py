"""Private iCalendar feeds (SPEC 11): a user's sessions at a secret URL, parsed with the
icalendar library as a calendar app would; rotation, privacy between users, conditional
GETs, bad tokens; and one booking's .ics download."""

from __future__ import annotations

from urllib.parse import urlsplit

import pytest
from icalendar import Calendar

from tests.api.booking_setup import at, booked, booking_url, make_scene
from tests.factories import PASSWORD, make_client
from tests.helpers import web_login


def feed_path(api, person) -> str:
    answer = api.get("/api/me/feed", as_=person)
    assert answer.status_code == 200, answer.get_json()
    return urlsplit(answer.get_json()["url"]).path


def events(client, path: str) -> dict[str, dict]:
    answer = client.get(path)
    assert answer.status_code == 200
    assert answer.content_type.startswith("text/calendar")
    calendar = Calendar.from_ical(answer.data)
    return {
        str(e["uid"]): {
            "status": str(e["status"]),
            "sequence": int(e["sequence"]),
            "start": e.decoded("dtstart"),
            "summary": str(e["summary"]),
            "description": str(e["description"]),
        }
        for e in calendar.walk("VEVENT")
    }


def test_both_parties_feeds_hold_the_session_with_a_stable_uid(app, api, client):
    scene = make_scene(app, api)
    booking = booked(api, scene, at(10))

    for person, other in ((scene.client, scene.coach), (scene.coach, scene.client)):
        found = events(client, feed_path(api, person))
        [(uid, event)] = found.items()
        assert uid.startswith(f"booking-{booking['id']}@")
        assert event["status"] == "CONFIRMED"
        assert event["start"] == at(10)  # the same instant, written in UTC
        assert event["start"].utcoffset().total_seconds() == 0
        assert other.name in event["summary"]
        assert f"/bookings/{booking['id']}" in event["description"]


def test_a_cancelled_session_stays_as_cancelled_with_a_higher_sequence(app, api, client):
    scene = make_scene(app, api)
    booking = booked(api, scene, at(10))
    path = feed_path(api, scene.client)
    [before] = events(client, path).values()

    api.post(booking_url(booking["id"], "cancel"), json={"reason": "ill"}, as_=scene.client)

    [after] = events(client, path).values()
    assert after["status"] == "CANCELLED"
    assert after["sequence"] > before["sequence"]


def test_the_url_is_the_same_until_rotated_and_the_old_one_is_then_404(app, api, client):
    scene = make_scene(app, api)
    booked(api, scene, at(10))
    first = feed_path(api, scene.client)
    assert feed_path(api, scene.client) == first

    rotated = api.post("/api/me/feed/rotate", as_=scene.client)

    assert rotated.status_code == 200, rotated.get_json()
    new = urlsplit(rotated.get_json()["url"]).path
    assert new != first
    assert client.get(first).status_code == 404
    assert len(events(client, new)) == 1
    assert feed_path(api, scene.client) == new


def test_another_users_feed_shows_nothing_of_this_user(app, api, client):
    scene = make_scene(app, api)
    booked(api, scene, at(10))
    stranger = make_client(app)

    assert events(client, feed_path(api, stranger)) == {}


def test_an_unchanged_feed_answers_304_and_a_change_answers_200(app, api, client):
    scene = make_scene(app, api)
    booking = booked(api, scene, at(10))
    path = feed_path(api, scene.coach)
    first = client.get(path)
    etag, modified = first.headers["ETag"], first.headers["Last-Modified"]

    assert client.get(path, headers={"If-None-Match": etag}).status_code == 304
    assert client.get(path, headers={"If-Modified-Since": modified}).status_code == 304

    api.post(booking_url(booking["id"], "cancel"), json={"reason": "x"}, as_=scene.coach)
    changed = client.get(path, headers={"If-None-Match": etag})
    assert changed.status_code == 200
    assert changed.headers["ETag"] != etag


@pytest.mark.parametrize(
    "token",
    ["nope", "0" * 64, "g" * 64, "a" * 63, "<script>" + "a" * 56, "a" * 5000],
)
def test_a_malformed_or_unknown_token_is_404(app, client, token):
    assert client.get(f"/calendar/{token}.ics").status_code == 404


def test_one_bookings_ics_downloads_for_its_parties_only(app, api, client):
    scene = make_scene(app, api)
    booking = booked(api, scene, at(10))
    web_login(client, scene.client.email, PASSWORD)

    answer = client.get(f"/bookings/{booking['id']}/booking.ics")

    assert answer.status_code == 200
    assert "attachment" in answer.headers["Content-Disposition"]
    [event] = Calendar.from_ical(answer.data).walk("VEVENT")
    assert str(event["uid"]).startswith(f"booking-{booking['id']}@")
    page = client.get(f"/bookings/{booking['id']}").get_data(as_text=True)
    assert f"/bookings/{booking['id']}/booking.ics" in page

    stranger = make_client(app)
    other = app.test_client()
    web_login(other, stranger.email, PASSWORD)
    assert other.get(f"/bookings/{booking['id']}/booking.ics").status_code == 404


def test_settings_show_the_feed_and_make_a_new_one(app, api, client):
    scene = make_scene(app, api)
    web_login(client, scene.client.email, PASSWORD)
    old = feed_path(api, scene.client)
    page = client.get("/settings").get_data(as_text=True)
    assert old in page

    from tests.helpers import csrf_token

    token = csrf_token(client, "/settings")
    answer = client.post("/settings/feed/rotate", data={"csrf_token": token})

    assert answer.status_code in (302, 303)
    assert client.get(old).status_code == 404
    assert feed_path(api, scene.client) in client.get("/settings").get_data(as_text=True)
