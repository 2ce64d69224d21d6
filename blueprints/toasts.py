"""Toasts for success and errors, from one place.

``toast(message, level)`` during a request: an htmx request gets it in the
``HX-Trigger`` response header (``{"toast": {"items": [...]}}``, shown by static/app.js
without touching the page); any other request flashes it, so it shows on the next page.
"""

from __future__ import annotations

import json

from flask import Flask, flash, g, request

LEVELS = ("success", "error", "info")


def _is_htmx() -> bool:
    return bool(request.headers.get("HX-Request"))


def toast(message: str, level: str = "success") -> None:
    """Tell the user ``message`` (``success``, ``error`` or ``info``)."""
    if level not in LEVELS:
        raise ValueError(f"unknown toast level {level!r}")
    if _is_htmx():
        g.setdefault("toasts", []).append({"message": message, "level": level})
    else:
        flash(message, level)


def _add_trigger_header(response):
    items = g.pop("toasts", None)
    if not items:
        return response
    triggers = {}
    existing = response.headers.get("HX-Trigger")
    if existing:
        try:
            triggers = json.loads(existing)
        except ValueError:
            triggers = {name.strip(): None for name in existing.split(",") if name.strip()}
    triggers["toast"] = {"items": items}
    response.headers["HX-Trigger"] = json.dumps(triggers)
    return response


def init_toasts(app: Flask) -> None:
    app.after_request(_add_trigger_header)
