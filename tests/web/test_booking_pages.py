"""The booking page `/bookings/<id>`: who may see it, the actions each party is offered,
and every action through the page changing the booking as the API does (status, history,
notification), refusing a repeat with a clear 409 and changing nothing."""

from __future__ import annotations

import html
import json
import re
from datetime import UTC

import pytest

from tests.api.booking_setup import (
    at,
    booked,
    in_future,
    make_scene,
    move_booking_to,
    notifications_for,
    rows,
    stored_booking,
    update_booking,
)
from tests.api.scheduling import MONDAY
from tests.api.transition_setup import act, ok, situation
from tests.factories import make_booking, make_client, make_coach, make_session_type
from tests.helpers import csrf_token, web_login

HX = {"HX-Request": "true"}
MISSING = 2_000_000_000


def signed_in(app, person):
    """A browser of its own, signed in as ``person``."""
    browser = app.test_client()
    response = web_login(browser, person.email, person.password)
    assert response.status_code == 302, response.get_data(as_text=True)
    browser.get("/dashboard")  # shows (and so ends) the "Signed in" flash
    return browser


def text_of(response) -> str:
    """The page as a reader sees it: tags dropped, entities decoded, spaces collapsed."""
    without_tags = re.sub(r"<[^>]+>", " ", response.get_data(as_text=True))
    return " ".join(html.unescape(without_tags).split())


def post(browser, url: str, data: dict | None = None, htmx: bool = False, **kwargs):
    """A form post with the page's CSRF token (as the form carries it)."""
    body = {"csrf_token": csrf_token(browser, "/dashboard"), **(data or {})}
    return browser.post(url, data=body, headers=HX if htmx else {}, **kwargs)


def toasts(response) -> list[tuple[str, str]]:
    """(level, message) of the toasts an htmx answer carries in HX-Trigger."""
    trigger = response.headers.get("HX-Trigger")
    if not trigger:
        return []
    return [(t["level"], t["message"]) for t in json.loads(trigger)["toast"]["items"]]


def page_url(booking_id: int, action: str = "") -> str:
    return f"/bookings/{booking_id}" + (f"/{action}" if action else "")


def history(app, booking_id: int) -> list[tuple]:
    from extensions import db
    from models import BookingHistory

    with app.app_context():
        query = (
            db.select(
                BookingHistory.from_status,
                BookingHistory.to_status,
                BookingHistory.by_user_id,
                BookingHistory.note,
            )
            .where(BookingHistory.booking_id == booking_id)
            .order_by(BookingHistory.id)
        )
        return [tuple(row) for row in db.session.execute(query)]


def picker_values(response) -> list[str]:
    return re.findall(r'name="(?:times|start)" value="([^"]+)"', response.get_data(as_text=True))


# --- who sees what -------------------------------------------------------------------


def test_the_coach_sees_the_request_with_the_coachs_actions_and_the_whole_price(app, api):
    scene = make_scene(
        app, api, instant_booking=False, price_amount=6000, coach_fields={"vat_rate": "0.19"}
    )
    booking = booked(api, scene, at(10), message="Hello coach")
    response = signed_in(app, scene.coach).get(page_url(booking["id"]))
    assert response.status_code == 200
    text = text_of(response)
    assert "Coaching" in text and "requested" in text and "Hello coach" in text
    for action in ("Accept request", "Suggest other times…", "Decline request…"):
        assert action in text
    for absent in ("Withdraw request", "Choose this time", "Reschedule", "Cancel session"):
        assert absent not in text
    # SPEC 5: base 60.00, VAT 19 % 11.40, fee 5 % 3.00 (client pays), payout 71.40.
    for line in (
        "Base price 60.00 EUR",
        "Net 60.00 EUR",
        "VAT (19 %) 11.40 EUR",
        "Platform fee (in the total) 3.00 EUR",
        "Total 74.40 EUR",
        "Your payout 71.40 EUR",
    ):
        assert line in text, line
    assert scene.client.name in text


