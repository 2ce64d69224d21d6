"""GET|POST|PATCH|DELETE /api/session-types: a coach's offer (SPEC sections 4, 8, 8.1)."""

from __future__ import annotations

import pytest

from extensions import db
from models import SessionType
from services.emails import EMAIL_EVENTS
from tests.factories import make_client, make_coach, make_connection, make_session_type
from tests.helpers import assert_error, count

URL = "/api/session-types"
ALL_EMAILS = dict.fromkeys(EMAIL_EVENTS, True)

FULL_PAYLOAD = {
    "name": "Deep dive",
    "description": "Two hours on your plan.",
    "format": "group",
    "location": "https://meet.example.com/deep-dive",
    "color": "#10b981",
    "active": False,
    "duration": {"min": 60, "max": 180, "default": 120, "step": 30},
    "price": {"amount": 15000, "currency": "EUR"},
    "rules": {
        "firm_booking": "connected",
        "min_notice_minutes": 1440,
        "max_advance_days": 30,
        "buffer_before_minutes": 15,
        "buffer_after_minutes": 30,
    },
    "cancellation": {"full_refund_hours": 48, "partial_refund_hours": 12,
                     "partial_refund_percent": 25},
    "max_attendees": 6,
    "notifications": {"email": False, "email_events": ALL_EMAILS | {"reminder": False},
                      "reminder_offsets_minutes": [2880]},
}  # fmt: skip


def url(session_type_id: int) -> str:
    return f"{URL}/{session_type_id}"


def stored(app, session_type_id: int) -> dict:
    """The stored row's columns, to show a refused request changed nothing."""
    with app.app_context():
        row = db.session.get(SessionType, session_type_id)
        return {c.key: getattr(row, c.key) for c in SessionType.__mapper__.column_attrs}


def assert_refused(response, field: str) -> None:
    """A 400 validation_error naming the field (or something inside it) in its details."""
    details = assert_error(response, 400, "validation_error")["details"]
    assert any(key == field or key.startswith(field + ".") for key in details), details


# --- creating -----------------------------------------------------------------------


def test_a_type_created_with_only_a_name_has_every_spec_default(app, api):
    coach = make_coach(app, currency="CHF")
    response = api.post(URL, json={"name": "Intro call"}, as_=coach)
    assert response.status_code == 201
    body = response.get_json()
    assert set(body) == {"session_type"}
    session_type = body["session_type"]
    assert isinstance(session_type.pop("id"), int)
    assert session_type == {
        "coach_id": coach.id,
        "name": "Intro call",
        "description": "",
        "format": "one_on_one",
        "location": "",
        "color": "#2563eb",
        "active": True,
        "duration": {"min": 60, "max": 60, "default": 60, "step": 15},
        "price": {"amount": 0, "currency": "CHF"},
        "rules": {
            "firm_booking": "everyone",
            "min_notice_minutes": 120,
            "max_advance_days": 90,
            "buffer_before_minutes": 0,
            "buffer_after_minutes": 0,
        },
        "cancellation": {"full_refund_hours": 24, "partial_refund_hours": 2,
                         "partial_refund_percent": 50},
        "max_attendees": 1,
        "notifications": {"email": True, "email_events": ALL_EMAILS,
                          "reminder_offsets_minutes": [1440, 60]},
    }  # fmt: skip
    assert count(app, SessionType, SessionType.coach_id == coach.id) == 1


def test_a_group_type_created_without_a_capacity_seats_ten(app, api):
    coach = make_coach(app)
    response = api.post(URL, json={"name": "Circle", "format": "group"}, as_=coach)
    assert response.status_code == 201
    assert response.get_json()["session_type"]["max_attendees"] == 10


def test_a_full_payload_comes_back_as_it_was_sent(app, api):
    coach = make_coach(app)
    created = api.post(URL, json=FULL_PAYLOAD, as_=coach)
    assert created.status_code == 201
    session_type = created.get_json()["session_type"]
    assert {k: v for k, v in session_type.items() if k not in ("id", "coach_id")} == FULL_PAYLOAD
    fetched = api.get(url(session_type["id"]), as_=coach)
    assert fetched.get_json() == {"session_type": session_type}


def test_a_zero_decimal_currency_is_the_coachs_own(app, api):
    coach = make_coach(app, currency="JPY")
    payload = {"name": "Session", "price": {"amount": 5000, "currency": "JPY"}}
    response = api.post(URL, json=payload, as_=coach)
    assert response.status_code == 201
    assert response.get_json()["session_type"]["price"] == {"amount": 5000, "currency": "JPY"}


