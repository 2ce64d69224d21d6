"""The connections API (SPEC sections 4 and 8): ask, answer, list."""

from __future__ import annotations

import threading

import pytest

from extensions import db
from models import Connection, Notification, User
from tests.api.scheduling import MONDAY, local
from tests.factories import (
    make_booking,
    make_client,
    make_coach,
    make_connection,
    make_session_type,
)
from tests.helpers import assert_error, count


def stored(app, connection_id: int) -> dict:
    with app.app_context():
        connection = db.session.get(Connection, connection_id)
        return {
            "requester_id": connection.requester_id,
            "addressee_id": connection.addressee_id,
            "status": connection.status,
        }


def notifications_for(app, person) -> list[dict]:
    with app.app_context():
        rows = db.session.scalars(
            db.select(Notification).where(Notification.user_id == person.id)
        ).all()
        return [{"kind": n.kind, "title": n.title, "url": n.url} for n in rows]


def share_a_booking(app, coach, client) -> int:
    """A past booking between the two: what lets them ask each other by id."""
    session_type_id = make_session_type(app, coach)
    return make_booking(app, coach, client, session_type_id, local(MONDAY, 10), status="completed")


def nothing_written(app) -> bool:
    return count(app, Connection) == 0 and count(app, Notification) == 0


def at_once(app, requests: list[tuple[str, dict | None, object]]) -> list[int]:
    """POST ``(path, json, as_)`` requests from threads released together; sorted statuses."""
    barrier = threading.Barrier(len(requests))
    statuses: list[int] = []

    def send(path, body, person):
        client = app.test_client()
        barrier.wait()
        headers = {"Authorization": f"Bearer {person.token}"}
        statuses.append(client.post(path, json=body, headers=headers).status_code)

    threads = [threading.Thread(target=send, args=request) for request in requests]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return sorted(statuses)


# --- asking ------------------------------------------------------------------------


@pytest.mark.parametrize("privacy", ["public", "connected"])
def test_asking_a_coach_by_address_creates_a_pending_request_and_notifies_the_coach(
    app, api, privacy
):
    coach = make_coach(app, name="Dana Coach", calendar_privacy=privacy)
    client = make_client(app, name="Chris Client")

    response = api.post("/api/connections", json={"coach_slug": coach.slug}, as_=client)

    assert response.status_code == 201, response.get_json()
    connection = response.get_json()["connection"]
    assert isinstance(connection["id"], int)
    assert connection["requester_id"] == client.id
    assert connection["addressee_id"] == coach.id
    assert connection["status"] == "pending"
    assert stored(app, connection["id"])["status"] == "pending"
    assert count(app, Connection) == 1
    [notification] = notifications_for(app, coach)
    assert "Chris Client wants to connect" in notification["title"]
    assert notifications_for(app, client) == []


def test_the_address_is_read_as_the_profile_reads_it(app, api):
    coach = make_coach(app, calendar_privacy="public")
    client = make_client(app)
    response = api.post(
        "/api/connections", json={"coach_slug": f"  {coach.slug.upper()} "}, as_=client
    )
    assert response.status_code == 201, response.get_json()


def test_a_private_coach_cannot_be_asked_and_answers_as_an_unknown_address(app, api):
    coach = make_coach(app, calendar_privacy="private")
    client = make_client(app)

    private = api.post("/api/connections", json={"coach_slug": coach.slug}, as_=client)
    unknown = api.post("/api/connections", json={"coach_slug": "nobody-here"}, as_=client)

    assert_error(private, 404, "not_found")
    assert private.get_json() == unknown.get_json()
    assert api.get(f"/api/coaches/{coach.slug}", as_=client).status_code == 404
    assert nothing_written(app)


@pytest.mark.parametrize("asker", ["coach", "client"])
def test_people_who_share_a_booking_may_ask_each_other_by_id(app, api, asker):
    coach = make_coach(app, name="Dana Coach", calendar_privacy="private")
    client = make_client(app, name="Chris Client")
    share_a_booking(app, coach, client)
    me, them = (coach, client) if asker == "coach" else (client, coach)

    response = api.post("/api/connections", json={"addressee_id": them.id}, as_=me)

    assert response.status_code == 201, response.get_json()
    assert response.get_json()["connection"]["addressee_id"] == them.id
    [notification] = notifications_for(app, them)
    assert f"{me.name} wants to connect" in notification["title"]