def test_the_client_sees_only_the_clients_actions_and_no_payout(app, api):
    scene = make_scene(app, api, instant_booking=False, price_amount=6000)
    booking = booked(api, scene, at(10))
    text = text_of(signed_in(app, scene.client).get(page_url(booking["id"])))
    assert "Withdraw request…" in text
    for absent in ("Accept request", "Suggest other times", "Decline request", "Your payout"):
        assert absent not in text
    assert "Total 63.00 EUR" in text
    assert scene.coach.name in text


def test_the_page_shows_the_time_in_the_viewers_zone(app, api):
    scene = make_scene(app, api, instant_booking=False)
    booking = booked(api, scene, at(10))
    browser = signed_in(app, scene.client)
    assert f"{MONDAY:%a %d %b %Y}, 10:00" in text_of(browser.get(page_url(booking["id"])))
    tokyo = text_of(browser.get(page_url(booking["id"]), query_string={"tz": "Asia/Tokyo"}))
    assert "Asia/Tokyo" in tokyo and ", 18:00" in tokyo  # 10:00 Berlin (CET) is 18:00 Tokyo


def test_an_htmx_request_gets_the_main_section_only(app, api):
    moment = situation(app, api, "requested")
    browser = signed_in(app, moment.scene.coach)
    fragment = browser.get(page_url(moment.id), headers=HX).get_data(as_text=True)
    assert fragment.lstrip().startswith('<section id="booking-main"')
    assert "<html" not in fragment
    assert "<html" in browser.get(page_url(moment.id)).get_data(as_text=True)


@pytest.mark.parametrize("who", ["other coach", "other client"])
def test_outsiders_get_the_same_404_as_a_missing_booking(app, api, who):
    moment = situation(app, api, "requested")
    outsider = make_coach(app) if who == "other coach" else make_client(app)
    browser = signed_in(app, outsider)
    for suffix in ("", "/cancel", "/decline", "/suggest", "/reschedule"):
        real = browser.get(f"/bookings/{moment.id}{suffix}")
        missing = browser.get(f"/bookings/{MISSING}{suffix}")
        assert real.status_code == missing.status_code == 404
        assert text_of(real) == text_of(missing)
    for action in ("accept", "decline", "cancel", "choose", "suggest", "reschedule"):
        real = post(browser, page_url(moment.id, action))
        missing = post(browser, page_url(MISSING, action))
        assert real.status_code == missing.status_code == 404, action
    assert stored_booking(app, moment.id)["status"] == "requested"


def test_signed_out_visitors_are_sent_to_sign_in_alike(app, api):
    moment = situation(app, api, "requested")
    visitor = app.test_client()
    real = visitor.get(page_url(moment.id))
    missing = visitor.get(page_url(MISSING))
    assert real.status_code == missing.status_code == 302
    assert real.headers["Location"].replace(str(moment.id), "N") == missing.headers[
        "Location"
    ].replace(str(MISSING), "N")


def test_messages_names_and_notes_are_escaped(app, api):
    evil = "<script>alert(1)</script>"
    coach = make_coach(app, calendar_privacy="public", name="<b>Coach</b>")
    client = make_client(app, name="<i>Client</i>")
    type_id = make_session_type(app, coach, name="<img src=x>", price_amount=0)
    booking_id = make_booking(app, coach, client, type_id, in_future(72), status="requested")
    update_booking(app, booking_id, message=evil)
    browser = signed_in(app, coach)
    assert post(browser, page_url(booking_id, "decline"), {"message": evil}).status_code == 303
    for person in (coach, client):
        body = signed_in(app, person).get(page_url(booking_id)).get_data(as_text=True)
        assert evil not in body and "&lt;script&gt;alert(1)&lt;/script&gt;" in body
        assert "<img src=x>" not in body and "&lt;img src=x&gt;" in body
        assert "<b>Coach</b>" not in body and "<i>Client</i>" not in body


# --- the coach's answers -------------------------------------------------------------


