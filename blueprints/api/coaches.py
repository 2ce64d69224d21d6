"""GET /api/coaches/:slug: a coach's profile and active session types, as the viewer may see."""

from __future__ import annotations

from flask_login import current_user
from flask_smorest import Blueprint
from sqlalchemy import select

from blueprints.api.serializers import coach_json
from extensions import db
from models import User
from services import catalog
from services.visibility import require_calendar_view

blp = Blueprint("api_coaches", __name__, url_prefix="/api/coaches", description="Coaches")


@blp.route("/<slug>", methods=["GET"])
def show(slug: str):
    """The coach behind a slug; 404 when the calendar is not yours to see."""
    coach = db.session.scalar(select(User).where(User.slug == slug.lower()[:64]))
    coach = require_calendar_view(current_user, coach)
    return {"coach": coach_json(coach, catalog.active_session_types(coach))}
