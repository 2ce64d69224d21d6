"""The booking modal (/coaches/<slug>/book): the dialog fragment and the page, the start
times and durations it offers, the live price (the API's preview), booking firm or as a
request through the API's service, validation next to the fields, CSRF, escaping and the
calendar's privacy."""

from __future__ import annotations

import html
import json
import re
from datetime import timedelta
from urllib.parse import parse_qs, urlencode, urlsplit
from zoneinfo import ZoneInfo

import pytest

from blueprints.templating import money
from extensions import db
from models import Booking, Coupon
from tests.api.booking_setup import (
    PRICE_URL,
    at,
    coupon_redemptions,
    make_scene,
    rows,
    slot_starts,
)
from tests.api.scheduling import MONDAY, create_window, z
from tests.factories import (
    make_booking,
    make_client,
    make_coach,
    make_connection,
    make_coupon,
    make_session_type,
)
from tests.helpers import count, csrf_token, web_login
from tests.privacy import PRIVACIES, TRUTH_TABLE, may_see

HX = {"HX-Request": "true"}
MINUS, EN_DASH = "\u2212", "\u2013"  # as the modal writes a discount and a time range
ZONE = "Europe/Berlin"


# --- helpers -------------------------------------------------------------------------


def paid_scene(app, api, **type_fields):
    """A public coach in Berlin (EUR, 19 % VAT), a 60-minute type at 60.00 EUR offered
    30 to 90 minutes in steps of 30, Monday 09:00-17:00 (instant), a signed-in client."""
    fields = {"price_amount": 6000, "duration_step": 30} | type_fields
    scene = make_scene(app, api, coach_fields={"vat_rate": "0.19"}, **fields)
    return scene, signed_in(app, scene.client)


def signed_in(app, person):
    browser = app.test_client()
    response = web_login(browser, person.email, person.password)
    assert response.status_code == 302, response.get_data(as_text=True)
    return browser


def book_url(scene, start=None, **extra) -> str:
    query = {"session_type": scene.session_type, "tz": ZONE} | extra
    if start is not None:
        query["start"] = z(start)
    return f"/coaches/{scene.coach.slug}/book?" + urlencode(query)


def choices_url(scene, start=None, **fields) -> str:
    query = {
        "session_type_id": scene.session_type,
        "date": MONDAY.isoformat(),
        "duration_minutes": 60,
        "tz": ZONE,
    } | fields
    if start is not None:
        query["start"] = z(start)
    return f"/coaches/{scene.coach.slug}/book/choices?" + urlencode(query)


def text(response) -> str:
    return response.get_data(as_text=True)


def select(body: str, field_id: str) -> list[tuple[str, str, bool]]:
    """(value, label, selected) of each option of the select with this id."""
    match = re.search(rf'<select[^>]*id="{field_id}"[^>]*>(.*?)</select>', body, re.S)
    assert match, f"no select #{field_id}"
    return [
        (html.unescape(value), html.unescape(label), bool(selected))
        for selected, value, label in re.findall(
            r'<option( selected)? value="([^"]*)">([^<]*)</option>', match.group(1)
        )
    ]


def selected(body: str, field_id: str) -> str:
    chosen = [value for value, _label, on in select(body, field_id) if on]
    assert len(chosen) == 1, select(body, field_id)
    return chosen[0]


def offered_starts(body: str) -> list[str]:
    return [value for value, _label, _on in select(body, "booking-start") if value]


def slot_starts_on(api, scene, day) -> list[str]:
    """The API's bookable starts (60 minutes) on the local day of ``day``."""
    query = {
        "session_type_id": scene.session_type,
        "duration_minutes": 60,
        "start": z(day.replace(hour=0, minute=0)),
        "end": z(day.replace(hour=0, minute=0) + timedelta(days=1)),
    }
    response = api.get(f"/api/bookings/{scene.coach.id}/slots", query_string=query)
    return [item["start"] for item in response.get_json()["items"]]


def price_parts(body: str) -> dict[str, str]:
    return {
        part: html.unescape(value)
        for part, value in re.findall(r'data-part="(\w+)">([^<]+)<', body)
    }


