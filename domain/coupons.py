"""Coupon rules: exactly one kind of discount, a sensible validity period."""

from __future__ import annotations

import re
from datetime import datetime

CODE_PATTERN = re.compile(r"^[A-Z0-9][A-Z0-9_-]{1,39}$")


def normalise_code(code: str) -> str:
    """Codes compare case-insensitively; they are kept upper-cased."""
    return code.strip().upper()


def coupon_problems(v: dict) -> dict[str, list[str]]:
    """What is wrong with a complete set of coupon values (empty when valid)."""
    problems: dict[str, list[str]] = {}
    if not CODE_PATTERN.match(v["code"]):
        problems["code"] = ["Use 2-40 letters, digits, '-' or '_'."]
    percent, amount = v.get("percent_off"), v.get("amount_off")
    if (percent is None) == (amount is None):
        message = "Give either percent_off or amount_off."
        problems["percent_off"] = [message]
        problems["amount_off"] = [message]
    valid_from: datetime | None = v.get("valid_from")
    valid_until: datetime | None = v.get("valid_until")
    if valid_from and valid_until and valid_until <= valid_from:
        problems["valid_until"] = ["Must be after valid_from."]
    return problems
