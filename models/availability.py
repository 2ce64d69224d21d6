"""Availability windows: one-off or weekly recurring, with per-occurrence exceptions."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import CheckConstraint, Date, ForeignKey, Index, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from extensions import db
from models.types import UTCDateTime, utcnow


class AvailabilityWindow(db.Model):
    """``start_at``/``end_at`` give the first occurrence in UTC; a weekly series keeps its
    local wall-clock times in ``timezone``. ``series_end_at`` (UTC, null = no end) lets a
    range query read only the windows that can touch the range."""

    __tablename__ = "availability_window"
    __table_args__ = (
        CheckConstraint("end_at > start_at", name="positive"),
        CheckConstraint(
            "recurrence_until IS NULL OR recurrence_count IS NULL", name="until_or_count"
        ),
        CheckConstraint("recurrence_count IS NULL OR recurrence_count >= 1", name="count"),
        Index("ix_availability_window_coach_range", "coach_id", "start_at", "series_end_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    coach_id: Mapped[int] = mapped_column(ForeignKey("user.id", ondelete="CASCADE"))
    session_type_id: Mapped[int | None] = mapped_column(
        ForeignKey("session_type.id", ondelete="SET NULL")
    )
    start_at: Mapped[datetime] = mapped_column(UTCDateTime())
    end_at: Mapped[datetime] = mapped_column(UTCDateTime())
    timezone: Mapped[str] = mapped_column(String(64))
    instant_booking: Mapped[bool] = mapped_column(default=True)
    # Comma-separated RFC 5545 weekday codes ("MO,WE"); null for a one-off window.
    recurrence_weekdays: Mapped[str | None] = mapped_column(String(20))
    recurrence_until: Mapped[date | None] = mapped_column(Date)
    recurrence_count: Mapped[int | None] = mapped_column()
    series_end_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, onupdate=utcnow)

    exceptions: Mapped[list[AvailabilityException]] = relationship(
        back_populates="window", cascade="all, delete-orphan"
    )

    @property
    def is_recurring(self) -> bool:
        return self.recurrence_weekdays is not None


class AvailabilityException(db.Model):
    """One occurrence of a series deleted (``kind='deleted'``) or moved/edited (``modified``)."""

    __tablename__ = "availability_exception"
    __table_args__ = (
        UniqueConstraint("window_id", "occurrence_start"),
        CheckConstraint("kind IN ('deleted', 'modified')", name="kind"),
        CheckConstraint(
            "kind = 'deleted' OR (start_at IS NOT NULL AND end_at IS NOT NULL "
            "AND end_at > start_at)",
            name="modified_range",
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    window_id: Mapped[int] = mapped_column(ForeignKey("availability_window.id", ondelete="CASCADE"))
    occurrence_start: Mapped[datetime] = mapped_column(UTCDateTime())
    kind: Mapped[str] = mapped_column(String(10))
    start_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    end_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    instant_booking: Mapped[bool | None] = mapped_column()
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    window: Mapped[AvailabilityWindow] = relationship(back_populates="exceptions")
