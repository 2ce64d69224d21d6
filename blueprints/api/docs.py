"""How the API documents itself: the error responses of a route, bearer security, and
component names for the OpenAPI document."""

from __future__ import annotations

from http import HTTPStatus

import flask_smorest
from apispec.ext.marshmallow.common import resolve_schema_cls

from blueprints.api.common import OutSchema
from blueprints.bodies import BodyParser

# A signed-in caller: ``Authorization: Bearer <token>`` (or the web session with CSRF).
BEARER = [{"bearerAuth": []}]
# Public reads that answer more to a signed-in caller: with or without a token.
OPTIONAL_BEARER = [{}, {"bearerAuth": []}]


def _response_names() -> set[str]:
    """The component names of every response schema (``BookingOut`` → ``Booking``)."""
    names, pending = set(), [OutSchema]
    while pending:
        for cls in pending.pop().__subclasses__():
            names.add(cls.__name__.removesuffix("Out"))
            pending.append(cls)
    return names


def schema_name(schema) -> str:
    """Components are named after the resource (``Booking``, ``SessionType``); a request
    schema whose name a response already uses is called ``…Input``."""
    resolved = resolve_schema_cls(schema)
    cls = resolved[0] if isinstance(resolved, list) else resolved
    name = cls.__name__
    if issubclass(cls, OutSchema):
        return name.removesuffix("Out")
    name = name.removesuffix("Schema") or name
    return f"{name}Input" if name in _response_names() else name


class Blueprint(flask_smorest.Blueprint):
    """flask-smorest's Blueprint: ``@blp.response(status, Schema)`` dumps what the view
    returns with that schema and documents it. Arguments are read by ``BodyParser``: the
    request's strictly parsed, checked JSON."""

    ARGUMENTS_PARSER = BodyParser()

    def errors(self, *statuses: int):
        """Document the error statuses a route can answer, each with the error body."""

        def decorator(func):
            for status in sorted(statuses, reverse=True):
                func = self.alt_response(status, response=HTTPStatus(status).name)(func)
            return func

        return decorator
