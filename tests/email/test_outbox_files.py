"""Without ``MAIL_SERVER`` (the embedded default) every e-mail is an ``.eml`` file in the
instance's outbox folder: a complete message any mail program opens."""

from __future__ import annotations

import email
from email import policy
from pathlib import Path

import pytest
from icalendar import Calendar

from tests.api.booking_setup import at, booked
from tests.email.mail import BASE_URL, NEW_YORK, booking_link, local_span, make_people


@pytest.fixture
def app_config() -> dict:
    return {"BASE_URL": BASE_URL}  # no MAIL_SERVER


def test_without_a_mail_server_each_email_is_an_eml_file_in_the_outbox(app, api):
    scene = make_people(app, api)
    booking = booked(api, scene, at(10))

    outbox = Path(app.config["OUTBOX_PATH"])
    assert outbox.parent == Path(app.instance_path)
    files = sorted(outbox.glob("*.eml"))
    assert len(files) == 2
    messages = [email.message_from_bytes(f.read_bytes(), policy=policy.default) for f in files]
    by_address = {message["To"]: message for message in messages}
    client = by_address[scene.client.email]
    assert client["Subject"].startswith("Confirmed: Coaching with Dana Coach, ")
    assert client["Message-ID"]
    text = client.get_body(("plain",)).get_content()
    assert local_span(at(10), at(11), NEW_YORK) in text
    assert booking_link(booking["id"]) in client.get_body(("html",)).get_content()
    [invitation] = [p for p in client.iter_attachments() if p.get_content_type() == "text/calendar"]
    [event] = Calendar.from_ical(invitation.get_payload(decode=True)).walk("VEVENT")
    assert str(event["UID"]) == f"booking-{booking['id']}@coachbook.example"
