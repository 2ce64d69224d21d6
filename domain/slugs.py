"""URL slugs for coaches' public pages."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterator

SLUG_PATTERN = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")
MAX_SLUG_LENGTH = 64
RESERVED_SLUGS = frozenset({"new", "edit", "admin", "api", "static", "embed", "me"})


def slugify(text: str) -> str:
    """``"Anna Müller"`` → ``"anna-muller"``; empty input gives ``"coach"``."""
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    slug = re.sub(r"[^a-z0-9]+", "-", ascii_text.lower()).strip("-")
    return slug[:48].strip("-") or "coach"


def slug_candidates(text: str) -> Iterator[str]:
    """``anna``, ``anna-2``, ``anna-3``, … for picking the first free one.

    The bare name is skipped when it is reserved or too short (``al`` → ``al-2``), so
    every candidate passes ``is_valid_slug`` and can be saved again through the API.
    """
    base = slugify(text)
    if is_valid_slug(base):
        yield base
    n = 2
    while True:
        yield f"{base}-{n}"
        n += 1


def is_valid_slug(slug: str) -> bool:
    return (
        isinstance(slug, str)
        and 3 <= len(slug) <= MAX_SLUG_LENGTH
        and bool(SLUG_PATTERN.match(slug))
        and slug not in RESERVED_SLUGS
    )