@pytest.mark.parametrize("target", ["coach", "client", "missing"])
def test_an_id_you_share_no_booking_with_answers_as_a_missing_one(app, api, target):
    """Ids cannot be used to find people or to push notifications to anyone."""
    asker = make_client(app)
    them = {"coach": make_coach(app, calendar_privacy="public"), "client": make_client(app)}
    addressee_id = them[target].id if target in them else 999_999

    response = api.post("/api/connections", json={"addressee_id": addressee_id}, as_=asker)

    assert_error(response, 404, "not_found")
    assert (
        response.get_json()
        == api.post("/api/connections", json={"addressee_id": 999_999}, as_=asker).get_json()
    )
    assert nothing_written(app)


@pytest.mark.parametrize(
    "payload", [{}, {"unrelated": 1}, "both"], ids=["empty", "unknown", "both"]
)
def test_asking_needs_exactly_one_of_addressee_id_and_coach_slug(app, api, payload):
    coach, client = make_coach(app), make_client(app)
    if payload == "both":
        payload = {"addressee_id": coach.id, "coach_slug": coach.slug}
    response = api.post("/api/connections", json=payload, as_=client)
    assert_error(response, 400, "validation_error", ("addressee_id", "coach_slug"))
    assert nothing_written(app)


def test_asking_yourself_to_connect_is_refused(app, api):
    coach = make_coach(app)
    by_id = api.post("/api/connections", json={"addressee_id": coach.id}, as_=coach)
    by_slug = api.post("/api/connections", json={"coach_slug": coach.slug}, as_=coach)
    assert_error(by_id, 400, "validation_error", ("addressee_id",))
    assert_error(by_slug, 400, "validation_error")
    assert nothing_written(app)


@pytest.mark.parametrize(
    "payload", [{"addressee_id": 999_999}, {"coach_slug": "nobody-here"}], ids=["id", "slug"]
)
def test_asking_someone_who_does_not_exist_is_not_found(app, api, payload):
    client = make_client(app)
    assert_error(api.post("/api/connections", json=payload, as_=client), 404, "not_found")
    assert nothing_written(app)


@pytest.mark.parametrize("by", ["addressee_id", "coach_slug"])
def test_a_deactivated_account_cannot_be_asked_to_connect(app, api, by):
    coach, client = make_coach(app, calendar_privacy="public"), make_client(app)
    share_a_booking(app, coach, client)
    with app.app_context():
        db.session.get(User, coach.id).is_active_account = False
        db.session.commit()
    payload = {"addressee_id": coach.id} if by == "addressee_id" else {"coach_slug": coach.slug}
    response = api.post("/api/connections", json=payload, as_=client)
    assert_error(response, 404, "not_found")
    assert nothing_written(app)


@pytest.mark.parametrize("second_asker", ["same requester", "other side"])
@pytest.mark.parametrize("status", ["pending", "accepted", "declined"])
def test_a_second_request_for_the_same_pair_is_a_conflict_in_either_direction(
    app, api, status, second_asker
):
    coach, client = make_coach(app), make_client(app)
    share_a_booking(app, coach, client)
    connection_id = make_connection(app, client, coach, status)
    asker, target = (client, coach) if second_asker == "same requester" else (coach, client)

    response = api.post("/api/connections", json={"addressee_id": target.id}, as_=asker)

    error = assert_error(response, 409, "connection_exists")
    assert error["details"]["connection_id"] == connection_id
    assert count(app, Connection) == 1
    assert stored(app, connection_id) == {
        "requester_id": client.id,
        "addressee_id": coach.id,
        "status": status,
    }
    assert count(app, Notification) == 0


def test_both_sides_asking_at_the_same_moment_make_one_connection_and_conflicts(app):
    coach, client = make_coach(app), make_client(app)
    share_a_booking(app, coach, client)
    requests = [
        ("/api/connections", {"addressee_id": them.id}, me)
        for me, them in [(client, coach), (coach, client)] * 4
    ]
    assert at_once(app, requests) == [201] + [409] * 7
    assert count(app, Connection) == 1
    assert count(app, Notification) == 1


# --- malformed input ---------------------------------------------------------------


@pytest.mark.parametrize(
    "body",
    [
        {"addressee_id": "7"},
        {"addressee_id": 1.5},
        {"addressee_id": True},
        {"addressee_id": None},
        {"addressee_id": [7]},
        {"addressee_id": 0},
        {"addressee_id": -3},
        {"addressee_id": 2**31},
        {"coach_slug": 7},
        {"coach_slug": ""},
        {"coach_slug": "x" * 65},
        {"coach_slug": ["dana"]},
    ],
    ids=repr,
)
def test_wrong_types_and_ranges_are_refused_and_nothing_is_written(app, api, body):
    make_coach(app)
    client = make_client(app)
    field = next(iter(body))
    response = api.post("/api/connections", json=body, as_=client)
    assert_error(response, 400, "validation_error", (field,))
    assert nothing_written(app)


