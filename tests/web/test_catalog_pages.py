"""The coach's session types and coupons pages: what they store is what the JSON API
stores for the same input, their refusals are the API's with the messages next to the
fields, and nobody but the coach reaches them (on both databases)."""

from __future__ import annotations

import html
import json
import re

import pytest

from blueprints.catalog_forms import SESSION_TYPE_FIELDS, split_path
from extensions import db
from models import Coupon, SessionType
from services.emails import EMAIL_EVENTS
from tests.factories import make_client, make_coach, make_coupon, make_session_type
from tests.helpers import count, csrf_token, web_login

HTMX = {"HX-Request": "true"}
TYPES = "/coach/session-types"
COUPONS = "/coach/coupons"
# Every e-mail event's checkbox ticked, as the form for a new type shows them.
EMAIL_BOXES = {f"email_event_{event}": "y" for event in EMAIL_EVENTS}

# A session type with every SPEC 8.1 field, as a browser posts it and as the API takes it.
FULL_FORM = {
    "name": "  Deep dive  ",
    "description": "Two hours on your plan.",
    "location": "https://meet.example.com/deep-dive",
    "color": "#10b981",
    "format": "group",
    "max_attendees": "6",
    "duration_min": "60",
    "duration_default": "120",
    "duration_max": "180",
    "duration_step": "30",
    "price_amount": "150.50",
    "firm_booking": "connected",
    "min_notice_minutes": "1440",
    "max_advance_days": "30",
    "buffer_before_minutes": "15",
    "buffer_after_minutes": "30",
    "full_refund_hours": "48",
    "partial_refund_hours": "12",
    "partial_refund_percent": "25",
    "reminder_offsets_minutes": "2880, 30",
    **{box: "y" for box in EMAIL_BOXES if box != "email_event_reminder"},
    # unchecked boxes are not sent: active, email_notifications and reminders are off
}
FULL_JSON = {
    "name": "  Deep dive  ",
    "description": "Two hours on your plan.",
    "location": "https://meet.example.com/deep-dive",
    "color": "#10b981",
    "format": "group",
    "active": False,
    "max_attendees": 6,
    "duration": {"min": 60, "max": 180, "default": 120, "step": 30},
    "price": {"amount": 15050},
    "rules": {"firm_booking": "connected", "min_notice_minutes": 1440, "max_advance_days": 30,
              "buffer_before_minutes": 15, "buffer_after_minutes": 30},
    "cancellation": {"full_refund_hours": 48, "partial_refund_hours": 12,
                     "partial_refund_percent": 25},
    "notifications": {"email": False, "reminder_offsets_minutes": [2880, 30],
                      "email_events": {event: event != "reminder" for event in EMAIL_EVENTS}},
}  # fmt: skip


def signed_in(app, person):
    browser = app.test_client()
    assert web_login(browser, person.email, person.password).status_code == 302
    return browser


def post(browser, path, data=None, token_from=TYPES, **kwargs):
    """A form post with the CSRF token the page hands out."""
    return browser.post(
        path, data={**(data or {}), "csrf_token": csrf_token(browser, token_from)}, **kwargs
    )


def columns(app, model, row_id) -> dict:
    """The stored row without what necessarily differs between two rows."""
    with app.app_context():
        row = db.session.get(model, row_id)
        values = {c.key: getattr(row, c.key) for c in model.__mapper__.column_attrs}
    for key in ("id", "created_at", "updated_at", "deleted_at"):
        values.pop(key, None)
    return values


def ids(app, model) -> list[int]:
    with app.app_context():
        return list(db.session.scalars(db.select(model.id).order_by(model.id)))


def error_next_to(response, field: str) -> str:
    """The message shown under ``field`` (its element is ``<field>-error``)."""
    page = response.get_data(as_text=True)
    match = re.search(rf'<p class="field-error" id="{field}-error">(.*?)</p>', page, re.S)
    assert match, f"no message next to {field}: {page[:3000]}"
    assert f'aria-describedby="{field}-error' in page
    return html.unescape(match.group(1))


