"""GET /api/coaches/:slug: a coach's profile and active session types, as the viewer may see."""

from __future__ import annotations

from flask_login import current_user
from sqlalchemy import select

from blueprints.api.docs import OPTIONAL_BEARER, Blueprint
from blueprints.api.responses import CoachEnvelopeOut
from blueprints.api.serializers import coach_json
from domain.errors import not_found
from extensions import db
from models import User
from services import catalog
from services.visibility import require_calendar_view

blp = Blueprint("api_coaches", __name__, url_prefix="/api/coaches", description="Coaches")


@blp.route("/<string(minlength=3, maxlength=64):slug>", methods=["GET"])
@blp.response(200, CoachEnvelopeOut)
@blp.errors(404)
@blp.doc(security=OPTIONAL_BEARER)
def show(slug: str):
    """The coach behind a slug; 404 when the calendar is not yours to see."""
    if "\x00" in slug:  # no slug has one, and PostgreSQL refuses it in a query (a 500)
        raise not_found("calendar")
    coach = db.session.scalar(select(User).where(User.slug == slug.lower()[:64]))
    coach = require_calendar_view(current_user, coach)
    return {"coach": coach_json(coach, catalog.active_session_types(coach))}
