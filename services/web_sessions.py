"""Browser sign-ins (web sessions): start, resolve, rotate, list and end them.

A sign-in is a ``WebSession`` row; the cookies carry only its random secret. Ending the
row (logout, a password change, "sign out" on the settings page) signs out every copy of
those cookies at once. A sign-in expires after a stretch without use: a day, or 30 days
with "keep me signed in"; each use (checked at most every few minutes) extends it.
"""

from __future__ import annotations

import hashlib
import logging
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import bindparam, or_, select, update

from domain.errors import not_found
from extensions import db
from models import User, WebSession
from models.types import utcnow
from services.transactions import write_transaction

logger = logging.getLogger(__name__)

IDLE_LIFETIME = timedelta(hours=24)
REMEMBER_LIFETIME = timedelta(days=30)
# How often a used sign-in records its use (and extends its expiry): not on every request.
TOUCH_INTERVAL = timedelta(minutes=5)
# After a rotation the replaced secret still works this long (tabs restored at once).
ROTATION_GRACE = timedelta(seconds=60)
SECRET_PREFIX = "ws."


@dataclass(frozen=True)
class SignIn:
    """What a request learned about its sign-in: the user, the session row's id, and
    whether the cookie held the current secret (not the one a rotation replaced)."""

    user: User
    session_id: int
    current: bool


def lifetime(remember: bool) -> timedelta:
    return REMEMBER_LIFETIME if remember else IDLE_LIFETIME


def start(
    user: User, *, remember: bool, user_agent: str = "", ip_address: str = "", now=None
) -> str:
    """A new sign-in for ``user``; returns the secret the cookies will carry."""
    now = now or utcnow()
    secret = _new_secret()
    with write_transaction():
        db.session.add(
            WebSession(
                user_id=user.id,
                token_hash=_digest(secret),
                remember=remember,
                user_agent=(user_agent or "")[:255],
                ip_address=(ip_address or "")[:45],
                created_at=now,
                last_seen_at=now,
                expires_at=now + lifetime(remember),
            )
        )
    logger.info("user %s signed in on the web", user.id)
    return secret


# Built once: this runs on every signed-in page view.
_SESSION_USER = (
    select(WebSession, User)
    .join(User, User.id == WebSession.user_id)
    .where(
        or_(
            WebSession.token_hash == bindparam("token_hash"),
            WebSession.previous_hash == bindparam("token_hash"),
        ),
        WebSession.revoked_at.is_(None),
    )
)


def resolve(secret: str, now: datetime | None = None) -> SignIn | None:
    """The live sign-in behind a cookie's secret, else None (ended, expired, unknown)."""
    if not isinstance(secret, str) or not secret.startswith(SECRET_PREFIX) or len(secret) > 100:
        return None
    now = now or utcnow()
    digest = _digest(secret)
    row = db.session.execute(_SESSION_USER, {"token_hash": digest}).first()
    if row is None:
        return None
    web_session, user = row
    if web_session.expires_at <= now or not user.is_active:
        return None
    if web_session.token_hash != digest and (
        web_session.rotated_at is None or web_session.rotated_at + ROTATION_GRACE <= now
    ):
        return None  # a replaced secret, past its grace: a stolen copy, or a very old tab
    if now - web_session.last_seen_at >= TOUCH_INTERVAL:
        _touch(web_session.id, web_session.remember, now)
    return SignIn(user, web_session.id, web_session.token_hash == digest)


def rotate(session_id: int, now: datetime | None = None) -> str:
    """A new secret for the sign-in (the remember cookie was used); the old one fades."""
    now = now or utcnow()
    secret = _new_secret()
    with write_transaction():
        db.session.execute(
            update(WebSession)
            .where(WebSession.id == session_id, WebSession.revoked_at.is_(None))
            .values(
                previous_hash=WebSession.token_hash,
                token_hash=_digest(secret),
                rotated_at=now,
            )
        )
    return secret


def end(session_id: int, now: datetime | None = None) -> None:
    """Sign this sign-in out everywhere its cookies were copied."""
    with write_transaction():
        db.session.execute(
            update(WebSession)
            .where(WebSession.id == session_id, WebSession.revoked_at.is_(None))
            .values(revoked_at=now or utcnow())
        )


def end_for_user(user: User, session_id: int) -> None:
    """The settings page's "sign out" of one of the user's own sign-ins (404 otherwise)."""
    web_session = db.session.get(WebSession, session_id)
    if web_session is None or web_session.user_id != user.id or web_session.revoked_at:
        raise not_found("session")
    end(session_id)
    logger.info("user %s ended web session %s", user.id, session_id)


def end_all(user_id: int, *, keep: int | None = None, now: datetime | None = None) -> int:
    """End every live sign-in of the user except ``keep``; the caller commits."""
    query = update(WebSession).where(WebSession.user_id == user_id, WebSession.revoked_at.is_(None))
    if keep is not None:
        query = query.where(WebSession.id != keep)
    return db.session.execute(query.values(revoked_at=now or utcnow())).rowcount


def live_sessions(user: User, now: datetime | None = None) -> list[WebSession]:
    """The user's signed-in browsers, most recently used first (for the settings page)."""
    now = now or utcnow()
    return list(
        db.session.scalars(
            select(WebSession)
            .where(
                WebSession.user_id == user.id,
                WebSession.revoked_at.is_(None),
                WebSession.expires_at > now,
            )
            .order_by(WebSession.last_seen_at.desc(), WebSession.id.desc())
        )
    )


def _touch(session_id: int, remember: bool, now: datetime) -> None:
    with write_transaction():
        db.session.execute(
            update(WebSession)
            .where(WebSession.id == session_id)
            .values(last_seen_at=now, expires_at=now + lifetime(remember))
        )


def _new_secret() -> str:
    return SECRET_PREFIX + secrets.token_urlsafe(32)


def _digest(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()