def field_error(body: str, field_id: str) -> str:
    match = re.search(rf'id="{field_id}-error">([^<]*)<', body)
    return html.unescape(match.group(1)) if match else ""


def api_price(api, scene, duration, coupon=None) -> dict:
    body = {"session_type_id": scene.session_type, "duration_minutes": duration}
    if coupon:
        body["coupon_code"] = coupon
    response = api.post(PRICE_URL, json=body, as_=scene.client)
    assert response.status_code == 200, response.get_json()
    return response.get_json()["price"]


def shown_amounts(price: dict) -> dict[str, str]:
    """The API's breakdown as the modal writes it."""
    currency = price["currency"]
    shown = {
        "base": money(price["base"], currency),
        "net": money(price["net"], currency),
        "vat": money(price["vat"]["amount"], currency),
        "total": money(price["total"], currency),
    }
    if price["discount"]["amount"]:
        shown["discount"] = MINUS + money(price["discount"]["amount"], currency)
    if price["platform_fee"]["payer"] == "client" and price["platform_fee"]["amount"]:
        shown["platform_fee"] = money(price["platform_fee"]["amount"], currency)
    return shown


def post_booking(browser, scene, when, *, headers=HX, **fields):
    """Confirm the modal's form for ``when`` (``fields`` override what is posted)."""
    data = {
        "csrf_token": csrf_token(browser, "/dashboard"),
        "intent": "book",
        "session_type_id": scene.session_type,
        "date": when.date().isoformat(),
        "start": z(when),
        "duration_minutes": 60,
        "modal": "1",
    } | fields
    return browser.post(f"/coaches/{scene.coach.slug}/book?tz={ZONE}", data=data, headers=headers)


def stored(app) -> list[dict]:
    """The bookings the database holds, oldest first."""
    with app.app_context():
        return [
            {
                "id": b.id,
                "status": b.status,
                "kind": b.kind,
                "start": b.start_at,
                "total": b.price_total,
                "message": b.message,
            }
            for b in db.session.scalars(db.select(Booking).order_by(Booking.id))
        ]


# --- the dialog and the page -----------------------------------------------------------


def test_another_type_brings_its_own_durations_and_price(app, api):
    scene, browser = paid_scene(app, api)
    intro = make_session_type(
        app,
        scene.coach,
        name="Intro",
        duration_min=15,
        duration_max=45,
        duration_default=30,
        price_amount=0,
    )
    body = text(browser.get(choices_url(scene, at(10), session_type_id=intro), headers=HX))
    assert [(v, on) for v, _label, on in select(body, "booking-duration")] == [
        ("15", False),
        ("30", True),
        ("45", False),
    ]
    assert price_parts(body)["total"] == "0.00 EUR"
    assert "Free: nothing to pay." in body
    assert offered_starts(body)[-1] == z(at(16, 30))


def test_a_group_session_offers_its_seats(app, api):
    scene, browser = paid_scene(app, api)
    group = make_session_type(app, scene.coach, name="Circle", format="group", max_attendees=3)
    create_window(api, scene.coach, at(18), at(19), session_type_id=group)
    url = f"/coaches/{scene.coach.slug}/book?start={z(at(18))}&session_type={group}"
    body = text(browser.get(url, headers=HX))
    assert [label for value, label, _ in select(body, "booking-start") if value] == [
        "18:00 (3 seats left)"
    ]
    assert post_booking(browser, scene, at(18), session_type_id=group).status_code == 200
    assert [b["status"] for b in stored(app)] == ["confirmed"]


def test_without_javascript_apply_shows_another_days_times_and_books_nothing(app, api):
    scene, browser = paid_scene(app, api)
    tuesday = at(9) + timedelta(days=1)
    create_window(api, scene.coach, tuesday, tuesday + timedelta(hours=2))
    response = post_booking(
        browser, scene, at(10), headers={}, modal="", intent="refresh", date=tuesday.date()
    )
    body = text(response)
    assert response.status_code == 200
    assert body.lstrip().lower().startswith("<!doctype html>")
    assert offered_starts(body) == slot_starts_on(api, scene, tuesday)
    assert selected(body, "booking-start") == ""
    assert count(app, Booking) == 0