def test_a_name_is_stored_without_surrounding_spaces(app, api):
    coach = make_coach(app)
    response = api.post(URL, json={"name": "  Intro call  "}, as_=coach)
    assert response.get_json()["session_type"]["name"] == "Intro call"
    type_id = response.get_json()["session_type"]["id"]
    patched = api.patch(url(type_id), json={"name": " Deep dive "}, as_=coach)
    assert patched.get_json()["session_type"]["name"] == "Deep dive"


def test_unknown_fields_are_ignored(app, api):
    coach = make_coach(app)
    payload = {
        "name": "Intro",
        "colour": "red",
        "id": 999,
        "coach_id": 12345,
        "duration": {"default": 60, "length": 5},
        "price": {"amount": 100, "tax": 7},
    }
    response = api.post(URL, json=payload, as_=coach)
    assert response.status_code == 201
    session_type = response.get_json()["session_type"]
    assert session_type["id"] != 999
    assert session_type["coach_id"] == coach.id
    assert session_type["color"] == "#2563eb"
    assert session_type["price"]["amount"] == 100


# --- reading ------------------------------------------------------------------------


def test_the_list_holds_the_coachs_own_types_inactive_ones_but_not_deleted_ones(app, api):
    coach, other = make_coach(app), make_coach(app)
    active = make_session_type(app, coach, name="Active")
    inactive = make_session_type(app, coach, name="Paused", active=False)
    deleted = make_session_type(app, coach, name="Gone")
    make_session_type(app, other, name="Someone else's")
    assert api.delete(url(deleted), as_=coach).status_code == 204
    response = api.get(URL, as_=coach)
    assert response.status_code == 200
    items = response.get_json()["items"]
    assert [(item["id"], item["name"]) for item in items] == [
        (active, "Active"),
        (inactive, "Paused"),
    ]


def test_the_owner_sees_an_inactive_type(app, api):
    coach = make_coach(app)
    session_type_id = make_session_type(app, coach, active=False)
    response = api.get(url(session_type_id), as_=coach)
    assert response.status_code == 200
    assert response.get_json()["session_type"]["active"] is False


def test_anyone_sees_an_active_type_of_a_public_coach(app, api):
    coach = make_coach(app, calendar_privacy="public")
    session_type_id = make_session_type(app, coach, name="Open hour")
    for caller in (make_client(app), None):
        response = api.get(url(session_type_id), as_=caller)
        assert response.status_code == 200
        assert response.get_json()["session_type"]["name"] == "Open hour"


def test_a_private_coachs_type_is_not_found_for_a_client(app, api):
    coach = make_coach(app, calendar_privacy="private")
    client = make_client(app)
    make_connection(app, client, coach)
    session_type_id = make_session_type(app, coach)
    assert_error(api.get(url(session_type_id), as_=client), 404, "not_found")


def test_a_connected_coachs_type_is_seen_only_by_connected_clients(app, api):
    coach = make_coach(app, calendar_privacy="connected")
    friend, stranger = make_client(app), make_client(app)
    make_connection(app, friend, coach)
    session_type_id = make_session_type(app, coach)
    assert api.get(url(session_type_id), as_=friend).status_code == 200
    assert_error(api.get(url(session_type_id), as_=stranger), 404, "not_found")
    assert_error(api.get(url(session_type_id)), 404, "not_found")


def test_an_inactive_type_is_not_found_for_anyone_but_its_coach(app, api):
    coach = make_coach(app, calendar_privacy="public")
    session_type_id = make_session_type(app, coach, active=False)
    for caller in (make_client(app), make_coach(app), None):
        assert_error(api.get(url(session_type_id), as_=caller), 404, "not_found")


def test_an_unknown_type_is_not_found(app, api):
    coach = make_coach(app)
    assert_error(api.get(url(424242), as_=coach), 404, "not_found")
    assert_error(api.patch(url(424242), json={"name": "X"}, as_=coach), 404, "not_found")
    assert_error(api.delete(url(424242), as_=coach), 404, "not_found")


# --- changing -----------------------------------------------------------------------


def test_patching_only_the_maximum_duration_keeps_everything_else(app, api):
    coach = make_coach(app)
    created = api.post(URL, json=FULL_PAYLOAD, as_=coach).get_json()["session_type"]
    response = api.patch(url(created["id"]), json={"duration": {"max": 240}}, as_=coach)
    assert response.status_code == 200
    updated = response.get_json()["session_type"]
    assert updated["duration"] == {"min": 60, "max": 240, "default": 120, "step": 30}
    assert {k: v for k, v in updated.items() if k != "duration"} == {
        k: v for k, v in created.items() if k != "duration"
    }
    assert stored(app, created["id"])["duration_max"] == 240


def test_a_patch_is_checked_against_the_merged_whole(app, api):
    coach = make_coach(app)
    session_type_id = make_session_type(app, coach)  # 30 / 60 / 90
    before = stored(app, session_type_id)
    response = api.patch(url(session_type_id), json={"duration": {"max": 45}}, as_=coach)
    assert_refused(response, "duration.default")
    assert stored(app, session_type_id) == before


