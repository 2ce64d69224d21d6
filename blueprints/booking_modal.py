"""The booking modal: a new booking's form, its live choices and price, and the
confirmation (SPEC 6).

``GET /coaches/<slug>/book`` opens it: for htmx the ``<dialog>`` fragment, opened
directly the same form as a page. ``GET …/book/choices`` re-renders what a change of
type, date, duration, start or coupon affects (the start options and the verdict, with
the price and the coupon field out of band). ``POST …/book`` books through
``services.bookings.create_booking``, the service behind ``POST /api/bookings``.
The calendar's privacy decides every one of them: a viewer who may not see it gets the
404 of an unknown address.
"""

from __future__ import annotations

import json
from datetime import timedelta
from decimal import Decimal

from flask import Blueprint, redirect, request, url_for
from flask_login import current_user
from wtforms import SelectChoice

from blueprints.booking_forms import (
    BookingForm,
    duration_label,
    errors_to_fields,
    iso,
    query_formdata,
)
from blueprints.errors import STATUS_BY_CODE
from blueprints.rendering import is_htmx, render_page
from blueprints.toasts import toast
from blueprints.viewer import clock_time, viewer_zone
from domain.errors import AppError
from models.types import utcnow
from services import booking_choices, bookings
from services.booking_choices import Choices, Offer, local_day

bp = Blueprint("booking_modal", __name__)
TEMPLATE = "booking/modal.html"
# The calendar section listens for it and refreshes itself.
CALENDAR_CHANGED = {"calendar-changed": True}


@bp.route("/coaches/<slug>/book")
def new_booking(slug: str):
    """The modal with the clicked time (``start``) of ``session_type`` pre-selected."""
    offer = booking_choices.offer(current_user, slug)
    gate = _gate(offer)
    form = BookingForm(formdata=query_formdata(request.args), meta={"csrf": False})
    if gate is not None:
        return _render(offer, form, None, state=gate, modal=is_htmx(), block="dialog")
    parsed = form.validate()
    choices = _choices(offer, form)
    status = 200 if parsed else 400
    return _render(offer, form, choices, modal=is_htmx(), block="dialog", status=status)


@bp.route("/coaches/<slug>/book/choices")
def refresh(slug: str):
    """The parts of the open form that a change affects (``hx-get`` on ``change``)."""
    offer = booking_choices.offer(current_user, slug)
    form = BookingForm(formdata=query_formdata(request.args), meta={"csrf": False})
    gate = _gate(offer)
    if gate is not None:
        return _render(offer, form, None, state=gate, modal=True, block="booking")
    parsed = form.validate()
    choices = _choices(offer, form)
    status = 200 if parsed else 400
    return _render(offer, form, choices, modal=True, block="refresh", status=status)


@bp.route("/coaches/<slug>/book", methods=["POST"])
def create(slug: str):
    """Book (``intent=book``) or just show the form again for the posted choices."""
    offer = booking_choices.offer(current_user, slug)
    form = BookingForm()
    modal = form.modal.data == "1"
    gate = _gate(offer)
    if gate is not None:
        status = 200 if gate == "signin" else 400
        return _render(offer, form, None, state=gate, modal=modal, status=status)
    zone = viewer_zone()
    if request.form.get("intent") != "book":  # "Apply": new options and price, no booking
        status = 200 if form.validate() else 400
        return _render(offer, form, _choices(offer, form), modal=modal, status=status)
    if not form.check_for_booking(zone, {t.id for t in offer.session_types}):
        return _render(offer, form, _choices(offer, form, strict=True), modal=modal, status=400)
    try:
        booking = bookings.create_booking(
            current_user._get_current_object(),
            bookings.BookingRequest(
                coach_id=offer.coach.id,
                session_type_id=form.session_type_id.data,
                start=form.start.data,
                duration_minutes=form.duration_minutes.data,
                message=form.message.data or "",
                coupon_code=(form.coupon_code.data or "").strip() or None,
            ),
        )
    except AppError as refused:
        if refused.code == "not_found":
            raise
        return _refused(offer, form, refused, modal)
    return _booked(offer, form, booking, modal)


# --- the pieces ------------------------------------------------------------------


def _gate(offer: Offer) -> str | None:
    """Why the form is not shown: signed out, the coach's own calendar, nothing offered."""
    if not current_user.is_authenticated:
        return "signin"
    if current_user.id == offer.coach.id:
        return "own"
    if not offer.session_types:
        return "closed"
    return None


def _choices(offer: Offer, form: BookingForm, strict: bool = False) -> Choices:
    """The service's options for what the form holds, put into the form's fields."""
    zone = viewer_zone()
    choices = booking_choices.choose(current_user, offer, form.wish(zone, strict))
    form.fill(choices, _start_labels(choices), zone)
    return choices


