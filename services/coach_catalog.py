"""The coach's own session types, as the coach's pages reach them.

The pages at /coach/session-types are the owner's tools: a session type that is not the
caller's answers 404 there whatever the calendar's privacy (the API's read of another
coach's visible type is ``catalog.get_session_type``). Writes go through ``catalog``, so
the validation is the API's.
"""

from __future__ import annotations

from domain.errors import not_found
from extensions import db
from models import SessionType, User
from services import catalog


def own_session_type(coach: User, session_type_id: int) -> SessionType:
    """One of the coach's session types (not deleted); 403 for clients, else 404."""
    catalog.require_coach(coach)
    session_type = db.session.get(SessionType, session_type_id)
    if (
        session_type is None
        or session_type.coach_id != coach.id
        or session_type.deleted_at is not None
    ):
        raise not_found("session type")
    return session_type


def update_own_session_type(coach: User, session_type_id: int, changes: dict) -> SessionType:
    """``catalog.update_session_type`` for the coach's own type only."""
    own_session_type(coach, session_type_id)
    return catalog.update_session_type(coach, session_type_id, changes)
