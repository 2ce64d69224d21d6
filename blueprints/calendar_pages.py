"""A coach's calendar page (month, week, day) and its fragment.

One URL: ``/coaches/<slug>?view=&date=&tz=&type=``. Opened directly it is the whole page;
asked by htmx (navigation, the zone picker, a ``calendar-changed`` refresh) it is the
page's ``calendar`` block, rendered from the same template. Who may see it is the API's
privacy check: a calendar the viewer may not see answers exactly as a missing coach.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import NamedTuple
from urllib.parse import quote
from zoneinfo import ZoneInfo

from flask import Blueprint, abort, current_app, request, url_for
from flask_login import current_user

from blueprints.calendar_forms import parse_query
from blueprints.rendering import render_page
from blueprints.viewer import uses_12_hour_clock
from domain.errors import AppError
from domain.timezones import is_valid_timezone, timezone_names
from services import calendar_views
from services.calendar_views import CalendarPage, Cell, Placed, Start

bp = Blueprint("calendar_pages", __name__)

ZONE_COOKIE_AGE = 365 * 24 * 3600
NEW_WINDOW = "availability_pages.new_window"
NEW_WINDOW_LENGTH = timedelta(hours=1)
DASH = "\u2013"


@bp.route("/coaches/<slug>")
def coach_calendar(slug: str):
    query = parse_query(request.args)
    try:
        page = calendar_views.coach_calendar(current_user._get_current_object(), slug, query)
    except AppError as error:
        if error.code == "not_found":
            abort(404)  # the same answer as for any path that is not there
        raise
    asked_zone = request.args.get("tz") or None
    links = Links(page, asked_zone)
    response = render_page(
        "calendar/page.html",
        block="calendar",
        page=page,
        links=links,
        times=links.times,
        zone_guess=_zone_is_a_guess(),
        zones=timezone_names(),
        period_title=period_title,
    )
    if asked_zone and not current_user.is_authenticated:
        # A signed-out visitor's choice is remembered (a signed-in user's is their profile).
        response.set_cookie(
            "tz",
            asked_zone,
            max_age=ZONE_COOKIE_AGE,
            samesite="Lax",
            secure=current_app.config.get("SESSION_COOKIE_SECURE", False),
        )
    return response


def _zone_is_a_guess() -> bool:
    """Rendered in UTC only because nothing told us the zone yet (no ``?tz=``, no usable
    ``tz`` cookie, nobody signed in): calendar.js asks again with the browser's zone."""
    if current_user.is_authenticated or request.args.get("tz"):
        return False
    return not is_valid_timezone(request.cookies.get("tz", ""))


class StartLink(NamedTuple):
    url: str
    name: str  # the accessible name: "Book 10:00 Monday 18 January"
    text: str
    top: int | None  # minutes from the top of its free block
    extra_class: str


class ItemView(NamedTuple):
    classes: str
    when: str
    href: str | None  # the booking's page, for the viewer's own bookings
    status: str
    starts: list[StartLink]


class CellLink(NamedTuple):
    url: str
    name: str
    start: str
    until: str
    mode: str


