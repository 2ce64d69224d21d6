"""Connections: request, accept, decline, list (SPEC section 8), with their request and
response schemas."""

from __future__ import annotations

from flask_login import current_user
from marshmallow import fields, validate

from blueprints.api.common import (
    MAX_ID,
    BaseSchema,
    OutSchema,
    PageOut,
    PageQuerySchema,
    out_enum,
    out_int,
    out_list,
    out_nested,
    out_time,
    strict_int,
)
from blueprints.api.docs import BEARER, Blueprint
from blueprints.security import api_login_required
from domain.errors import validation_error
from models.users import CONNECTION_STATUSES
from services import connections


class ConnectionRequestSchema(BaseSchema):
    addressee_id = strict_int(1, MAX_ID)
    coach_slug = fields.String(validate=validate.Length(min=1, max=64))


class ConnectionListQuerySchema(PageQuerySchema):
    status = fields.String(validate=validate.OneOf(CONNECTION_STATUSES))


class ConnectionOut(OutSchema):
    id = out_int()
    requester_id = out_int()
    addressee_id = out_int()
    status = out_enum(CONNECTION_STATUSES)
    created_at = out_time()


class ConnectionEnvelopeOut(OutSchema):
    connection = out_nested(ConnectionOut)


class ConnectionListOut(PageOut):
    """Newest first; the cursor is the last connection's id."""

    items = out_list(fields.Nested(ConnectionOut))
    next_cursor = fields.Integer(required=True, allow_none=True)


blp = Blueprint(
    "api_connections", __name__, url_prefix="/api/connections", description="Connections"
)


@blp.route("", methods=["GET"])
@api_login_required
@blp.arguments(ConnectionListQuerySchema, location="query")
@blp.response(200, ConnectionListOut)
@blp.errors(400, 401)
@blp.doc(security=BEARER)
def index(query: dict):
    """The caller's connections, newest first; ``?status=`` filters, ``?cursor=`` pages."""
    items = connections.list_connections(
        current_user,
        status=query.get("status"),
        limit=query["limit"] + 1,
        before_id=query.get("cursor"),
    )
    return {"rows": items, "limit": query["limit"]}


@blp.route("", methods=["POST"])
@api_login_required
@blp.arguments(ConnectionRequestSchema)
@blp.response(201, ConnectionEnvelopeOut)
@blp.errors(400, 401, 404, 409, 415)
@blp.doc(security=BEARER)
def create(data: dict):
    """Ask a coach by ``coach_slug`` (public or connected calendars take requests), or by
    ``addressee_id`` someone you share a booking with; anyone else is a 404."""
    if ("addressee_id" in data) == ("coach_slug" in data):
        message = "Give addressee_id or coach_slug."
        raise validation_error({"addressee_id": [message], "coach_slug": [message]})
    if "addressee_id" in data:
        connection = connections.request_by_id(current_user, data["addressee_id"])
    else:
        connection = connections.request_by_slug(current_user, data["coach_slug"])
    return {"connection": connection}, 201


@blp.route("/<id:connection_id>/accept", methods=["POST"])
@api_login_required
@blp.response(200, ConnectionEnvelopeOut)
@blp.errors(400, 401, 403, 404, 409)
@blp.doc(security=BEARER)
def accept(connection_id: int):
    """The addressee accepts a pending request."""
    connection = connections.respond_to_connection(current_user, connection_id, accept=True)
    return {"connection": connection}


@blp.route("/<id:connection_id>/decline", methods=["POST"])
@api_login_required
@blp.response(200, ConnectionEnvelopeOut)
@blp.errors(400, 401, 403, 404, 409)
@blp.doc(security=BEARER)
def decline(connection_id: int):
    """The addressee declines a pending request."""
    connection = connections.respond_to_connection(current_user, connection_id, accept=False)
    return {"connection": connection}
