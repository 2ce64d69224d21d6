"""One booking's page and the actions the status machine allows its viewer."""

from __future__ import annotations

from flask import Blueprint, abort

bp = Blueprint("booking_pages", __name__)


@bp.route("/bookings/<id:booking_id>")
def booking(**_kwargs):
    abort(404)  # placeholder until the page is built
