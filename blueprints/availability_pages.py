"""The coach's availability editor (SPEC 4 "Availability", 6): one-off windows and weekly
series, edited or deleted whole or one occurrence at a time, with the upcoming occurrences
and a preview of the resulting free time by week. Every write calls the service function
the JSON API calls (``services.availability``) with the values the API's schema would
give it; its messages land next to the fields.

Dialogs (edit, delete, new window) are ``<dialog>`` fragments for htmx, swapped into
``#modal-root``, and whole pages when opened directly. A write that succeeds empties
``#modal-root`` and sends ``HX-Trigger: calendar-changed`` (the editor's listing and the
calendar page refresh on it) with a toast; without htmx it redirects to the editor.
"""

from __future__ import annotations

import json
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from flask import Blueprint, make_response, redirect, request, url_for
from flask_login import current_user, login_required

from blueprints.api.common import iso
from blueprints.availability_forms import (
    WEEKDAY_LABELS,
    OccurrenceForm,
    OneOffForm,
    WindowForm,
    parse_moment,
    prefill_range,
    week_start,
)
from blueprints.rendering import is_htmx, render_page
from blueprints.toasts import toast
from blueprints.viewer import clock_time, local, uses_12_hour_clock
from domain.errors import AppError
from domain.recurrence import resolve_local
from models.types import utcnow
from services import availability, calendar, catalog

bp = Blueprint("availability_pages", __name__)
WEEKS = 4
CHANGED = {"calendar-changed": None}
DASH = "\u2013"
DELETE_TITLES = {
    "Occurrence": "Delete this occurrence?",
    "Series": "Delete the whole series?",
    "Window": "Delete this window?",
}


def _coach():
    user = current_user._get_current_object()
    catalog.require_coach(user)
    return user


# --- the editor ----------------------------------------------------------------------


@bp.route("/coach/availability", methods=["GET", "POST"], endpoint="availability")
@login_required
def editor():
    """GET: the page (htmx: the listing for ``?week=``). POST: create a window."""
    coach = _coach()
    session_types = catalog.list_own_session_types(coach)
    form = WindowForm(session_types, prefix="new")
    first = week_start(request.args.get("week"), local(utcnow(), coach.timezone).date(), WEEKS)
    if request.method == "POST":
        if form.validate_on_submit() and _saved(form, availability.create_window, coach):
            toast("Availability added.")
            if not is_htmx():
                return redirect(url_for(".availability"))
            fresh = WindowForm(session_types, prefix="new", formdata=None)
            return _changed(render_page("availability/page.html", "create_form", form=fresh))
        context = {} if is_htmx() else _listing(coach, first, session_types)
        return render_page(
            "availability/page.html", "create_form", status=400, form=form, **context
        )
    context = _listing(coach, first, session_types)
    return render_page("availability/page.html", "listing", form=form, **context)


def _saved(form, write, coach, *args) -> bool:
    """Call the service; its validation messages go next to the fields (False)."""
    try:
        write(coach, *args, form.values(coach.timezone))
    except AppError as error:
        if error.code != "validation_error":
            raise
        form.attach_errors(error)
        return False
    return True


@bp.route("/coach/availability/new", methods=["GET", "POST"])
@login_required
def new_window():
    """A one-off window, pre-filled from ``?start=&end=`` (UTC ISO) when the coach clicks
    empty time on their own calendar."""
    coach = _coach()
    session_types = catalog.list_own_session_types(coach)
    form = OneOffForm(session_types, prefix="win")
    if request.method == "GET":
        start, end = prefill_range(request.args)
        if start is not None:
            form.prefill(start, end, coach.timezone)
    elif form.validate_on_submit() and _saved(form, availability.create_window, coach):
        return _done("Availability added.")
    return _dialog(
        "_new_window_form.html", title="Add a one-off window", form=form, zone=coach.timezone
    )


@bp.route("/coach/availability/<id:availability_id>/edit", methods=["GET", "POST"])
@login_required
def edit_series(availability_id: int):
    """The whole window or series: times, weekdays, dates, session type, instant booking."""
    coach = _coach()
    window = availability.get_own_window(coach, availability_id)
    session_types = catalog.list_own_session_types(coach)
    form = WindowForm(session_types, prefix="series")
    if request.method == "GET":
        form.fill(window, coach.timezone)
    elif form.validate_on_submit() and _saved(
        form, availability.update_series, coach, availability_id
    ):
        return _done("Series saved." if form.kind == "weekly" else "Window saved.")
    title = "Edit the series" if window.is_recurring else "Edit the window"
    return _dialog("_edit_series_form.html", title=title, form=form, window=window)


