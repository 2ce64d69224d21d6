"""The calendar page's query: ``?view=month|week|day&date=YYYY-MM-DD&tz=<IANA>&type=<id>``.

A missing or empty value falls back (week, today, the viewer's zone, every type); a value
that is there but wrong is a 400 naming it, never a guess.
"""

from __future__ import annotations

import re
from datetime import date

from werkzeug.datastructures import MultiDict

from blueprints.viewer import viewer_zone
from domain import calendar_grid
from domain.errors import AppError
from domain.timezones import is_valid_timezone
from services.calendar_views import CalendarQuery

DEFAULT_VIEW = "week"
MAX_ID = 2**31 - 1
_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")
_ID = re.compile(r"[1-9]\d{0,9}")


def _refuse(field: str, message: str) -> AppError:
    return AppError("validation_error", message, {field: [message]})


def parse_view(value: str) -> str:
    if not value:
        return DEFAULT_VIEW
    if value not in calendar_grid.VIEWS:
        raise _refuse("view", "Choose the month, week or day view.")
    return value


def parse_date(value: str) -> date | None:
    if not value:
        return None
    try:
        if not _DATE.fullmatch(value):
            raise ValueError
        day = date.fromisoformat(value)
    except ValueError:
        raise _refuse("date", "Give the date as YYYY-MM-DD, for example 2027-01-18.") from None
    if not calendar_grid.in_bounds(day):
        first, last = calendar_grid.FIRST_YEAR, calendar_grid.LAST_YEAR
        raise _refuse("date", f"Choose a date between the years {first} and {last}.")
    return day


def parse_zone(value: str) -> str:
    if not value:
        return viewer_zone()
    if not is_valid_timezone(value):
        raise _refuse("tz", "Unknown time zone. Choose one from the list, such as Europe/Berlin.")
    return value


def parse_type(value: str) -> int | None:
    if not value:
        return None
    if not _ID.fullmatch(value) or int(value) > MAX_ID:
        raise _refuse("type", "This coach offers no such session type. Choose one from the list.")
    return int(value)


def parse_query(args: MultiDict) -> CalendarQuery:
    """The query as the calendar service takes it, or a 400 ``AppError`` naming the field."""
    return CalendarQuery(
        view=parse_view(args.get("view", "").strip()),
        day=parse_date(args.get("date", "").strip()),
        zone=parse_zone(args.get("tz", "")),
        session_type_id=parse_type(args.get("type", "").strip()),
    )
