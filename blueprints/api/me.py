"""GET/PATCH /api/me: the caller's own profile and settings; POST /api/me/password.
With the profile and password request schemas and the ``{user}`` answer."""

from __future__ import annotations

from decimal import Decimal

from flask import g
from flask_login import current_user
from marshmallow import ValidationError, fields, validate, validates

from blueprints.api.common import (
    BaseSchema,
    OutSchema,
    UserOut,
    no_content,
    out_nested,
    timezone_name,
)
from blueprints.api.docs import BEARER, Blueprint
from blueprints.security import api_login_required, auth_rate_limits, bearer_token
from domain.currencies import is_valid_currency
from domain.origins import normalise_origin
from domain.slugs import is_valid_slug
from domain.visibility import PRIVACY_VALUES
from services import accounts, feeds


class PasswordChangeSchema(BaseSchema):
    current_password = fields.String(required=True, validate=validate.Length(min=1, max=200))
    new_password = fields.String(required=True, validate=validate.Length(min=8, max=200))


class ProfileSchema(BaseSchema):
    name = fields.String(validate=validate.Length(min=1, max=120))
    timezone = fields.String(validate=timezone_name)
    slug = fields.String(validate=validate.Length(max=64))
    calendar_privacy = fields.String(validate=validate.OneOf(PRIVACY_VALUES))
    currency = fields.String(validate=validate.Length(equal=3))
    vat_rate = fields.Decimal(places=None, allow_nan=False)
    embed_domains = fields.List(
        fields.String(validate=validate.Length(max=300)), validate=validate.Length(max=20)
    )

    @validates("slug")
    def _slug(self, value: str, **_kwargs) -> None:
        if not is_valid_slug(value):
            raise ValidationError("Use 3-64 lower-case letters, digits and single hyphens.")

    @validates("currency")
    def _currency(self, value: str, **_kwargs) -> None:
        if not is_valid_currency(value):
            raise ValidationError("Not an ISO 4217 currency code such as EUR.")

    @validates("vat_rate")
    def _vat_rate(self, value: Decimal, **_kwargs) -> None:
        if not (Decimal(0) <= value < Decimal(1)) or value.as_tuple().exponent < -4:
            raise ValidationError("A rate from 0 to below 1 with at most 4 decimals, e.g. 0.19.")

    @validates("embed_domains")
    def _origins(self, value: list[str], **_kwargs) -> None:
        errors = {}
        for index, origin in enumerate(value):
            try:
                normalise_origin(origin)
            except ValueError as exc:
                errors[index] = [str(exc)]
        if errors:
            raise ValidationError(errors)


class UserEnvelopeOut(OutSchema):
    user = out_nested(UserOut)


blp = Blueprint("api_me", __name__, url_prefix="/api/me", description="Your profile")


@blp.route("", methods=["GET"])
@api_login_required
@blp.response(200, UserEnvelopeOut)
@blp.errors(401)
@blp.doc(security=BEARER)
def show():
    """The signed-in user."""
    return {"user": current_user._get_current_object()}


@blp.route("", methods=["PATCH"])
@api_login_required
@blp.arguments(ProfileSchema)
@blp.response(200, UserEnvelopeOut)
@blp.errors(400, 401, 403, 409, 415)
@blp.doc(security=BEARER)
def update(changes: dict):
    """Change name, time zone and, for coaches, slug, privacy, currency, VAT and embeds.

    Omitted fields keep their values: ``{}`` changes nothing and answers the profile."""
    user = accounts.update_profile(current_user._get_current_object(), changes)
    return {"user": user}


class FeedOut(OutSchema):
    url = fields.String(required=True)


@blp.route("/feed", methods=["GET"])
@api_login_required
@blp.response(200, FeedOut)
@blp.errors(401)
@blp.doc(security=BEARER)
def feed():
    """Your private iCalendar feed URL (subscribe to it in a calendar app)."""
    return {"url": feeds.feed_url(current_user._get_current_object())}


@blp.route("/feed/rotate", methods=["POST"])
@api_login_required
@blp.response(200, FeedOut)
@blp.errors(401)
@blp.doc(security=BEARER)
def rotate_feed():
    """A new feed URL; the old one answers 404 from now on."""
    return {"url": feeds.rotate(current_user._get_current_object())}


@blp.route("/password", methods=["POST"])
@auth_rate_limits("password")
@api_login_required
@blp.arguments(PasswordChangeSchema)
@blp.response(204)
@blp.errors(400, 401, 415, 429)
@blp.doc(security=BEARER)
def change_password(data: dict):
    """Change your password; every other sign-in and bearer token of yours ends."""
    accounts.change_password(
        current_user._get_current_object(),
        data["current_password"],
        data["new_password"],
        keep_web_session=g.get("web_session_id"),
        keep_token=bearer_token(),
    )
    return no_content()
