"""The e-mails a new booking and the answers to a request send, as their recipients read
them at a real SMTP server: subject, addressee, text and HTML, the time in each one's own
zone (the coach in Berlin, the client in New York), the link to the booking page and the
calendar invitation."""

from __future__ import annotations

from datetime import UTC, timedelta

from tests.api.booking_setup import at, booked, in_future, move_booking_to
from tests.api.transition_setup import act, ok, suggest_body
from tests.email.mail import (
    BERLIN,
    NEW_YORK,
    booking_link,
    local_day,
    local_span,
    make_people,
    only,
    received,
)


def test_a_firm_booking_sends_both_parties_a_confirmation_with_an_invitation(app, api, sink):
    scene = make_people(app, api)
    booking = booked(api, scene, at(10), message="Looking forward to it.")
    start, end = at(10), at(11)

    assert len(received(sink)) == 2
    client, coach = only(sink, scene.client), only(sink, scene.coach)
    assert client.to == scene.client.email
    assert client.subject.startswith("Confirmed: Coaching with Dana Coach, ")
    assert coach.subject.startswith("New booking: Coaching with Robin Client, ")
    # each reads the time in their own zone, with the zone named
    for mail, zone in ((client, NEW_YORK), (coach, BERLIN)):
        for body in (mail.text, mail.html):
            assert local_day(start, zone) in body
            assert local_span(start, end, zone) in body
            assert booking_link(booking["id"]) in body
            assert "https://meet.example/dana" in body
            assert "60 minutes" in body
    assert "Dana Coach" in client.text and "Robin Client" in coach.text
    assert "Looking forward to it." in coach.text and "Looking forward to it." in coach.html
    assert f'href="{booking_link(booking["id"])}"' in client.html


def test_the_invitation_holds_the_session_in_utc_with_a_stable_uid(app, api, sink):
    scene = make_people(app, api)
    booking = booked(api, scene, at(10))

    for person in (scene.client, scene.coach):
        mail = only(sink, person)
        [attachment] = mail.invitations
        assert attachment.get_content_type() == "text/calendar"
        assert attachment.get_param("method") == "REQUEST"
        calendar = mail.calendar()
        assert str(calendar["METHOD"]) == "REQUEST"
        event = mail.event()
        assert event.decoded("dtstart") == at(10).astimezone(UTC)
        assert event.decoded("dtend") == at(11).astimezone(UTC)
        assert event.decoded("dtstart").utcoffset() == timedelta(0)
        assert "Z" in event["DTSTART"].to_ical().decode()
        assert str(event["UID"]) == f"booking-{booking['id']}@coachbook.example"
        assert int(event["SEQUENCE"]) == 0
        assert str(event["STATUS"]) == "CONFIRMED"
        assert str(event["SUMMARY"]) == "Coaching between Dana Coach and Robin Client"
        assert str(event["LOCATION"]) == "https://meet.example/dana"
        assert booking_link(booking["id"]) in str(event["DESCRIPTION"])
        assert str(event["ORGANIZER"]) == f"mailto:{scene.coach.email}"
        assert str(event["ATTENDEE"]) == f"mailto:{scene.client.email}"


def test_a_request_tells_the_coach_to_answer_and_the_client_it_was_sent(app, api, sink):
    scene = make_people(app, api, instant_booking=False)
    booking = booked(api, scene, at(10), message="Can we talk about goals?")
    assert booking["status"] == "requested"

    coach, client = only(sink, scene.coach), only(sink, scene.client)
    assert coach.subject.startswith("New request from Robin Client: Coaching, ")
    assert "Accept it, decline it or suggest other times" in coach.said
    assert "Can we talk about goals?" in coach.said
    assert "Answer the request" in coach.html
    assert client.subject.startswith("Request sent: Coaching with Dana Coach, ")
    assert local_span(at(10), at(11), NEW_YORK) in client.text
    assert local_span(at(10), at(11), BERLIN) in coach.text
    # nothing is in anyone's calendar before the coach accepts
    assert not coach.invitations and not client.invitations


def test_accepting_sends_the_client_the_acceptance_and_both_an_invitation(app, api, sink):
    scene = make_people(app, api, instant_booking=False)
    booking = booked(api, scene, at(10))
    sink.messages.clear()

    ok(act(api, scene.coach, booking["id"], "accept", {"message": "See you then!"}))

    client, coach = only(sink, scene.client), only(sink, scene.coach)
    assert client.subject.startswith("Request accepted: Coaching with Dana Coach, ")
    assert "Dana Coach accepted your request" in client.said
    assert "See you then!" in client.text and "See you then!" in client.html
    assert coach.subject.startswith("Confirmed: Coaching with Robin Client, ")
    for mail in (client, coach):
        assert mail.event().decoded("dtstart") == at(10).astimezone(UTC)
        assert str(mail.event()["UID"]) == f"booking-{booking['id']}@coachbook.example"