@pytest.mark.parametrize("raw", ['{"addressee_id": ', "not json", "[]", '"text"', "7"], ids=repr)
def test_a_malformed_json_body_is_refused_and_nothing_is_written(app, api, raw):
    make_coach(app)
    client = make_client(app)
    response = api.post("/api/connections", data=raw, content_type="application/json", as_=client)
    assert_error(response, 400, "validation_error")
    assert nothing_written(app)


# --- answering ---------------------------------------------------------------------


@pytest.mark.parametrize(("answer", "status"), [("accept", "accepted"), ("decline", "declined")])
def test_the_person_asked_can_answer_a_request(app, api, answer, status):
    coach, client = make_coach(app), make_client(app)
    connection_id = make_connection(app, client, coach, "pending")

    response = api.post(f"/api/connections/{connection_id}/{answer}", as_=coach)

    assert response.status_code == 200, response.get_json()
    body = response.get_json()["connection"]
    assert body["id"] == connection_id
    assert body["status"] == status
    assert stored(app, connection_id)["status"] == status


def test_accepting_tells_the_requester_and_declining_does_not(app, api):
    coach = make_coach(app, name="Dana Coach")
    accepted_client, declined_client = make_client(app), make_client(app)
    to_accept = make_connection(app, accepted_client, coach, "pending")
    to_decline = make_connection(app, declined_client, coach, "pending")

    api.post(f"/api/connections/{to_accept}/accept", as_=coach)
    api.post(f"/api/connections/{to_decline}/decline", as_=coach)

    [notification] = notifications_for(app, accepted_client)
    assert "Dana Coach accepted" in notification["title"]
    assert notifications_for(app, declined_client) == []


@pytest.mark.parametrize("answer", ["accept", "decline"])
def test_the_requester_cannot_answer_their_own_request(app, api, answer):
    coach, client = make_coach(app), make_client(app)
    connection_id = make_connection(app, client, coach, "pending")
    response = api.post(f"/api/connections/{connection_id}/{answer}", as_=client)
    assert_error(response, 403, "forbidden")
    assert stored(app, connection_id)["status"] == "pending"


@pytest.mark.parametrize("answer", ["accept", "decline"])
def test_an_outsider_cannot_even_learn_that_a_request_exists(app, api, answer):
    coach, client, outsider = make_coach(app), make_client(app), make_client(app)
    connection_id = make_connection(app, client, coach, "pending")
    response = api.post(f"/api/connections/{connection_id}/{answer}", as_=outsider)
    missing = api.post(f"/api/connections/{connection_id + 1000}/{answer}", as_=outsider)
    assert_error(response, 404, "not_found")
    assert response.get_json() == missing.get_json()
    assert stored(app, connection_id)["status"] == "pending"


@pytest.mark.parametrize(
    ("first", "second"),
    [("accept", "accept"), ("accept", "decline"), ("decline", "accept"), ("decline", "decline")],
)
def test_answering_a_request_twice_is_an_invalid_transition(app, api, first, second):
    coach, client = make_coach(app), make_client(app)
    connection_id = make_connection(app, client, coach, "pending")
    assert api.post(f"/api/connections/{connection_id}/{first}", as_=coach).status_code == 200
    settled = stored(app, connection_id)["status"]

    response = api.post(f"/api/connections/{connection_id}/{second}", as_=coach)

    assert_error(response, 409, "invalid_transition")
    assert stored(app, connection_id)["status"] == settled


def test_answering_the_same_request_several_times_at_once_answers_it_once(app):
    coach, client = make_coach(app), make_client(app)
    connection_id = make_connection(app, client, coach, "pending")
    paths = [f"/api/connections/{connection_id}/{a}" for a in ("accept", "decline") * 3]

    assert at_once(app, [(path, None, coach) for path in paths]) == [200] + [409] * 5

    final = stored(app, connection_id)["status"]
    assert len(notifications_for(app, client)) == (1 if final == "accepted" else 0)


# --- listing -----------------------------------------------------------------------


def test_the_list_holds_only_the_callers_connections_newest_first(app, api):
    client = make_client(app)
    coach_a, coach_b, coach_c = make_coach(app), make_coach(app), make_coach(app)
    first = make_connection(app, client, coach_a, "accepted")
    make_connection(app, make_client(app), coach_a, "pending")  # not the caller's
    second = make_connection(app, coach_b, client, "pending")  # the caller was asked
    third = make_connection(app, client, coach_c, "declined")

    response = api.get("/api/connections", as_=client)

    assert response.status_code == 200
    body = response.get_json()
    assert [c["id"] for c in body["items"]] == [third, second, first]
    assert body["next_cursor"] is None
    assert all(client.id in (c["requester_id"], c["addressee_id"]) for c in body["items"])
    assert body["items"][1] | {"created_at": None} == {
        "id": second,
        "requester_id": coach_b.id,
        "addressee_id": client.id,
        "status": "pending",
        "created_at": None,
    }


