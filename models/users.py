"""Users, their API and feed tokens, and connections between users."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

from flask_login import UserMixin
from sqlalchemy import JSON, CheckConstraint, ForeignKey, Index, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from extensions import db
from models.types import DecimalString, UTCDateTime, utcnow

ROLES = ("coach", "client")
CONNECTION_STATUSES = ("pending", "accepted", "declined")
TOKEN_SCOPES = ("api", "feed")


class User(UserMixin, db.Model):
    __tablename__ = "user"
    __table_args__ = (
        CheckConstraint("role IN ('coach', 'client')", name="role"),
        CheckConstraint(
            "calendar_privacy IN ('public', 'connected', 'private')", name="calendar_privacy"
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    # Stored lower-cased: the unique index makes e-mail addresses unique case-insensitively.
    email: Mapped[str] = mapped_column(String(254), unique=True)
    password_hash: Mapped[str] = mapped_column(String(255))
    name: Mapped[str] = mapped_column(String(120))
    role: Mapped[str] = mapped_column(String(10))
    timezone: Mapped[str] = mapped_column(String(64), default="UTC")
    slug: Mapped[str | None] = mapped_column(String(64), unique=True)
    calendar_privacy: Mapped[str] = mapped_column(String(10), default="connected")
    currency: Mapped[str] = mapped_column(String(3), default="EUR")
    vat_rate: Mapped[Decimal] = mapped_column(DecimalString(), default=Decimal("0"))
    embed_domains: Mapped[list] = mapped_column(JSON, default=list)
    is_active_account: Mapped[bool] = mapped_column(default=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, onupdate=utcnow)

    @property
    def is_coach(self) -> bool:
        return self.role == "coach"

    @property
    def is_active(self) -> bool:  # Flask-Login
        return self.is_active_account

    def __repr__(self) -> str:
        return f"<User {self.id} {self.role}>"


class ApiToken(db.Model):
    """An opaque secret; only its SHA-256 is stored. Scope ``api`` (bearer) or ``feed`` (iCal)."""

    __tablename__ = "api_token"
    __table_args__ = (CheckConstraint("scope IN ('api', 'feed')", name="scope"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user.id", ondelete="CASCADE"), index=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    scope: Mapped[str] = mapped_column(String(8), default="api")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    expires_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    last_used_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    user: Mapped[User] = relationship()


class WebSession(db.Model):
    """One browser sign-in: revocable like a bearer token, listed on the settings page.

    The session cookie and the remember-me cookie carry a random secret; only its SHA-256
    is stored. Restoring a sign-in from the remember cookie rotates the secret; the one it
    replaced stays valid for a short grace (two tabs opened at once), then never again.
    """

    __tablename__ = "web_session"
    __table_args__ = (Index("ix_web_session_user_revoked", "user_id", "revoked_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user.id", ondelete="CASCADE"))
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    previous_hash: Mapped[str | None] = mapped_column(String(64), unique=True)
    rotated_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    remember: Mapped[bool] = mapped_column(default=False)
    user_agent: Mapped[str] = mapped_column(String(255), default="")
    ip_address: Mapped[str] = mapped_column(String(45), default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    last_seen_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime())
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime())


class Connection(db.Model):
    """One per pair of users, whoever asked: ``pair_key`` is "<lower id>:<higher id>"."""

    __tablename__ = "connection"
    __table_args__ = (
        CheckConstraint("status IN ('pending', 'accepted', 'declined')", name="status"),
        CheckConstraint("requester_id <> addressee_id", name="not_self"),
        UniqueConstraint("pair_key"),
        Index("ix_connection_addressee_status", "addressee_id", "status"),
        Index("ix_connection_requester_status", "requester_id", "status"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    requester_id: Mapped[int] = mapped_column(ForeignKey("user.id", ondelete="CASCADE"))
    addressee_id: Mapped[int] = mapped_column(ForeignKey("user.id", ondelete="CASCADE"))
    pair_key: Mapped[str] = mapped_column(String(41))
    status: Mapped[str] = mapped_column(String(10), default="pending")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    responded_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    requester: Mapped[User] = relationship(foreign_keys=[requester_id])
    addressee: Mapped[User] = relationship(foreign_keys=[addressee_id])

    @staticmethod
    def key_for(user_a: int, user_b: int) -> str:
        low, high = sorted((user_a, user_b))
        return f"{low}:{high}"

    def other_party(self, user_id: int) -> int:
        return self.addressee_id if user_id == self.requester_id else self.requester_id