def page_text(response) -> str:
    without_tags = re.sub(r"<[^>]+>", " ", response.get_data(as_text=True))
    return " ".join(html.unescape(without_tags).split())


# --- session types: create, edit, deactivate -------------------------------------------


def test_a_type_made_on_the_page_is_stored_as_the_api_stores_the_same_input(app, api):
    coach = make_coach(app, currency="EUR")
    browser = signed_in(app, coach)

    response = post(browser, TYPES, FULL_FORM)

    assert response.status_code == 302
    assert response.headers["Location"] == TYPES
    [from_page] = ids(app, SessionType)
    assert api.post("/api/session-types", json=FULL_JSON, as_=coach).status_code == 201
    [_, from_api] = ids(app, SessionType)
    stored = columns(app, SessionType, from_page)
    assert stored == columns(app, SessionType, from_api)
    assert stored["name"] == "Deep dive"
    assert stored["price_amount"] == 15050
    assert stored["reminder_offsets_minutes"] == [2880, 30]
    listed = browser.get(TYPES)
    assert "Session type “Deep dive” created." in page_text(listed)
    assert "150.50 EUR" in page_text(listed)


def test_a_type_with_only_a_name_gets_the_api_defaults_and_the_new_form_shows_them(app, api):
    coach = make_coach(app, currency="JPY")
    browser = signed_in(app, coach)
    form = browser.get(f"{TYPES}/new").get_data(as_text=True)
    assert 'name="duration_default" step="15" type="number" value="60"' in form
    assert 'value="1440, 60"' in form
    assert "Price for the default duration (JPY)" in form

    assert post(browser, TYPES, {"name": "Intro call"}).status_code == 302
    assert api.post("/api/session-types", json={"name": "Intro call"}, as_=coach).status_code == 201
    first, second = ids(app, SessionType)
    # no checkbox sent: not offered and no e-mails, as a browser sends an unticked form
    assert columns(app, SessionType, first) == columns(app, SessionType, second) | {
        "active": False,
        "email_notifications": False,
        "email_events_off": list(EMAIL_EVENTS),
        "reminder_offsets_minutes": [],
    }


def test_a_zero_decimal_currency_takes_whole_amounts(app):
    coach = make_coach(app, currency="JPY")
    browser = signed_in(app, coach)
    assert post(browser, TYPES, {"name": "Call", "price_amount": "5000"}).status_code == 302
    assert columns(app, SessionType, ids(app, SessionType)[0])["price_amount"] == 5000
    refused = post(browser, TYPES, {"name": "Call", "price_amount": "50.5"})
    assert refused.status_code == 400
    assert error_next_to(refused, "price_amount") == "Use a whole amount in JPY."


def test_htmx_gets_the_fresh_list_in_place_of_the_old_one_and_a_toast(app):
    coach = make_coach(app)
    browser = signed_in(app, coach)
    dialog = browser.get(f"{TYPES}/new", headers=HTMX)
    assert dialog.get_data(as_text=True).lstrip().startswith('<dialog class="modal')

    response = post(browser, TYPES, {"name": "Walk and talk", "active": "y"}, headers=HTMX)

    assert response.status_code == 200
    body = response.get_data(as_text=True)
    assert body.lstrip().startswith('<section class="card" id="session-type-list"')
    assert "<html" not in body and "Walk and talk" in body
    assert response.headers["HX-Retarget"] == "#session-type-list"
    assert response.headers["HX-Reswap"] == "outerHTML"
    assert json.loads(response.headers["HX-Trigger-After-Swap"]) == {"catalog-saved": True}
    toast = json.loads(response.headers["HX-Trigger"])["toast"]["items"]
    assert toast == [{"message": "Session type “Walk and talk” created.", "level": "success"}]


def test_the_list_is_a_page_or_its_fragment(app):
    coach = make_coach(app)
    make_session_type(app, coach, name="Coaching", color="#ff0000")
    browser = signed_in(app, coach)
    page = browser.get(TYPES).get_data(as_text=True)
    fragment = browser.get(TYPES, headers=HTMX).get_data(as_text=True)
    assert "<html" in page and "<html" not in fragment
    for html_text in (page, fragment):
        assert 'data-color="#ff0000"' in html_text
        assert "30\u201390 min" in html_text and "60.00 EUR" in html_text and "Offered" in html_text


