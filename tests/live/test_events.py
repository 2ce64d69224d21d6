"""What each live connection receives (SPEC 7): ``booking_update`` only for the booking's
parties, ``availability_update`` {coach_id, start, end} in the calendar room for every
change of free time, ``notification`` with the unread count, all after the commit and
nothing for a change that rolled back.

"Nothing else" is checked in order, without waiting for silence: a later change is
made, its event awaited, and everything the connection got before it looked at.
"""

from __future__ import annotations

from datetime import timedelta

from tests.api.booking_setup import NOTIFICATIONS_URL, at, book, booked, booking_url, make_scene
from tests.api.scheduling import MONDAY, WINDOWS_URL, create_window, local, z
from tests.factories import make_client, make_coach, make_connection, make_session_type

AVAILABILITY_KEYS = {"coach_id", "start", "end"}


def of_booking(booking_id: int):
    return lambda data: data.get("booking_id") == booking_id


def spans(events) -> list[tuple[str, str]]:
    """The (start, end) of each ``availability_update`` among the events."""
    return [(data["start"], data["end"]) for name, data in events if name == "availability_update"]


def test_booking_update_reaches_the_coach_and_the_client_and_no_one_else(app, api, listen):
    scene = make_scene(app, api)
    outsider = make_client(app)
    coach, client, third = listen(scene.coach), listen(scene.client), listen(outsider)

    booking = booked(api, scene, at(10))
    expected = {
        "booking_id": booking["id"],
        "status": "confirmed",
        "start": booking["start"],
        "end": booking["end"],
        "coach_id": scene.coach.id,
        "client_id": scene.client.id,
    }
    assert coach.wait_for("booking_update") == expected
    assert client.wait_for("booking_update") == expected

    # The third user's own booking comes next: nothing of the first one came before it.
    own = booked(api, scene, at(12), as_=outsider)
    before = third.until("booking_update", of_booking(own["id"]))
    assert [name for name, _ in before] == ["notification", "booking_update"]
    assert before[0][1]["url"] == f"/bookings/{own['id']}"


def test_calendar_viewers_get_the_times_of_a_booking_made_cancelled_and_moved(app, api, listen):
    scene = make_scene(app, api)
    viewer = listen(make_client(app))
    assert viewer.join(scene.coach.id) == {"ok": True}

    booking = booked(api, scene, at(10))
    made = viewer.wait_for("availability_update")
    assert made == {"coach_id": scene.coach.id, "start": z(at(10)), "end": z(at(11))}

    moved = api.post(
        booking_url(booking["id"], "reschedule"), json={"start": at(13).isoformat()},
        as_=scene.client,
    )  # fmt: skip
    assert moved.status_code == 200, moved.get_json()
    after_move = viewer.until("availability_update", lambda d: d["start"] == z(at(10)))
    assert spans(after_move) == [(z(at(13)), z(at(14))), (z(at(10)), z(at(11)))]

    cancelled = api.post(booking_url(booking["id"], "cancel"), json={}, as_=scene.client)
    assert cancelled.status_code == 200, cancelled.get_json()
    freed = viewer.wait_for("availability_update")
    assert freed == {"coach_id": scene.coach.id, "start": z(at(13)), "end": z(at(14))}

    # A calendar viewer hears of free time only: no booking, no notification, no names.
    assert {name for name, _ in viewer.seen} == {"availability_update"}
    assert all(set(data) == AVAILABILITY_KEYS for _, data in viewer.seen)


def test_the_blocked_time_with_buffers_is_announced(app, api, listen):
    scene = make_scene(app, api, buffer_before_minutes=15, buffer_after_minutes=30)
    viewer = listen(scene.coach)
    assert viewer.join(scene.coach.id) == {"ok": True}
    booked(api, scene, at(10))
    assert viewer.wait_for("availability_update") == {
        "coach_id": scene.coach.id,
        "start": z(at(9, 45)),
        "end": z(at(11, 30)),
    }


def test_availability_edits_reach_the_calendar_room(app, api, listen):
    coach = make_coach(app, calendar_privacy="public")
    viewer = listen(make_client(app))
    assert viewer.join(coach.id) == {"ok": True}
    tuesday = MONDAY + timedelta(days=1)

    one_off = create_window(api, coach, local(tuesday, 9), local(tuesday, 12))
    assert viewer.wait_for("availability_update") == {
        "coach_id": coach.id,
        "start": z(local(tuesday, 9)),
        "end": z(local(tuesday, 12)),
    }

    changed = {"start": local(tuesday, 14).isoformat(), "end": local(tuesday, 16).isoformat()}
    response = api.request("PUT", f"{WINDOWS_URL}/{one_off['id']}", json=changed, as_=coach)
    assert response.status_code == 200, response.get_json()
    old_and_new = viewer.until("availability_update", lambda d: d["start"] == z(local(tuesday, 14)))
    assert spans(old_and_new) == [
        (z(local(tuesday, 9)), z(local(tuesday, 12))),
        (z(local(tuesday, 14)), z(local(tuesday, 16))),
    ]

    response = api.delete(f"{WINDOWS_URL}/{one_off['id']}", as_=coach)
    assert response.status_code == 204
    assert spans([viewer.next()]) == [(z(local(tuesday, 14)), z(local(tuesday, 16)))]
    assert all(set(data) == AVAILABILITY_KEYS for _, data in viewer.seen)


