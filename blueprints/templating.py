"""Template filters and globals: times in the viewer's zone and clock, money in its
currency, the navigation and the bell's unread count."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

from flask import Flask
from flask_login import current_user

from blueprints import viewer
from domain.currencies import minor_unit_exponent
from services import notifications

COACH_LINKS = (
    ("pages.dashboard", "Dashboard"),
    ("availability_pages.availability", "Availability"),
    ("catalog_pages.session_types", "Session types"),
    ("catalog_pages.coupons", "Coupons"),
    ("pages.earnings", "Earnings"),
    ("settings_pages.settings", "Settings"),
)
CLIENT_LINKS = (
    ("pages.dashboard", "Dashboard"),
    ("settings_pages.settings", "Settings"),
)


def local_time(value: datetime | None, fmt: str | None = None, zone: str | None = None) -> str:
    """A UTC datetime in the viewer's zone: ``Mon 18 Jan 2027, 14:30`` by default (the
    viewer's clock), or ``fmt`` (strftime) when given."""
    if value is None:
        return ""
    if fmt is None:
        return viewer.date_and_time(value, zone)
    if fmt in ("%H:%M", "time"):
        return viewer.clock_time(value, zone)
    return viewer.local(value, zone).strftime(fmt)


def money(amount: int, currency: str) -> str:
    """Minor units → ``"52.50 EUR"``; zero-decimal currencies have no fraction."""
    exponent = minor_unit_exponent(currency)
    value = Decimal(amount).scaleb(-exponent)
    return f"{value:,.{exponent}f} {currency}"


def nav_links() -> tuple[tuple[str, str], ...]:
    if not current_user.is_authenticated:
        return ()
    return COACH_LINKS if current_user.is_coach else CLIENT_LINKS


def unread_notifications() -> int:
    if not current_user.is_authenticated:
        return 0
    return notifications.unread_count(current_user.id)


def register_template_helpers(app: Flask) -> None:
    app.add_template_filter(local_time, "local_time")
    app.add_template_filter(money, "money")
    app.add_template_global(nav_links, "nav_links")
    app.add_template_global(unread_notifications, "unread_notifications")
    app.add_template_global(viewer.viewer_zone, "viewer_zone")
    app.add_template_global(viewer.clock_time, "clock_time")
