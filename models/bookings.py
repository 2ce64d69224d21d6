"""Bookings with their price breakdown, history, suggested times and coupon redemptions."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

from sqlalchemy import (
    CheckConstraint,
    ForeignKey,
    Index,
    String,
    Text,
    UniqueConstraint,
    func,
    text,
)
from sqlalchemy.dialects.postgresql import ExcludeConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from domain.status import ACTIVE_STATUSES, BOOKING_STATUSES
from extensions import db
from models.catalog import Coupon, SessionType
from models.types import DecimalString, UTCDateTime, utcnow
from models.users import User

PAYMENT_STATUSES = (
    "not_required",
    "offline",
    "payment_pending",
    "processing",
    "succeeded",
    "failed",
    "refunded",
    "partially_refunded",
)


def _in(column: str, values: tuple[str, ...]) -> str:
    return f"{column} IN ({', '.join(repr(v) for v in values)})"


ACTIVE_SQL = _in("status", ACTIVE_STATUSES)


class Booking(db.Model):
    """A client's booking of a coach's time.

    ``blocked_start_at``/``blocked_end_at`` are the session widened by the session type's
    buffers: the range no other active booking of the coach may overlap. On PostgreSQL the
    exclusion constraint ``booking_no_overlap`` makes an overlap impossible; seats of one
    group session share a ``slot_key`` and so may overlap each other.
    """

    __tablename__ = "booking"
    __table_args__ = (
        CheckConstraint(_in("status", BOOKING_STATUSES), name="status"),
        CheckConstraint("kind IN ('firm', 'request')", name="kind"),
        CheckConstraint(_in("payment_status", PAYMENT_STATUSES), name="payment_status"),
        CheckConstraint("end_at > start_at", name="positive"),
        CheckConstraint(
            "blocked_start_at <= start_at AND blocked_end_at >= end_at", name="blocked_range"
        ),
        CheckConstraint(
            "price_base >= 0 AND discount_amount >= 0 AND price_net >= 0 AND vat_amount >= 0 "
            "AND platform_fee_amount >= 0 AND price_total >= 0",
            name="amounts",
        ),
        # Range reads scan (coach, blocked start) bounded on both sides: see services/calendar.
        Index("ix_booking_coach_blocked", "coach_id", "blocked_start_at", "blocked_end_at"),
        Index("ix_booking_client_range", "client_id", "start_at"),
        Index("ix_booking_status", "status"),
        ExcludeConstraint(
            ("coach_id", "="),
            (func.tstzrange(text("blocked_start_at"), text("blocked_end_at"), text("'[)'")), "&&"),
            ("slot_key", "<>"),
            using="gist",
            name="booking_no_overlap",
            where=text(ACTIVE_SQL),
        ).ddl_if(dialect="postgresql"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    coach_id: Mapped[int] = mapped_column(ForeignKey("user.id"))
    client_id: Mapped[int] = mapped_column(ForeignKey("user.id"))
    session_type_id: Mapped[int] = mapped_column(ForeignKey("session_type.id"))
    availability_window_id: Mapped[int | None] = mapped_column(
        ForeignKey("availability_window.id", ondelete="SET NULL")
    )
    start_at: Mapped[datetime] = mapped_column(UTCDateTime())
    end_at: Mapped[datetime] = mapped_column(UTCDateTime())
    blocked_start_at: Mapped[datetime] = mapped_column(UTCDateTime())
    blocked_end_at: Mapped[datetime] = mapped_column(UTCDateTime())
    duration_minutes: Mapped[int] = mapped_column()
    # "b-<uuid>" for a one-to-one booking, "g-<window>-<occurrence>" shared by group seats.
    slot_key: Mapped[str] = mapped_column(String(64))
    status: Mapped[str] = mapped_column(String(20))
    kind: Mapped[str] = mapped_column(String(8))
    message: Mapped[str] = mapped_column(Text, default="")
    cancellation_reason: Mapped[str] = mapped_column(Text, default="")

    # The SPEC section 5 breakdown, integer minor units of ``currency``.
    currency: Mapped[str] = mapped_column(String(3))
    price_base: Mapped[int] = mapped_column(default=0)
    coupon_id: Mapped[int | None] = mapped_column(ForeignKey("coupon.id", ondelete="SET NULL"))
    discount_code: Mapped[str | None] = mapped_column(String(40))
    discount_amount: Mapped[int] = mapped_column(default=0)
    price_net: Mapped[int] = mapped_column(default=0)
    vat_rate: Mapped[Decimal] = mapped_column(DecimalString(), default=Decimal("0"))
    vat_amount: Mapped[int] = mapped_column(default=0)
    platform_fee_amount: Mapped[int] = mapped_column(default=0)
    platform_fee_payer: Mapped[str] = mapped_column(String(6), default="client")
    price_total: Mapped[int] = mapped_column(default=0)
    coach_payout: Mapped[int] = mapped_column(default=0)

    payment_status: Mapped[str] = mapped_column(String(20), default="not_required")
    checkout_session_id: Mapped[str | None] = mapped_column(String(255), unique=True)
    checkout_url: Mapped[str | None] = mapped_column(String(2000))
    checkout_expires_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    payment_intent_id: Mapped[str | None] = mapped_column(String(255))
    payment_deadline_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    amount_paid: Mapped[int] = mapped_column(default=0)
    amount_refunded: Mapped[int] = mapped_column(default=0)
    # Calendar invitations carry a SEQUENCE that grows with every reschedule or cancel.
    ics_sequence: Mapped[int] = mapped_column(default=0)

    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, onupdate=utcnow)

    coach: Mapped[User] = relationship(foreign_keys=[coach_id])
    client: Mapped[User] = relationship(foreign_keys=[client_id])
    session_type: Mapped[SessionType] = relationship()
    coupon: Mapped[Coupon | None] = relationship()
    history: Mapped[list[BookingHistory]] = relationship(
        back_populates="booking", order_by="BookingHistory.id", cascade="all, delete-orphan"
    )
    suggestions: Mapped[list[TimeSuggestion]] = relationship(
        back_populates="booking", order_by="TimeSuggestion.start_at", cascade="all, delete-orphan"
    )

    @property
    def is_active(self) -> bool:
        return self.status in ACTIVE_STATUSES


class BookingHistory(db.Model):
    """One transition: who (null for the system), from, to, when, and a note."""

    __tablename__ = "booking_history"

    id: Mapped[int] = mapped_column(primary_key=True)
    booking_id: Mapped[int] = mapped_column(
        ForeignKey("booking.id", ondelete="CASCADE"), index=True
    )
    from_status: Mapped[str | None] = mapped_column(String(20))
    to_status: Mapped[str] = mapped_column(String(20))
    by_user_id: Mapped[int | None] = mapped_column(ForeignKey("user.id", ondelete="SET NULL"))
    at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    note: Mapped[str] = mapped_column(Text, default="")

    booking: Mapped[Booking] = relationship(back_populates="history")


class TimeSuggestion(db.Model):
    """An alternative time the coach offers; an offer, not a hold."""

    __tablename__ = "time_suggestion"
    __table_args__ = (CheckConstraint("end_at > start_at", name="positive"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    booking_id: Mapped[int] = mapped_column(
        ForeignKey("booking.id", ondelete="CASCADE"), index=True
    )
    start_at: Mapped[datetime] = mapped_column(UTCDateTime())
    end_at: Mapped[datetime] = mapped_column(UTCDateTime())
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    booking: Mapped[Booking] = relationship(back_populates="suggestions")


class CouponRedemption(db.Model):
    """A coupon used by a booking; ``released_at`` is set when the booking ends unpaid."""

    __tablename__ = "coupon_redemption"
    __table_args__ = (UniqueConstraint("booking_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    coupon_id: Mapped[int] = mapped_column(ForeignKey("coupon.id", ondelete="CASCADE"))
    booking_id: Mapped[int] = mapped_column(ForeignKey("booking.id", ondelete="CASCADE"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    released_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    booking: Mapped[Booking] = relationship()