class Links:
    """The URLs the calendar renders: its own views, and what its times open."""

    def __init__(self, page: CalendarPage, asked_zone: str | None):
        slug = page.coach.slug
        self.page = page
        self.base = url_for("calendar_pages.coach_calendar", slug=slug)
        self.book_base = url_for("booking_modal.new_booking", slug=slug)
        has_window = NEW_WINDOW in current_app.view_functions
        self.window_base = url_for(NEW_WINDOW) if has_window else None
        self.booking_base = url_for("booking_pages.booking", booking_id=1)[:-1]
        self.times = Times(page.zone)
        self.zone_param = quote(page.zone, safe="/")
        self.state = {
            "view": page.view,
            "date": request.args.get("date") or None,
            "type": page.selected.id if page.selected else None,
            "tz": asked_zone,
        }

    def view(self, **changes) -> str:
        """This calendar with some of view, date, type, tz changed (None drops one)."""
        state = {**self.state, **changes}
        query = "&".join(
            f"{name}={quote(str(value), safe='/:')}"
            for name, value in state.items()
            if value is not None
        )
        return f"{self.base}?{query}" if query else self.base

    def start(self, start: Start, top: int | None = None) -> StartLink:
        """A bookable start's link: the booking modal's URL (the contract with
        booking_modal: ``?start=<UTC>&session_type=<id>&tz=<zone>``), its accessible name
        and its text. Built by hand, not by url_for: a week has hundreds of them."""
        text, day = self.times.split(start.start)
        url = (
            f"{self.book_base}?start={utc(start.start)}&session_type={start.session_type_id}"
            f"&tz={self.zone_param}"
        )
        request = start.kind == "request"
        name = f"Book {text} {day}" + (" (request)" if request else "")
        return StartLink(url, name, text, top, " is-request" if request else "")

    def item(self, placed: Placed) -> ItemView:
        entry, piece = placed.entry, placed.piece
        classes = [f"cal-item cal-{entry.kind}"]
        starts = [] if self.page.is_owner else [self.start(s, top) for s, top in placed.starts]
        for on, name in (
            (starts, "has-starts"),
            (piece.continues_before, "cont-before"),
            (piece.continues_after, "cont-after"),
            (entry.end <= self.page.now, "is-past"),
        ):
            if on:
                classes.append(name)
        when = f"{self.times.clock(entry.start)}{DASH}{self.times.clock(entry.end)}"
        href = f"{self.booking_base}{entry.booking_id}" if entry.booking_id else None
        status = entry.status.replace("_", " ") if entry.status else ""
        return ItemView(" ".join(classes), when, href, status, starts)

    def cell(self, cell: Cell) -> CellLink | None:
        """Empty time: the client asks for it (the booking modal, a request outside
        availability), the coach adds availability there (once availability_pages has
        that form)."""
        start, until = utc(cell.start), utc(cell.until)
        moment = self.times.moment(cell.start)
        if not self.page.is_owner:
            url = (
                f"{self.book_base}?start={start}&session_type={self.page.request_type.id}"
                f"&tz={self.zone_param}&outside=1"
            )
            return CellLink(url, f"Request a session from {moment}", start, until, "request")
        if self.window_base is None:
            return None
        end = utc(min(cell.start + NEW_WINDOW_LENGTH, cell.until))
        url = f"{self.window_base}?start={start}&end={end}"
        return CellLink(url, f"Add availability from {moment}", start, until, "window")


class Times:
    """Times and days as the viewer reads them (their zone and clock), the same text as
    ``blueprints.viewer.clock_time``; day names are cached, a week repeats seven."""

    def __init__(self, zone: str):
        self.zone = ZoneInfo(zone)
        self.twelve = uses_12_hour_clock()
        self._days: dict[date, str] = {}

    def clock(self, moment: datetime) -> str:
        return self._clock(moment.astimezone(self.zone))

    def split(self, moment: datetime) -> tuple[str, str]:
        """(``10:00``, ``Monday 18 January``)."""
        local = moment.astimezone(self.zone)
        return self._clock(local), self.day(local.date())

    def moment(self, moment: datetime) -> str:
        """``10:00 Monday 18 January``."""
        return " ".join(self.split(moment))

    def day(self, day: date) -> str:
        if day not in self._days:
            self._days[day] = day_label(day)
        return self._days[day]

    def _clock(self, local: datetime) -> str:
        if self.twelve:
            return f"{local.hour % 12 or 12}:{local.minute:02d} {'am' if local.hour < 12 else 'pm'}"
        return f"{local.hour:02d}:{local.minute:02d}"


def utc(moment: datetime) -> str:
    """``2027-01-18T09:00:00Z``."""
    return moment.astimezone(UTC).replace(microsecond=0, tzinfo=None).isoformat() + "Z"


def day_label(day: date, year: bool = False) -> str:
    """``Monday 18 January`` (``… 2027`` with ``year``)."""
    return f"{day:%A} {day.day} {day:%B}" + (f" {day.year}" if year else "")


def period_title(page: CalendarPage) -> str:
    period = page.period
    if period.view == "month":
        return f"{period.anchor:%B %Y}"
    if period.view == "day":
        return day_label(period.first, year=True)
    first, last = period.first, period.last
    if first.year != last.year:
        return f"{first.day} {first:%B %Y} {DASH} {last.day} {last:%B %Y}"
    if first.month != last.month:
        return f"{first.day} {first:%B} {DASH} {last.day} {last:%B %Y}"
    return f"{first.day} {DASH} {last.day} {last:%B %Y}"
