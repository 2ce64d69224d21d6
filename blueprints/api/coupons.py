"""Coupons: a coach's discount codes (SPEC 5 and 8.1), with their request and response
schemas."""

from __future__ import annotations

from flask_login import current_user
from marshmallow import fields, validate

from blueprints.api.common import (
    MAX_AMOUNT,
    BaseSchema,
    Moment,
    OutSchema,
    no_content,
    out_int,
    out_list,
    out_nested,
    out_str,
    out_time,
    strict_int,
)
from blueprints.api.docs import BEARER, Blueprint
from blueprints.security import api_login_required
from services import catalog


class CouponSchema(BaseSchema):
    code = fields.String(required=True, validate=validate.Length(min=2, max=40))
    percent_off = strict_int(1, 100, allow_none=True)
    amount_off = strict_int(1, MAX_AMOUNT, allow_none=True)
    valid_from = Moment(allow_none=True)
    valid_until = Moment(allow_none=True)
    max_redemptions = strict_int(1, 1_000_000, allow_none=True)


class CouponPatchSchema(CouponSchema):
    """PATCH: every field optional."""


class CouponOut(OutSchema):
    """A coupon; ``amount_off`` is in the coach's currency."""

    id = out_int()
    code = out_str()
    percent_off = fields.Integer(required=True, allow_none=True)
    amount_off = fields.Integer(required=True, allow_none=True)
    currency = out_str(attribute="coach.currency")
    valid_from = out_time(allow_none=True)
    valid_until = out_time(allow_none=True)
    max_redemptions = fields.Integer(required=True, allow_none=True)
    redemptions = out_int(attribute="redemption_count")


class CouponEnvelopeOut(OutSchema):
    coupon = out_nested(CouponOut)


class CouponListOut(OutSchema):
    items = out_list(fields.Nested(CouponOut))


blp = Blueprint("api_coupons", __name__, url_prefix="/api/coupons", description="Coupons")


@blp.route("", methods=["GET"])
@api_login_required
@blp.response(200, CouponListOut)
@blp.errors(401, 403)
@blp.doc(security=BEARER)
def index():
    """The calling coach's coupons, newest first."""
    return {"items": catalog.list_coupons(current_user)}


@blp.route("", methods=["POST"])
@api_login_required
@blp.arguments(CouponSchema)
@blp.response(201, CouponEnvelopeOut)
@blp.errors(400, 401, 403, 409, 415)
@blp.doc(security=BEARER)
def create(data: dict):
    """A new coupon: ``percent_off`` or ``amount_off``, optional validity and maximum."""
    return {"coupon": catalog.create_coupon(current_user, data)}, 201


@blp.route("/<id:coupon_id>", methods=["GET"])
@api_login_required
@blp.response(200, CouponEnvelopeOut)
@blp.errors(401, 403, 404)
@blp.doc(security=BEARER)
def show(coupon_id: int):
    """One of the calling coach's coupons."""
    return {"coupon": catalog.get_coupon(current_user, coupon_id)}


@blp.route("/<id:coupon_id>", methods=["PATCH"])
@api_login_required
@blp.arguments(CouponPatchSchema(partial=True))
@blp.response(200, CouponEnvelopeOut)
@blp.errors(400, 401, 403, 404, 409, 415)
@blp.doc(security=BEARER)
def update(changes: dict, coupon_id: int):
    """Change some fields; the result is validated whole."""
    return {"coupon": catalog.update_coupon(current_user, coupon_id, changes)}


@blp.route("/<id:coupon_id>", methods=["DELETE"])
@api_login_required
@blp.response(204)
@blp.errors(400, 401, 403, 404)
@blp.doc(security=BEARER)
def delete(coupon_id: int):
    """Withdraw a coupon; bookings that used it keep their price."""
    catalog.delete_coupon(current_user, coupon_id)
    return no_content()