def test_accepting_through_the_page_confirms_like_the_api_and_a_repeat_is_a_409(app, api):
    moment = situation(app, api, "requested")
    coach, client = moment.scene.coach, moment.scene.client
    browser = signed_in(app, coach)
    answer = post(browser, page_url(moment.id, "accept"), follow_redirects=True)
    assert answer.status_code == 200
    assert "Request accepted: the session is confirmed." in text_of(answer)
    assert stored_booking(app, moment.id)["status"] == "confirmed"
    assert history(app, moment.id)[-1] == ("requested", "confirmed", coach.id, "")
    assert notifications_for(app, client)[-1] == ("booking_confirmed", moment.id)
    before = rows(app)
    again = post(browser, page_url(moment.id, "accept"))
    assert again.status_code == 409
    assert "Nothing was changed: this booking is confirmed now." in text_of(again)
    assert rows(app) == before


def test_accepting_with_htmx_swaps_the_main_section_and_toasts(app, api):
    moment = situation(app, api, "requested")
    browser = signed_in(app, moment.scene.coach)
    answer = post(browser, page_url(moment.id, "accept"), htmx=True)
    assert answer.status_code == 200
    body = answer.get_data(as_text=True)
    assert body.lstrip().startswith('<section id="booking-main"')
    assert 'id="modal-root" hx-swap-oob="true"' in body
    assert "status-confirmed" in body and "Cancel session…" in body
    assert toasts(answer) == [("success", "Request accepted: the session is confirmed.")]
    again = post(browser, page_url(moment.id, "accept"), htmx=True)
    assert again.status_code == 409
    assert toasts(again) == [("error", "Nothing was changed: this booking is confirmed now.")]
    assert "status-confirmed" in again.get_data(as_text=True)


def test_declining_asks_first_and_sends_the_message(app, api):
    moment = situation(app, api, "requested")
    browser = signed_in(app, moment.scene.coach)
    dialog = browser.get(page_url(moment.id, "decline"), headers=HX).get_data(as_text=True)
    assert '<dialog class="modal bk-modal"' in dialog and "Decline this request?" in dialog
    assert "<html" not in dialog
    page = browser.get(page_url(moment.id, "decline"))  # without JavaScript: a page
    assert page.status_code == 200 and "<dialog" not in page.get_data(as_text=True)
    answer = post(browser, page_url(moment.id, "decline"), {"message": "Fully booked, sorry"})
    assert answer.status_code == 303
    assert stored_booking(app, moment.id)["status"] == "declined"
    assert history(app, moment.id)[-1][1:] == (
        "declined",
        moment.scene.coach.id,
        "Fully booked, sorry",
    )
    assert notifications_for(app, moment.scene.client)[-1] == ("booking_declined", moment.id)
    before = rows(app)
    again = post(browser, page_url(moment.id, "decline"), {"message": "again"}, htmx=True)
    assert again.status_code == 409 and rows(app) == before
    assert toasts(again)[0][0] == "error"


def test_a_too_long_message_is_refused_next_to_the_field(app, api):
    moment = situation(app, api, "requested")
    browser = signed_in(app, moment.scene.coach)
    answer = post(browser, page_url(moment.id, "decline"), {"message": "x" * 2001}, htmx=True)
    assert answer.status_code == 400
    assert answer.headers["HX-Retarget"] == "#bk-form"
    assert "At most 2000 characters." in text_of(answer)
    assert stored_booking(app, moment.id)["status"] == "requested"


def test_the_suggest_picker_offers_the_coachs_free_times_of_that_length(app, api):
    moment = situation(app, api, "requested")
    other = make_client(app)
    make_booking(app, moment.scene.coach, other, moment.scene.session_type, at(14))
    browser = signed_in(app, moment.scene.coach)
    response = browser.get(page_url(moment.id, "suggest"), query_string={"day": MONDAY})
    assert response.status_code == 200
    starts = set(picker_values(response))
    for hour, minute in ((9, 0), (11, 15), (16, 0)):
        assert _iso(at(hour, minute)) in starts
    for hour, minute in ((10, 0), (13, 15), (14, 0), (14, 45), (16, 15)):  # own, taken, too late
        assert _iso(at(hour, minute)) not in starts, (hour, minute)
    fragment = browser.get(
        page_url(moment.id, "suggest"), query_string={"day": MONDAY, "part": "picker"}, headers=HX
    ).get_data(as_text=True)
    assert fragment.lstrip().startswith('<div id="bk-picker"')


