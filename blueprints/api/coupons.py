"""Coupons: a coach's discount codes (SPEC 5 and 8.1)."""

from __future__ import annotations

from flask_login import current_user
from flask_smorest import Blueprint

from blueprints.api.schemas import CouponPatchSchema, CouponSchema
from blueprints.api.serializers import coupon_json
from blueprints.security import api_login_required
from services import catalog

blp = Blueprint("api_coupons", __name__, url_prefix="/api/coupons", description="Coupons")


@blp.route("", methods=["GET"])
@api_login_required
def index():
    """The calling coach's coupons, newest first."""
    return {"items": [coupon_json(c) for c in catalog.list_coupons(current_user)]}


@blp.route("", methods=["POST"])
@api_login_required
@blp.arguments(CouponSchema)
def create(data: dict):
    """A new coupon: ``percent_off`` or ``amount_off``, optional validity and maximum."""
    return {"coupon": coupon_json(catalog.create_coupon(current_user, data))}, 201


@blp.route("/<int:coupon_id>", methods=["GET"])
@api_login_required
def show(coupon_id: int):
    return {"coupon": coupon_json(catalog.get_coupon(current_user, coupon_id))}


@blp.route("/<int:coupon_id>", methods=["PATCH"])
@api_login_required
@blp.arguments(CouponPatchSchema(partial=True))
def update(changes: dict, coupon_id: int):
    return {"coupon": coupon_json(catalog.update_coupon(current_user, coupon_id, changes))}


@blp.route("/<int:coupon_id>", methods=["DELETE"])
@api_login_required
def delete(coupon_id: int):
    catalog.delete_coupon(current_user, coupon_id)
    return "", 204
