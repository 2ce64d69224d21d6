"""Session types: a coach's offer (SPEC 8 and 8.1)."""

from __future__ import annotations

from flask_login import current_user

from blueprints.api.docs import BEARER, OPTIONAL_BEARER, Blueprint
from blueprints.api.responses import SessionTypeEnvelopeOut, SessionTypeListOut
from blueprints.api.schemas import SessionTypePatchSchema, SessionTypeSchema
from blueprints.api.serializers import session_type_json, session_type_values
from blueprints.security import api_login_required
from services import catalog

blp = Blueprint(
    "api_session_types", __name__, url_prefix="/api/session-types", description="Session types"
)


@blp.route("", methods=["GET"])
@api_login_required
@blp.response(200, SessionTypeListOut)
@blp.errors(401, 403)
@blp.doc(security=BEARER)
def index():
    """The calling coach's session types, inactive ones included."""
    return {"items": [session_type_json(st) for st in catalog.list_own_session_types(current_user)]}


@blp.route("", methods=["POST"])
@api_login_required
@blp.arguments(SessionTypeSchema)
@blp.response(201, SessionTypeEnvelopeOut)
@blp.errors(400, 401, 403, 415)
@blp.doc(security=BEARER)
def create(data: dict):
    """Offer a new session type; omitted fields take the SPEC defaults."""
    session_type = catalog.create_session_type(current_user, session_type_values(data))
    return {"session_type": session_type_json(session_type)}, 201


@blp.route("/<id:session_type_id>", methods=["GET"])
@blp.response(200, SessionTypeEnvelopeOut)
@blp.errors(404)
@blp.doc(security=OPTIONAL_BEARER)
def show(session_type_id: int):
    """One session type: any of the owner's, or an active one on a calendar you may see."""
    session_type = catalog.get_session_type(current_user, session_type_id)
    return {"session_type": session_type_json(session_type)}


@blp.route("/<id:session_type_id>", methods=["PATCH"])
@api_login_required
@blp.arguments(SessionTypePatchSchema(partial=True))
@blp.response(200, SessionTypeEnvelopeOut)
@blp.errors(400, 401, 403, 404, 415)
@blp.doc(security=BEARER)
def update(changes: dict, session_type_id: int):
    """Change some fields; the result is validated whole."""
    session_type = catalog.update_session_type(
        current_user, session_type_id, session_type_values(changes)
    )
    return {"session_type": session_type_json(session_type)}


@blp.route("/<id:session_type_id>", methods=["DELETE"])
@api_login_required
@blp.response(204)
@blp.errors(400, 401, 403, 404)
@blp.doc(security=BEARER)
def delete(session_type_id: int):
    """Stop offering it; existing bookings keep it."""
    catalog.delete_session_type(current_user, session_type_id)
    return "", 204
