"""The landing page and the signed-in user's dashboard."""

from __future__ import annotations

from flask import Blueprint, flash, redirect, url_for
from flask_login import current_user, login_required

from blueprints.forms import ConnectForm
from blueprints.rendering import render_page
from domain.errors import AppError
from services import booking_views, catalog, connections
from services import earnings as earnings_service

bp = Blueprint("pages", __name__)


@bp.route("/")
def index():
    return render_page("pages/index.html")


@bp.route("/dashboard")
@login_required
def dashboard():
    user = current_user._get_current_object()
    all_connections = connections.list_connections(user)
    people = connections.people_in(all_connections, user.id)
    pending = [c for c in all_connections if c.status == "pending"]
    context = {
        "incoming": [c for c in pending if c.addressee_id == user.id],
        "outgoing": [c for c in pending if c.requester_id == user.id],
        "accepted": [c for c in all_connections if c.status == "accepted"],
        "people": people,
        "connect_form": ConnectForm(),
        "session_types": catalog.list_own_session_types(user) if user.is_coach else [],
        "sessions": booking_views.dashboard(user),
    }
    return render_page("pages/dashboard.html", **context)


@bp.route("/earnings")
@login_required
def earnings():
    """The coach's payments, refunds, platform fees and payouts (a client gets 403)."""
    return render_page(
        "pages/earnings.html",
        earnings=earnings_service.earnings(current_user._get_current_object()),
    )


@bp.route("/connections", methods=["POST"])
@login_required
def request_connection():
    form = ConnectForm()
    if form.validate_on_submit():
        try:
            connections.request_by_slug(current_user._get_current_object(), form.coach_slug.data)
        except AppError as error:
            flash(_connection_message(error), "error")
        else:
            flash("Request sent. You will be notified when it is answered.", "success")
    else:
        flash("Enter the coach's address.", "error")
    return redirect(url_for("pages.dashboard"))


@bp.route("/connections/<id:connection_id>/<any(accept, decline):answer>", methods=["POST"])
@login_required
def answer_connection(connection_id: int, answer: str):
    connection = connections.respond_to_connection(
        current_user._get_current_object(), connection_id, accept=answer == "accept"
    )
    flash(f"Connection {connection.status}.", "success")
    return redirect(url_for("pages.dashboard"))


def _connection_message(error: AppError) -> str:
    if error.code == "not_found":
        return "There is no coach at that address."
    return error.message
