"""GET /api/notifications (newest first, with the unread count, paged) and POST
/api/notifications/:id/read (one's own only), SPEC sections 8, 8.1 and 10."""

from __future__ import annotations

from datetime import UTC

import pytest

from tests.api.booking_setup import NOTIFICATIONS_URL, at, booked, make_scene
from tests.factories import make_client
from tests.helpers import assert_error


def read_url(notification_id: int) -> str:
    return f"{NOTIFICATIONS_URL}/{notification_id}/read"


def listing(api, person, **query) -> dict:
    response = api.get(NOTIFICATIONS_URL, query_string=query, as_=person)
    assert response.status_code == 200, response.get_json()
    return response.get_json()


@pytest.fixture
def scene(app, api):
    """The client booked 09:00, 11:00 and 13:00 (in that order): one notification each."""
    scene = make_scene(app, api)
    for hour in (9, 11, 13):
        booked(api, scene, at(hour))
    return scene


def test_the_list_is_newest_first_with_the_unread_count(api, scene):
    page = listing(api, scene.client)
    assert set(page) == {"items", "unread_count", "next_cursor"}
    assert page["unread_count"] == 3
    assert page["next_cursor"] is None
    bodies = [item["body"] for item in page["items"]]
    assert bodies == [f"{at(hour).astimezone(UTC):%a %d %b %Y, %H:%M} UTC" for hour in (13, 11, 9)]
    item = page["items"][0]
    assert set(item) == {"id", "title", "body", "url", "read", "created_at"}
    assert (item["title"], item["read"]) == ("Your session is booked", False)
    assert item["url"].startswith("/bookings/")
    assert item["created_at"].endswith("Z")


def test_each_user_sees_only_their_own_notifications(app, api, scene):
    coach_items = listing(api, scene.coach)["items"]
    client_ids = {item["id"] for item in listing(api, scene.client)["items"]}
    assert len(coach_items) == 3
    assert not client_ids & {item["id"] for item in coach_items}
    assert listing(api, make_client(app)) == {"items": [], "unread_count": 0, "next_cursor": None}


def test_the_list_is_paged_by_cursor(api, scene):
    everything = [item["id"] for item in listing(api, scene.client)["items"]]
    first = listing(api, scene.client, limit=2)
    assert [item["id"] for item in first["items"]] == everything[:2]
    assert first["unread_count"] == 3
    second = listing(api, scene.client, limit=2, cursor=first["next_cursor"])
    assert [item["id"] for item in second["items"]] == everything[2:]
    assert second["next_cursor"] is None


@pytest.mark.parametrize(
    "query, field",
    [({"limit": 0}, "limit"), ({"limit": 201}, "limit"), ({"cursor": "x"}, "cursor")],
)
def test_bad_paging_is_refused(api, scene, query, field):
    response = api.get(NOTIFICATIONS_URL, query_string=query, as_=scene.client)
    assert_error(response, 400, "validation_error", (field,))


def test_marking_one_read_lowers_the_unread_count(api, scene):
    newest = listing(api, scene.client)["items"][0]
    response = api.post(read_url(newest["id"]), as_=scene.client)
    assert response.status_code == 200, response.get_json()
    body = response.get_json()
    assert body["notification"] == {**newest, "read": True}
    assert body["unread_count"] == 2
    page = listing(api, scene.client)
    assert page["unread_count"] == 2
    assert [item["read"] for item in page["items"]] == [True, False, False]


def test_marking_one_read_twice_is_fine(api, scene):
    newest = listing(api, scene.client)["items"][0]
    api.post(read_url(newest["id"]), as_=scene.client)
    again = api.post(read_url(newest["id"]), as_=scene.client)
    assert again.status_code == 200, again.get_json()
    assert again.get_json()["notification"]["read"] is True
    assert again.get_json()["unread_count"] == 2


def test_another_users_notification_is_not_found_and_stays_unread(api, scene):
    coachs = listing(api, scene.coach)["items"][0]
    assert_error(api.post(read_url(coachs["id"]), as_=scene.client), 404, "not_found")
    assert listing(api, scene.coach)["unread_count"] == 3
    assert listing(api, scene.client)["unread_count"] == 3


def test_a_notification_that_does_not_exist_is_not_found(api, scene):
    assert_error(api.post(read_url(987654), as_=scene.client), 404, "not_found")


def test_signed_out_visitors_get_401(api, scene):
    assert_error(api.get(NOTIFICATIONS_URL), 401, "unauthorized")
    newest = listing(api, scene.client)["items"][0]
    assert_error(api.post(read_url(newest["id"])), 401, "unauthorized")
    assert listing(api, scene.client)["unread_count"] == 3
