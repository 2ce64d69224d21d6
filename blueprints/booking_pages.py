"""One booking's page and the actions the status machine allows its viewer.

``/bookings/<id>`` shows the booking to its coach and its client (anyone else gets the
404 of a missing id, from ``services.bookings.get_booking``). Every action is a plain
form post (works without JavaScript: a redirect back with a flash) and an htmx post that
swaps the booking's main section, or the dashboard's request row it came from, and says
what happened in a toast. Confirmations (cancel, decline) and the time pickers (suggest,
reschedule) are ``<dialog>`` fragments for htmx and pages of their own otherwise. Each
action calls the service function the JSON API calls (``services.transitions``).
"""

from __future__ import annotations

from datetime import timedelta

from flask import Blueprint, redirect, render_template, request, url_for
from flask_login import current_user, login_required

from blueprints import booking_page_forms as forms
from blueprints.errors import STATUS_BY_CODE
from blueprints.rendering import is_htmx, render_page
from blueprints.templating import money
from blueprints.toasts import toast
from blueprints.viewer import date_and_time, viewer_zone
from domain.errors import AppError
from services import booking_views, payments, transitions

bp = Blueprint("booking_pages", __name__)
# Refusals that belong next to a form's fields rather than in a toast.
FORM_ERRORS = ("validation_error", "slot_unavailable")


def _me():
    return current_user._get_current_object()


@bp.route("/bookings/<id:booking_id>")
@login_required
def booking(booking_id: int):
    page = booking_views.booking_page(_me(), booking_id)
    return render_page("bookings/page.html", block="main", page=page, b=page.booking)


# --- the actions ---------------------------------------------------------------------


@bp.route("/bookings/<id:booking_id>/accept", methods=["POST"])
@login_required
def accept(booking_id: int):
    form = forms.MessageForm()

    def run(user, _page):
        transitions.accept(user, booking_id, form.message.data or "")
        return "Request accepted: the session is confirmed."

    return _act(booking_id, "accept", form, run)


@bp.route("/bookings/<id:booking_id>/decline", methods=["GET", "POST"])
@login_required
def decline(booking_id: int):
    form = forms.MessageForm()

    def run(user, page):
        transitions.decline(user, booking_id, form.message.data or "")
        if page.actor == "coach":
            return "Request declined. The client has been told."
        return "You declined the suggested times."

    return _act(booking_id, "decline", form, run, "bookings/decline.html")


@bp.route("/bookings/<id:booking_id>/suggest", methods=["GET", "POST"])
@login_required
def suggest(booking_id: int):
    form = forms.SuggestForm()

    def run(user, page):
        length = timedelta(minutes=page.booking.duration_minutes)
        times = [(start, start + length) for start in form.moments]
        transitions.suggest(user, booking_id, times, form.message.data or "")
        count = len(times)
        return f"{count} time{'s' if count != 1 else ''} suggested. The client has been told."

    return _act(booking_id, "suggest", form, run, "bookings/suggest.html")


@bp.route("/bookings/<id:booking_id>/choose", methods=["POST"])
@login_required
def choose(booking_id: int):
    form = forms.ChooseForm()

    def run(user, _page):
        chosen = transitions.choose(user, booking_id, form.suggestion_id.data)
        return f"Confirmed for {date_and_time(chosen.start_at)}."

    return _act(booking_id, "choose", form, run)


@bp.route("/bookings/<id:booking_id>/cancel", methods=["GET", "POST"])
@login_required
def cancel(booking_id: int):
    form = forms.CancelForm()

    def run(user, page):
        _booking, refund = transitions.cancel(user, booking_id, form.reason.data or "")
        if refund.amount:
            return f"Cancelled. Refund due: {money(refund.amount, page.booking.currency)}."
        return "Cancelled. No refund is due."

    return _act(booking_id, "cancel", form, run, "bookings/cancel.html")


@bp.route("/bookings/<id:booking_id>/reschedule", methods=["GET", "POST"])
@login_required
def reschedule(booking_id: int):
    form = forms.RescheduleForm()

    def run(user, _page):
        moved = transitions.reschedule(user, booking_id, form.moment)
        return f"Moved to {date_and_time(moved.start_at)}."

    return _act(booking_id, "reschedule", form, run, "bookings/reschedule.html")


@bp.route("/bookings/<id:booking_id>/complete", methods=["POST"])
@login_required
def complete(booking_id: int):
    form = forms.ActionForm()

    def run(user, _page):
        transitions.complete(user, booking_id)
        return "Marked as completed."

    return _act(booking_id, "complete", form, run)


@bp.route("/bookings/<id:booking_id>/pay", methods=["POST"])
@login_required
def pay(booking_id: int):
    """To Stripe Checkout (a plain form post: the browser leaves the site to pay)."""
    form = forms.ActionForm()
    page = booking_views.booking_page(_me(), booking_id)
    try:
        booking_views.require_action(page, "pay")
        if not form.validate():
            raise AppError("csrf_failed", "Your form expired. Please try again.")
        url = payments.pay_link(booking_id, _me().id)
    except AppError as error:
        if error.code in ("forbidden", "not_found"):
            raise
        toast(_explain(error, page), "error")
        return redirect(url_for("booking_pages.booking", booking_id=booking_id), 303)
    return redirect(url, 303)


