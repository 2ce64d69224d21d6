"""The coach's session types and coupons."""

from __future__ import annotations

from flask import Blueprint, abort

bp = Blueprint("catalog_pages", __name__)


@bp.route("/coach/session-types")
def session_types(**_kwargs):
    abort(404)  # placeholder until the page is built


@bp.route("/coach/coupons")
def coupons():
    abort(404)  # placeholder until the page is built