def test_htmx_gets_the_dialog_and_a_direct_visit_the_same_form_as_a_page(app, api):
    scene, browser = paid_scene(app, api)
    url = book_url(scene, at(10))

    fragment = text(browser.get(url, headers=HX))
    page = text(browser.get(url))

    assert fragment.lstrip().startswith('<dialog class="modal booking-modal"')
    assert 'aria-labelledby="booking-title"' in fragment
    assert "<html" not in fragment
    assert page.lstrip().lower().startswith("<!doctype html>")
    assert "<dialog" not in page
    for body in (fragment, page):
        assert selected(body, "booking-start") == z(at(10))
        assert selected(body, "booking-type") == str(scene.session_type)
        assert selected(body, "booking-duration") == "60"
        assert f'value="{MONDAY.isoformat()}"' in body
        assert 'data-kind="firm"' in body
        assert "<label" in body and 'for="booking-start"' in body
        assert 'aria-live="polite"' in body
    assert "data-dialog-close>Cancel</button>" in fragment
    assert f'href="/coaches/{scene.coach.slug}">Cancel</a>' in page


def test_signed_out_the_dialog_asks_to_sign_in_and_keeps_the_time(app, api, client):
    scene, _browser = paid_scene(app, api)
    url = book_url(scene, at(10))

    for response in (client.get(url, headers=HX), client.get(url)):
        body = text(response)
        assert response.status_code == 200
        assert "Sign in to book" in body
        assert 'name="start"' not in body
        sign_in = re.search(r'href="(/login\?[^"]+)">Sign in</a>', body)
        assert sign_in, body
        target = parse_qs(urlsplit(html.unescape(sign_in.group(1))).query)["next"][0]
        assert target == url
        assert 'href="/register"' in body

    signed = client.post(
        html.unescape(sign_in.group(1)),
        data={
            "email": scene.client.email,
            "password": scene.client.password,
            "csrf_token": csrf_token(client, "/login"),
        },
    )
    assert signed.status_code == 302
    assert signed.headers["Location"] == url
    assert selected(text(client.get(url)), "booking-start") == z(at(10))


def test_a_coach_cannot_book_their_own_calendar(app, api):
    scene, _browser = paid_scene(app, api)
    coach_browser = signed_in(app, scene.coach)

    body = text(coach_browser.get(book_url(scene, at(10)), headers=HX))
    assert "you cannot book yourself" in body
    assert 'name="start"' not in body

    response = post_booking(coach_browser, scene, at(10))
    assert response.status_code == 400
    assert "you cannot book yourself" in text(response)
    assert count(app, Booking) == 0


def test_the_first_bookable_type_is_chosen_when_none_is_given(app, api):
    scene, browser = paid_scene(app, api)
    url = f"/coaches/{scene.coach.slug}/book?" + urlencode({"start": z(at(11)), "tz": ZONE})
    body = text(browser.get(url, headers=HX))
    assert selected(body, "booking-type") == str(scene.session_type)
    assert selected(body, "booking-start") == z(at(11))


def test_only_bookable_starts_are_offered_the_same_as_the_api_slots(app, api):
    scene, browser = paid_scene(app, api)
    make_booking(app, scene.coach, make_client(app), scene.session_type, at(10), at(11))

    body = text(browser.get(book_url(scene, at(9)), headers=HX))
    starts = offered_starts(body)

    assert starts == slot_starts(api, scene, duration_minutes=60)
    assert z(at(9)) in starts and z(at(11)) in starts
    for taken in (at(9, 15), at(10), at(10, 45)):
        assert z(taken) not in starts
    assert [label for value, label, _ in select(body, "booking-start") if value][:2] == [
        "09:00",
        "11:00",
    ]


def test_a_time_taken_meanwhile_is_not_selected_and_says_so(app, api):
    scene, browser = paid_scene(app, api)
    make_booking(app, scene.coach, make_client(app), scene.session_type, at(10), at(11))
    body = text(browser.get(book_url(scene, at(10)), headers=HX))
    assert selected(body, "booking-start") == ""
    assert "not free" in field_error(body, "booking-start")


