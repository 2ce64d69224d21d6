"""Private iCalendar feeds (SPEC 11): ``/calendar/<token>.ics`` with a user's sessions.

A feed token is an ``api_token`` row of scope ``feed``: only its SHA-256 is stored, as for
bearer tokens, but the settings page must show the URL again whenever asked, so the
token is derived rather than random: an HMAC, under the app's ``SECRET_KEY``, of the
row's id and creation time. Someone holding a copy of the database cannot rebuild it;
rotating revokes the row (the old URL is a 404 from then on) and makes a new one.

The feed holds the user's confirmed and completed sessions from ``PAST`` ago on, and
those cancelled or expired in that time as STATUS:CANCELLED (so a calendar that had them
removes them). One VEVENT per booking with the booking's stable UID and SEQUENCE
(``services.ics``). The answer carries an ETag and Last-Modified: calendar apps poll,
and an unchanged feed costs them a 304.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from datetime import datetime, timedelta

from flask import current_app
from sqlalchemy import or_, select, update
from sqlalchemy.orm import joinedload

from extensions import db
from models import ApiToken, Booking, User
from models.types import utcnow
from services import ics
from services.accounts import user_for_token
from services.transactions import write_transaction

PAST = timedelta(days=30)
HELD = ("confirmed", "completed")
ENDED = ("cancelled_by_client", "cancelled_by_coach", "expired")


def feed_url(user: User) -> str:
    """The user's feed URL (a token is made the first time)."""
    return _url(_derive(_live_row(user) or _new_row(user)))


def rotate(user: User) -> str:
    """Revoke the user's feed URL and give a new one."""
    with write_transaction():
        db.session.execute(
            update(ApiToken)
            .where(
                ApiToken.user_id == user.id,
                ApiToken.scope == "feed",
                ApiToken.revoked_at.is_(None),
            )
            .values(revoked_at=utcnow())
        )
    return _url(_derive(_new_row(user)))


def owner_of(token: str) -> User | None:
    """The user of a live feed token; None for a malformed, unknown or revoked one."""
    if not token or len(token) != 64 or any(c not in "0123456789abcdef" for c in token):
        return None
    return user_for_token(token, scope="feed")


def feed(user: User, now: datetime | None = None) -> tuple[bytes, datetime | None]:
    """The feed's bytes and when its content last changed."""
    now = now or utcnow()
    since = now - PAST
    bookings = list(
        db.session.scalars(
            select(Booking)
            .options(
                joinedload(Booking.coach),
                joinedload(Booking.client),
                joinedload(Booking.session_type),
            )
            .where(
                or_(Booking.coach_id == user.id, Booking.client_id == user.id),
                Booking.end_at >= since,
                or_(
                    Booking.status.in_(HELD),
                    Booking.status.in_(ENDED) & (Booking.updated_at >= since),
                ),
            )
            .order_by(Booking.start_at, Booking.id)
        )
    )
    events = [ics.booking_event(b, user.id) for b in bookings]
    name = f"Coachbook: {user.name}"
    body = ics.calendar(events, name=name).to_ical()
    changed = max((b.updated_at for b in bookings), default=None)
    return body, changed


def etag(body: bytes) -> str:
    return hashlib.sha256(body).hexdigest()[:32]


def booking_ics(booking: Booking, viewer_id: int) -> bytes:
    """One booking as an ``.ics`` file to download (no METHOD: an event to add)."""
    return ics.calendar([ics.booking_event(booking, viewer_id)]).to_ical()


def _live_row(user: User) -> ApiToken | None:
    return db.session.scalar(
        select(ApiToken)
        .where(
            ApiToken.user_id == user.id,
            ApiToken.scope == "feed",
            ApiToken.revoked_at.is_(None),
        )
        .order_by(ApiToken.id.desc())
        .limit(1)
    )


def _new_row(user: User) -> ApiToken:
    with write_transaction(keep_loaded=True):
        # Whole seconds: the time is part of the token, and must read back the same.
        now = utcnow().replace(microsecond=0)
        placeholder = f"pending-{secrets.token_hex(24)}"  # unique until the id is known
        row = ApiToken(user_id=user.id, token_hash=placeholder, scope="feed", created_at=now)
        db.session.add(row)
        db.session.flush()
        row.token_hash = hashlib.sha256(_derive(row).encode()).hexdigest()
    return row


def _derive(row: ApiToken) -> str:
    key = current_app.config["SECRET_KEY"].encode()
    message = f"feed:{row.id}:{row.user_id}:{int(row.created_at.timestamp())}".encode()
    return hmac.new(key, message, hashlib.sha256).hexdigest()


def _url(token: str) -> str:
    return f"{current_app.config['BASE_URL'].rstrip('/')}/calendar/{token}.ics"
