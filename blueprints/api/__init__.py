"""The JSON API (SPEC section 8): one flask-smorest Api, a module per resource."""

from __future__ import annotations

from apispec.ext.marshmallow import MarshmallowPlugin
from flask import Flask
from flask_smorest import Api
from werkzeug.exceptions import NotFound
from werkzeug.routing import IntegerConverter, ValidationError

from blueprints.api.common import MAX_ID, ErrorEnvelopeSchema


class JsonApi(Api):
    """flask-smorest with our error body; errors are rendered by blueprints/errors.py."""

    ERROR_SCHEMA = ErrorEnvelopeSchema
    # Each route documents the error statuses it can answer (``Blueprint.errors``) rather
    # than a catch-all ``default``, so the contract test can hold it to them.
    DEFAULT_ERROR_RESPONSE_NAME = None

    def _register_error_handlers(self):
        """The app's handlers already render every HTTP error with the SPEC's body."""


class IdConverter(IntegerConverter):
    """``<id:booking_id>``: a database id, 1 to 2**31 - 1 (documented as the bounds),
    written in ASCII digits without a sign or leading zero.

    Anything else is a 404 before any query: ``\\d`` would match a fullwidth or an
    Arabic-Indic one (U+FF11, U+0661: ``int()`` reads both as 1), and a larger number
    would overflow the integer column (a 500).
    Werkzeug would answer 405 instead when the path has a route for another method (it
    checks methods before converting), hence NotFound here."""

    regex = r"[0-9]+"

    def __init__(self, url_map):
        super().__init__(url_map, min=1, max=MAX_ID)

    def to_python(self, value: str) -> int:
        if len(value) > 10 or value.startswith("0"):
            raise NotFound()
        try:
            return super().to_python(value)
        except ValidationError:
            raise NotFound() from None


def init_api(app: Flask) -> JsonApi:
    from blueprints.api import (
        auth,
        bookings,
        calendar,
        coaches,
        connections,
        coupons,
        me,
        notifications,
        session_types,
    )
    from blueprints.api.calendar import one_of_nested_properties
    from blueprints.api.docs import schema_name

    plugin = MarshmallowPlugin(schema_name_resolver=schema_name)
    api = JsonApi(
        app,
        spec_kwargs={
            "marshmallow_plugin": plugin,
            "components": {
                "securitySchemes": {
                    "bearerAuth": {
                        "type": "http",
                        "scheme": "bearer",
                        "description": "A token from POST /api/auth/register or /login.",
                    }
                }
            },
        },
    )
    plugin.converter.add_attribute_function(one_of_nested_properties)
    modules = (
        auth,
        me,
        connections,
        session_types,
        coupons,
        coaches,
        calendar,
        bookings,
        notifications,
    )
    for module in modules:
        api.register_blueprint(module.blp)
    return api