def test_the_durations_are_the_types_and_change_the_starts(app, api):
    scene, browser = paid_scene(app, api)
    body = text(browser.get(book_url(scene, at(10)), headers=HX))
    assert [(v, label) for v, label, _ in select(body, "booking-duration")] == [
        ("30", "30 min"),
        ("60", "1 hour"),
        ("90", "1 h 30 min"),
    ]
    longer = text(browser.get(choices_url(scene, at(10), duration_minutes=90), headers=HX))
    assert offered_starts(longer)[-1] == z(at(15, 30))
    assert offered_starts(longer) == slot_starts(api, scene, duration_minutes=90)


def test_the_price_follows_duration_and_coupon_exactly_as_the_api(app, api):
    scene, browser = paid_scene(app, api)
    make_coupon(app, scene.coach, code="TENOFF", percent_off=10)

    plain = text(browser.get(book_url(scene, at(10)), headers=HX))
    discounted = text(browser.get(choices_url(scene, at(10), coupon_code="tenoff"), headers=HX))
    longer = text(browser.get(choices_url(scene, at(10), duration_minutes=90), headers=HX))

    # SPEC 5: 60 min at 60.00, 10 % off, 19 % VAT, 5 % fee paid by the client.
    assert price_parts(discounted) == {
        "base": "60.00 EUR",
        "discount": MINUS + "6.00 EUR",
        "net": "54.00 EUR",
        "vat": "10.26 EUR",
        "platform_fee": "2.70 EUR",
        "total": "66.96 EUR",
    }
    assert price_parts(discounted) == shown_amounts(api_price(api, scene, 60, "TENOFF"))
    assert price_parts(plain) == shown_amounts(api_price(api, scene, 60))
    assert price_parts(longer) == shown_amounts(api_price(api, scene, 90))
    assert price_parts(longer)["total"] == "111.60 EUR"
    assert 'hx-swap-oob="innerHTML"' in discounted and "<html" not in discounted
    assert "pay the coach directly" in plain


def test_an_invalid_coupon_is_explained_next_to_the_field_and_nothing_is_written(app, api):
    scene, browser = paid_scene(app, api)
    used_up = make_coupon(app, scene.coach, code="GONE", percent_off=50, max_redemptions=0)

    body = text(browser.get(choices_url(scene, at(10), coupon_code="NOPE"), headers=HX))
    assert field_error(body, "booking-coupon") == "This code is not valid for this coach."
    assert 'aria-invalid="true"' in body
    assert price_parts(body) == shown_amounts(api_price(api, scene, 60))

    response = post_booking(browser, scene, at(10), coupon_code="gone")
    assert response.status_code == 400
    assert field_error(text(response), "booking-coupon") == "This code has been used up."
    assert count(app, Booking) == 0
    assert coupon_redemptions(app, used_up) == 0


def test_booking_a_firm_time_confirms_it_and_tells_the_calendar(app, api):
    scene, browser = paid_scene(app, api)
    coupon = make_coupon(app, scene.coach, code="TENOFF", percent_off=10)

    response = post_booking(browser, scene, at(10), coupon_code="tenoff", message="Hello")

    assert response.status_code == 200, text(response)
    body = text(response)
    assert "You're booked" in html.unescape(body)
    assert f"{MONDAY:%a %d %b %Y}, 10:00{EN_DASH}11:00" in body
    [booking] = stored(app)
    assert booking | {"id": 0} == {
        "id": 0,
        "status": "confirmed",
        "kind": "firm",
        "start": at(10),
        "total": 6696,
        "message": "Hello",
    }
    assert f'href="/bookings/{booking["id"]}"' in body
    triggers = json.loads(response.headers["HX-Trigger"])
    assert triggers["calendar-changed"] is True
    assert triggers["toast"]["items"] == [{"message": "You're booked.", "level": "success"}]
    assert coupon_redemptions(app, coupon) == 1


def test_a_window_without_instant_booking_makes_a_request(app, api):
    scene = make_scene(app, api, instant_booking=False)
    browser = signed_in(app, scene.client)

    body = text(browser.get(book_url(scene, at(10)), headers=HX))
    assert 'data-kind="request"' in body
    assert ">Send request<" in body

    response = post_booking(browser, scene, at(10))
    assert response.status_code == 200
    assert "Request sent" in text(response)
    assert f"{scene.coach.name} will answer" in text(response)
    assert [b["status"] for b in stored(app)] == ["requested"]
    assert json.loads(response.headers["HX-Trigger"])["calendar-changed"] is True


