"""GET|POST|PATCH|DELETE /api/coupons: a coach's discount codes (SPEC sections 5, 8, 8.1)."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from extensions import db
from models import Coupon
from tests.factories import make_client, make_coach, make_coupon
from tests.helpers import assert_error, count

URL = "/api/coupons"


def url(coupon_id: int) -> str:
    return f"{URL}/{coupon_id}"


def stored(app, coupon_id: int) -> dict:
    """The stored row's columns, to show a refused request changed nothing."""
    with app.app_context():
        row = db.session.get(Coupon, coupon_id)
        return {c.key: getattr(row, c.key) for c in Coupon.__mapper__.column_attrs}


def assert_refused(response, *fields: str) -> dict:
    return assert_error(response, 400, "validation_error", fields)


# --- creating -----------------------------------------------------------------------


def test_a_percent_coupon_is_created_with_its_code_upper_cased(app, api):
    coach = make_coach(app)
    response = api.post(URL, json={"code": "summer-10", "percent_off": 10}, as_=coach)
    assert response.status_code == 201
    body = response.get_json()
    assert set(body) == {"coupon"}
    coupon = body["coupon"]
    assert isinstance(coupon["id"], int)
    assert {k: v for k, v in coupon.items() if k not in ("id", "currency")} == {
        "code": "SUMMER-10",
        "percent_off": 10,
        "amount_off": None,
        "valid_from": None,
        "valid_until": None,
        "max_redemptions": None,
        "redemptions": 0,
    }
    assert stored(app, coupon["id"])["code"] == "SUMMER-10"


def test_a_fixed_coupon_keeps_its_amount_period_and_maximum(app, api):
    coach = make_coach(app)
    payload = {
        "code": "WELCOME",
        "amount_off": 500,
        "valid_from": "2026-12-01T10:00:00+01:00",
        "valid_until": "2027-01-31T18:30:00-05:00",
        "max_redemptions": 20,
    }
    response = api.post(URL, json=payload, as_=coach)
    assert response.status_code == 201
    coupon = response.get_json()["coupon"]
    assert coupon["percent_off"] is None
    assert coupon["amount_off"] == 500
    assert coupon["max_redemptions"] == 20
    # Responses are in UTC with Z.
    assert coupon["valid_from"] == "2026-12-01T09:00:00Z"
    assert coupon["valid_until"] == "2027-01-31T23:30:00Z"
    assert api.get(url(coupon["id"]), as_=coach).get_json() == {"coupon": coupon}


def test_surrounding_spaces_in_a_code_are_dropped(app, api):
    coach = make_coach(app)
    response = api.post(URL, json={"code": "  vip  ", "percent_off": 5}, as_=coach)
    assert response.status_code == 201
    assert response.get_json()["coupon"]["code"] == "VIP"


def test_a_code_already_in_use_in_another_case_is_a_conflict(app, api):
    coach = make_coach(app)
    make_coupon(app, coach, code="SAVE10")
    response = api.post(URL, json={"code": "Save10", "amount_off": 300}, as_=coach)
    assert_error(response, 409, "coupon_exists", ("code",))
    assert count(app, Coupon) == 1


def test_two_coaches_may_use_the_same_code(app, api):
    make_coupon(app, make_coach(app), code="SAVE10")
    response = api.post(URL, json={"code": "save10", "percent_off": 10}, as_=make_coach(app))
    assert response.status_code == 201


def test_unknown_fields_are_ignored(app, api):
    coach = make_coach(app)
    payload = {"code": "EXTRA", "percent_off": 10, "redemptions": 50, "coach_id": 999}
    response = api.post(URL, json=payload, as_=coach)
    assert response.status_code == 201
    assert response.get_json()["coupon"]["redemptions"] == 0
    with app.app_context():
        assert db.session.get(Coupon, response.get_json()["coupon"]["id"]).coach_id == coach.id


# --- bad input: 400 with the field, nothing written ---------------------------------