def test_editing_in_the_dialog_stores_what_a_patch_with_the_same_values_stores(app, api):
    coach = make_coach(app)
    on_page = make_session_type(app, coach, name="Coaching")
    by_api = make_session_type(app, coach, name="Coaching")
    browser = signed_in(app, coach)
    dialog = browser.get(f"{TYPES}/{on_page}/edit", headers=HTMX).get_data(as_text=True)
    assert dialog.lstrip().startswith('<dialog class="modal')
    assert f'hx-post="{TYPES}/{on_page}"' in dialog
    assert 'name="duration_min" step="15" type="number" value="30"' in dialog
    assert 'name="price_amount" step="any" type="number" value="60.00"' in dialog
    full_page = browser.get(f"{TYPES}/{on_page}/edit").get_data(as_text=True)
    assert (
        "<html" in full_page and "hx-post" not in full_page.split('id="session-type-form"')[1][:200]
    )

    response = post(browser, f"{TYPES}/{on_page}", FULL_FORM | {"active": "y"}, headers=HTMX)

    assert response.status_code == 200, response.get_data(as_text=True)
    assert "Deep dive" in response.get_data(as_text=True)
    assert (
        api.patch(
            f"/api/session-types/{by_api}", json=FULL_JSON | {"active": True}, as_=coach
        ).status_code
        == 200
    )
    assert columns(app, SessionType, on_page) == columns(app, SessionType, by_api)


def test_blank_numbers_on_edit_keep_their_values_as_an_omitted_field_does(app):
    coach = make_coach(app)
    type_id = make_session_type(app, coach, name="Coaching", buffer_before_minutes=10)
    before = columns(app, SessionType, type_id)
    browser = signed_in(app, coach)
    form = {
        "name": "Coaching",
        "format": "one_on_one",
        "color": "#2563eb",
        "active": "y",
        "email_notifications": "y",
        "reminder_offsets_minutes": "1440, 60",
        **EMAIL_BOXES,
    }
    assert post(browser, f"{TYPES}/{type_id}", form).status_code == 302
    assert columns(app, SessionType, type_id) == before


def test_a_type_is_deactivated_and_offered_again(app):
    coach = make_coach(app)
    type_id = make_session_type(app, coach, name="Coaching")
    browser = signed_in(app, coach)

    off = post(browser, f"{TYPES}/{type_id}/deactivate", headers=HTMX)
    assert off.status_code == 200
    assert "Not offered" in page_text(off) and "Reactivate" in page_text(off)
    assert columns(app, SessionType, type_id)["active"] is False
    assert "no longer offered" in off.headers["HX-Trigger"]

    on = post(browser, f"{TYPES}/{type_id}/activate")
    assert on.status_code == 302
    assert columns(app, SessionType, type_id)["active"] is True
    assert "is offered again" in page_text(browser.get(TYPES))


# --- session types: refused input -----------------------------------------------------


