"""How the API documents itself: a Blueprint whose ``response`` only documents, the error
responses of a route, bearer security, and component names for the OpenAPI document."""

from __future__ import annotations

import functools
from http import HTTPStatus

import flask_smorest
from apispec.ext.marshmallow.common import resolve_schema_cls
from flask import current_app

from blueprints.api import responses
from blueprints.bodies import BodyParser

# A signed-in caller: ``Authorization: Bearer <token>`` (or the web session with CSRF).
BEARER = [{"bearerAuth": []}]
# Public reads that answer more to a signed-in caller: with or without a token.
OPTIONAL_BEARER = [{}, {"bearerAuth": []}]

_RESPONSE_NAMES = frozenset(
    cls.__name__.removesuffix("Out")
    for cls in vars(responses).values()
    if isinstance(cls, type) and issubclass(cls, responses.OutSchema)
)


def schema_name(schema) -> str:
    """Components are named after the resource (``Booking``, ``SessionType``); a request
    schema whose name a response already uses is called ``…Input``."""
    resolved = resolve_schema_cls(schema)
    cls = resolved[0] if isinstance(resolved, list) else resolved
    name = cls.__name__
    if issubclass(cls, responses.OutSchema):
        return name.removesuffix("Out")
    name = name.removesuffix("Schema") or name
    return f"{name}Input" if name in _RESPONSE_NAMES else name


class Blueprint(flask_smorest.Blueprint):
    """flask-smorest's Blueprint; ``@blp.response`` documents the body with its schema,
    while the JSON sent is exactly what the view built with ``serializers.py``. Arguments
    are read by ``BodyParser``: the request's strictly parsed, checked JSON."""

    ARGUMENTS_PARSER = BodyParser()

    def response(self, status_code, schema=None, **kwargs):
        document = super().response(status_code, schema, **kwargs)

        def decorator(func):
            @functools.wraps(func)
            def as_response(*args, **view_kwargs):
                # A Response object makes flask-smorest skip its schema dump.
                return current_app.make_response(func(*args, **view_kwargs))

            return document(as_response)

        return decorator

    def errors(self, *statuses: int):
        """Document the error statuses a route can answer, each with the error body."""

        def decorator(func):
            for status in sorted(statuses, reverse=True):
                func = self.alt_response(status, response=HTTPStatus(status).name)(func)
            return func

        return decorator
