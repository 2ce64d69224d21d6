"""The one question every calendar route, fragment, socket room and feed asks."""

from __future__ import annotations

from domain.errors import not_found
from domain.visibility import may_view_calendar
from models import User
from services.connections import connection_between


def viewer_id_of(viewer) -> int | None:
    """The id of a signed-in viewer; None for a visitor (anonymous or missing)."""
    if viewer is None or not getattr(viewer, "is_authenticated", False):
        return None
    return viewer.id


def can_view_calendar(viewer, coach: User) -> bool:
    """May this viewer (a User, an anonymous user or None) see this coach's calendar?"""
    if coach is None or not coach.is_coach or not coach.is_active:
        return False
    viewer_id = viewer_id_of(viewer)
    accepted = False
    # Only a "connected" calendar depends on the connection: skip the query otherwise.
    if coach.calendar_privacy == "connected":
        accepted = is_connected(viewer, coach)
    return may_view_calendar(
        viewer_id=viewer_id,
        owner_id=coach.id,
        privacy=coach.calendar_privacy,
        connection_accepted=accepted,
    )


def require_calendar_view(viewer, coach: User | None) -> User:
    """The coach if the viewer may see the calendar; else 404, so nothing is revealed."""
    if coach is None or not can_view_calendar(viewer, coach):
        raise not_found("calendar")
    return coach


def is_connected(viewer, coach: User) -> bool:
    """Has this signed-in viewer (not the coach) an accepted connection with the coach?"""
    viewer_id = viewer_id_of(viewer)
    if viewer_id is None or viewer_id == coach.id:
        return False
    connection = connection_between(viewer_id, coach.id)
    return connection is not None and connection.status == "accepted"
