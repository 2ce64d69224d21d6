"""What a coach offers: session types and coupons."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, CheckConstraint, ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from extensions import db
from models.types import UTCDateTime, utcnow
from models.users import User


class SessionType(db.Model):
    """A kind of session with its durations, price for the default duration and rules.

    The price's currency is the coach's (SPEC section 5), so it is not repeated here.
    """

    __tablename__ = "session_type"
    __table_args__ = (
        CheckConstraint("format IN ('one_on_one', 'group')", name="format"),
        CheckConstraint("firm_booking IN ('everyone', 'connected', 'nobody')", name="firm"),
        CheckConstraint(
            "duration_min <= duration_default AND duration_default <= duration_max",
            name="durations",
        ),
        CheckConstraint("duration_step > 0 AND duration_step % 15 = 0", name="step"),
        CheckConstraint("price_amount >= 0", name="price"),
        CheckConstraint("max_attendees >= 1", name="attendees"),
        Index("ix_session_type_coach_active", "coach_id", "active"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    coach_id: Mapped[int] = mapped_column(ForeignKey("user.id", ondelete="CASCADE"))
    name: Mapped[str] = mapped_column(String(120))
    description: Mapped[str] = mapped_column(Text, default="")
    format: Mapped[str] = mapped_column(String(12), default="one_on_one")
    location: Mapped[str] = mapped_column(String(500), default="")
    color: Mapped[str] = mapped_column(String(7), default="#2563eb")
    active: Mapped[bool] = mapped_column(default=True)
    duration_min: Mapped[int] = mapped_column(default=60)
    duration_max: Mapped[int] = mapped_column(default=60)
    duration_default: Mapped[int] = mapped_column(default=60)
    duration_step: Mapped[int] = mapped_column(default=15)
    price_amount: Mapped[int] = mapped_column(default=0)
    firm_booking: Mapped[str] = mapped_column(String(10), default="everyone")
    min_notice_minutes: Mapped[int] = mapped_column(default=120)
    max_advance_days: Mapped[int] = mapped_column(default=90)
    buffer_before_minutes: Mapped[int] = mapped_column(default=0)
    buffer_after_minutes: Mapped[int] = mapped_column(default=0)
    full_refund_hours: Mapped[int] = mapped_column(default=24)
    partial_refund_hours: Mapped[int] = mapped_column(default=2)
    partial_refund_percent: Mapped[int] = mapped_column(default=50)
    max_attendees: Mapped[int] = mapped_column(default=1)
    email_notifications: Mapped[bool] = mapped_column(default=True)
    # The email events (``services.emails.EMAIL_EVENTS``) this type sends no email for.
    email_events_off: Mapped[list] = mapped_column(JSON, default=list)
    reminder_offsets_minutes: Mapped[list] = mapped_column(JSON, default=lambda: [1440, 60])
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, onupdate=utcnow)
    # Deleting keeps the row for the bookings that refer to it; lists leave it out.
    deleted_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    coach: Mapped[User] = relationship()


class Coupon(db.Model):
    """A coach's discount code: a percentage or a fixed amount in the coach's currency."""

    __tablename__ = "coupon"
    __table_args__ = (
        # Codes are stored upper-cased, so uniqueness per coach is case-insensitive.
        UniqueConstraint("coach_id", "code"),
        CheckConstraint(
            "(percent_off IS NULL) <> (amount_off IS NULL)", name="exactly_one_discount"
        ),
        CheckConstraint("percent_off IS NULL OR (percent_off BETWEEN 1 AND 100)", name="pct"),
        CheckConstraint("amount_off IS NULL OR amount_off > 0", name="amount"),
        CheckConstraint("redemption_count >= 0", name="redemptions"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    coach_id: Mapped[int] = mapped_column(ForeignKey("user.id", ondelete="CASCADE"))
    code: Mapped[str] = mapped_column(String(40))
    percent_off: Mapped[int | None] = mapped_column()
    amount_off: Mapped[int | None] = mapped_column()
    valid_from: Mapped[datetime | None] = mapped_column(UTCDateTime())
    valid_until: Mapped[datetime | None] = mapped_column(UTCDateTime())
    max_redemptions: Mapped[int | None] = mapped_column()
    # Counted under the booking lock when a booking is created, released when it ends unpaid.
    redemption_count: Mapped[int] = mapped_column(default=0)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    deleted_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    coach: Mapped[User] = relationship()