def _iso(moment) -> str:
    return moment.astimezone(UTC).isoformat()


@pytest.mark.parametrize("hours", [(), (9, 11, 12, 13)], ids=["none", "four"])
def test_suggesting_none_or_four_times_is_refused_next_to_the_picker(app, api, hours):
    moment = situation(app, api, "requested")
    browser = signed_in(app, moment.scene.coach)
    before = rows(app)
    data = {"times": [_iso(at(h)) for h in hours], "day": MONDAY.isoformat()}
    answer = post(browser, page_url(moment.id, "suggest"), data, htmx=True)
    assert answer.status_code == 400
    assert "Pick 1 to 3 times." in text_of(answer)
    assert rows(app) == before and stored_booking(app, moment.id)["status"] == "requested"
    for hour in hours:  # what was picked stays picked
        assert f'value="{_iso(at(hour))}" checked' in answer.get_data(as_text=True)


def test_suggesting_times_offers_them_to_the_client(app, api):
    moment = situation(app, api, "requested")
    coach, client = moment.scene.coach, moment.scene.client
    browser = signed_in(app, coach)
    data = {"times": [_iso(at(12)), _iso(at(15, 30))], "message": "These suit me"}
    answer = post(browser, page_url(moment.id, "suggest"), data, htmx=True)
    assert answer.status_code == 200
    assert toasts(answer) == [("success", "2 times suggested. The client has been told.")]
    booking = api.get(f"/api/bookings/{moment.id}", as_=coach).get_json()["booking"]
    assert booking["status"] == "time_suggested"
    assert [s["start"] for s in booking["suggestions"]] == [
        _iso(at(12)).replace("+00:00", "Z"),
        _iso(at(15, 30)).replace("+00:00", "Z"),
    ]
    assert history(app, moment.id)[-1][1:] == ("time_suggested", coach.id, "These suit me")
    assert notifications_for(app, client)[-1] == ("times_suggested", moment.id)
    again = post(browser, page_url(moment.id, "suggest"), data, htmx=True)
    assert again.status_code == 409


def test_a_time_outside_availability_is_refused_with_its_name(app, api):
    moment = situation(app, api, "requested")
    browser = signed_in(app, moment.scene.coach)
    data = {"times": [_iso(at(12)), _iso(at(20))]}
    answer = post(browser, page_url(moment.id, "suggest"), data)
    assert answer.status_code == 400
    text = text_of(answer)
    assert f"{MONDAY:%a %d %b %Y}, 20:00: This time is not within the coach's availability." in text
    assert stored_booking(app, moment.id)["status"] == "requested"


# --- the client's moves ----------------------------------------------------------------


def test_the_client_chooses_a_suggested_time(app, api):
    moment = situation(app, api, "time_suggested")
    client = moment.scene.client
    browser = signed_in(app, client)
    page = browser.get(page_url(moment.id))
    text = text_of(page)
    assert "Suggested times" in text and "Choose this time" in text
    assert "Decline the suggested times…" in text and "Accept request" not in text
    suggestion = moment.booking["suggestions"][0]["id"]
    answer = post(browser, page_url(moment.id, "choose"), {"suggestion_id": suggestion}, htmx=True)
    assert answer.status_code == 200
    assert toasts(answer)[0] == ("success", f"Confirmed for {MONDAY:%a %d %b %Y}, 14:00.")
    stored = stored_booking(app, moment.id)
    assert stored["status"] == "confirmed" and stored["start_at"] == at(14)
    assert history(app, moment.id)[-1][:3] == ("time_suggested", "confirmed", client.id)
    assert notifications_for(app, moment.scene.coach)[-1] == ("booking_confirmed", moment.id)
    before = rows(app)
    again = post(browser, page_url(moment.id, "choose"), {"suggestion_id": suggestion})
    assert again.status_code == 409 and rows(app) == before
    assert "Nothing was changed" in text_of(again)


