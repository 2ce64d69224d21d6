"""iCalendar (RFC 5545) for bookings: the invitation attached to an email, and the events a
calendar feed is made of.

One booking is one event with a stable UID (``booking-<id>@<host of BASE_URL>``), so a
calendar updates the event it has rather than adding another: a reschedule sends it again
with a higher SEQUENCE, a cancellation with METHOD:CANCEL. Times are written in UTC
(``…Z``), which needs no VTIMEZONE and shows in local time in every calendar.
"""

from __future__ import annotations

from datetime import UTC
from urllib.parse import urlsplit

from flask import current_app
from icalendar import Calendar, Event, vCalAddress, vText

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
    coach, client, session_type = booking.coach, booking.client, booking.session_type
    if viewer_id is None:
        summary = f"{session_type.name} between {coach.name} and {client.name}"
    else:
        other = client if viewer_id == coach.id else coach
        summary = f"{session_type.name} with {other.name}"
    if cancelled is None:
        cancelled = booking.status in ENDED_UNHELD
    link = booking_url(booking)
    event = Event()
    event.add("uid", uid(booking))
    event.add("dtstamp", utcnow())
    event.add("sequence", booking.ics_sequence)
    # In UTC: a booking just written may still hold the offset it was asked with.
    event.add("dtstart", booking.start_at.astimezone(UTC))
    event.add("dtend", booking.end_at.astimezone(UTC))
    event.add("summary", summary)
    event.add("description", f"{session_type.name}: {coach.name} and {client.name}.\n{link}")
    event.add("url", link)
    if session_type.location:
        event.add("location", session_type.location)
    event.add("organizer", _address(coach, organizer=True))
    event.add("attendee", _address(client, organizer=False))
    event.add("status", "CANCELLED" if cancelled else "CONFIRMED")
    event.add("transp", "TRANSPARENT" if cancelled else "OPAQUE")
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
    """The ``.ics`` attachment, the same for both parties (one serialisation per change:
    it is most of an email's cost): METHOD:REQUEST to add or update the event,
    METHOD:CANCEL to remove it."""
    event = booking_event(booking, cancelled=cancel)
    method = "CANCEL" if cancel else "REQUEST"
    return calendar([event], method).to_ical().decode()


def _address(user, *, organizer: bool) -> vCalAddress:
    address = vCalAddress(f"mailto:{user.email}")
    address.params["cn"] = vText(user.name)
    if not organizer:
        address.params["role"] = vText("REQ-PARTICIPANT")
        address.params["partstat"] = vText("ACCEPTED")
        address.params["rsvp"] = vText("FALSE")
    return address
