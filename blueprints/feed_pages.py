"""The iCalendar files: a user's private feed ``/calendar/<token>.ics`` (no sign-in: the
token is the key, for calendar apps) and one booking's ``.ics`` for its parties."""

from __future__ import annotations

from flask import Blueprint, Response, request
from flask_login import current_user, login_required

from domain.errors import not_found
from services import bookings, feeds

bp = Blueprint("feed_pages", __name__)
CALENDAR = "text/calendar; charset=utf-8"


@bp.route("/calendar/<token>.ics")
def feed(token: str):
    user = feeds.owner_of(token)
    if user is None:
        raise not_found("calendar feed")
    body, changed = feeds.feed(user)
    response = Response(body, mimetype="text/calendar")
    response.content_type = CALENDAR
    response.set_etag(feeds.etag(body))
    if changed is not None:
        response.last_modified = changed
    response.cache_control.private = True
    response.cache_control.max_age = 300
    response.headers["X-Robots-Tag"] = "noindex"
    return response.make_conditional(request)


@bp.route("/bookings/<id:booking_id>/booking.ics")
@login_required
def booking_file(booking_id: int):
    user = current_user._get_current_object()
    booking = bookings.get_booking(user, booking_id)
    response = Response(feeds.booking_ics(booking, user.id), content_type=CALENDAR)
    response.headers["Content-Disposition"] = f'attachment; filename="booking-{booking.id}.ics"'
    return response
