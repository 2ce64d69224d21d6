"""The e-mails of a cancellation (with what it refunds), a move to another time, a request
withdrawn and a booking that ran out unpaid: both calendars follow through the same UID."""

from __future__ import annotations

from datetime import UTC

from extensions import db
from models import Booking
from services import transitions
from tests.api.booking_setup import at, booked, update_booking
from tests.api.transition_setup import act, ok
from tests.email.mail import BERLIN, NEW_YORK, local_day, local_span, make_people, only


def cancel(api, person, booking_id: int, reason: str = "") -> dict:
    response = act(api, person, booking_id, "cancel", {"reason": reason})
    assert response.status_code == 200, response.get_json()
    return response.get_json()


def test_a_cancellation_removes_the_session_from_both_calendars(app, api, sink):
    scene = make_people(app, api)
    booking = booked(api, scene, at(10))
    sink.messages.clear()

    cancel(api, scene.client, booking["id"], "I am ill.")

    client, coach = only(sink, scene.client), only(sink, scene.coach)
    assert client.subject.startswith("Cancelled: Coaching with Dana Coach, ")
    assert "You cancelled this session" in client.said
    assert coach.subject.startswith("Cancelled: Coaching with Robin Client, ")
    assert "Robin Client cancelled this session; the time is free again." in coach.said
    assert "I am ill." in coach.text and "I am ill." in coach.html
    assert local_span(at(10), at(11), NEW_YORK) in client.text
    assert local_span(at(10), at(11), BERLIN) in coach.text
    for mail in (client, coach):
        [attachment] = mail.invitations
        assert attachment.get_param("method") == "CANCEL"
        assert str(mail.calendar()["METHOD"]) == "CANCEL"
        event = mail.event()
        assert str(event["UID"]) == f"booking-{booking['id']}@coachbook.example"
        assert str(event["STATUS"]) == "CANCELLED"
        assert event.decoded("dtstart") == at(10).astimezone(UTC)


def test_a_free_session_cancelled_says_nothing_about_refunds(app, api, sink):
    scene = make_people(app, api)
    booking = booked(api, scene, at(10))
    sink.messages.clear()

    cancel(api, scene.coach, booking["id"])

    client = only(sink, scene.client)
    assert "Dana Coach cancelled this session" in client.said
    assert "refund" not in client.said.lower()


def test_paid_directly_to_the_coach_the_refund_is_nothing_and_the_email_says_why(app, api, sink):
    scene = make_people(app, api, price_amount=6000)  # no Stripe: paid to the coach directly
    booking = booked(api, scene, at(10))
    sink.messages.clear()

    answer = cancel(api, scene.client, booking["id"])

    assert answer["refund"] == {"amount": 0, "status": "none"}
    client, coach = only(sink, scene.client), only(sink, scene.coach)
    assert "Nothing was paid through Coachbook, so there is no refund here" in client.said
    assert "If you paid Dana Coach directly, settle it with them." in client.said
    assert "If Robin Client paid you directly, settle any refund with them." in coach.said


def test_a_paid_session_cancelled_by_the_coach_states_the_full_refund(app, api, sink):
    scene = make_people(app, api, price_amount=6000)
    booking = booked(api, scene, at(10))
    # what a Stripe payment will record (issue 13): 63.00 EUR with the platform fee
    update_booking(app, booking["id"], amount_paid=6300, payment_status="succeeded")
    sink.messages.clear()

    answer = cancel(api, scene.coach, booking["id"], "Double-booked, sorry.")

    assert answer["refund"]["amount"] == 6300
    client, coach = only(sink, scene.client), only(sink, scene.coach)
    assert "Refund: you get 63.00 EUR back" in client.said
    assert "63.00 EUR" in client.html
    assert "Refund: Robin Client gets 63.00 EUR back." in coach.said


