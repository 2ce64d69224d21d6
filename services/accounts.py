"""Accounts: registration, sign-in, bearer tokens and profile changes."""

from __future__ import annotations

import hashlib
import logging
import secrets
from datetime import datetime, timedelta
from decimal import Decimal

from flask import current_app
from sqlalchemy import bindparam, select, update
from werkzeug.security import check_password_hash, generate_password_hash

from domain.errors import AppError, validation_error
from domain.origins import normalise_origin
from domain.slugs import slug_candidates
from extensions import db
from models import ApiToken, User
from models.types import utcnow
from services import web_sessions
from services.transactions import refused, write_transaction

logger = logging.getLogger(__name__)

COACH_ONLY_FIELDS = ("slug", "calendar_privacy", "currency", "vat_rate", "embed_domains")
# Coaches of one name signing up at the same moment may pick the same slug (PostgreSQL).
SLUG_ATTEMPTS = 10
# Compared against when the e-mail is unknown, so both paths cost one hash check.
_DUMMY_HASH = None


def normalise_email(email: str) -> str:
    return email.strip().lower()


def hash_password(password: str) -> str:
    return generate_password_hash(password, method=current_app.config["PASSWORD_HASH_METHOD"])


def find_user_by_email(email: str) -> User | None:
    return db.session.scalar(select(User).where(User.email == normalise_email(email)))


def register_user(*, email: str, password: str, name: str, role: str, timezone: str) -> User:
    """Create a coach or client; coaches get a free slug derived from their name.

    The check and the insert run under the write lock (SQLite), so sign-ups at the same
    moment queue up; on PostgreSQL the unique indexes decide and a lost slug is retried.
    """
    email = normalise_email(email)
    password_hash = hash_password(password)  # before taking the lock: the KDF is slow
    for attempt in range(SLUG_ATTEMPTS):
        try:
            with write_transaction():
                if find_user_by_email(email) is not None:
                    raise refused("uq_user_email")
                user = User(
                    email=email,
                    password_hash=password_hash,
                    name=name.strip(),
                    role=role,
                    timezone=timezone,
                )
                if role == "coach":
                    user.slug = _free_slug(name)
                    user.calendar_privacy = "connected"
                db.session.add(user)
        except AppError as error:
            # A coach who signed up at the same moment took the slug: pick the next one.
            if error.code != "slug_taken" or role != "coach" or attempt == SLUG_ATTEMPTS - 1:
                raise
            continue
        logger.info("registered user %s as %s", user.id, role)
        return user
    raise AssertionError("unreachable")


def authenticate(email: str, password: str) -> User:
    """The user with these credentials, or AppError ``unauthorized`` (same for both misses)."""
    user = find_user_by_email(email)
    if user is None or not user.is_active:
        check_password_hash(_dummy_hash(), password)
        raise AppError("unauthorized", "The e-mail address or password is wrong.")
    if not check_password_hash(user.password_hash, password):
        raise AppError("unauthorized", "The e-mail address or password is wrong.")
    return user


def issue_api_token(user: User, now: datetime | None = None) -> tuple[str, datetime]:
    """A new bearer token (returned once, stored as its SHA-256) and its expiry."""
    now = now or utcnow()
    raw = secrets.token_urlsafe(32)
    expires_at = now + timedelta(hours=current_app.config["API_TOKEN_TTL_HOURS"])
    with write_transaction():
        db.session.add(
            ApiToken(
                user_id=user.id,
                token_hash=_digest(raw),
                scope="api",
                created_at=now,
                expires_at=expires_at,
            )
        )
    return raw, expires_at


# One query for the token and its user, built once: this runs on every API request.
_TOKEN_USER = (
    select(ApiToken.expires_at, User)
    .join(User, User.id == ApiToken.user_id)
    .where(
        ApiToken.token_hash == bindparam("token_hash"),
        ApiToken.scope == bindparam("scope"),
        ApiToken.revoked_at.is_(None),
    )
)