def test_choosing_a_time_taken_meanwhile_is_a_409_and_changes_nothing(app, api):
    moment = situation(app, api, "time_suggested")
    make_booking(app, moment.scene.coach, make_client(app), moment.scene.session_type, at(14))
    browser = signed_in(app, moment.scene.client)
    suggestion = moment.booking["suggestions"][0]["id"]
    answer = post(browser, page_url(moment.id, "choose"), {"suggestion_id": suggestion}, htmx=True)
    assert answer.status_code == 409
    assert toasts(answer) == [("error", "This time has just been booked.")]
    assert stored_booking(app, moment.id)["status"] == "time_suggested"


def test_the_client_declines_the_suggestions(app, api):
    moment = situation(app, api, "time_suggested")
    browser = signed_in(app, moment.scene.client)
    dialog = browser.get(page_url(moment.id, "decline"), headers=HX)
    assert "Decline the suggested times?" in text_of(dialog)
    answer = post(browser, page_url(moment.id, "decline"), {"message": "None fit"}, htmx=True)
    assert toasts(answer) == [("success", "You declined the suggested times.")]
    assert stored_booking(app, moment.id)["status"] == "declined"
    assert notifications_for(app, moment.scene.coach)[-1] == ("suggestion_declined", moment.id)


def test_the_client_may_not_make_the_coachs_moves(app, api):
    moment = situation(app, api, "requested")
    browser = signed_in(app, moment.scene.client)
    assert post(browser, page_url(moment.id, "accept")).status_code == 403
    assert browser.get(page_url(moment.id, "suggest")).status_code == 403
    assert stored_booking(app, moment.id)["status"] == "requested"


def test_a_post_without_the_csrf_token_is_refused(app, api):
    moment = situation(app, api, "confirmed")
    browser = signed_in(app, moment.scene.client)
    answer = browser.post(page_url(moment.id, "cancel"), data={"reason": "no token"})
    assert answer.status_code == 400
    assert stored_booking(app, moment.id)["status"] == "confirmed"


# --- cancel and reschedule ----------------------------------------------------------------


def _paid_booking(app, api, hours_ahead: float):
    """SPEC 5's example: 63.00 EUR paid, the default policy 24 h / 2 h / 50 %."""
    moment = situation(app, api, "confirmed", price_amount=6000)
    move_booking_to(app, moment.id, in_future(hours_ahead))
    update_booking(app, moment.id, amount_paid=6300, payment_status="succeeded")
    return moment


def test_cancelling_shows_the_refund_before_and_gives_exactly_that(app, api):
    moment = _paid_booking(app, api, 10.25)  # between 2 and 24 hours: half back
    browser = signed_in(app, moment.scene.client)
    dialog = browser.get(page_url(moment.id, "cancel"), headers=HX)
    assert dialog.status_code == 200
    assert "Refund if you cancel now: 31.50 EUR of 63.00 EUR paid." in text_of(dialog)
    assert "a full refund until 24 hours before the start, 50 % until 2 hours before" in (
        text_of(dialog)
    )
    answer = post(browser, page_url(moment.id, "cancel"), {"reason": "Ill"}, htmx=True)
    assert toasts(answer) == [("success", "Cancelled. Refund due: 31.50 EUR.")]
    stored = stored_booking(app, moment.id)
    assert stored["status"] == "cancelled_by_client" and stored["cancellation_reason"] == "Ill"
    assert notifications_for(app, moment.scene.coach)[-1] == ("booking_cancelled", moment.id)
    again = post(browser, page_url(moment.id, "cancel"), htmx=True)
    assert again.status_code == 409


def test_the_api_gives_the_same_refund_the_page_showed(app, api):
    moment = _paid_booking(app, api, 30)
    browser = signed_in(app, moment.scene.client)
    assert "Refund if you cancel now: 63.00 EUR" in text_of(
        browser.get(page_url(moment.id, "cancel"))
    )
    body = act(api, moment.scene.client, moment.id, "cancel").get_json()
    assert body["refund"] == {"amount": 6300, "status": "pending"}