def test_series_and_occurrence_edits_announce_their_ranges(app, api, listen):
    """A series: from its first start to its last end; one occurrence: its old and its
    new time."""
    coach = make_coach(app, calendar_privacy="public")
    viewer = listen(coach)
    assert viewer.join(coach.id) == {"ok": True}
    weekly = {"weekdays": ["MO"], "count": 3}
    series = create_window(api, coach, local(MONDAY, 9), local(MONDAY, 12), recurrence=weekly)
    last_end = z(local(MONDAY + timedelta(weeks=2), 12))
    assert spans([viewer.next()]) == [(z(local(MONDAY, 9)), last_end)]

    second = local(MONDAY + timedelta(weeks=1), 9)
    moved_to = (
        local(MONDAY + timedelta(weeks=1, days=1), 15),
        local(MONDAY + timedelta(weeks=1, days=1), 17),
    )
    path = f"{WINDOWS_URL}/{series['id']}?scope=occurrence&occurrence={z(second)}"
    body = {"start": moved_to[0].isoformat(), "end": moved_to[1].isoformat()}
    assert api.request("PUT", path, json=body, as_=coach).status_code == 200
    assert spans([viewer.next(), viewer.next()]) == [
        (z(second), z(second + timedelta(hours=3))),
        (z(moved_to[0]), z(moved_to[1])),
    ]

    assert api.delete(path, as_=coach).status_code == 204  # that occurrence, as moved
    assert spans([viewer.next()]) == [(z(moved_to[0]), z(moved_to[1]))]

    assert api.delete(f"{WINDOWS_URL}/{series['id']}?scope=series", as_=coach).status_code == 204
    assert spans([viewer.next()]) == [(z(local(MONDAY, 9)), last_end)]


def test_a_refused_edit_announces_nothing(app, api, listen):
    coach = make_coach(app, calendar_privacy="public")
    viewer = listen(coach)
    assert viewer.join(coach.id) == {"ok": True}
    bad = {"start": local(MONDAY, 12).isoformat(), "end": local(MONDAY, 9).isoformat()}
    assert api.post(WINDOWS_URL, json=bad, as_=coach).status_code == 400
    create_window(api, coach, local(MONDAY, 13), local(MONDAY, 14))
    assert spans([viewer.next()]) == [(z(local(MONDAY, 13)), z(local(MONDAY, 14)))]


def test_notifications_carry_the_unread_count(app, api, listen):
    scene = make_scene(app, api)
    coach = listen(scene.coach)
    first = booked(api, scene, at(10))
    note = coach.wait_for("notification")
    assert set(note) == {"id", "title", "body", "url", "unread_count"}
    assert note["unread_count"] == 1
    assert note["url"] == f"/bookings/{first['id']}"
    assert note["title"] == f"New booking from {scene.client.name}"
    stored = api.get(NOTIFICATIONS_URL, as_=scene.coach).get_json()
    assert stored["items"][0]["id"] == note["id"]

    booked(api, scene, at(12))
    assert coach.wait_for("notification")["unread_count"] == 2

    read = api.post(f"{NOTIFICATIONS_URL}/{note['id']}/read", as_=scene.coach)
    assert read.status_code == 200
    assert coach.wait_for("notification_read") == {"unread_count": 1}


def test_nothing_is_announced_for_a_booking_that_was_refused(app, api, listen):
    scene = make_scene(app, api)
    rival = make_client(app)
    coach, rival_socket, viewer = listen(scene.coach), listen(rival), listen(make_client(app))
    assert viewer.join(scene.coach.id) == {"ok": True}
    first = booked(api, scene, at(10))
    coach.until("booking_update", of_booking(first["id"]))
    viewer.wait_for("availability_update")

    taken = book(api, scene, at(10), as_=rival)
    assert taken.status_code == 409, taken.get_json()

    later = booked(api, scene, at(14), as_=rival)
    for socket in (coach, rival_socket):
        received = socket.until("booking_update", of_booking(later["id"]))
        assert all(
            data.get("booking_id") == later["id"] or data.get("url") == f"/bookings/{later['id']}"
            for _, data in received
        ), received
    assert spans(viewer.until("availability_update")) == [(z(at(14)), z(at(15)))]


def test_a_viewer_refused_a_calendar_hears_nothing_of_it(app, api, listen):
    hidden = make_coach(app, calendar_privacy="connected")
    open_coach = make_coach(app, calendar_privacy="public")
    friend = make_client(app)
    make_connection(app, friend, hidden)
    outsider = listen(make_client(app))
    assert outsider.join(hidden.id)["ok"] is False
    assert outsider.join(open_coach.id) == {"ok": True}

    session_type = make_session_type(app, hidden, price_amount=0)
    create_window(api, hidden, at(9), at(17))
    booking = api.post(
        "/api/bookings",
        json={"coach_id": hidden.id, "session_type_id": session_type, "start": at(10).isoformat()},
        as_=friend,
    )
    assert booking.status_code == 201, booking.get_json()
    create_window(api, open_coach, at(9), at(10))
    received = outsider.until("availability_update")
    assert received == [
        ("availability_update", {"coach_id": open_coach.id, "start": z(at(9)), "end": z(at(10))})
    ]
