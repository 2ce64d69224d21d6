"""All tables; importing this package registers them with the metadata."""

from models.availability import AvailabilityException, AvailabilityWindow
from models.bookings import (
    Booking,
    BookingHistory,
    CouponRedemption,
    TimeSuggestion,
)
from models.catalog import Coupon, SessionType
from models.notifications import Notification, OutboxEmail
from models.payments import Payment, ProcessedWebhookEvent, Refund
from models.users import ApiToken, Connection, User, WebSession

__all__ = [
    "ApiToken",
    "AvailabilityException",
    "AvailabilityWindow",
    "Booking",
    "BookingHistory",
    "Connection",
    "Coupon",
    "CouponRedemption",
    "Notification",
    "OutboxEmail",
    "Payment",
    "ProcessedWebhookEvent",
    "Refund",
    "SessionType",
    "TimeSuggestion",
    "User",
    "WebSession",
]