def test_patching_the_step_blames_the_durations_off_it(app, api):
    coach = make_coach(app)
    session_type_id = make_session_type(app, coach, duration_min=45)
    before = stored(app, session_type_id)
    response = api.patch(url(session_type_id), json={"duration": {"step": 30}}, as_=coach)
    assert_refused(response, "duration.min")
    assert stored(app, session_type_id) == before


def test_switching_to_group_seats_ten_and_back_to_one_on_one_seats_one(app, api):
    coach = make_coach(app)
    session_type_id = make_session_type(app, coach)
    response = api.patch(url(session_type_id), json={"format": "group"}, as_=coach)
    assert response.status_code == 200
    assert response.get_json()["session_type"]["max_attendees"] == 10
    response = api.patch(url(session_type_id), json={"format": "one_on_one"}, as_=coach)
    assert response.get_json()["session_type"]["max_attendees"] == 1
    assert stored(app, session_type_id)["max_attendees"] == 1


def test_resending_the_same_format_keeps_the_capacity(app, api):
    coach = make_coach(app)
    session_type_id = make_session_type(app, coach, format="group", max_attendees=6)
    response = api.patch(url(session_type_id), json={"format": "group", "name": "X"}, as_=coach)
    assert response.status_code == 200
    assert response.get_json()["session_type"]["max_attendees"] == 6


def test_switching_to_group_with_a_capacity_keeps_that_capacity(app, api):
    coach = make_coach(app)
    session_type_id = make_session_type(app, coach)
    payload = {"format": "group", "max_attendees": 4}
    response = api.patch(url(session_type_id), json=payload, as_=coach)
    assert response.get_json()["session_type"]["max_attendees"] == 4


def test_an_empty_patch_changes_nothing(app, api):
    coach = make_coach(app)
    session_type_id = make_session_type(app, coach)
    before = api.get(url(session_type_id), as_=coach).get_json()
    response = api.patch(url(session_type_id), json={}, as_=coach)
    assert response.status_code == 200
    assert response.get_json() == before


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"name": "   "}, "name"),
        ({"name": None}, "name"),
        ({"price": {"amount": -1}}, "price.amount"),
        ({"price": {"currency": "USD"}}, "price.currency"),
        ({"format": "group", "max_attendees": 1}, "max_attendees"),
        ({"max_attendees": 3}, "max_attendees"),
        ({"cancellation": {"partial_refund_hours": 30}}, "cancellation.partial_refund_hours"),
        ({"notifications": {"reminder_offsets_minutes": [60, 60]}},
         "notifications.reminder_offsets_minutes"),
    ],
)  # fmt: skip
def test_a_refused_patch_changes_nothing(app, api, changes, field):
    coach = make_coach(app)
    session_type_id = make_session_type(app, coach)
    before = stored(app, session_type_id)
    assert_refused(api.patch(url(session_type_id), json=changes, as_=coach), field)
    assert stored(app, session_type_id) == before


# --- deleting -----------------------------------------------------------------------


def test_a_deleted_type_is_gone(app, api):
    coach = make_coach(app, calendar_privacy="public")
    session_type_id = make_session_type(app, coach)
    response = api.delete(url(session_type_id), as_=coach)
    assert response.status_code == 204
    assert response.get_data() == b""
    assert_error(api.get(url(session_type_id), as_=coach), 404, "not_found")
    assert_error(api.get(url(session_type_id), as_=make_client(app)), 404, "not_found")
    assert api.get(URL, as_=coach).get_json()["items"] == []
    assert_error(
        api.patch(url(session_type_id), json={"name": "Back"}, as_=coach), 404, "not_found"
    )
    assert_error(api.delete(url(session_type_id), as_=coach), 404, "not_found")


# --- who may ------------------------------------------------------------------------


def test_a_client_may_not_create_or_list_types(app, api):
    client = make_client(app)
    assert_error(api.post(URL, json={"name": "Mine"}, as_=client), 403, "forbidden")
    assert_error(api.get(URL, as_=client), 403, "forbidden")
    assert count(app, SessionType) == 0


def test_others_may_not_change_a_type_they_can_see(app, api):
    coach = make_coach(app, calendar_privacy="public")
    session_type_id = make_session_type(app, coach)
    before = stored(app, session_type_id)
    for caller in (make_coach(app), make_client(app)):
        response = api.patch(url(session_type_id), json={"name": "Taken"}, as_=caller)
        assert_error(response, 403, "forbidden")
        assert_error(api.delete(url(session_type_id), as_=caller), 403, "forbidden")
    assert stored(app, session_type_id) == before


