"""Whose clock the page shows: the viewer's time zone and 12- or 24-hour clock.

The zone is, in order: a valid ``?tz=`` on the URL, the signed-in user's zone, the
``tz`` cookie (set by static/app.js from the browser, or by the zone picker), else UTC.
The clock is the ``clock`` cookie (``12`` or ``24``, from the browser's locale), else a
guess from ``Accept-Language``.
"""

from __future__ import annotations

from datetime import datetime
from urllib.parse import unquote
from zoneinfo import ZoneInfo

from flask import g, request
from flask_login import current_user

from domain.timezones import is_valid_timezone

# Locales whose everyday clock is 12-hour (the region part of Accept-Language).
TWELVE_HOUR_REGIONS = frozenset({"US", "CA", "AU", "NZ", "IN", "PH", "PK", "EG", "SA", "BD"})


def viewer_zone() -> str:
    if "viewer_zone" not in g:
        g.viewer_zone = _choose_zone()
    return g.viewer_zone


def _choose_zone() -> str:
    asked = request.args.get("tz", "")
    if is_valid_timezone(asked):
        return asked
    if current_user.is_authenticated and is_valid_timezone(current_user.timezone):
        return current_user.timezone
    remembered = unquote(request.cookies.get("tz", ""))  # static/app.js encodes the "/"
    return remembered if is_valid_timezone(remembered) else "UTC"


def uses_12_hour_clock() -> bool:
    if "twelve_hour" not in g:
        g.twelve_hour = _choose_clock()
    return g.twelve_hour


def _choose_clock() -> bool:
    remembered = request.cookies.get("clock")
    if remembered in ("12", "24"):
        return remembered == "12"
    best = request.accept_languages.best or ""
    region = best.replace("_", "-").split("-")[1:2]
    if region:
        return region[0].upper() in TWELVE_HOUR_REGIONS
    return best.lower() == "en"  # plain "en" is usually en-US


def local(value: datetime, zone: str | None = None) -> datetime:
    return value.astimezone(ZoneInfo(zone or viewer_zone()))


def clock_time(value: datetime, zone: str | None = None) -> str:
    """``14:30`` or ``2:30 pm`` in the viewer's zone and clock."""
    moment = local(value, zone)
    if uses_12_hour_clock():
        return f"{moment.hour % 12 or 12}:{moment:%M} {'am' if moment.hour < 12 else 'pm'}"
    return f"{moment:%H:%M}"


def date_and_time(value: datetime, zone: str | None = None) -> str:
    """``Mon 18 Jan 2027, 14:30`` in the viewer's zone and clock."""
    return f"{local(value, zone):%a %d %b %Y}, {clock_time(value, zone)}"
