"""Template filters and globals: times in the viewer's zone, money in its currency."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

from flask import Flask
from flask_login import current_user

from domain.currencies import minor_unit_exponent


def local_time(value: datetime | None, fmt: str = "%a %d %b %Y, %H:%M", zone: str | None = None):
    """A UTC datetime shown in the viewer's zone (the signed-in user's, else UTC)."""
    if value is None:
        return ""
    name = zone or getattr(current_user, "timezone", None) or "UTC"
    return value.astimezone(ZoneInfo(name)).strftime(fmt)


def money(amount: int, currency: str) -> str:
    """Minor units → ``"52.50 EUR"``; zero-decimal currencies have no fraction."""
    exponent = minor_unit_exponent(currency)
    value = Decimal(amount).scaleb(-exponent)
    return f"{value:,.{exponent}f} {currency}"


def register_template_helpers(app: Flask) -> None:
    app.add_template_filter(local_time, "local_time")
    app.add_template_filter(money, "money")
