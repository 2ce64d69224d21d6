"""Coupons: a coach's discount codes (SPEC 5 and 8.1)."""

from __future__ import annotations

from flask_login import current_user

from blueprints.api.docs import BEARER, Blueprint
from blueprints.api.responses import CouponEnvelopeOut, CouponListOut
from blueprints.api.schemas import CouponPatchSchema, CouponSchema
from blueprints.api.serializers import coupon_json
from blueprints.security import api_login_required
from services import catalog

blp = Blueprint("api_coupons", __name__, url_prefix="/api/coupons", description="Coupons")


@blp.route("", methods=["GET"])
@api_login_required
@blp.response(200, CouponListOut)
@blp.errors(401, 403)
@blp.doc(security=BEARER)
def index():
    """The calling coach's coupons, newest first."""
    return {"items": [coupon_json(c) for c in catalog.list_coupons(current_user)]}


@blp.route("", methods=["POST"])
@api_login_required
@blp.arguments(CouponSchema)
@blp.response(201, CouponEnvelopeOut)
@blp.errors(400, 401, 403, 409, 415)
@blp.doc(security=BEARER)
def create(data: dict):
    """A new coupon: ``percent_off`` or ``amount_off``, optional validity and maximum."""
    return {"coupon": coupon_json(catalog.create_coupon(current_user, data))}, 201


@blp.route("/<id:coupon_id>", methods=["GET"])
@api_login_required
@blp.response(200, CouponEnvelopeOut)
@blp.errors(401, 403, 404)
@blp.doc(security=BEARER)
def show(coupon_id: int):
    """One of the calling coach's coupons."""
    return {"coupon": coupon_json(catalog.get_coupon(current_user, coupon_id))}


@blp.route("/<id:coupon_id>", methods=["PATCH"])
@api_login_required
@blp.arguments(CouponPatchSchema(partial=True))
@blp.response(200, CouponEnvelopeOut)
@blp.errors(400, 401, 403, 404, 409, 415)
@blp.doc(security=BEARER)
def update(changes: dict, coupon_id: int):
    """Change some fields; the result is validated whole."""
    return {"coupon": coupon_json(catalog.update_coupon(current_user, coupon_id, changes))}


@blp.route("/<id:coupon_id>", methods=["DELETE"])
@api_login_required
@blp.response(204)
@blp.errors(400, 401, 403, 404)
@blp.doc(security=BEARER)
def delete(coupon_id: int):
    """Withdraw a coupon; bookings that used it keep their price."""
    catalog.delete_coupon(current_user, coupon_id)
    return "", 204
