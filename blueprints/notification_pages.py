"""The notifications page."""

from __future__ import annotations

from flask import Blueprint, abort

bp = Blueprint("notification_pages", __name__)


@bp.route("/notifications")
def notifications(**_kwargs):
    abort(404)  # placeholder until the page is built