@pytest.mark.parametrize(
    ("form", "field", "message", "api_json"),
    [
        ({"duration_min": "90", "duration_max": "60", "duration_default": "60"},
         "duration_default", "Must not be shorter than the minimum duration.",
         {"duration": {"min": 90, "max": 60, "default": 60}}),
        ({"duration_min": "30", "duration_max": "60", "duration_default": "90"},
         "duration_default", "Must not be longer than the maximum duration.",
         {"duration": {"min": 30, "max": 60, "default": 90}}),
        ({"duration_step": "20"}, "duration_step", "Must be a positive multiple of 15 minutes.",
         {"duration": {"step": 20}}),
        ({"price_amount": "-5"}, "price_amount", "Must not be negative.",
         {"price": {"amount": -500}}),
        ({"price_amount": "60.005"}, "price_amount", "Use at most 2 decimals in EUR.", None),
        ({"price_amount": "NaN"}, "price_amount", "Enter an amount such as 60.00.", None),
        ({"price_amount": "sixty"}, "price_amount", "Not a valid decimal value.", None),
        ({"price_amount": "1e999999999"}, "price_amount", "Enter an amount such as 60.00.", None),
        ({"price_amount": "2000000"}, "price_amount", "At most 1,000,000.00 EUR.",
         {"price": {"amount": 200_000_000}}),
        ({"color": "red"}, "color", "Use #rrggbb.", {"color": "red"}),
        ({"name": "   "}, "name", "Enter a name.", {"name": "   "}),
        ({"name": "x" * 121}, "name", "Length must be between 1 and 120.", {"name": "x" * 121}),
        ({"full_refund_hours": "2", "partial_refund_hours": "5"}, "partial_refund_hours",
         "Must not be more than the full-refund hours.",
         {"cancellation": {"full_refund_hours": 2, "partial_refund_hours": 5}}),
        ({"partial_refund_percent": "101"}, "partial_refund_percent",
         "Must be greater than or equal to 0 and less than or equal to 100.",
         {"cancellation": {"partial_refund_percent": 101}}),
        ({"format": "group", "max_attendees": "1"}, "max_attendees",
         "A group session seats at least 2.", {"format": "group", "max_attendees": 1}),
        ({"format": "sometimes"}, "format", "Not a valid choice.", {"format": "sometimes"}),
        ({"firm_booking": "always"}, "firm_booking", "Not a valid choice.",
         {"rules": {"firm_booking": "always"}}),
        ({"min_notice_minutes": "99999999999"}, "min_notice_minutes",
         "Must be greater than or equal to 0 and less than or equal to 525600.",
         {"rules": {"min_notice_minutes": 99999999999}}),
        ({"buffer_after_minutes": "ten"}, "buffer_after_minutes", "Not a valid integer value.",
         None),
        ({"reminder_offsets_minutes": "60, 60"}, "reminder_offsets_minutes",
         "Each reminder time may appear once.",
         {"notifications": {"reminder_offsets_minutes": [60, 60]}}),
        ({"reminder_offsets_minutes": "a day"}, "reminder_offsets_minutes",
         "Enter minutes separated by commas, e.g. 1440, 60.", None),
        ({"reminder_offsets_minutes": "60, 0"}, "reminder_offsets_minutes",
         "0: Must be greater than or equal to 1 and less than or equal to 20160.",
         {"notifications": {"reminder_offsets_minutes": [60, 0]}}),
    ],
)  # fmt: skip
def test_bad_input_is_refused_with_the_message_next_to_its_field(
    app, api, form, field, message, api_json
):
    coach = make_coach(app)
    browser = signed_in(app, coach)

    response = post(browser, TYPES, {"name": "Coaching"} | form, headers=HTMX)

    assert response.status_code == 400
    assert response.get_data(as_text=True).lstrip().startswith("<form")
    assert message in error_next_to(response, field)
    assert count(app, SessionType) == 0
    if api_json is not None:  # the API refuses the same input, naming the same field
        refused = api.post("/api/session-types", json={"name": "Coaching"} | api_json, as_=coach)
        assert refused.status_code == 400
        details = refused.get_json()["error"]["details"]
        named = {SESSION_TYPE_FIELDS.get(split_path(k)[0], split_path(k)[0]) for k in details}
        assert field in named, details
        assert count(app, SessionType) == 0


def test_every_bad_field_is_reported_at_once_and_the_page_keeps_what_was_typed(app):
    browser = signed_in(app, make_coach(app))
    response = post(
        browser,
        TYPES,
        {
            "name": "Coaching",
            "color": "red",
            "price_amount": "-1",
            "description": "kept <b>as typed</b>",
        },
    )
    assert response.status_code == 400
    assert "<html" in response.get_data(as_text=True)
    assert error_next_to(response, "color") == "Use #rrggbb."
    assert error_next_to(response, "price_amount") == "Must not be negative."
    assert "kept &lt;b&gt;as typed&lt;/b&gt;" in response.get_data(as_text=True)
    assert count(app, SessionType) == 0


