"""POST /api/auth/register, /login, /logout: bearer tokens for integrators; the
register and login schemas and the ``{user, token, expires_at}`` answer."""

from __future__ import annotations

from flask import current_app
from marshmallow import ValidationError, fields, validate, validates

from blueprints.api.common import (
    BaseSchema,
    OutSchema,
    UserOut,
    no_content,
    out_nested,
    out_str,
    out_time,
    timezone_name,
)
from blueprints.api.docs import BEARER, Blueprint
from blueprints.security import api_login_required, auth_rate_limits, bearer_token, sign_out
from extensions import csrf
from services import accounts


class RegisterSchema(BaseSchema):
    email = fields.Email(required=True, validate=validate.Length(max=254))
    password = fields.String(required=True, validate=validate.Length(min=8, max=200))
    name = fields.String(required=True, validate=validate.Length(min=1, max=120))
    role = fields.String(required=True, validate=validate.OneOf(("coach", "client")))
    timezone = fields.String(load_default="UTC", validate=timezone_name)

    @validates("name")
    def _name_not_blank(self, value: str, **_kwargs) -> None:
        if not value.strip():
            raise ValidationError("Enter your name.")


class LoginSchema(BaseSchema):
    email = fields.String(required=True, validate=validate.Length(min=1, max=254))
    password = fields.String(required=True, validate=validate.Length(min=1, max=200))


class AuthTokenOut(OutSchema):
    user = out_nested(UserOut)
    token = out_str(metadata={"description": "Send as `Authorization: Bearer <token>`."})
    expires_at = out_time()


blp = Blueprint("api_auth", __name__, url_prefix="/api/auth", description="Accounts and tokens")


@blp.route("/register", methods=["POST"])
@auth_rate_limits("register")
@blp.arguments(RegisterSchema)
@blp.response(201, AuthTokenOut)
@blp.errors(400, 409, 415, 429)
def register(data: dict):
    """Create an account; answers the user and a bearer token."""
    user = accounts.register_user(**data)
    return _with_token(user), 201


@blp.route("/login", methods=["POST"])
@auth_rate_limits("login")
@blp.arguments(LoginSchema)
@blp.response(200, AuthTokenOut)
@blp.errors(400, 401, 415, 429)
def login(data: dict):
    """Exchange e-mail and password for a bearer token."""
    user = accounts.authenticate(data["email"], data["password"])
    return _with_token(user), 200


@blp.route("/logout", methods=["POST"])
@api_login_required
@blp.response(204)
@blp.errors(400, 401)
@blp.doc(security=BEARER)
def logout():
    """Revoke the bearer token of this request."""
    token = bearer_token()
    if token:
        accounts.revoke_api_token(token)
    else:  # signed in through the web session: end it
        sign_out()
    return no_content()


def _with_token(user) -> dict:
    token, expires_at = accounts.issue_api_token(user)
    current_app.logger.info("issued API token for user %s", user.id)
    return {"user": user, "token": token, "expires_at": expires_at}


# Signing in or up acts on no existing session, so these need no CSRF token.
csrf.exempt("blueprints.api.auth.register")
csrf.exempt("blueprints.api.auth.login")