def test_someone_without_connections_gets_an_empty_list(app, api):
    coach = make_coach(app)
    make_connection(app, make_client(app), make_coach(app), "accepted")
    response = api.get("/api/connections", as_=coach)
    assert response.status_code == 200
    assert response.get_json() == {"items": [], "next_cursor": None}


@pytest.mark.parametrize("status", ["pending", "accepted", "declined"])
def test_the_list_can_be_filtered_by_status(app, api, status):
    coach = make_coach(app)
    ids = {s: make_connection(app, make_client(app), coach, s) for s in ("pending", "accepted")}
    ids["declined"] = make_connection(app, make_client(app), coach, "declined")
    response = api.get(f"/api/connections?status={status}", as_=coach)
    assert response.status_code == 200
    assert [(c["id"], c["status"]) for c in response.get_json()["items"]] == [(ids[status], status)]


def test_the_list_pages_with_limit_and_cursor_until_next_cursor_is_null(app, api):
    client = make_client(app)
    ids = [make_connection(app, client, make_coach(app), "accepted") for _ in range(5)]
    newest_first = list(reversed(ids))

    seen, cursor, pages = [], None, 0
    while True:
        query = "limit=2" + (f"&cursor={cursor}" if cursor is not None else "")
        response = api.get(f"/api/connections?{query}", as_=client)
        assert response.status_code == 200
        body = response.get_json()
        assert len(body["items"]) <= 2
        seen += [c["id"] for c in body["items"]]
        pages += 1
        cursor = body["next_cursor"]
        if cursor is None:
            break
        assert cursor == seen[-1]

    assert seen == newest_first
    assert pages == 3


def test_a_page_that_ends_exactly_at_the_last_connection_has_no_next_cursor(app, api):
    client = make_client(app)
    for _ in range(2):
        make_connection(app, client, make_coach(app), "pending")
    body = api.get("/api/connections?limit=2", as_=client).get_json()
    assert len(body["items"]) == 2
    assert body["next_cursor"] is None


def test_paging_and_the_status_filter_work_together(app, api):
    coach = make_coach(app)
    pending = [make_connection(app, make_client(app), coach, "pending") for _ in range(3)]
    make_connection(app, make_client(app), coach, "accepted")
    first = api.get("/api/connections?status=pending&limit=2", as_=coach).get_json()
    assert [c["id"] for c in first["items"]] == [pending[2], pending[1]]
    rest = api.get(
        f"/api/connections?status=pending&limit=2&cursor={first['next_cursor']}", as_=coach
    ).get_json()
    assert [c["id"] for c in rest["items"]] == [pending[0]]
    assert rest["next_cursor"] is None


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ("status=bogus", "status"),
        ("status=", "status"),
        ("limit=0", "limit"),
        ("limit=-1", "limit"),
        ("limit=201", "limit"),
        ("limit=abc", "limit"),
        ("limit=1.5", "limit"),
        ("cursor=0", "cursor"),
        ("cursor=abc", "cursor"),
    ],
)
def test_bad_list_query_values_are_refused(app, api, query, field):
    client = make_client(app)
    response = api.get(f"/api/connections?{query}", as_=client)
    assert_error(response, 400, "validation_error", (field,))


# --- authentication ----------------------------------------------------------------


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("GET", "/api/connections"),
        ("POST", "/api/connections"),
        ("POST", "/api/connections/{id}/accept"),
        ("POST", "/api/connections/{id}/decline"),
    ],
)
@pytest.mark.parametrize("token", [None, "not-a-real-token"], ids=["no token", "bad token"])
def test_every_connections_endpoint_needs_a_signed_in_caller(app, api, method, path, token):
    coach, client = make_coach(app), make_client(app)
    connection_id = make_connection(app, client, coach, "pending")
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    response = api.request(
        method,
        path.format(id=connection_id),
        headers=headers,
        json={"addressee_id": coach.id} if method == "POST" else None,
    )
    assert_error(response, 401, "unauthorized")
    assert stored(app, connection_id)["status"] == "pending"
    assert count(app, Connection) == 1


def test_a_coach_slug_is_matched_whatever_its_case_and_surrounding_spaces(app, api):
    from tests.factories import make_client, make_coach

    coach = make_coach(app, name="Dana Demo")
    client = make_client(app)
    response = api.post("/api/connections", json={"coach_slug": " DANA-Demo "}, as_=client)
    assert response.status_code == 201
    assert response.get_json()["connection"]["addressee_id"] == coach.id