@bp.route("/coach/availability/<id:availability_id>/occurrence", methods=["GET", "POST"])
@login_required
def edit_occurrence(availability_id: int):
    """One occurrence (``?occurrence=`` its original start): move it, switch instant booking."""
    coach = _coach()
    availability.get_own_window(coach, availability_id)
    occurrence = parse_moment(request.args.get("occurrence"), "occurrence")
    window, current = availability.get_own_occurrence(coach, availability_id, occurrence)
    form = OccurrenceForm(prefix="occ")
    if request.method == "GET":
        form.fill(current, coach.timezone)
    elif form.validate_on_submit():
        try:
            start, end = form.values(coach.timezone)
            availability.update_occurrence(
                coach, availability_id, occurrence, start, end, form.instant_booking.data
            )
        except AppError as error:
            if error.code != "validation_error":
                raise
            form.attach_errors(error)
        else:
            return _done("Occurrence saved." if window.is_recurring else "Window saved.")
    context = {
        "title": "Edit this occurrence" if window.is_recurring else "Edit the window",
        "form": form,
        "window": window,
        "occurrence": iso(occurrence),
    }
    return _dialog("_edit_occurrence_form.html", **context)


@bp.route("/coach/availability/<id:availability_id>/delete", methods=["GET", "POST"])
@login_required
def delete(availability_id: int):
    """Confirm (GET), then delete (POST) one occurrence (``?occurrence=``) or the series."""
    coach = _coach()
    window = availability.get_own_window(coach, availability_id)
    raw = request.args.get("occurrence")
    occurrence = parse_moment(raw, "occurrence") if raw else None
    current = None
    if occurrence is not None:
        window, current = availability.get_own_occurrence(coach, availability_id, occurrence)
    what = _what(window, occurrence)
    if request.method == "POST":
        availability.delete_window(coach, availability_id, occurrence)
        return _done(f"{what} deleted.")
    context = {
        "title": DELETE_TITLES[what],
        "window": window,
        "occurrence": iso(occurrence) if occurrence else None,
        "label": _span_label(current.start, current.end, coach.timezone) if current else None,
        "what": what,
        "summary": _summary(window, coach.timezone, {}),
    }
    return _dialog("_delete_form.html", **context)


def _what(window, occurrence) -> str:
    if not window.is_recurring:
        return "Window"
    return "Occurrence" if occurrence is not None else "Series"


# --- answers -------------------------------------------------------------------------


def _dialog(form_template: str, **context):
    """A ``<dialog>`` for htmx (only the form after a refused POST), else a page."""
    status = 400 if request.method == "POST" else 200
    block = "form" if request.method == "POST" else "dialog"
    form_template = f"availability/{form_template}"
    return render_page(
        "availability/dialog.html",
        block,
        status=status,
        in_dialog=is_htmx(),
        form_template=form_template,
        **context,
    )


def _changed(response):
    response.headers["HX-Trigger"] = json.dumps(CHANGED)
    return response


def _done(message: str):
    """After a write from a dialog: close it (empty ``#modal-root``), refresh, toast."""
    toast(message)
    if not is_htmx():
        return redirect(url_for(".availability"))
    response = make_response("", 200)
    response.headers["HX-Retarget"] = "#modal-root"
    response.headers["HX-Reswap"] = "innerHTML"
    return _changed(response)


# --- the listing: windows, occurrences and free time by week ----------------------