def _start_labels(choices: Choices) -> list[SelectChoice]:
    """Each bookable start in the viewer's zone and clock; the time asked for outside
    availability, if any, in its place among them."""
    labels = []
    for slot in choices.starts:
        text = clock_time(slot.start)
        if slot.seats_left is not None:
            text += f" ({slot.seats_left} {'seat' if slot.seats_left == 1 else 'seats'} left)"
        labels.append((slot.start, SelectChoice(iso(slot.start), text)))
    if choices.requested is not None:
        text = f"{clock_time(choices.requested)} requested time (outside availability)"
        labels.append((choices.requested, SelectChoice(iso(choices.requested), text)))
    return [choice for _start, choice in sorted(labels, key=lambda pair: pair[0])]


def _refused(offer: Offer, form: BookingForm, refused: AppError, modal: bool):
    """The form again with the service's messages next to the fields and fresh options.
    A time taken meanwhile also refreshes the calendar behind the dialog."""
    status = STATUS_BY_CODE.get(refused.code, 400)
    if refused.code == "slot_unavailable":
        form.start.errors = [*form.start.errors, refused.message]
    else:
        errors_to_fields(form, refused.details, refused.message)
    if status >= 500:  # htmx swaps no 5xx: the toast tells what went wrong
        toast(refused.message, "error")
    response = _render(offer, form, _choices(offer, form, strict=True), modal=modal, status=status)
    if refused.code == "slot_unavailable":
        response.headers["HX-Trigger"] = json.dumps(CALENDAR_CHANGED)
    return response


def payment_redirect(booking) -> str | None:
    """Where the browser goes to pay, if anywhere: the ONE place for the Stripe Checkout
    redirect. A paid firm booking with Stripe configured is ``pending_payment`` with the
    Checkout Session's URL (the payments issue creates it); until then bookings are free
    or "pay the coach directly" and stay on the confirmation screen."""
    if booking.status == "pending_payment" and booking.checkout_url:
        return booking.checkout_url
    return None


def _booked(offer: Offer, form: BookingForm, booking, modal: bool):
    confirmed = booking.status == "confirmed"
    toast("You're booked." if confirmed else f"Request sent. {offer.coach.name} will answer.")
    target = payment_redirect(booking)
    if not is_htmx():
        return redirect(target or url_for("booking_pages.booking", booking_id=booking.id))
    if target:
        response = render_page(TEMPLATE, "booking", **_context(offer, form, None, "paying", modal))
        response.headers["HX-Redirect"] = target
        return response
    context = _context(offer, form, None, "done", modal) | {"booking": booking}
    response = render_page(TEMPLATE, "booking", **context)
    response.headers["HX-Trigger"] = json.dumps(CALENDAR_CHANGED)
    return response


def _render(offer, form, choices, *, state="form", modal, block="booking", status=200):
    context = _context(offer, form, choices, state, modal)
    if block == "refresh" and is_htmx():
        context["focus"] = ""  # a live update leaves the focus where the viewer is
    return render_page(TEMPLATE, block, status=status, **context)


def _context(offer: Offer, form: BookingForm, choices, state: str, modal: bool) -> dict:
    slug = offer.coach.slug
    zone = viewer_zone()
    form.modal.data = "1" if modal else ""
    quote = choices.quote if choices is not None else None
    return {
        "coach": offer.coach,
        "form": form,
        "choices": choices,
        "quote": quote,
        "vat_percent": _percent(quote.price.vat_rate) if quote else "0",
        "duration_text": duration_label(choices.duration) if choices and choices.duration else "",
        "state": state,
        "modal": modal,
        "booking": None,
        "focus": form.first_error() or "session_type_id",
        "zone": zone,
        "date_min": local_day(utcnow(), zone).isoformat(),
        "date_max": _last_day(offer, zone),
        "post_url": url_for(".create", slug=slug, tz=zone),
        "choices_url": url_for(".refresh", slug=slug),
        "calendar_url": url_for("calendar_pages.coach_calendar", slug=slug),
        "login_url": url_for("auth.login", next=_this_url(slug, form)),
        "register_url": url_for("auth.register"),
    }


def _this_url(slug: str, form: BookingForm) -> str:
    """The modal's own URL with the chosen time, to come back to after signing in."""
    if request.method == "GET" and request.endpoint == "booking_modal.new_booking":
        return request.full_path.rstrip("?")
    start = form.start.data
    return url_for(
        ".new_booking",
        slug=slug,
        start=iso(start) if start else None,
        session_type=form.session_type_id.data,
        tz=viewer_zone(),
        outside=form.outside.data or None,
    )


def _last_day(offer: Offer, zone: str) -> str:
    """The last day any of the coach's types can be booked on (the date field's max)."""
    days = max((t.max_advance_days for t in offer.session_types), default=0)
    return local_day(utcnow() + timedelta(days=days), zone).isoformat()


def _percent(rate: Decimal) -> str:
    """0.19 → ``19``, 0.075 → ``7.5``."""
    value = (Decimal(rate) * 100).normalize()
    return f"{value:f}"