def test_a_late_cancellation_by_the_client_states_the_partial_refund(app, api, sink):
    scene = make_people(app, api, price_amount=6000, full_refund_hours=24 * 365)
    booking = booked(api, scene, at(10))
    update_booking(app, booking["id"], amount_paid=6300, payment_status="succeeded")
    sink.messages.clear()

    answer = cancel(api, scene.client, booking["id"])

    assert answer["refund"]["amount"] == 3150  # 50 % inside the full-refund window
    assert "Refund: you get 31.50 EUR of the 63.00 EUR paid back" in only(sink, scene.client).said


def test_no_refund_due_is_said_plainly(app, api, sink):
    scene = make_people(
        app, api, price_amount=6000, full_refund_hours=24 * 365, partial_refund_percent=0
    )
    booking = booked(api, scene, at(10))
    update_booking(app, booking["id"], amount_paid=6300, payment_status="succeeded")
    sink.messages.clear()

    assert cancel(api, scene.client, booking["id"])["refund"]["amount"] == 0

    assert "No refund: the cancellation policy refunds nothing" in only(sink, scene.client).said
    assert "No refund: your cancellation policy refunds Robin Client nothing." in (
        only(sink, scene.coach).said
    )


def test_withdrawing_a_request_tells_the_coach_without_a_calendar_cancellation(app, api, sink):
    scene = make_people(app, api, instant_booking=False)
    booking = booked(api, scene, at(10))
    sink.messages.clear()

    cancel(api, scene.client, booking["id"], "Found another time.")

    coach, client = only(sink, scene.coach), only(sink, scene.client)
    assert coach.subject.startswith("Request withdrawn: Coaching with Robin Client, ")
    assert "Found another time." in coach.text
    assert client.subject.startswith("Request withdrawn: Coaching with Dana Coach, ")
    assert not coach.invitations and not client.invitations


def test_a_move_sends_both_the_old_and_new_time_and_updates_the_same_event(app, api, sink):
    scene = make_people(app, api)
    booking = booked(api, scene, at(10))
    first_uid = str(only(sink, scene.client).event()["UID"])
    sink.messages.clear()

    ok(act(api, scene.client, booking["id"], "reschedule", {"start": at(14).isoformat()}))

    client, coach = only(sink, scene.client), only(sink, scene.coach)
    assert client.subject.startswith("Moved: Coaching with Dana Coach, now ")
    assert "You moved this session to a new time." in client.said
    assert "Robin Client moved this session to a new time." in coach.said
    for mail, zone in ((client, NEW_YORK), (coach, BERLIN)):
        new, was = local_span(at(14), at(15), zone), local_span(at(10), at(11), zone)
        assert f"New time: {local_day(at(14), zone)}, {new}" in mail.said
        assert f"Was: {local_day(at(10), zone)}, {was}" in mail.said
        assert new in mail.html and was in mail.html
        event = mail.event()
        assert str(mail.calendar()["METHOD"]) == "REQUEST"
        assert str(event["UID"]) == first_uid
        assert int(event["SEQUENCE"]) == 1
        assert event.decoded("dtstart") == at(14).astimezone(UTC)
        assert event.decoded("dtend") == at(15).astimezone(UTC)


def test_an_accepted_request_left_unpaid_expires_with_a_calendar_cancellation(app, api, sink):
    app.config["STRIPE_SECRET_KEY"] = "sk_test_emails"
    scene = make_people(app, api, instant_booking=False, price_amount=6000)
    booking = booked(api, scene, at(10))
    ok(act(api, scene.coach, booking["id"], "accept"))
    sink.messages.clear()

    with app.app_context():
        deadline = db.session.get(Booking, booking["id"]).payment_deadline_at
        db.session.commit()
        moved = transitions.move_as_system(
            booking["id"], "expired", "booking_expired", deadline, lambda b: True
        )
    assert moved == 1

    client, coach = only(sink, scene.client), only(sink, scene.coach)
    assert client.subject.startswith("Cancelled unpaid: Coaching with Dana Coach, ")
    assert "The payment was not made by the deadline" in client.said
    assert "Robin Client did not pay by the deadline" in coach.said
    for mail in (client, coach):
        assert str(mail.calendar()["METHOD"]) == "CANCEL"
        assert str(mail.event()["UID"]) == f"booking-{booking['id']}@coachbook.example"
