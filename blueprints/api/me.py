"""GET/PATCH /api/me: the caller's own profile and settings; POST /api/me/password."""

from __future__ import annotations

from flask import g
from flask_login import current_user

from blueprints.api.docs import BEARER, Blueprint
from blueprints.api.responses import UserEnvelopeOut
from blueprints.api.schemas import PasswordChangeSchema, ProfileSchema
from blueprints.api.serializers import user_json
from blueprints.security import api_login_required, auth_rate_limits, bearer_token
from services import accounts

blp = Blueprint("api_me", __name__, url_prefix="/api/me", description="Your profile")


@blp.route("", methods=["GET"])
@api_login_required
@blp.response(200, UserEnvelopeOut)
@blp.errors(401)
@blp.doc(security=BEARER)
def show():
    """The signed-in user."""
    return {"user": user_json(current_user)}


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
    return {"user": user_json(user)}


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
    return "", 204
