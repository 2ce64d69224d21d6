"""IANA time-zone names."""

from __future__ import annotations

from datetime import UTC, datetime
from functools import cache
from zoneinfo import ZoneInfo, available_timezones


@cache
def _known_zones() -> frozenset[str]:
    return frozenset(available_timezones())


def is_valid_timezone(name: str) -> bool:
    """True for an IANA zone name such as ``Europe/Berlin`` (``UTC`` included)."""
    return isinstance(name, str) and name in _known_zones()


def zone(name: str) -> ZoneInfo:
    return ZoneInfo(name)


def timezone_names() -> list[str]:
    """All IANA zone names, sorted, for pickers."""
    return sorted(_known_zones())


def iso_utc(moment: datetime) -> str:
    """A datetime in UTC as ISO 8601 with ``Z``: how the API, forms and events write it."""
    return moment.astimezone(UTC).isoformat().replace("+00:00", "Z")
