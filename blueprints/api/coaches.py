"""GET /api/coaches/:slug: a coach's profile and active session types, as the viewer may see."""

from __future__ import annotations

from flask_login import current_user

from blueprints.api.docs import OPTIONAL_BEARER, Blueprint
from blueprints.api.responses import CoachEnvelopeOut
from blueprints.api.serializers import coach_json
from services import catalog, connections
from services.visibility import require_calendar_view

blp = Blueprint("api_coaches", __name__, url_prefix="/api/coaches", description="Coaches")


@blp.route("/<string(minlength=3, maxlength=64):slug>", methods=["GET"])
@blp.response(200, CoachEnvelopeOut)
@blp.errors(404)
@blp.doc(security=OPTIONAL_BEARER)
def show(slug: str):
    """The coach behind a slug; 404 when the calendar is not yours to see."""
    coach = connections.find_coach_by_slug(slug)
    coach = require_calendar_view(current_user, coach)
    return {"coach": coach_json(coach, catalog.active_session_types(coach))}