def test_a_refused_edit_changes_nothing(app):
    coach = make_coach(app)
    type_id = make_session_type(app, coach)
    before = columns(app, SessionType, type_id)
    browser = signed_in(app, coach)
    response = post(
        browser,
        f"{TYPES}/{type_id}",
        {"name": "Coaching", "duration_min": "90", "duration_max": "60"},
    )
    assert response.status_code == 400
    assert columns(app, SessionType, type_id) == before


# --- coupons ---------------------------------------------------------------------------


def test_a_coupon_made_on_the_page_is_stored_as_the_api_stores_it(app, api):
    coach = make_coach(app, timezone="Europe/Berlin")
    browser = signed_in(app, coach)
    form = {
        "code": " summer-10 ",
        "amount_off": "5.50",
        "valid_from": "2026-12-01T10:00",
        "valid_until": "2027-01-31T18:30",
        "max_redemptions": "20",
    }

    response = post(browser, COUPONS, form, token_from=COUPONS)

    assert response.status_code == 302
    [from_page] = ids(app, Coupon)
    api_json = {
        "code": "summer-10x",
        "amount_off": 550,
        "valid_from": "2026-12-01T10:00:00+01:00",
        "valid_until": "2027-01-31T18:30:00+01:00",
        "max_redemptions": 20,
    }
    assert api.post("/api/coupons", json=api_json, as_=coach).status_code == 201
    [_, from_api] = ids(app, Coupon)
    stored = columns(app, Coupon, from_page)
    assert stored == columns(app, Coupon, from_api) | {"code": "SUMMER-10"}
    listed = page_text(browser.get(COUPONS))
    assert "Coupon SUMMER-10 created." in listed
    assert "5.50 EUR off" in listed and "0 of 20" in listed
    assert "Tue 01 Dec 2026" in listed


def test_a_percent_coupon_in_the_dialog_shows_its_redemptions(app):
    coach = make_coach(app)
    coupon_id = make_coupon(app, coach, code="VIP", percent_off=15, redemption_count=3)
    browser = signed_in(app, coach)
    listed = browser.get(COUPONS, headers=HTMX)
    assert "<html" not in listed.get_data(as_text=True)
    assert "VIP" in page_text(listed) and "15% off" in page_text(listed)
    dialog = browser.get(f"{COUPONS}/{coupon_id}/edit", headers=HTMX).get_data(as_text=True)
    assert dialog.lstrip().startswith('<dialog class="modal')
    assert "Redeemed 3 times so far." in dialog


def test_editing_a_coupon_stores_what_a_patch_with_every_field_stores(app, api):
    coach = make_coach(app)
    on_page = make_coupon(app, coach, code="ONE", percent_off=10)
    by_api = make_coupon(app, coach, code="TWO", percent_off=10)
    browser = signed_in(app, coach)

    response = post(
        browser,
        f"{COUPONS}/{on_page}",
        {"code": "one-b", "amount_off": "12"},
        token_from=COUPONS,
        headers=HTMX,
    )

    assert response.status_code == 200
    assert response.headers["HX-Retarget"] == "#coupon-list"
    patch = {
        "code": "two-b",
        "percent_off": None,
        "amount_off": 1200,
        "valid_from": None,
        "valid_until": None,
        "max_redemptions": None,
    }
    assert api.patch(f"/api/coupons/{by_api}", json=patch, as_=coach).status_code == 200
    assert columns(app, Coupon, on_page) == columns(app, Coupon, by_api) | {"code": "ONE-B"}


def test_a_deactivated_coupon_is_gone_and_its_code_free_again(app):
    coach = make_coach(app)
    coupon_id = make_coupon(app, coach, code="GONE")
    browser = signed_in(app, coach)

    response = post(browser, f"{COUPONS}/{coupon_id}/deactivate", token_from=COUPONS, headers=HTMX)

    assert response.status_code == 200
    assert "GONE" not in page_text(response)
    assert "Coupon GONE deactivated" in response.headers["HX-Trigger"]
    assert (
        post(browser, COUPONS, {"code": "gone", "percent_off": "5"}, token_from=COUPONS).status_code
        == 302
    )


