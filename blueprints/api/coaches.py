"""GET /api/coaches/:slug: a coach's profile and active session types, as the viewer may
see, and the profile's response schema."""

from __future__ import annotations

from flask_login import current_user
from marshmallow import fields

from blueprints.api.common import (
    OutSchema,
    SessionTypeOut,
    out_enum,
    out_int,
    out_list,
    out_nested,
    out_str,
)
from blueprints.api.docs import OPTIONAL_BEARER, Blueprint
from domain.visibility import PRIVACY_VALUES
from services import catalog, connections
from services.visibility import require_calendar_view


class CoachOut(OutSchema):
    """A coach's public profile, dumped from ``(coach, active session types)``."""

    id = out_int()
    name = out_str()
    slug = out_str()
    timezone = out_str()
    currency = out_str()
    calendar_privacy = out_enum(PRIVACY_VALUES)
    session_types = out_list(fields.Nested(SessionTypeOut))

    def get_attribute(self, obj, attr, default):
        coach, session_types = obj
        return session_types if attr == "session_types" else getattr(coach, attr, default)


class CoachEnvelopeOut(OutSchema):
    coach = out_nested(CoachOut)


blp = Blueprint("api_coaches", __name__, url_prefix="/api/coaches", description="Coaches")


@blp.route("/<string(minlength=3, maxlength=64):slug>", methods=["GET"])
@blp.response(200, CoachEnvelopeOut)
@blp.errors(404)
@blp.doc(security=OPTIONAL_BEARER)
def show(slug: str):
    """The coach behind a slug; 404 when the calendar is not yours to see."""
    coach = connections.find_coach_by_slug(slug)
    coach = require_calendar_view(current_user, coach)
    return {"coach": (coach, catalog.active_session_types(coach))}
