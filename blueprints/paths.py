"""Which part of the site a request is for: the one place that knows the URL prefixes."""

from __future__ import annotations

from flask import request

API_PREFIX = "/api/"
WEBHOOK_PREFIX = "/stripe/"


def is_api_request() -> bool:
    """A call of the JSON API (``/api/…``): JSON in, JSON out, bearer tokens allowed."""
    return request.path.startswith(API_PREFIX)


def is_machine_request() -> bool:
    """A caller that is not a browser page: the API, or Stripe's webhooks."""
    return is_api_request() or request.path.startswith(WEBHOOK_PREFIX)