@pytest.mark.parametrize(
    ("form", "messages"),
    [
        ({"percent_off": "101"},
         {"percent_off": "Must be greater than or equal to 1 and less than or equal to 100."}),
        ({"percent_off": "10", "amount_off": "5"},
         {"percent_off": "Give either percent_off or amount_off.",
          "amount_off": "Give either percent_off or amount_off."}),
        ({}, {"percent_off": "Give either percent_off or amount_off."}),
        ({"percent_off": "10", "valid_from": "2027-01-02T10:00", "valid_until": "2027-01-01T10:00"},
         {"valid_until": "Must be after valid_from."}),
        ({"percent_off": "10", "valid_from": "tomorrow"},
         {"valid_from": "Not a valid datetime value."}),
        ({"percent_off": "10", "valid_until": "0001-01-01T00:00"},
         {"valid_until": "Use a date from 1970 to 2199."}),
        ({"code": "two words", "percent_off": "10"},
         {"code": "Use 2-40 letters, digits, '-' or '_'."}),
        ({"code": "", "percent_off": "10"}, {"code": "Enter a code."}),
        ({"amount_off": "0.001"}, {"amount_off": "Use at most 2 decimals in EUR."}),
        ({"amount_off": "-3"}, {"amount_off": "Must not be negative."}),
        ({"amount_off": "five"}, {"amount_off": "Not a valid decimal value."}),
        ({"percent_off": "ten"}, {"percent_off": "Not a valid integer value."}),
        ({"percent_off": "10", "max_redemptions": "0"},
         {"max_redemptions": "Must be greater than or equal to 1 and less than or equal to "}),
    ],
)  # fmt: skip
def test_bad_coupons_are_refused_with_the_message_next_to_the_field(app, form, messages):
    browser = signed_in(app, make_coach(app))

    response = post(browser, COUPONS, {"code": "SAVE"} | form, token_from=COUPONS, headers=HTMX)

    assert response.status_code == 400
    for field, message in messages.items():
        assert message in error_next_to(response, field)
    assert count(app, Coupon) == 0


def test_a_code_in_use_is_a_conflict_shown_next_to_the_code(app):
    coach = make_coach(app)
    make_coupon(app, coach, code="SAVE10")
    browser = signed_in(app, coach)
    response = post(browser, COUPONS, {"code": "save10", "percent_off": "5"}, token_from=COUPONS)
    assert response.status_code == 409
    assert error_next_to(response, "code") == "You have a coupon with this code."
    assert count(app, Coupon) == 1


def test_a_typed_code_comes_back_escaped(app):
    browser = signed_in(app, make_coach(app))
    response = post(
        browser,
        COUPONS,
        {"code": "<script>alert(1)</script>", "percent_off": "5"},
        token_from=COUPONS,
    )
    assert response.status_code == 400
    page = response.get_data(as_text=True)
    assert "<script>alert(1)" not in page
    assert 'value="&lt;script&gt;alert(1)&lt;/script&gt;"' in page


# --- who may: CSRF, roles, other coaches, escaping ---------------------------------------


@pytest.mark.parametrize(
    "path",
    [TYPES, f"{TYPES}/{{type}}", f"{TYPES}/{{type}}/deactivate", COUPONS,
     f"{COUPONS}/{{coupon}}", f"{COUPONS}/{{coupon}}/deactivate"],
)  # fmt: skip
def test_a_post_without_the_csrf_token_is_refused_and_changes_nothing(app, path):
    coach = make_coach(app)
    type_id = make_session_type(app, coach)
    coupon_id = make_coupon(app, coach, code="KEEP")
    before = columns(app, SessionType, type_id), columns(app, Coupon, coupon_id)
    browser = signed_in(app, coach)
    data = {"name": "Changed", "code": "CHANGED", "percent_off": "50"}
    response = browser.post(path.format(type=type_id, coupon=coupon_id), data=data)
    assert response.status_code == 400
    assert count(app, SessionType) == 1 and count(app, Coupon) == 1
    assert (columns(app, SessionType, type_id), columns(app, Coupon, coupon_id)) == before


