"""The booking modal: a new booking's form, its live price and its confirmation."""

from __future__ import annotations

from flask import Blueprint, abort

bp = Blueprint("booking_modal", __name__)


@bp.route("/coaches/<slug>/book")
def new_booking(**_kwargs):
    abort(404)  # placeholder until the page is built
