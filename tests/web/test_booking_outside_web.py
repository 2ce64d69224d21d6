"""Requests outside availability through the booking modal (amended SPEC 4): the clicked
empty time is offered as a requested time, becomes a request and never a firm booking
(even beside an instant window), is refused over another active booking (409) and keeps
notice, advance and the grid (400); nothing is written when refused."""

from __future__ import annotations

import html
import re
from datetime import timedelta
from urllib.parse import parse_qs, urlsplit

from models import Booking
from models.types import utcnow
from tests.api.booking_setup import at, make_scene
from tests.api.scheduling import MONDAY, z
from tests.factories import make_booking, make_client
from tests.helpers import count
from tests.web.test_booking_modal import (
    HX,
    book_url,
    choices_url,
    field_error,
    offered_starts,
    paid_scene,
    post_booking,
    select,
    selected,
    signed_in,
    stored,
    text,
)

REQUESTED = "requested time (outside availability)"


def test_the_clicked_empty_time_is_offered_as_a_request(app, api):
    scene, browser = paid_scene(app, api)
    body = text(browser.get(book_url(scene, at(18), outside="1"), headers=HX))

    assert selected(body, "booking-start") == z(at(18))
    labels = {value: label for value, label, _ in select(body, "booking-start")}
    assert labels[z(at(18))] == f"18:00 {REQUESTED}"
    assert z(at(10)) in offered_starts(body)  # the bookable starts stay on offer
    assert 'data-kind="request"' in body
    assert "outside" in re.search(r'data-kind="request">(.*?)</p>', body, re.S).group(1)
    assert ">Send request<" in body


def test_a_request_outside_availability_is_never_firm_even_beside_an_instant_window(app, api):
    scene, browser = paid_scene(app, api)
    response = post_booking(browser, scene, at(18), outside="1", message="After work?")

    assert response.status_code == 200, text(response)
    assert "Request sent" in text(response)
    [booking] = stored(app)
    assert (booking["status"], booking["kind"], booking["start"]) == (
        "requested",
        "request",
        at(18),
    )
    assert booking["message"] == "After work?"


def test_a_time_partly_outside_the_window_is_a_request_too(app, api):
    scene, browser = paid_scene(app, api)
    body = text(browser.get(book_url(scene, at(16, 30), outside="1"), headers=HX))
    assert 'data-kind="request"' in body
    assert post_booking(browser, scene, at(16, 30), outside="1").status_code == 200
    assert [(b["status"], b["kind"]) for b in stored(app)] == [("requested", "request")]


def test_a_time_inside_availability_clicked_as_empty_stays_firm(app, api):
    scene, browser = paid_scene(app, api)
    body = text(browser.get(book_url(scene, at(10), outside="1"), headers=HX))
    assert REQUESTED not in body
    assert 'data-kind="firm"' in body


def test_the_requested_time_stays_on_offer_while_other_times_are_tried(app, api):
    scene, browser = paid_scene(app, api)
    first = text(browser.get(book_url(scene, at(18), outside="1"), headers=HX))
    requested = re.search(r'name="requested" type="hidden" value="([^"]+)"', first).group(1)

    firm = text(
        browser.get(choices_url(scene, at(10), outside="1", requested=requested), headers=HX)
    )
    assert selected(firm, "booking-start") == z(at(10))
    assert 'data-kind="firm"' in firm
    assert z(at(18)) in offered_starts(firm)

    other_day = (MONDAY + timedelta(days=1)).isoformat()
    elsewhere = text(
        browser.get(
            choices_url(scene, at(10), outside="1", requested=requested, date=other_day),
            headers=HX,
        )
    )
    assert z(at(18)) not in offered_starts(elsewhere)
    assert selected(elsewhere, "booking-start") == ""


def test_a_request_over_another_booking_is_a_409_and_nothing_is_written(app, api):
    scene, browser = paid_scene(app, api)
    make_booking(app, scene.coach, make_client(app), scene.session_type, at(18), at(19))

    body = text(browser.get(book_url(scene, at(18, 30), outside="1"), headers=HX))
    assert field_error(body, "booking-start") == "This time has just been booked."

    response = post_booking(browser, scene, at(18, 30), outside="1")
    assert response.status_code == 409
    assert field_error(text(response), "booking-start") == "This time has just been booked."
    assert count(app, Booking) == 1


def test_a_request_off_the_grid_is_a_400_and_nothing_is_written(app, api):
    scene, browser = paid_scene(app, api)
    body = text(browser.get(book_url(scene, at(18, 10), outside="1"), headers=HX))
    assert "quarter hour" in field_error(body, "booking-start")

    response = post_booking(browser, scene, at(18, 10), outside="1")
    assert response.status_code == 400
    assert "quarter hour" in field_error(text(response), "booking-start")
    assert count(app, Booking) == 0


def test_a_request_beyond_the_advance_or_inside_the_notice_is_a_400(app, api):
    scene, browser = paid_scene(app, api, max_advance_days=7)
    response = post_booking(browser, scene, at(18), outside="1")
    assert response.status_code == 400
    assert field_error(text(response), "booking-start") == "Book at most 7 days ahead."

    soon = (utcnow() + timedelta(minutes=30)).replace(second=0, microsecond=0)
    soon -= timedelta(minutes=soon.minute % 15)
    local_soon = soon.astimezone(at(0).tzinfo)
    response = post_booking(browser, scene, local_soon, outside="1")
    assert response.status_code == 400
    assert "minutes ahead" in field_error(text(response), "booking-start")
    assert count(app, Booking) == 0


def test_signed_out_the_requested_time_survives_signing_in(app, api, client):
    scene = make_scene(app, api)
    url = book_url(scene, at(18), outside="1")
    body = text(client.get(url, headers=HX))
    link = re.search(r'href="(/login\?[^"]+)">Sign in</a>', body).group(1)
    assert parse_qs(urlsplit(html.unescape(link)).query)["next"] == [url]

    page = text(signed_in(app, scene.client).get(url))
    assert selected(page, "booking-start") == z(at(18))
    assert f"18:00 {REQUESTED}" in [label for _value, label, _on in select(page, "booking-start")]