@bp.route("/bookings/<id:booking_id>/paid")
@login_required
def paid(booking_id: int):
    """Back from Stripe Checkout: the payment counts once Stripe confirms it (the webhook,
    or asking Stripe here); until then the booking says "processing"."""
    page = booking_views.booking_page(_me(), booking_id)  # the 404 of a stranger first
    if page.actor == "client":  # only the payer comes back from Checkout
        payments.returned_from_checkout(booking_id)
        page = booking_views.booking_page(_me(), booking_id)
    if page.booking.amount_paid:
        toast("Payment received: you're booked.")
    else:
        toast("Payment processing: this page updates as soon as Stripe confirms it.")
    return redirect(url_for("booking_pages.booking", booking_id=page.booking.id), 303)


@bp.route("/bookings/<id:booking_id>/checkout-cancelled")
@login_required
def checkout_cancelled(booking_id: int):
    """Back from Stripe without paying: pay again, or cancel to release the time."""
    page = booking_views.booking_page(_me(), booking_id)
    if "pay" in page.actions:
        toast("Not paid yet. Pay now to keep this time, or cancel to release it.")
    return redirect(url_for("booking_pages.booking", booking_id=booking_id), 303)


# --- how an action answers -----------------------------------------------------------


def _act(booking_id: int, action: str, form, run, template: str | None = None):
    """Check the viewer may make the move (the 404 of a stranger first), validate the
    form, call the service; answer with the new state, or say why nothing changed. A GET
    of an action with a ``template`` asks first (the confirmation or the time picker)."""
    if request.method == "GET":
        return _confirm(booking_id, action, form, template)
    user = _me()
    page = booking_views.booking_page(user, booking_id)
    try:
        booking_views.require_action(page, action)
        if not form.validate():
            return _form_refused(form, page, template)
        message = run(user, page)
    except AppError as error:
        if error.code in ("forbidden", "not_found"):
            raise
        if template is not None and error.code in FORM_ERRORS:
            _attach(form, error)
            return _dialog(template, page, form, request.form, STATUS_BY_CODE[error.code])
        return _current(user, booking_id, form.where(), _explain(error, page), error.code)
    toast(message)
    if not is_htmx():
        if form.where() == "dashboard":
            return redirect(url_for("pages.dashboard"), 303)
        return redirect(url_for("booking_pages.booking", booking_id=booking_id), 303)
    return _fresh(user, booking_id, form.where())


def _form_refused(form, page, template: str | None):
    if template is not None:
        return _dialog(template, page, form, request.form, 400)
    messages = [m for field_messages in form.errors.values() for m in field_messages]
    return _current(_me(), page.booking.id, form.where(), " ".join(messages), "validation_error")


def _current(user, booking_id: int, origin: str, message: str, code: str):
    """Nothing changed: say why, and show the booking as it is now."""
    toast(message, "error")
    status = STATUS_BY_CODE.get(code, 400)
    if is_htmx():
        return _fresh(user, booking_id, origin, status)
    page = booking_views.booking_page(user, booking_id)
    return render_page("bookings/page.html", status=status, page=page, b=page.booking)


def _fresh(user, booking_id: int, origin: str, status: int = 200):
    """The htmx answer: the booking's main section (or the dashboard's request row) as
    it is now, and the open dialog closed."""
    page = booking_views.booking_page(user, booking_id)
    context = {"page": page, "b": page.booking, "close_modal": True}
    if origin == "dashboard":
        body = render_template("bookings/_request.html", actions=page.actions, **context)
        return body, status
    return render_page("bookings/page.html", block="main", status=status, **context)


def _explain(error: AppError, page) -> str:
    if error.code == "invalid_transition" and error.message.startswith("A booking that is"):
        status = page.booking.status.replace("_", " ")
        return f"Nothing was changed: this booking is {status} now."
    return error.message


def _attach(form, error: AppError) -> None:
    """A service's per-field messages next to the form's fields (``times.1.start`` goes
    to ``times``, naming the time), the rest above the buttons."""
    placed = False
    for key, messages in (error.details or {}).items():
        name, _, rest = key.partition(".")
        field = getattr(form, name, None)
        if field is None or not isinstance(messages, list):
            continue
        index = rest.split(".")[0]
        if name == "times" and index.isdigit() and int(index) < len(form.moments):
            messages = [f"{date_and_time(form.moments[int(index)])}: {m}" for m in messages]
        field.errors = [*field.errors, *messages]
        placed = True
    if not placed:
        form.form_errors.append(error.message)


# --- confirmations and pickers ---------------------------------------------------------


def _confirm(booking_id: int, action: str, form, template: str):
    """The dialog (htmx) or page that asks before an action, or offers its times."""
    page = booking_views.booking_page(_me(), booking_id)
    booking_views.require_action(page, action)
    form.origin.data = request.args.get("origin", "page")
    return _dialog(template, page, form, request.args)


def _dialog(template: str, page, form, source, status: int = 200):
    """The confirmation with its form (and, for suggest and reschedule, the picker of
    free times from ``source``'s ``day``). An htmx post answers with the form alone, put
    in place of the one sent; ``part=picker`` pages just the picker."""
    query = forms.PickerQuery(source)
    if not query.validate():
        status = 400
    picker = None
    if template in ("bookings/suggest.html", "bookings/reschedule.html"):
        day = query.day.data if not query.day.errors else None
        picker = booking_views.free_starts(page.booking, viewer_zone(), day)
    context = {
        "page": page,
        "b": page.booking,
        "form": form,
        "origin": form.where(),
        "query": query,
        "picker": picker,
        "picked": query.picked(source),
        "as_dialog": is_htmx(),
    }
    if is_htmx() and request.method == "POST":
        response = render_page(template, block="form", status=status, **context)
        response.headers["HX-Retarget"] = "#bk-form"
        response.headers["HX-Reswap"] = "outerHTML"
        return response
    block = "picker" if source.get("part") == "picker" and picker else "dialog"
    return render_page(template, block=block, status=status, **context)
