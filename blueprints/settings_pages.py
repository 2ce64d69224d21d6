"""The signed-in user's settings and sign-ins."""

from __future__ import annotations

from flask import Blueprint, abort

bp = Blueprint("settings_pages", __name__)


@bp.route("/settings")
def settings(**_kwargs):
    abort(404)  # placeholder until the page is built
