"""The embeddable calendar: ``/embed/<slug>``, framed by ``static/embed.js`` on a coach's
own website (SPEC section 11).

The page is the coach's public calendar for nobody in particular: it reads no cookie and
shows the same to every visitor, so browsers that block third-party cookies show it too.
Only a ``public`` calendar is embeddable; an unknown address and a calendar that is not
public answer the same 404 message, framable anywhere so the host page shows it instead
of a browser error. The page may be framed by ``'self'`` and the coach's embed domains
(``Content-Security-Policy: frame-ancestors``). A time opens the booking form on this
site in a new tab, with that time chosen; signing in or up there leads back to it.

Query: the calendar's ``view`` (month by default), ``date``, ``tz`` and ``type``, plus
``theme`` (light, dark or auto) and ``origin``, the host page's origin, to which the page
posts its height (only if the coach allows that origin).
"""

from __future__ import annotations

from flask import Blueprint, render_template, request, url_for
from werkzeug.datastructures import MultiDict

from blueprints.calendar_forms import parse_query
from blueprints.calendar_pages import Links, day_label, period_title
from blueprints.security import allow_framing
from domain.errors import AppError
from domain.origins import normalise_origin
from services import calendar_views, connections
from services.calendar_views import CalendarPage

bp = Blueprint("embed_pages", __name__)

THEMES = ("auto", "light", "dark")
DEFAULT_VIEW = "month"
UNAVAILABLE = (
    "This calendar cannot be shown here. The address may be wrong, or the coach's "
    "calendar is not public."
)


@bp.route("/embed/<slug>")
def embed(slug: str):
    coach = connections.find_coach_by_slug(slug)
    if coach is None or not coach.is_active or coach.calendar_privacy != "public":
        allow_framing(["*"])  # the message only: nothing on it to click or to learn
        return _message(UNAVAILABLE, None, 404)
    allow_framing(["'self'", *coach.embed_domains])
    args = MultiDict(request.args)
    args.setdefault("view", DEFAULT_VIEW)
    origin = _host_origin(args.get("origin", ""), coach.embed_domains)
    try:
        theme = _theme(args.get("theme", ""))
        query = parse_query(args)
        page = calendar_views.coach_calendar(None, coach.slug, query)
    except AppError as error:
        if error.code != "validation_error":
            raise
        return _message(error.message, origin, 400)
    links = EmbedLinks(page, args.get("tz") or None, theme, origin)
    return render_template(
        "embed/page.html",
        page=page,
        links=links,
        times=links.times,
        theme=theme,
        origin=origin,
        days=_day_lists(page),
        period_title=period_title,
        day_label=day_label,
        calendar_url=url_for("calendar_pages.coach_calendar", slug=coach.slug),
    )


def _message(message: str, origin: str | None, status: int):
    """Why there is no calendar, in the frame where it would have been."""
    page = render_template("embed/unavailable.html", message=message, theme="auto", origin=origin)
    return page, status


def _theme(value: str) -> str:
    value = value.strip()
    if not value:
        return "auto"
    if value not in THEMES:
        message = "Choose the theme light, dark or auto."
        raise AppError("validation_error", message, {"theme": [message]})
    return value


def _host_origin(value: str, allowed: list[str]) -> str | None:
    """The host page's origin if the coach allows it (or it is this site), else None:
    the page then posts nothing (its height) anywhere."""
    try:
        origin = normalise_origin(value)
    except ValueError:
        return None
    own = request.host_url.rstrip("/")
    return origin if origin in allowed or origin == own else None


def _day_lists(page: CalendarPage) -> list:
    """The week or day view as lists: each day with its bookable starts, in time order."""
    return [
        (
            column.day.date,
            sorted(
                (start for placed in column.placed for start, _ in placed.starts),
                key=lambda start: start.start,
            ),
        )
        for column in page.columns
    ]


class EmbedLinks(Links):
    """The calendar's links, with its own views inside the frame (keeping the theme and
    the host's origin) and its times opening the booking form at top level."""

    def __init__(self, page: CalendarPage, asked_zone, theme: str, origin: str | None):
        super().__init__(page, asked_zone)
        self.base = url_for("embed_pages.embed", slug=page.coach.slug)
        self.state |= {
            "theme": None if theme == "auto" else theme,
            "origin": origin,
        }
