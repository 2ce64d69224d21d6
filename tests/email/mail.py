"""Helpers for the e-mail tests: a coach in Berlin and a client in New York, and the parts
of a received message (subject, text, HTML, the ``.ics`` invitation) as a reader sees
them."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from email.message import EmailMessage
from zoneinfo import ZoneInfo

from icalendar import Calendar

from tests.api.booking_setup import Scene, at
from tests.api.scheduling import create_window
from tests.factories import make_client, make_coach, make_session_type

BASE_URL = "https://coachbook.example"
BERLIN, NEW_YORK = "Europe/Berlin", "America/New_York"
DASH = "\u2013"


def make_people(
    app, api, *, instant_booking: bool = True, client_name: str = "Robin Client", **type_fields
) -> Scene:
    """Dana (coach, Europe/Berlin, public calendar) with a "Coaching" type held at a
    video link and a Monday 09:00-17:00 window; Robin (client, America/New_York)."""
    coach = make_coach(app, name="Dana Coach", calendar_privacy="public", slug="dana")
    session_type = make_session_type(
        app, coach, **({"price_amount": 0, "location": "https://meet.example/dana"} | type_fields)
    )
    window = create_window(api, coach, at(9), at(17), instant_booking=instant_booking)
    client = make_client(app, name=client_name, timezone=NEW_YORK)
    return Scene(coach, client, session_type, window)


@dataclass(frozen=True)
class Received:
    """One message as its recipient reads it."""

    message: EmailMessage

    @property
    def to(self) -> str:
        return self.message["To"]

    @property
    def subject(self) -> str:
        return self.message["Subject"]

    @property
    def text(self) -> str:
        return self.message.get_body(("plain",)).get_content()

    @property
    def said(self) -> str:
        """The plain text as one line: a phrase is found wherever the text wraps it."""
        return " ".join(self.text.split())

    @property
    def html(self) -> str:
        return self.message.get_body(("html",)).get_content()

    @property
    def invitations(self) -> list:
        return [
            part
            for part in self.message.iter_attachments()
            if part.get_content_type() == "text/calendar"
        ]

    def calendar(self) -> Calendar:
        [part] = self.invitations
        return Calendar.from_ical(part.get_payload(decode=True))

    def event(self):
        [event] = self.calendar().walk("VEVENT")
        return event


def received(sink, person=None) -> list[Received]:
    """What the SMTP server received (for ``person``'s address), in order."""
    return [
        Received(message)
        for message in sink.messages
        if person is None or message["To"] == person.email
    ]


def only(sink, person) -> Received:
    """The one message ``person`` received."""
    messages = received(sink, person)
    assert len(messages) == 1, [m.subject for m in messages]
    return messages[0]


def local_span(start: datetime, end: datetime, zone: str) -> str:
    """A session's time in a zone as e-mails write it: ``10:00-11:00 (Europe/Berlin)``
    (with an en dash)."""
    tz = ZoneInfo(zone)
    return f"{start.astimezone(tz):%H:%M}{DASH}{end.astimezone(tz):%H:%M} ({zone})"


def local_day(moment: datetime, zone: str) -> str:
    local = moment.astimezone(ZoneInfo(zone))
    return f"{local:%a} {local.day} {local:%b %Y}"


def booking_link(booking_id: int) -> str:
    return f"{BASE_URL}/bookings/{booking_id}"