def user_for_token(raw: str, scope: str = "api", now: datetime | None = None) -> User | None:
    """The user a live (unexpired, unrevoked) token of this scope belongs to, else None."""
    if not raw or len(raw) > 200:
        return None
    now = now or utcnow()
    row = db.session.execute(_TOKEN_USER, {"token_hash": _digest(raw), "scope": scope}).first()
    if row is None:
        return None
    expires_at, user = row
    if expires_at is not None and expires_at <= now:
        return None
    return user if user.is_active else None


def revoke_api_token(raw: str) -> None:
    with write_transaction():
        token = db.session.scalar(select(ApiToken).where(ApiToken.token_hash == _digest(raw)))
        if token is not None and token.revoked_at is None:
            token.revoked_at = utcnow()


def change_password(
    user: User,
    current_password: str,
    new_password: str,
    *,
    keep_web_session: int | None = None,
    keep_token: str | None = None,
) -> None:
    """Set a new password, after checking the current one, and sign out everywhere else:
    every other web sign-in and every other bearer token of the user ends with it."""
    if not check_password_hash(user.password_hash, current_password):
        raise validation_error({"current_password": ["This is not your current password."]})
    password_hash = hash_password(new_password)  # before the lock: the KDF is slow
    now = utcnow()
    with write_transaction():
        db.session.execute(
            update(User).where(User.id == user.id).values(password_hash=password_hash)
        )
        ended = web_sessions.end_all(user.id, keep=keep_web_session, now=now)
        tokens = update(ApiToken).where(
            ApiToken.user_id == user.id, ApiToken.scope == "api", ApiToken.revoked_at.is_(None)
        )
        if keep_token is not None:
            tokens = tokens.where(ApiToken.token_hash != _digest(keep_token))
        revoked = db.session.execute(tokens.values(revoked_at=now)).rowcount
    logger.info(
        "user %s changed the password: %s web sessions and %s tokens ended",
        user.id,
        ended,
        revoked,
    )


def update_profile(user: User, changes: dict) -> User:
    """Apply validated profile changes; coach-only settings are refused for clients.
    Names are trimmed, embed origins normalised and de-duplicated, a VAT rate of -0 is 0."""
    changes = _cleaned_profile(changes)
    coach_only = [field for field in COACH_ONLY_FIELDS if field in changes and not user.is_coach]
    if coach_only:
        raise AppError(
            "forbidden",
            "Only coaches have these settings.",
            {field: ["Only coaches have this setting."] for field in coach_only},
        )
    with write_transaction():
        if "slug" in changes and changes["slug"] != user.slug:
            taken = db.session.scalar(
                select(User.id).where(User.slug == changes["slug"], User.id != user.id)
            )
            if taken is not None:
                raise refused("uq_user_slug")
        for field in ("name", "timezone", *COACH_ONLY_FIELDS):
            if field in changes:
                value = changes[field]
                if field == "vat_rate":
                    value = Decimal(value)
                setattr(user, field, value)
    logger.info("user %s updated %s", user.id, sorted(changes))
    return user


def _cleaned_profile(changes: dict) -> dict:
    changes = dict(changes)
    if "embed_domains" in changes:
        changes["embed_domains"] = sorted({normalise_origin(o) for o in changes["embed_domains"]})
    if "name" in changes:
        changes["name"] = changes["name"].strip()
        if not changes["name"]:
            raise validation_error({"name": ["Enter your name."]})
    if "vat_rate" in changes:
        changes["vat_rate"] += 0  # Decimal("-0") + 0 is 0: never store a negative zero
    return changes


def _free_slug(name: str) -> str:
    for candidate in slug_candidates(name):
        if db.session.scalar(select(User.id).where(User.slug == candidate)) is None:
            return candidate
    raise AssertionError("unreachable")  # slug_candidates never ends


def _digest(raw: str) -> str:
    return hashlib.sha256(raw.encode()).hexdigest()


def _dummy_hash() -> str:
    global _DUMMY_HASH
    if _DUMMY_HASH is None:
        _DUMMY_HASH = hash_password(secrets.token_hex(8))
    return _DUMMY_HASH