def _listing(coach, first: date, session_types) -> dict:
    zone = coach.timezone
    tz = ZoneInfo(zone)
    days = [first + timedelta(days=i) for i in range(WEEKS * 7 + 1)]
    bounds = [resolve_local(day, time(0), tz) for day in days]
    view = calendar.calendar(coach, coach.id, bounds[0], bounds[-1])
    found = calendar.occurrences(coach.id, bounds[0], bounds[-1])
    windows = availability.list_own_windows(coach)
    names = {t.id: t.name for t in session_types}
    by_id = {w.id: w for w in windows}
    this_week = _week_of(local(utcnow(), zone).date())
    weeks = [{"first": days[7 * i], "occurrences": [], "days": []} for i in range(WEEKS)]
    for occ in found:
        index = min(max((local(occ.start, zone).date() - first).days // 7, 0), WEEKS - 1)
        weeks[index]["occurrences"].append(_occurrence_row(occ, by_id[occ.window_id], zone, names))
    for i in range(WEEKS * 7):
        pieces = _pieces(view.free, bounds[i], bounds[i + 1], zone)
        if pieces:
            weeks[i // 7]["days"].append({"day": days[i], "pieces": pieces})
    since = bounds[0] if first < this_week else resolve_local(this_week, time(0), tz)
    current = [w for w in windows if w.series_end_at is None or w.series_end_at > since]
    return {
        "zone": zone,
        "weeks": weeks,
        "windows": [_summary(w, zone, names) for w in current],
        "past_windows": len(windows) - len(current),
        "first": first,
        "this_week": this_week,
        "pages": {
            "self": url_for(".availability", week=first.isoformat()),
            "later": url_for(".availability", week=(first + timedelta(weeks=WEEKS)).isoformat()),
            "earlier": url_for(".availability", week=(first - timedelta(weeks=WEEKS)).isoformat()),
            "now": url_for(".availability"),
        },
    }


def _week_of(day: date) -> date:
    return day - timedelta(days=day.weekday())


def _span_label(start: datetime, end: datetime, zone: str, day: str = "%a %d %b") -> str:
    """``Mon 04 Jan, 09:00-17:00`` (en dash); the end's date too when it is another day."""
    a, b = local(start, zone), local(end, zone)
    label = f"{a.strftime(day)}, {clock_time(start, zone)}{DASH}"
    if b.date() != a.date():
        label += f"{b.strftime(day)}, "
    return label + clock_time(end, zone)


def _type_label(session_type_id, names: dict) -> str:
    if session_type_id is None:
        return "Any session type"
    return names.get(session_type_id, "A removed session type")


def _occurrence_row(occ, window, zone: str, names: dict) -> dict:
    edited = any(
        e.occurrence_start == occ.occurrence and e.kind == "modified" for e in window.exceptions
    )
    key = {"availability_id": window.id, "occurrence": iso(occ.occurrence)}
    return {
        "label": _span_label(occ.start, occ.end, zone),
        "series": window.is_recurring,
        "edited": edited,
        "type": _type_label(occ.session_type_id, names),
        "instant": occ.instant_booking,
        "edit_url": url_for(".edit_occurrence", **key),
        "delete_url": url_for(".delete", **key),
    }


def _summary(window, zone: str, names: dict) -> dict:
    """A window or series as the listing describes it."""
    start = local(window.start_at, zone)
    if window.is_recurring:
        weekdays = ", ".join(WEEKDAY_LABELS[c] for c in window.recurrence_weekdays.split(","))
        title = f"Weekly on {weekdays}, {clock_time(window.start_at, zone)}{DASH}"
        title += clock_time(window.end_at, zone)
        ends = "no end"
        if window.recurrence_until is not None:
            ends = f"until {window.recurrence_until:%a %d %b %Y}"
        elif window.recurrence_count is not None:
            ends = f"{window.recurrence_count} times"
        when = f"From {start:%a %d %b %Y}, {ends}"
    else:
        title = f"Once: {_span_label(window.start_at, window.end_at, zone, '%a %d %b %Y')}"
        when = None
    edits = len(window.exceptions) if window.is_recurring else 0
    return {
        "id": window.id,
        "title": title,
        "when": when,
        "series": window.is_recurring,
        "type": _type_label(window.session_type_id, names),
        "instant": window.instant_booking,
        "edits": edits,
        "edit_url": url_for(".edit_series", availability_id=window.id),
        "delete_url": url_for(".delete", availability_id=window.id),
    }


def _pieces(free, day_start: datetime, day_end: datetime, zone: str) -> list[dict]:
    """The free spans within one local day, with minutes from midnight for the bars."""
    pieces = []
    for span in free:
        lo, hi = max(span.start, day_start), min(span.end, day_end)
        if lo >= hi:
            continue
        a = local(lo, zone)
        until = 24 * 60 if hi == day_end else local(hi, zone).hour * 60 + local(hi, zone).minute
        end_label = ("midnight" if uses_12_hour_clock() else "24:00") if hi == day_end else None
        pieces.append(
            {
                "from": a.hour * 60 + a.minute,
                "to": until,
                "label": f"{clock_time(lo, zone)}{DASH}{end_label or clock_time(hi, zone)}",
                "instant": span.instant_booking,
            }
        )
    return pieces
