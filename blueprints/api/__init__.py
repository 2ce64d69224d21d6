"""The JSON API (SPEC section 8): one flask-smorest Api, a module per resource."""

from __future__ import annotations

from apispec.ext.marshmallow import MarshmallowPlugin
from flask import Flask
from flask_smorest import Api

from blueprints.api.schemas import ErrorEnvelopeSchema


class JsonApi(Api):
    """flask-smorest with our error body; errors are rendered by blueprints/errors.py."""

    ERROR_SCHEMA = ErrorEnvelopeSchema
    # Each route documents the error statuses it can answer (``Blueprint.errors``) rather
    # than a catch-all ``default``, so the contract test can hold it to them.
    DEFAULT_ERROR_RESPONSE_NAME = None

    def _register_error_handlers(self):
        """The app's handlers already render every HTTP error with the SPEC's body."""


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
    from blueprints.api.docs import schema_name
    from blueprints.api.responses import one_of_nested_properties

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
