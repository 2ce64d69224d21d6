"""POST /api/bookings/price (the booking modal's preview, SPEC section 5) and GET
/api/coaches/:slug (a coach's profile with the active session types)."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest

from models.types import utcnow
from tests.factories import (
    make_client,
    make_coach,
    make_connection,
    make_coupon,
    make_session_type,
)
from tests.helpers import assert_error

PRICE_URL = "/api/bookings/price"


def coach_url(slug: str) -> str:
    return f"/api/coaches/{slug}"


@pytest.fixture
def coach(app):
    return make_coach(app, vat_rate="0.19", calendar_privacy="public")


@pytest.fixture
def hour_type(app, coach):
    """6000 (EUR 60.00) for the default 60 minutes; 30 to 90 minutes in steps of 15."""
    return make_session_type(app, coach, price_amount=6000)


def price_of(api, session_type: int, as_=None, **fields) -> dict:
    response = api.post(PRICE_URL, json={"session_type_id": session_type, **fields}, as_=as_)
    assert response.status_code == 200, response.get_json()
    body = response.get_json()
    assert set(body) == {"price"}
    return body["price"]


# --- the breakdown ------------------------------------------------------------------------


def test_the_default_platform_fee_is_five_percent_paid_by_the_client(app):
    assert Decimal(str(app.config["PLATFORM_FEE_PERCENT"])) == 5
    assert int(app.config["PLATFORM_FEE_FIXED"]) == 0
    assert app.config["PLATFORM_FEE_PAYER"] == "client"


def test_90_minutes_of_a_60_minute_type_cost_pro_rata_with_vat_and_fee(app, api, hour_type):
    client = make_client(app)
    assert price_of(api, hour_type, as_=client, duration_minutes=90) == {
        "currency": "EUR",
        "base": 9000,
        "discount": {"code": None, "amount": 0},
        "net": 9000,
        "vat": {"rate": "0.19", "amount": 1710},
        "platform_fee": {"amount": 450, "payer": "client"},
        "total": 11160,
        "coach_payout": 10710,
    }


def test_without_a_duration_the_default_duration_is_priced(api, hour_type):
    price = price_of(api, hour_type)
    assert (price["base"], price["vat"]["amount"], price["total"]) == (6000, 1140, 7440)


def test_a_signed_out_visitor_of_a_public_coach_gets_the_preview(api, hour_type):
    assert price_of(api, hour_type, duration_minutes=30)["total"] == 3720


@pytest.mark.parametrize(
    "app_config",
    [{"PLATFORM_FEE_PAYER": "coach", "PLATFORM_FEE_FIXED": 30}],
)
def test_a_fee_the_coach_pays_comes_out_of_the_payout(api, hour_type):
    price = price_of(api, hour_type, duration_minutes=90)
    assert price["platform_fee"] == {"amount": 480, "payer": "coach"}
    assert (price["total"], price["coach_payout"]) == (10710, 10230)


def test_a_percent_coupon_discounts_the_base(app, api, coach, hour_type):
    make_coupon(app, coach, code="TENOFF", percent_off=10)
    price = price_of(api, hour_type, duration_minutes=90, coupon_code="tenoff")
    assert price["discount"] == {"code": "TENOFF", "amount": 900}
    assert (price["net"], price["vat"]["amount"], price["platform_fee"]["amount"]) == (
        8100,
        1539,
        405,
    )
    assert (price["total"], price["coach_payout"]) == (10044, 9639)


def test_a_fixed_coupon_takes_its_amount_off(app, api, coach, hour_type):
    make_coupon(app, coach, code="MINUS10", percent_off=None, amount_off=1000)
    price = price_of(api, hour_type, duration_minutes=90, coupon_code=" Minus10 ")
    assert price["discount"] == {"code": "MINUS10", "amount": 1000}
    assert (price["net"], price["vat"]["amount"], price["total"]) == (8000, 1520, 9920)


def test_a_fixed_coupon_larger_than_the_price_makes_it_free(app, api, coach, hour_type):
    make_coupon(app, coach, code="GIFT", percent_off=None, amount_off=50_000)
    price = price_of(api, hour_type, coupon_code="GIFT")
    assert price["discount"]["amount"] == 6000
    assert (price["net"], price["total"], price["coach_payout"]) == (0, 0, 0)


COUPON_PROBLEMS = {
    "another coach's": lambda app, coach: make_coupon(app, make_coach(app), code="NOPE"),
    "expired": lambda app, coach: make_coupon(
        app, coach, code="NOPE", valid_until=utcnow() - timedelta(minutes=1)
    ),
    "used up": lambda app, coach: make_coupon(
        app, coach, code="NOPE", max_redemptions=2, redemption_count=2
    ),
    "not yet valid": lambda app, coach: make_coupon(
        app, coach, code="NOPE", valid_from=utcnow() + timedelta(days=1)
    ),
    "deleted": lambda app, coach: make_coupon(app, coach, code="NOPE", deleted_at=utcnow()),
    "unknown": lambda app, coach: None,
}


@pytest.mark.parametrize("problem", COUPON_PROBLEMS.values(), ids=COUPON_PROBLEMS.keys())
def test_a_coupon_that_cannot_be_used_is_refused(app, api, coach, hour_type, problem):
    problem(app, coach)
    response = api.post(PRICE_URL, json={"session_type_id": hour_type, "coupon_code": "NOPE"})
    assert_error(response, 400, "validation_error", ("coupon_code",))


def test_a_coupon_with_redemptions_left_still_works(app, api, coach, hour_type):
    make_coupon(app, coach, code="LAST", max_redemptions=2, redemption_count=1)
    assert price_of(api, hour_type, coupon_code="LAST")["discount"]["amount"] == 600


# --- bad requests and privacy ----------------------------------------------------------------


@pytest.mark.parametrize(
    "payload, field",
    [
        ({"duration_minutes": 40}, "duration_minutes"),
        ({"duration_minutes": 120}, "duration_minutes"),
        ({"duration_minutes": "90"}, "duration_minutes"),
        ({"session_type_id": None}, "session_type_id"),
        ({"session_type_id": "1"}, "session_type_id"),
    ],
)
def test_a_bad_price_request_is_refused(api, hour_type, payload, field):
    response = api.post(PRICE_URL, json={"session_type_id": hour_type, **payload})
    assert_error(response, 400, "validation_error", (field,))


def test_malformed_json_is_refused(api, hour_type):
    response = api.post(PRICE_URL, data="{", content_type="application/json")
    assert_error(response, 400, "validation_error")


def test_unknown_or_inactive_session_types_are_not_found(app, api, coach):
    inactive = make_session_type(app, coach, active=False)
    for session_type in (inactive, 987654):
        response = api.post(PRICE_URL, json={"session_type_id": session_type})
        assert_error(response, 404, "not_found")


def test_a_private_coachs_prices_are_not_found_like_a_type_that_does_not_exist(app, api):
    private = make_coach(app, calendar_privacy="private")
    session_type = make_session_type(app, private)
    client = make_client(app)
    make_connection(app, client, private, "accepted")
    missing = api.post(PRICE_URL, json={"session_type_id": 987654}, as_=client)
    for as_ in (None, client):
        response = api.post(PRICE_URL, json={"session_type_id": session_type}, as_=as_)
        assert_error(response, 404, "not_found")
        assert response.get_json() == missing.get_json()
    assert price_of(api, session_type, as_=private)["base"] == 6000


def test_a_connected_coachs_prices_show_only_to_connections(app, api):
    coach = make_coach(app)  # calendar_privacy defaults to "connected"
    session_type = make_session_type(app, coach)
    friend, stranger = make_client(app), make_client(app)
    make_connection(app, coach, friend, "accepted")
    assert price_of(api, session_type, as_=friend)["base"] == 6000
    for as_ in (None, stranger):
        response = api.post(PRICE_URL, json={"session_type_id": session_type}, as_=as_)
        assert_error(response, 404, "not_found")


# --- GET /api/coaches/:slug --------------------------------------------------------------


def test_a_public_coachs_profile_lists_only_active_session_types(app, api, coach, hour_type):
    make_session_type(app, coach, name="Paused", active=False)
    make_session_type(app, coach, name="Gone", deleted_at=utcnow())
    response = api.get(coach_url(coach.slug))
    assert response.status_code == 200
    body = response.get_json()
    assert set(body) == {"coach"}
    profile = body["coach"]
    assert (profile["id"], profile["name"], profile["slug"]) == (coach.id, coach.name, coach.slug)
    assert [(t["id"], t["name"], t["active"]) for t in profile["session_types"]] == [
        (hour_type, "Coaching", True)
    ]
    session_type = profile["session_types"][0]
    assert session_type["price"] == {"amount": 6000, "currency": "EUR"}
    assert session_type["duration"] == {"min": 30, "max": 90, "default": 60, "step": 15}
    assert "email" not in profile and "vat_rate" not in profile
    assert api.get(coach_url(coach.slug.upper())).get_json() == body


@pytest.mark.parametrize("privacy", ["connected", "private"])
def test_a_profile_hidden_by_privacy_is_not_found_like_an_unknown_slug(app, api, privacy):
    coach = make_coach(app, calendar_privacy=privacy)
    make_session_type(app, coach)
    client = make_client(app)
    unknown = api.get(coach_url("nobody-by-this-name"), as_=client)
    assert_error(unknown, 404, "not_found")
    for as_ in (None, client, make_coach(app)):
        response = api.get(coach_url(coach.slug), as_=as_)
        assert_error(response, 404, "not_found")
        assert response.get_json() == unknown.get_json()
    assert api.get(coach_url(coach.slug), as_=coach).status_code == 200


def test_a_connected_client_sees_a_connected_coachs_profile(app, api):
    coach, client = make_coach(app), make_client(app)
    make_connection(app, client, coach, "accepted")
    response = api.get(coach_url(coach.slug), as_=client)
    assert response.status_code == 200
    assert response.get_json()["coach"]["id"] == coach.id