def test_a_client_is_refused_every_catalog_page(app):
    coach, client = make_coach(app), make_client(app)
    type_id, coupon_id = make_session_type(app, coach), make_coupon(app, coach)
    browser = signed_in(app, client)
    for path in (
        TYPES,
        f"{TYPES}/new",
        f"{TYPES}/{type_id}/edit",
        COUPONS,
        f"{COUPONS}/new",
        f"{COUPONS}/{coupon_id}/edit",
    ):
        assert browser.get(path).status_code == 403, path
    token = csrf_token(browser, "/dashboard")
    for path in (TYPES, COUPONS, f"{TYPES}/{type_id}/deactivate", f"{COUPONS}/{coupon_id}"):
        response = browser.post(path, data={"csrf_token": token, "name": "x", "code": "XX"})
        assert response.status_code == 403, path
    assert count(app, SessionType) == 1 and count(app, Coupon) == 1


def test_signed_out_visitors_are_sent_to_sign_in(app, client):
    for path in (TYPES, f"{TYPES}/new", COUPONS, f"{COUPONS}/new"):
        response = client.get(path)
        assert response.status_code == 302
        assert response.headers["Location"].startswith("/login?next=")


def test_another_coachs_session_type_or_coupon_answers_as_a_missing_one(app):
    owner = make_coach(app, calendar_privacy="public")
    type_id = make_session_type(app, owner)
    coupon_id = make_coupon(app, owner, code="MINE")
    before = columns(app, SessionType, type_id), columns(app, Coupon, coupon_id)
    browser = signed_in(app, make_coach(app))
    token = csrf_token(browser, TYPES)
    data = {"csrf_token": token, "name": "Stolen", "code": "STOLEN", "percent_off": "90"}
    for thing_id in (type_id, 2_000_000_000):
        assert browser.get(f"{TYPES}/{thing_id}/edit").status_code == 404
        for suffix in ("", "/deactivate", "/activate"):
            assert browser.post(f"{TYPES}/{thing_id}{suffix}", data=data).status_code == 404
    for thing_id in (coupon_id, 2_000_000_000):
        assert browser.get(f"{COUPONS}/{thing_id}/edit").status_code == 404
        for suffix in ("", "/deactivate"):
            assert browser.post(f"{COUPONS}/{thing_id}{suffix}", data=data).status_code == 404
    assert (columns(app, SessionType, type_id), columns(app, Coupon, coupon_id)) == before


def test_an_htmx_request_for_a_missing_thing_is_an_error_toast_with_nothing_swapped(app):
    browser = signed_in(app, make_coach(app))
    response = browser.get(f"{TYPES}/2000000000/edit", headers=HTMX)
    assert response.status_code == 404
    assert response.headers["HX-Reswap"] == "none"
    assert json.loads(response.headers["HX-Trigger"])["toast"]["items"][0]["level"] == "error"


def test_names_and_descriptions_are_escaped(app):
    coach = make_coach(app)
    evil = "<script>alert('x')</script>"
    type_id = make_session_type(app, coach, name=evil, description=f"<img src=x onerror=1>{evil}")
    browser = signed_in(app, coach)
    for path in (TYPES, f"{TYPES}/{type_id}/edit"):
        page = browser.get(path).get_data(as_text=True)
        assert "<script>alert" not in page and "<img src=x" not in page, path
        assert "&lt;script&gt;alert(" in page, path
    toggled = post(browser, f"{TYPES}/{type_id}/deactivate", headers=HTMX)
    assert "<script>" not in toggled.get_data(as_text=True)
    # the toast travels in a JSON header and is shown with textContent by static/app.js
    assert json.loads(toggled.headers["HX-Trigger"])["toast"]["items"][0]["message"].startswith(
        f"“{evil}”"
    )