def test_others_get_not_found_for_a_type_they_cannot_see(app, api):
    coach = make_coach(app, calendar_privacy="private")
    session_type_id = make_session_type(app, coach)
    hidden_inactive = make_session_type(app, make_coach(app, calendar_privacy="public"),
                                        active=False)  # fmt: skip
    other = make_coach(app)
    for target in (session_type_id, hidden_inactive):
        before = stored(app, target)
        assert_error(api.patch(url(target), json={"name": "Taken"}, as_=other), 404, "not_found")
        assert_error(api.delete(url(target), as_=other), 404, "not_found")
        assert stored(app, target) == before


def test_signed_out_callers_must_authenticate_to_list_or_change(app, api):
    coach = make_coach(app, calendar_privacy="public")
    session_type_id = make_session_type(app, coach)
    before = stored(app, session_type_id)
    assert_error(api.get(URL), 401, "unauthorized")
    assert_error(api.post(URL, json={"name": "Anon"}), 401, "unauthorized")
    assert_error(api.patch(url(session_type_id), json={"name": "Anon"}), 401, "unauthorized")
    assert_error(api.delete(url(session_type_id)), 401, "unauthorized")
    bad_token = {"Authorization": "Bearer not-a-token"}
    assert_error(api.post(URL, json={"name": "Anon"}, headers=bad_token), 401, "unauthorized")
    assert count(app, SessionType) == 1
    assert stored(app, session_type_id) == before


# --- bad input: 400 with the field's path, nothing written --------------------------


@pytest.mark.parametrize(
    ("payload", "field"),
    [
        ({"duration": {"step": 10}}, "duration.step"),
        ({"duration": {"step": 20}}, "duration.step"),
        ({"duration": {"step": 25, "min": 50, "default": 50, "max": 50}}, "duration.step"),
        ({"duration": {"min": 90, "default": 60, "max": 90}}, "duration.default"),
        ({"duration": {"default": 90}}, "duration.default"),
        ({"duration": {"step": 30, "min": 45, "default": 60, "max": 60}}, "duration.min"),
        ({"duration": {"step": 30, "min": 60, "default": 60, "max": 75}}, "duration.max"),
        ({"duration": 60}, "duration"),
        ({"price": {"amount": -100}}, "price.amount"),
        ({"price": {"amount": "50"}}, "price.amount"),
        ({"price": {"amount": 10.5}}, "price.amount"),
        ({"price": {"amount": True}}, "price.amount"),
        ({"price": {"amount": 100, "currency": "USD"}}, "price.currency"),
        ({"price": {"amount": 100, "currency": "eur"}}, "price.currency"),
        ({"format": "workshop"}, "format"),
        ({"rules": {"firm_booking": "sometimes"}}, "rules.firm_booking"),
        ({"rules": {"min_notice_minutes": -1}}, "rules.min_notice_minutes"),
        ({"color": "blue"}, "color"),
        ({"color": "#12345"}, "color"),
        ({"name": "   "}, "name"),
        ({"name": ""}, "name"),
        ({"name": None}, "name"),
        ({"name": "x" * 10_000}, "name"),
        ({"description": "x" * 5001}, "description"),
        ({"max_attendees": 3}, "max_attendees"),
        ({"format": "group", "max_attendees": 1}, "max_attendees"),
        ({"max_attendees": 0}, "max_attendees"),
        ({"notifications": {"reminder_offsets_minutes": 60}},
         "notifications.reminder_offsets_minutes"),
        ({"notifications": {"reminder_offsets_minutes": [60, 60]}},
         "notifications.reminder_offsets_minutes"),
        ({"cancellation": {"partial_refund_hours": 48}}, "cancellation.partial_refund_hours"),
        ({"cancellation": {"partial_refund_percent": 101}}, "cancellation.partial_refund_percent"),
        ({"active": "maybe"}, "active"),
        ({"active": "yes"}, "active"),
        ({"active": 1}, "active"),
        ({"notifications": {"email": "on"}}, "notifications.email"),
    ],
)  # fmt: skip
def test_bad_input_is_refused_with_the_field_path_and_nothing_is_written(app, api, payload, field):
    coach = make_coach(app)
    response = api.post(URL, json={"name": "Intro"} | payload, as_=coach)
    assert_refused(response, field)
    assert count(app, SessionType) == 0


def test_a_missing_name_is_refused(app, api):
    coach = make_coach(app)
    assert_refused(api.post(URL, json={"description": "No name"}, as_=coach), "name")
    assert count(app, SessionType) == 0


@pytest.mark.parametrize("body", ['{"name": "Intro",', "[]", '[{"name": "Intro"}]', '"Intro"'])
def test_a_body_that_is_not_a_json_object_is_refused(app, api, body):
    coach = make_coach(app)
    response = api.post(URL, data=body, content_type="application/json", as_=coach)
    assert_error(response, 400, "validation_error")
    assert count(app, SessionType) == 0
