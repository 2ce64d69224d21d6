"""A coach's e-mail settings per session type: an event switched off sends nothing while
the others still send, the master switch off sends nothing at all, and reminders go once
per party at their offsets."""

from __future__ import annotations

from datetime import UTC, timedelta

from sqlalchemy import select

from extensions import db
from models import OutboxEmail
from services import periodic
from tests.api.booking_setup import at, booked
from tests.api.transition_setup import act
from tests.email.mail import make_people, only, received
from tests.helpers import count


def settings(api, scene, **notifications) -> dict:
    response = api.patch(
        f"/api/session-types/{scene.session_type}",
        json={"notifications": notifications},
        as_=scene.coach,
    )
    assert response.status_code == 200, response.get_json()
    return response.get_json()["session_type"]["notifications"]


def test_a_switched_off_event_sends_nothing_while_the_others_still_send(app, api, sink):
    scene = make_people(app, api)
    settings(api, scene, email_events={"confirmation": False})

    booking = booked(api, scene, at(10))
    assert received(sink) == []

    act(api, scene.client, booking["id"], "cancel", {"reason": ""})
    assert only(sink, scene.client).subject.startswith("Cancelled: ")
    assert only(sink, scene.coach).subject.startswith("Cancelled: ")


def test_with_emails_switched_off_nothing_is_sent_or_queued(app, api, sink):
    scene = make_people(app, api, instant_booking=False)
    settings(api, scene, email=False)

    booking = booked(api, scene, at(10))
    act(api, scene.coach, booking["id"], "accept")
    act(api, scene.client, booking["id"], "cancel", {"reason": ""})

    assert received(sink) == []
    assert count(app, OutboxEmail) == 0


def reminders_at(app, moment) -> int:
    with app.app_context():
        return periodic.send_reminders(moment)


def test_a_reminder_reaches_each_party_once_at_each_offset(app, api, sink):
    scene = make_people(app, api)  # reminders a day and an hour before (the defaults)
    booking = booked(api, scene, at(10))
    sink.messages.clear()
    start = at(10).astimezone(UTC)

    assert reminders_at(app, start - timedelta(hours=25)) == 0
    assert reminders_at(app, start - timedelta(hours=23)) == 2
    assert reminders_at(app, start - timedelta(hours=22)) == 0  # once
    assert reminders_at(app, start - timedelta(minutes=45)) == 2
    assert reminders_at(app, start - timedelta(minutes=30)) == 0

    day, hour = received(sink, scene.client)
    assert day.subject.startswith("Reminder: Coaching with Dana Coach, ")
    assert "Your session starts in 1 day" in day.text
    assert "Your session starts in 1 hour" in hour.text
    assert not day.invitations
    coach_day, _ = received(sink, scene.coach)
    assert coach_day.subject.startswith("Reminder: Coaching with Robin Client, ")
    with app.app_context():
        keys = set(db.session.scalars(select(OutboxEmail.dedupe_key).where(
            OutboxEmail.kind == "reminder")))  # fmt: skip
    stamp = f"{start:%Y%m%dT%H%M}"
    assert keys == {
        f"reminder:{booking['id']}:{person.id}:{offset}:{stamp}"
        for person in (scene.client, scene.coach)
        for offset in (1440, 60)
    }


def test_reminders_switched_off_are_not_sent(app, api, sink):
    scene = make_people(app, api)
    settings(api, scene, email_events={"reminder": False})
    booked(api, scene, at(10))
    sink.messages.clear()

    assert reminders_at(app, at(10).astimezone(UTC) - timedelta(minutes=30)) == 0
    assert received(sink) == []
