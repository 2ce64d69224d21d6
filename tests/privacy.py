"""The calendar-visibility truth table of SPEC section 4, written out once for every test
that checks who may see a calendar (the pure rule, the service over real rows, the API's
404-or-403 matrix)."""

from __future__ import annotations

PRIVACIES = ("public", "connected", "private")

# viewer -> may see a (public, connected, private) calendar. A pending or declined
# connection is not an accepted one.
TRUTH_TABLE = {
    "owner": (True, True, True),
    "signed-out visitor": (True, False, False),
    "unconnected client": (True, False, False),
    "connected client": (True, True, False),
    "other coach, unconnected": (True, False, False),
    "other coach, connected": (True, True, False),
    "client with a pending connection": (True, False, False),
    "client with a declined connection": (True, False, False),
}


def may_see(viewer: str, privacy: str) -> bool:
    return TRUTH_TABLE[viewer][PRIVACIES.index(privacy)]