def test_a_coachs_cancellation_shows_the_full_refund(app, api):
    moment = _paid_booking(app, api, 1.5)  # too late for the client to get anything back
    coach_view = text_of(signed_in(app, moment.scene.coach).get(page_url(moment.id, "cancel")))
    assert "Refund if you cancel now: 63.00 EUR" in coach_view
    client_view = text_of(signed_in(app, moment.scene.client).get(page_url(moment.id, "cancel")))
    assert "Refund if you cancel now: 0.00 EUR" in client_view
    answer = post(signed_in(app, moment.scene.coach), page_url(moment.id, "cancel"), htmx=True)
    assert toasts(answer) == [("success", "Cancelled. Refund due: 63.00 EUR.")]
    assert stored_booking(app, moment.id)["status"] == "cancelled_by_coach"


def test_rescheduling_offers_free_times_and_moves_the_booking(app, api):
    moment = situation(app, api, "confirmed")
    make_booking(app, moment.scene.coach, make_client(app), moment.scene.session_type, at(14))
    client = moment.scene.client
    browser = signed_in(app, client)
    assert "Reschedule…" in text_of(browser.get(page_url(moment.id)))
    picker = browser.get(page_url(moment.id, "reschedule"), query_string={"day": MONDAY})
    offered = set(picker_values(picker))
    assert _iso(at(11)) in offered
    assert _iso(at(10)) not in offered and _iso(at(14)) not in offered
    answer = post(browser, page_url(moment.id, "reschedule"), {"start": _iso(at(11))}, htmx=True)
    assert toasts(answer) == [("success", f"Moved to {MONDAY:%a %d %b %Y}, 11:00.")]
    assert stored_booking(app, moment.id)["start_at"] == at(11)
    assert history(app, moment.id)[-1][:3] == ("confirmed", "confirmed", client.id)
    assert notifications_for(app, moment.scene.coach)[-1] == ("booking_rescheduled", moment.id)


def test_rescheduling_to_a_taken_time_is_a_409_next_to_the_field(app, api):
    moment = situation(app, api, "confirmed")
    make_booking(app, moment.scene.coach, make_client(app), moment.scene.session_type, at(14))
    browser = signed_in(app, moment.scene.client)
    before = rows(app)
    answer = post(browser, page_url(moment.id, "reschedule"), {"start": _iso(at(14))}, htmx=True)
    assert answer.status_code == 409
    assert answer.headers["HX-Retarget"] == "#bk-form"
    assert "This time has just been booked." in text_of(answer)
    assert stored_booking(app, moment.id)["start_at"] == at(10) and rows(app) == before
    garbage = post(browser, page_url(moment.id, "reschedule"), {"start": "soon"})
    assert garbage.status_code == 400 and "Pick a time from the list." in text_of(garbage)
    bad_day = browser.get(page_url(moment.id, "reschedule"), query_string={"day": "13/13"})
    assert bad_day.status_code == 400 and "Not a valid date" in text_of(bad_day)
    for far in ("9999-12-31", "0001-01-01"):  # kept within today and the maximum advance
        assert (
            browser.get(page_url(moment.id, "reschedule"), query_string={"day": far}).status_code
            == 200
        )


def test_the_coach_marks_an_ended_session_completed(app, api):
    moment = situation(app, api, "ended")
    browser = signed_in(app, moment.scene.coach)
    text = text_of(browser.get(page_url(moment.id)))
    assert "Mark completed" in text and "Cancel session" not in text
    assert post(browser, page_url(moment.id, "complete")).status_code == 303
    assert stored_booking(app, moment.id)["status"] == "completed"
    assert "Nothing to do: this booking is completed." in text_of(browser.get(page_url(moment.id)))
    assert ok(act(api, moment.scene.coach, moment.id, "", method="GET"))["status"] == "completed"


def test_the_times_the_picker_offers_are_the_ones_the_service_accepts(app, api):
    moment = situation(app, api, "requested")
    browser = signed_in(app, moment.scene.coach)
    offered = picker_values(
        browser.get(page_url(moment.id, "suggest"), query_string={"day": MONDAY})
    )
    answer = post(browser, page_url(moment.id, "suggest"), {"times": offered[-3:]}, htmx=True)
    assert answer.status_code == 200, text_of(answer)
    assert stored_booking(app, moment.id)["status"] == "time_suggested"
