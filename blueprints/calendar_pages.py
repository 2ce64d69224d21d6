"""A coach's calendar page (month, week, day) and its fragments."""

from __future__ import annotations

from flask import Blueprint, abort

bp = Blueprint("calendar_pages", __name__)


@bp.route("/coaches/<slug>")
def coach_calendar(**_kwargs):
    abort(404)  # placeholder until the page is built
