"""The dashboards: a coach's waiting requests first (answered in place), then upcoming
sessions; a client's upcoming and past sessions apart; each links to its booking page."""

from __future__ import annotations

import re

from tests.api.booking_setup import at, booked, in_future, make_scene, stored_booking
from tests.api.transition_setup import situation
from tests.factories import make_booking, make_client, make_session_type
from tests.web.test_booking_pages import HX, post, signed_in, text_of, toasts


def section(text: str, heading: str, stop: str) -> str:
    assert heading in text, text
    return text.split(heading, 1)[1].split(stop, 1)[0]


def test_the_coach_sees_waiting_requests_first_with_their_answers(app, api):
    scene = make_scene(app, api, instant_booking=False)
    first = booked(api, scene, at(10), message="First request")
    second = booked(api, scene, at(13))
    confirmed = make_booking(app, scene.coach, make_client(app, name="Firm Fiona"),
                             scene.session_type, at(15))  # fmt: skip
    response = signed_in(app, scene.coach).get("/dashboard")
    body = response.get_data(as_text=True)
    text = text_of(response)
    assert text.index("Requests") < text.index("Upcoming sessions")
    requests = section(text, "2 requests waiting for your answer.", "Upcoming sessions")
    assert requests.count(f"{scene.client.name} · Coaching") == 2 and "First request" in requests
    assert "Firm Fiona" not in requests
    for booking_id in (first["id"], second["id"]):
        assert f'action="/bookings/{booking_id}/accept"' in body
        assert f'href="/bookings/{booking_id}/decline?origin=dashboard"' in body
        assert f'href="/bookings/{booking_id}/suggest?origin=dashboard"' in body
    upcoming = section(text, "Upcoming sessions", "Your page")
    assert "Firm Fiona" in upcoming and "confirmed" in upcoming
    assert f'href="/bookings/{confirmed}"' in body
    assert f'href="/coaches/{scene.coach.slug}"' in body  # the coach's calendar


def test_accepting_on_the_dashboard_answers_in_place(app, api):
    moment = situation(app, api, "requested")
    browser = signed_in(app, moment.scene.coach)
    answer = post(browser, f"/bookings/{moment.id}/accept", {"origin": "dashboard"}, htmx=True)
    assert answer.status_code == 200
    body = answer.get_data(as_text=True)
    assert body.lstrip().startswith(f'<li class="bk-request" id="request-{moment.id}">')
    assert "status-confirmed" in body and "/accept" not in body
    assert toasts(answer) == [("success", "Request accepted: the session is confirmed.")]
    assert stored_booking(app, moment.id)["status"] == "confirmed"
    again = post(browser, f"/bookings/{moment.id}/accept", {"origin": "dashboard"}, htmx=True)
    assert again.status_code == 409 and f'id="request-{moment.id}"' in again.get_data(True)
    plain = post(browser, f"/bookings/{moment.id}/cancel", {"origin": "dashboard"})
    assert plain.status_code == 303 and plain.headers["Location"].endswith("/dashboard")


def test_declining_from_the_dashboard_opens_the_dialog_aimed_at_the_row(app, api):
    moment = situation(app, api, "requested")
    browser = signed_in(app, moment.scene.coach)
    dialog = browser.get(f"/bookings/{moment.id}/decline?origin=dashboard", headers=HX)
    body = dialog.get_data(as_text=True)
    assert '<dialog class="modal bk-modal"' in body
    assert f'hx-target="#request-{moment.id}"' in body
    assert 'name="origin" value="dashboard"' in body
    suggest = browser.get(f"/bookings/{moment.id}/suggest?origin=dashboard", headers=HX)
    assert f'hx-target="#request-{moment.id}"' in suggest.get_data(as_text=True)


def test_the_client_sees_upcoming_and_past_sessions_apart(app, api):
    scene = make_scene(app, api)
    coach, client = scene.coach, scene.client
    upcoming = booked(api, scene, at(10))
    ended = make_booking(app, coach, client, scene.session_type, in_future(-30))
    cancelled = make_booking(
        app, coach, client, make_session_type(app, coach, name="Cancelled kind"),
        at(14), status="cancelled_by_client",
    )  # fmt: skip
    response = signed_in(app, client).get("/dashboard")
    text = text_of(response)
    body = response.get_data(as_text=True)
    now = section(text, "Upcoming sessions", "Past sessions")
    past = section(text, "Past sessions", "Connections")
    assert "confirmed" in now and "Cancelled kind" not in now
    assert "Cancelled kind" in past and "cancelled by client" in past
    assert body.index(f'href="/bookings/{upcoming["id"]}"') < body.index("Past sessions")
    assert body.index(f'href="/bookings/{ended}"') > body.index("Past sessions")
    assert body.index(f'href="/bookings/{cancelled}"') > body.index("Past sessions")
    assert "Requests" not in section(text, "Hello", "Upcoming sessions")


def test_names_and_messages_on_the_dashboard_are_escaped(app, api):
    scene = make_scene(app, api, instant_booking=False)
    evil = make_client(app, name="<script>x()</script>")
    booked(api, scene, at(10), as_=evil, message="<img src=x onerror=y>")
    body = signed_in(app, scene.coach).get("/dashboard").get_data(as_text=True)
    assert "<script>x()</script>" not in body and "&lt;script&gt;x()&lt;/script&gt;" in body
    assert "<img src=x" not in body and "&lt;img src=x onerror=y&gt;" in body


def test_the_requests_count_and_empty_states(app, api):
    scene = make_scene(app, api, instant_booking=False)
    coach_text = text_of(signed_in(app, scene.coach).get("/dashboard"))
    assert "No requests waiting for your answer." in coach_text
    assert "No upcoming sessions." in coach_text and "No past sessions yet." in coach_text
    booked(api, scene, at(10))
    assert "1 request waiting for your answer." in text_of(
        signed_in(app, scene.coach).get("/dashboard")
    )
    assert re.search(r"Upcoming sessions.*No upcoming sessions\.", coach_text)
