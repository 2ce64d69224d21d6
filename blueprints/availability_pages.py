"""The coach's availability editor."""

from __future__ import annotations

from flask import Blueprint, abort

bp = Blueprint("availability_pages", __name__)


@bp.route("/coach/availability")
def availability(**_kwargs):
    abort(404)  # placeholder until the page is built
