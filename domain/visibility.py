"""Who may see a coach's calendar (SPEC section 4, "Calendar visibility").

This is the rule; ``services.visibility.can_view_calendar`` is the one function that
routes, fragments, socket rooms and feeds call, and it feeds this rule from the database.
"""

from __future__ import annotations

from enum import StrEnum


class Privacy(StrEnum):
    PUBLIC = "public"
    CONNECTED = "connected"
    PRIVATE = "private"


PRIVACY_VALUES = tuple(p.value for p in Privacy)


def may_view_calendar(
    *,
    viewer_id: int | None,
    owner_id: int,
    privacy: str,
    connection_accepted: bool,
) -> bool:
    """True when the viewer may see the owner's calendar.

    The owner always; ``public``: everyone, signed out too; ``connected``: users with an
    accepted connection to the owner; ``private``: the owner only. An unknown privacy value
    shows nothing (fail closed).
    """
    if viewer_id is not None and viewer_id == owner_id:
        return True
    if privacy == Privacy.PUBLIC:
        return True
    if privacy == Privacy.CONNECTED:
        return viewer_id is not None and connection_accepted
    return False