def test_without_javascript_the_post_redirects_to_the_booking_with_a_flash(app, api):
    scene, browser = paid_scene(app, api)
    response = post_booking(browser, scene, at(10), headers={}, modal="")
    [booking] = stored(app)
    assert response.status_code == 302
    assert response.headers["Location"] == f"/bookings/{booking['id']}"
    assert "HX-Trigger" not in response.headers
    with browser.session_transaction() as session:
        assert session["_flashes"] == [("success", "You're booked.")]


def test_a_time_taken_meanwhile_is_a_409_with_fresh_starts(app, api):
    scene, browser = paid_scene(app, api)
    make_booking(app, scene.coach, make_client(app), scene.session_type, at(10), at(11))

    response = post_booking(browser, scene, at(10))

    assert response.status_code == 409
    body = text(response)
    assert field_error(body, "booking-start") == "This time has just been booked."
    assert z(at(10)) not in offered_starts(body)
    assert z(at(11)) in offered_starts(body)
    assert count(app, Booking) == 1
    assert json.loads(response.headers["HX-Trigger"]) == {"calendar-changed": True}


@pytest.mark.parametrize(
    ("fields", "field_id"),
    [
        ({"message": "x" * 2001}, "booking-message"),
        ({"duration_minutes": "45"}, "booking-duration"),
        ({"duration_minutes": "many"}, "booking-duration"),
        ({"start": "tomorrow at ten"}, "booking-start"),
        ({"start": ""}, "booking-start"),
        ({"session_type_id": "2000000000"}, "booking-type"),
        ({"date": "2027-02-30"}, "booking-date"),
    ],
    ids=["long-message", "off-step", "not-a-number", "bad-start", "no-start", "type", "date"],
)
def test_bad_input_is_a_400_with_the_message_next_to_the_field(app, api, fields, field_id):
    scene, browser = paid_scene(app, api)
    response = post_booking(browser, scene, at(10), **fields)
    assert response.status_code == 400, text(response)
    assert field_error(text(response), field_id), text(response)
    assert rows(app)["Booking"] == 0


def test_bad_query_values_are_a_400_not_an_error_page(app, api):
    scene, browser = paid_scene(app, api)
    for query in ("start=noon", "duration=abc", "session_type=x", "date=0000-01-01"):
        url = f"/coaches/{scene.coach.slug}/book?{query}"
        response = browser.get(url, headers=HX)
        assert response.status_code == 400, (query, text(response))
        assert "<dialog" in text(response)


def test_without_a_csrf_token_nothing_is_booked(app, api):
    scene, browser = paid_scene(app, api)
    data = {
        "intent": "book",
        "session_type_id": scene.session_type,
        "date": MONDAY.isoformat(),
        "start": z(at(10)),
        "duration_minutes": 60,
    }
    url = f"/coaches/{scene.coach.slug}/book"
    assert browser.post(url, data=data).status_code == 400
    assert browser.post(url, data=data, headers=HX).status_code == 400
    assert browser.post(url, data=data | {"csrf_token": "forged"}).status_code == 400
    assert count(app, Booking) == 0


def test_names_and_messages_are_escaped(app, api):
    scene = make_scene(app, api, coach_fields={"name": '<b>Dana</b> & "Co"'}, name="<i>Deep</i>")
    browser = signed_in(app, scene.client)
    body = text(browser.get(book_url(scene, at(10)), headers=HX))
    assert "<b>Dana</b>" not in body and "&lt;b&gt;Dana&lt;/b&gt;" in body
    assert "<i>Deep</i>" not in body and "&lt;i&gt;Deep&lt;/i&gt;" in body

    evil = "<img src=x onerror=alert(1)>"
    refused = text(post_booking(browser, scene, at(10), message=evil + "x" * 2000))
    assert "<img src=x" not in refused and "&lt;img src=x onerror=alert(1)&gt;" in refused
    done = text(post_booking(browser, scene, at(10), message=evil))
    assert "<img src=x" not in done and "&lt;img src=x onerror=alert(1)&gt;" in done
    assert "&lt;b&gt;Dana&lt;/b&gt;" in done


