"""POST /api/auth/register, /login, /logout: bearer tokens for integrators."""

from __future__ import annotations

from flask import current_app

from blueprints.api.docs import BEARER, Blueprint
from blueprints.api.responses import AuthTokenOut
from blueprints.api.schemas import LoginSchema, RegisterSchema
from blueprints.api.serializers import iso, user_json
from blueprints.security import api_login_required, auth_rate_limits, bearer_token, sign_out
from extensions import csrf
from services import accounts

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
    return "", 204


def _with_token(user) -> dict:
    token, expires_at = accounts.issue_api_token(user)
    current_app.logger.info("issued API token for user %s", user.id)
    return {"user": user_json(user), "token": token, "expires_at": iso(expires_at)}


# Signing in or up acts on no existing session, so these need no CSRF token.
csrf.exempt("blueprints.api.auth.register")
csrf.exempt("blueprints.api.auth.login")
