"""iCalendar (RFC 5545) for bookings: the invitation attached to an email, and the events a
calendar feed is made of.

One booking is one event with a stable UID (``booking-<id>@<host of BASE_URL>``), so a
calendar updates the event it has rather than adding another: a reschedule sends it again
with a higher SEQUENCE, a cancellation with METHOD:CANCEL. Times are written in UTC
(``…Z``), which needs no VTIMEZONE and shows in local time in every calendar.
"""

from __future__ import annotations

from datetime import UTC, datetime
from urllib.parse import urlsplit

from flask import current_app
from icalendar import Calendar, Event, vCalAddress, vText

from domain.timezones import iso_utc
from models.types import utcnow

PRODID = "-//Coachbook//Coachbook//EN"
# Statuses in which a booking no longer takes place (RFC 5545 STATUS:CANCELLED).
ENDED_UNHELD = frozenset({"declined", "expired", "cancelled_by_client", "cancelled_by_coach"})


def uid(booking) -> str:
    """The booking's event UID: the same in every invitation and feed."""
    host = urlsplit(current_app.config["BASE_URL"]).hostname or "localhost"
    return f"booking-{booking.id}@{host}"


def booking_url(booking) -> str:
    return f"{current_app.config['BASE_URL'].rstrip('/')}/bookings/{booking.id}"


def booking_event(booking, viewer_id: int | None = None, *, cancelled: bool | None = None) -> Event:
    """The booking as one VEVENT. Its summary names both parties, or with ``viewer_id``
    (a feed's owner) the other one. ``cancelled`` defaults to whether the booking's
    status has ended it."""
    return event_from(event_data(booking, viewer_id, cancelled=cancelled))


def event_data(booking, viewer_id: int | None = None, *, cancelled: bool | None = None) -> dict:
    """What ``booking_event`` writes, as plain JSON-safe values (an outbox row keeps
    them and builds the event when the email is sent)."""
    coach, client, session_type = booking.coach, booking.client, booking.session_type
    if viewer_id is None:
        summary = f"{session_type.name} between {coach.name} and {client.name}"
    else:
        other = client if viewer_id == coach.id else coach
        summary = f"{session_type.name} with {other.name}"
    if cancelled is None:
        cancelled = booking.status in ENDED_UNHELD
    link = booking_url(booking)
    return {
        "uid": uid(booking),
        "stamp": iso_utc(utcnow()),
        "sequence": booking.ics_sequence,
        # In UTC: a booking just written may still hold the offset it was asked with.
        "start": iso_utc(booking.start_at),
        "end": iso_utc(booking.end_at),
        "summary": summary,
        "description": f"{session_type.name}: {coach.name} and {client.name}.\n{link}",
        "url": link,
        "location": session_type.location or "",
        "organizer": [coach.email, coach.name],
        "attendee": [client.email, client.name],
        "cancelled": cancelled,
    }


def event_from(data: dict) -> Event:
    event = Event()
    event.add("uid", data["uid"])
    event.add("dtstamp", _utc(data["stamp"]))
    event.add("sequence", data["sequence"])
    event.add("dtstart", _utc(data["start"]))
    event.add("dtend", _utc(data["end"]))
    event.add("summary", data["summary"])
    event.add("description", data["description"])
    event.add("url", data["url"])
    if data["location"]:
        event.add("location", data["location"])
    event.add("organizer", _address(*data["organizer"], organizer=True))
    event.add("attendee", _address(*data["attendee"], organizer=False))
    event.add("status", "CANCELLED" if data["cancelled"] else "CONFIRMED")
    event.add("transp", "TRANSPARENT" if data["cancelled"] else "OPAQUE")
    return event


def calendar(events: list[Event], method: str | None = None, name: str | None = None) -> Calendar:
    """The events in a VCALENDAR; ``method`` REQUEST or CANCEL for an invitation (iTIP),
    none for a feed, which may carry a ``name``."""
    wrapper = Calendar()
    wrapper.add("prodid", PRODID)
    wrapper.add("version", "2.0")
    wrapper.add("calscale", "GREGORIAN")
    if method:
        wrapper.add("method", method)
    if name:
        wrapper.add("x-wr-calname", name)
    for event in events:
        wrapper.add_component(event)
    return wrapper


def invitation(booking, *, cancel: bool = False) -> str:
    """The ``.ics`` attachment, the same for both parties: METHOD:REQUEST to add or
    update the event, METHOD:CANCEL to remove it."""
    return invitation_text(invitation_data(booking, cancel=cancel))


def invitation_data(booking, *, cancel: bool = False) -> dict:
    """The invitation as plain values, for ``invitation_text`` at sending time."""
    return {**event_data(booking, cancelled=cancel), "method": "CANCEL" if cancel else "REQUEST"}


def invitation_text(data: dict) -> str:
    """The ``.ics`` of ``invitation_data`` (its serialisation is most of an email's
    cost, so the send job pays for it, not the change)."""
    return calendar([event_from(data)], data["method"]).to_ical().decode()


def _utc(moment: str) -> datetime:
    return datetime.fromisoformat(moment.replace("Z", "+00:00")).astimezone(UTC)


def _address(email: str, name: str, *, organizer: bool) -> vCalAddress:
    address = vCalAddress(f"mailto:{email}")
    address.params["cn"] = vText(name)
    if not organizer:
        address.params["role"] = vText("REQ-PARTICIPANT")
        address.params["partstat"] = vText("ACCEPTED")
        address.params["rsvp"] = vText("FALSE")
    return address