# --- privacy: the calendar's viewers only ----------------------------------------------


CONNECTION_OF = {
    "connected client": "accepted",
    "other coach, connected": "accepted",
    "client with a pending connection": "pending",
    "client with a declined connection": "declined",
}


def _viewer(app, coach, who: str):
    """A browser for this kind of viewer (tests/privacy.py) of ``coach``'s calendar."""
    if who == "signed-out visitor":
        return app.test_client()
    if who == "owner":
        return signed_in(app, coach)
    person = make_coach(app) if who.startswith("other coach") else make_client(app)
    if who in CONNECTION_OF:
        make_connection(app, person, coach, CONNECTION_OF[who])
    return signed_in(app, person)


def _normalised(response) -> tuple:
    body = re.sub(r'(csrf_token" value="|X-CSRFToken": ")[^"]+', r"\1", text(response))
    return response.status_code, body, response.headers.get("HX-Trigger")


@pytest.mark.parametrize("privacy", PRIVACIES)
@pytest.mark.parametrize("who", sorted(TRUTH_TABLE))
def test_who_may_not_see_the_calendar_gets_the_404_of_an_unknown_coach(app, api, privacy, who):
    coach = make_coach(app, calendar_privacy=privacy)
    session_type = make_session_type(app, coach)
    browser = _viewer(app, coach, who)
    token = csrf_token(browser, "/login" if who == "signed-out visitor" else "/dashboard")
    query = f"?start={z(at(10))}&session_type={session_type}"
    data = {"csrf_token": token, "intent": "book", "start": z(at(10))}

    def answers(slug: str) -> list[tuple]:
        return [
            _normalised(browser.get(f"/coaches/{slug}/book{query}")),
            _normalised(browser.get(f"/coaches/{slug}/book{query}", headers=HX)),
            _normalised(browser.get(f"/coaches/{slug}/book/choices{query}", headers=HX)),
            _normalised(browser.post(f"/coaches/{slug}/book", data=data)),
            _normalised(browser.post(f"/coaches/{slug}/book", data=data, headers=HX)),
        ]

    seen = answers(coach.slug)
    if may_see(who, privacy):
        assert [status for status, _body, _trigger in seen[:2]] == [200, 200]
    else:
        assert seen == answers("no-such-coach")
        assert {status for status, _body, _trigger in seen} == {404}
    assert count(app, Booking) == 0


def test_the_coupon_rows_stay_untouched_by_previews(app, api):
    scene, browser = paid_scene(app, api)
    coupon = make_coupon(app, scene.coach, code="TENOFF", percent_off=10, max_redemptions=1)
    for _ in range(3):
        browser.get(choices_url(scene, at(10), coupon_code="TENOFF"), headers=HX)
    assert coupon_redemptions(app, coupon) == 0
    assert count(app, Coupon) == 1


def test_the_starts_are_the_viewers_day_in_the_viewers_zone(app, api):
    """Monday 09:00-17:00 in Berlin crosses midnight in Auckland (10 to 12 hours ahead):
    each local day offers its own part, with times in Auckland's clock."""
    scene, browser = paid_scene(app, api)
    auckland = ZoneInfo("Pacific/Auckland")
    starts = [at(9) + timedelta(minutes=15 * n) for n in range(29)]  # 09:00 to 16:00
    by_day = {}
    for start in starts:
        by_day.setdefault(start.astimezone(auckland).date(), []).append(start)
    assert len(by_day) == 2
    for day, expected in by_day.items():
        url = choices_url(scene, date=day.isoformat(), tz="Pacific/Auckland")
        body = text(browser.get(url, headers=HX))
        assert offered_starts(body) == [z(start) for start in expected]
        labels = [label for value, label, _on in select(body, "booking-start") if value]
        assert labels == [f"{start.astimezone(auckland):%H:%M}" for start in expected]

    opened = text(browser.get(book_url(scene, at(16), tz="Pacific/Auckland"), headers=HX))
    assert f'value="{at(16).astimezone(auckland).date().isoformat()}"' in opened
    assert selected(opened, "booking-start") == z(at(16))