@pytest.mark.parametrize(
    ("payload", "fields"),
    [
        ({"code": "BOTH", "percent_off": 10, "amount_off": 500}, ("percent_off", "amount_off")),
        ({"code": "NEITHER"}, ("percent_off", "amount_off")),
        ({"code": "NULLS", "percent_off": None, "amount_off": None}, ("percent_off",)),
        ({"code": "ZERO", "percent_off": 0}, ("percent_off",)),
        ({"code": "TOOMUCH", "percent_off": 101}, ("percent_off",)),
        ({"code": "HALF", "percent_off": 10.5}, ("percent_off",)),
        ({"code": "TEXT", "percent_off": "10"}, ("percent_off",)),
        ({"code": "NOTHING", "amount_off": 0}, ("amount_off",)),
        ({"code": "MINUS", "amount_off": -500}, ("amount_off",)),
        ({"code": "NOLIMIT", "percent_off": 10, "max_redemptions": 0}, ("max_redemptions",)),
        ({"code": "NEGLIMIT", "percent_off": 10, "max_redemptions": -1}, ("max_redemptions",)),
        ({"percent_off": 10}, ("code",)),
        ({"code": "A", "percent_off": 10}, ("code",)),
        ({"code": "SAVE 10", "percent_off": 10}, ("code",)),
        ({"code": "SAVE!", "percent_off": 10}, ("code",)),
        ({"code": "X" * 41, "percent_off": 10}, ("code",)),
        ({"code": 1234, "percent_off": 10}, ("code",)),
        (
            {"code": "BACKWARDS", "percent_off": 10, "valid_from": "2026-12-10T00:00:00Z",
             "valid_until": "2026-12-01T00:00:00Z"},
            ("valid_until",),
        ),
        (
            {"code": "INSTANT", "percent_off": 10, "valid_from": "2026-12-01T10:00:00+01:00",
             "valid_until": "2026-12-01T09:00:00Z"},
            ("valid_until",),
        ),
        ({"code": "NAIVE", "percent_off": 10, "valid_from": "2026-12-01T10:00:00"},
         ("valid_from",)),
        ({"code": "NAIVE2", "percent_off": 10, "valid_until": "2026-12-01T10:00:00"},
         ("valid_until",)),
        ({"code": "DATEONLY", "percent_off": 10, "valid_until": "2026-12-01"}, ("valid_until",)),
        ({"code": "GARBAGE", "percent_off": 10, "valid_from": "tomorrow"}, ("valid_from",)),
    ],
)  # fmt: skip
def test_bad_input_is_refused_and_nothing_is_written(app, api, payload, fields):
    coach = make_coach(app)
    assert_refused(api.post(URL, json=payload, as_=coach), *fields)
    assert count(app, Coupon) == 0


@pytest.mark.parametrize("body", ['{"code": "X",', "[]", '"SAVE10"'])
def test_a_body_that_is_not_a_json_object_is_refused(app, api, body):
    coach = make_coach(app)
    response = api.post(URL, data=body, content_type="application/json", as_=coach)
    assert_error(response, 400, "validation_error")
    assert count(app, Coupon) == 0


# --- reading ------------------------------------------------------------------------


def test_the_list_holds_the_coachs_own_coupons_newest_first(app, api):
    coach, other = make_coach(app), make_coach(app)
    for code in ("FIRST", "SECOND", "THIRD"):
        assert api.post(URL, json={"code": code, "percent_off": 10}, as_=coach).status_code == 201
    make_coupon(app, other, code="OTHERS")
    response = api.get(URL, as_=coach)
    assert response.status_code == 200
    assert [item["code"] for item in response.get_json()["items"]] == ["THIRD", "SECOND", "FIRST"]


def test_the_list_of_a_coach_without_coupons_is_empty(app, api):
    response = api.get(URL, as_=make_coach(app))
    assert response.status_code == 200
    assert response.get_json() == {"items": []}


def test_the_list_shows_how_often_a_coupon_was_redeemed(app, api):
    coach = make_coach(app)
    make_coupon(app, coach, code="USED", max_redemptions=5, redemption_count=3)
    (item,) = api.get(URL, as_=coach).get_json()["items"]
    assert (item["max_redemptions"], item["redemptions"]) == (5, 3)


# --- changing -----------------------------------------------------------------------


def test_a_percent_coupon_can_become_a_fixed_one_and_back(app, api):
    coach = make_coach(app)
    coupon_id = make_coupon(app, coach, percent_off=10)
    response = api.patch(url(coupon_id), json={"amount_off": 700}, as_=coach)
    assert response.status_code == 200
    coupon = response.get_json()["coupon"]
    assert (coupon["percent_off"], coupon["amount_off"]) == (None, 700)
    response = api.patch(url(coupon_id), json={"percent_off": 15}, as_=coach)
    assert (response.get_json()["coupon"]["percent_off"], stored(app, coupon_id)["amount_off"]) == (
        15,
        None,
    )


def test_a_patch_changes_only_what_it_names(app, api):
    coach = make_coach(app)
    created = api.post(
        URL,
        json={"code": "KEEP", "percent_off": 10, "valid_from": "2026-12-01T00:00:00Z"},
        as_=coach,
    ).get_json()["coupon"]
    response = api.patch(url(created["id"]), json={"max_redemptions": 3}, as_=coach)
    assert response.status_code == 200
    assert response.get_json()["coupon"] == created | {"max_redemptions": 3}


def test_a_coach_may_recase_their_own_code(app, api):
    coach = make_coach(app)
    coupon_id = make_coupon(app, coach, code="SPRING")
    response = api.patch(url(coupon_id), json={"code": "spring"}, as_=coach)
    assert response.status_code == 200
    assert response.get_json()["coupon"]["code"] == "SPRING"


