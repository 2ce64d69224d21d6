"""GET /api/bookings/:id (its coach and client only) and GET
/api/bookings/user/:userId/sessions (the caller's own, earliest first, paged by cursor)."""

from __future__ import annotations

import pytest

from tests.api.booking_setup import (
    at,
    booked,
    booking_url,
    make_scene,
    sessions_url,
)
from tests.api.scheduling import MONDAY, create_window, day_range, z
from tests.factories import make_client, make_coach, make_session_type
from tests.helpers import assert_error

# --- one booking ----------------------------------------------------------------------------


@pytest.fixture
def scene(app, api):
    return make_scene(app, api)


@pytest.mark.parametrize(
    "who, status",
    [
        ("coach", 200),
        ("client", 200),
        ("other_client", 404),
        ("other_coach", 404),
        ("visitor", 401),
    ],
)
def test_a_booking_is_shown_to_its_parties_only(app, api, scene, who, status):
    booking = booked(api, scene, at(10), message="Private note")
    person = {
        "coach": scene.coach,
        "client": scene.client,
        "other_client": make_client(app),
        "other_coach": make_coach(app),
        "visitor": None,
    }[who]
    response = api.get(booking_url(booking["id"]), as_=person)
    if status == 200:
        assert response.status_code == 200
        assert response.get_json() == {"booking": booking}
    else:
        error = assert_error(response, status, {401: "unauthorized", 404: "not_found"}[status])
        assert "Private note" not in str(error)


def test_a_booking_that_does_not_exist_is_not_found(api, scene):
    assert_error(api.get(booking_url(987654), as_=scene.client), 404, "not_found")


# --- my sessions ----------------------------------------------------------------------------


def sessions(api, person, user_id=None, **query):
    response = api.get(sessions_url(user_id or person.id), query_string=query, as_=person)
    assert response.status_code == 200, response.get_json()
    return response.get_json()


def starts(page: dict) -> list[str]:
    return [item["start"] for item in page["items"]]


@pytest.fixture
def week(app, api, scene):
    """The client's bookings at 13, 9, 15 and 11 o'clock (made in that order) and another
    client's at 16 o'clock."""
    for hour in (13, 9, 15, 11):
        booked(api, scene, at(hour))
    booked(api, scene, at(16), as_=make_client(app))
    return scene


def test_a_client_sees_only_their_own_sessions_earliest_first(api, week):
    page = sessions(api, week.client)
    assert starts(page) == [z(at(h)) for h in (9, 11, 13, 15)]
    assert {item["client_id"] for item in page["items"]} == {week.client.id}
    assert page["next_cursor"] is None


def test_a_coach_sees_every_session_of_the_calendar(api, week):
    assert starts(sessions(api, week.coach)) == [z(at(h)) for h in (9, 11, 13, 15, 16)]


def test_a_client_without_sessions_gets_an_empty_list(app, api, week):
    assert sessions(api, make_client(app)) == {"items": [], "next_cursor": None}


def test_sessions_are_paged_by_cursor(api, week):
    first = sessions(api, week.coach, limit=2)
    assert starts(first) == [z(at(9)), z(at(11))]
    second = sessions(api, week.coach, limit=2, cursor=first["next_cursor"])
    assert starts(second) == [z(at(13)), z(at(15))]
    third = sessions(api, week.coach, limit=2, cursor=second["next_cursor"])
    assert starts(third) == [z(at(16))]
    assert third["next_cursor"] is None


def test_seats_at_the_same_time_are_paged_without_loss_or_repeat(app, api, scene):
    group = make_session_type(app, scene.coach, format="group", price_amount=0, max_attendees=4)
    create_window(api, scene.coach, at(18), at(19), session_type_id=group)
    ids = [booked(api, scene, at(18), as_=make_client(app), session_type_id=group)["id"]]
    ids += [booked(api, scene, at(18), as_=make_client(app), session_type_id=group)["id"]]
    ids += [booked(api, scene, at(18), as_=make_client(app), session_type_id=group)["id"]]
    seen, cursor = [], None
    while True:
        page = sessions(api, scene.coach, limit=1, **({"cursor": cursor} if cursor else {}))
        seen += [item["id"] for item in page["items"]]
        cursor = page["next_cursor"]
        if cursor is None:
            break
    assert seen == sorted(ids)


def test_sessions_are_limited_to_the_range_asked_for(api, week):
    query = {"start": z(at(10, 30)), "end": z(at(14))}
    # Sessions overlapping the range: 11:00 and 13:00 (the 09:00 one ended at 10:00).
    assert starts(sessions(api, week.client, **query)) == [z(at(11)), z(at(13))]
    assert sessions(api, week.client, **day_range(MONDAY, 1))["items"]


def test_cancelled_and_declined_sessions_are_still_listed(app, api, scene):
    booking = booked(api, scene, at(10))
    api.post(booking_url(booking["id"], "cancel"), json={}, as_=scene.client)
    [item] = sessions(api, scene.client)["items"]
    assert item["status"] == "cancelled_by_client"


def test_another_users_sessions_are_not_found_as_a_missing_user_is(app, api, week):
    response = api.get(sessions_url(week.client.id), as_=week.coach)
    assert_error(response, 404, "not_found")
    response = api.get(sessions_url(week.coach.id), as_=make_client(app))
    assert_error(response, 404, "not_found")
    assert_error(api.get(sessions_url(2_000_000_000), as_=week.coach), 404, "not_found")


def test_signed_out_visitors_get_401(api, week):
    assert_error(api.get(sessions_url(week.client.id)), 401, "unauthorized")


@pytest.mark.parametrize(
    "query, field",
    [
        ({"cursor": "nonsense"}, "cursor"),
        ({"cursor": "2027-01-11T09:00:00_1"}, "cursor"),
        ({"cursor": "2027-01-11T09:00:00Z_x"}, "cursor"),
        ({"cursor": "0001-01-01T00:00:00+14:00_1"}, "cursor"),
        ({"cursor": "9999-12-31T23:59:59-14:00_1"}, "cursor"),
        ({"cursor": "2027-01-11T09:00:00Z_99999999999999999999"}, "cursor"),
        ({"limit": 0}, "limit"),
        ({"limit": 201}, "limit"),
        ({"limit": "many"}, "limit"),
        ({"start": "2027-01-11T09:00:00"}, "start"),
        ({"end": "tomorrow"}, "end"),
        ({"start": "0001-01-01T00:00:00+14:00"}, "start"),
        ({"end": "9999-12-31T23:59:59-14:00"}, "end"),
    ],
)
def test_bad_paging_or_range_is_refused(api, week, query, field):
    response = api.get(sessions_url(week.client.id), query_string=query, as_=week.client)
    assert_error(response, 400, "validation_error", (field,))
