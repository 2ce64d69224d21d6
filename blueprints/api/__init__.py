"""The JSON API (SPEC section 8): one flask-smorest Api, a module per resource."""

from __future__ import annotations

from flask import Flask
from flask_smorest import Api

from blueprints.api.schemas import ErrorEnvelopeSchema


class JsonApi(Api):
    """flask-smorest with our error body; errors are rendered by blueprints/errors.py."""

    ERROR_SCHEMA = ErrorEnvelopeSchema

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

    api = JsonApi(
        app,
        spec_kwargs={
            "components": {"securitySchemes": {"bearerAuth": {"type": "http", "scheme": "bearer"}}},
        },
    )
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