@pytest.mark.parametrize(
    ("changes", "fields"),
    [
        ({"percent_off": 20, "amount_off": 500}, ("percent_off", "amount_off")),
        ({"percent_off": None}, ("percent_off", "amount_off")),
        ({"percent_off": 0}, ("percent_off",)),
        ({"valid_until": "2026-11-30T23:59:00Z"}, ("valid_until",)),
        ({"valid_until": "2026-12-24T00:00:00"}, ("valid_until",)),
        ({"max_redemptions": 2}, ("max_redemptions",)),
        ({"code": "no spaces"}, ("code",)),
    ],
)
def test_a_refused_patch_changes_nothing(app, api, changes, fields):
    coach = make_coach(app)
    coupon_id = make_coupon(
        app,
        coach,
        valid_from=datetime(2026, 12, 1, tzinfo=UTC),
        max_redemptions=5,
        redemption_count=3,
    )
    before = stored(app, coupon_id)
    assert_refused(api.patch(url(coupon_id), json=changes, as_=coach), *fields)
    assert stored(app, coupon_id) == before


def test_renaming_to_a_code_in_use_is_a_conflict(app, api):
    coach = make_coach(app)
    make_coupon(app, coach, code="TAKEN")
    coupon_id = make_coupon(app, coach, code="MINE")
    response = api.patch(url(coupon_id), json={"code": "taken"}, as_=coach)
    assert_error(response, 409, "coupon_exists", ("code",))
    assert stored(app, coupon_id)["code"] == "MINE"


# --- deleting -----------------------------------------------------------------------


def test_a_deleted_coupon_is_gone_and_its_code_free_again(app, api):
    coach = make_coach(app)
    coupon_id = make_coupon(app, coach, code="ONCE")
    response = api.delete(url(coupon_id), as_=coach)
    assert response.status_code == 204
    assert response.get_data() == b""
    assert_error(api.get(url(coupon_id), as_=coach), 404, "not_found")
    assert_error(api.patch(url(coupon_id), json={"percent_off": 5}, as_=coach), 404, "not_found")
    assert_error(api.delete(url(coupon_id), as_=coach), 404, "not_found")
    assert api.get(URL, as_=coach).get_json()["items"] == []
    again = api.post(URL, json={"code": "once", "amount_off": 100}, as_=coach)
    assert again.status_code == 201
    assert again.get_json()["coupon"]["code"] == "ONCE"
    assert [item["code"] for item in api.get(URL, as_=coach).get_json()["items"]] == ["ONCE"]


# --- who may ------------------------------------------------------------------------


def test_a_client_may_not_list_or_create_coupons(app, api):
    client = make_client(app)
    assert_error(api.get(URL, as_=client), 403, "forbidden")
    assert_error(
        api.post(URL, json={"code": "MINE", "percent_off": 10}, as_=client), 403, "forbidden"
    )
    assert count(app, Coupon) == 0


def test_a_client_may_not_touch_a_coaches_coupon(app, api):
    coupon_id = make_coupon(app, make_coach(app))
    before = stored(app, coupon_id)
    client = make_client(app)
    assert_error(api.get(url(coupon_id), as_=client), 403, "forbidden")
    assert_error(api.patch(url(coupon_id), json={"percent_off": 99}, as_=client), 403, "forbidden")
    assert_error(api.delete(url(coupon_id), as_=client), 403, "forbidden")
    assert stored(app, coupon_id) == before


def test_another_coach_does_not_find_someone_elses_coupon(app, api):
    owner = make_coach(app, calendar_privacy="public")
    coupon_id = make_coupon(app, owner)
    before = stored(app, coupon_id)
    other = make_coach(app)
    assert_error(api.get(url(coupon_id), as_=other), 404, "not_found")
    assert_error(api.patch(url(coupon_id), json={"percent_off": 99}, as_=other), 404, "not_found")
    assert_error(api.delete(url(coupon_id), as_=other), 404, "not_found")
    assert api.get(URL, as_=other).get_json()["items"] == []
    assert stored(app, coupon_id) == before


def test_signed_out_callers_must_authenticate(app, api):
    coupon_id = make_coupon(app, make_coach(app))
    before = stored(app, coupon_id)
    assert_error(api.get(URL), 401, "unauthorized")
    assert_error(api.post(URL, json={"code": "ANON", "percent_off": 10}), 401, "unauthorized")
    assert_error(api.get(url(coupon_id)), 401, "unauthorized")
    assert_error(api.patch(url(coupon_id), json={"percent_off": 99}), 401, "unauthorized")
    assert_error(api.delete(url(coupon_id)), 401, "unauthorized")
    assert count(app, Coupon) == 1
    assert stored(app, coupon_id) == before