def test_an_accepted_paid_request_tells_the_client_to_pay_by_the_deadline(app, api, sink):
    app.config["STRIPE_SECRET_KEY"] = "sk_test_emails"  # online payment: paid after acceptance
    scene = make_people(app, api, instant_booking=False, price_amount=6000)
    booking = booked(api, scene, at(10))
    sink.messages.clear()

    accepted = ok(act(api, scene.coach, booking["id"], "accept"))

    assert accepted["payment"]["status"] == "payment_pending"
    client = only(sink, scene.client)
    assert "Payment is needed: pay 63.00 EUR on the booking page by " in client.said
    assert "(America/New_York)" in client.said.split("Payment is needed")[1]
    assert "Pay now" in client.html
    assert f'href="{booking_link(booking["id"])}"' in client.html
    assert "63.00 EUR, to be paid online" in client.text
    assert "still has to pay 63.00 EUR" in only(sink, scene.coach).said


def test_declining_a_request_tells_the_client_with_the_coachs_message(app, api, sink):
    scene = make_people(app, api, instant_booking=False)
    booking = booked(api, scene, at(10))
    sink.messages.clear()

    ok(act(api, scene.coach, booking["id"], "decline", {"message": "I am away that week."}))

    mail = only(sink, scene.client)
    assert mail.subject.startswith("Request declined: Coaching with Dana Coach, ")
    assert "I am away that week." in mail.text
    assert "https://coachbook.example/coaches/dana" in mail.text
    assert not mail.invitations
    assert received(sink, scene.coach) == []


def test_suggested_times_reach_the_client_in_the_clients_zone(app, api, sink):
    scene = make_people(app, api, instant_booking=False)
    booking = booked(api, scene, at(10))
    sink.messages.clear()

    body = suggest_body(14, 15, message="Would the afternoon work?")
    ok(act(api, scene.coach, booking["id"], "suggest", body))

    mail = only(sink, scene.client)
    assert mail.subject == "Dana Coach suggested other times for Coaching"
    for body_text in (mail.text, mail.html):
        assert local_span(at(14), at(15), NEW_YORK) in body_text
        assert local_span(at(15), at(16), NEW_YORK) in body_text
        assert "Would the afternoon work?" in body_text
    assert "Choose a time" in mail.text
    assert received(sink, scene.coach) == []


def test_choosing_a_suggested_time_confirms_it_to_both_with_invitations(app, api, sink):
    scene = make_people(app, api, instant_booking=False)
    booking = booked(api, scene, at(10))
    suggested = ok(act(api, scene.coach, booking["id"], "suggest", suggest_body(14)))
    sink.messages.clear()

    suggestion = suggested["suggestions"][0]["id"]
    ok(act(api, scene.client, booking["id"], "choose", {"suggestion_id": suggestion}))

    coach, client = only(sink, scene.coach), only(sink, scene.client)
    assert coach.subject.startswith("Robin Client chose ")
    assert local_span(at(14), at(15), BERLIN) in coach.text
    assert client.subject.startswith("Confirmed: Coaching with Dana Coach, ")
    assert local_span(at(14), at(15), NEW_YORK) in client.text
    for mail in (coach, client):
        assert mail.event().decoded("dtstart") == at(14).astimezone(UTC)


def test_declining_the_suggested_times_tells_the_coach(app, api, sink):
    scene = make_people(app, api, instant_booking=False)
    booking = booked(api, scene, at(10))
    ok(act(api, scene.coach, booking["id"], "suggest", suggest_body(14)))
    sink.messages.clear()

    ok(act(api, scene.client, booking["id"], "decline", {"message": "None of these, sorry."}))

    mail = only(sink, scene.coach)
    assert mail.subject == "Robin Client declined your suggested times: Coaching"
    assert "None of these, sorry." in mail.text
    assert received(sink, scene.client) == []


def test_completing_a_session_sends_no_email(app, api, sink):
    scene = make_people(app, api)
    booking = booked(api, scene, at(10))
    move_booking_to(app, booking["id"], in_future(-3))
    sink.messages.clear()

    response = act(api, scene.coach, booking["id"], "status", {"status": "completed"}, "PUT")

    assert response.status_code == 200, response.get_json()
    assert received(sink) == []
