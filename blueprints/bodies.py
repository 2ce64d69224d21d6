"""The one place request input is read: JSON bodies, query strings, forms and path values.

Everything a request carries passes here before any view or service sees it. JSON is
parsed strictly (UTF-8, no NaN or Infinity, numbers of at most ``MAX_NUMBER_LENGTH``
characters, nesting at most ``MAX_DEPTH`` deep) and no text may hold what the databases
cannot store: a NUL (U+0000, PostgreSQL refuses it) or a lone UTF-16 surrogate (not
encodable as UTF-8, so psycopg and the password hasher raise). A refused body is a 400
with the error body naming the field; a bad path value is a 404, as for a missing id.

``StrictRequest`` is the app's request class, so ``request.get_json()`` (the rate
limiter's key functions use it) and the API's argument parser (``BodyParser``) read the
same, already checked, value.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Iterator
from typing import Any

from flask import Request, request
from webargs import core
from webargs.flaskparser import FlaskParser
from werkzeug.exceptions import RequestEntityTooLarge

from blueprints.paths import is_api_request
from domain.errors import AppError, not_found, validation_error

# A body we accept nests three levels at most ({"times": [{"start": ...}]}); far more is
# an attack on the parser, not a request.
MAX_DEPTH = 32
# The longest number we accept has ten digits (an id); 100 characters leave room for any
# float a client may write and refuse the 4,300-digit literals Python will not convert.
MAX_NUMBER_LENGTH = 100
UNSTORABLE = re.compile("[\x00\ud800-\udfff]")

NUL_MESSAGE = "Must not contain the NUL character (U+0000)."
SURROGATE_MESSAGE = "Must not contain a lone UTF-16 surrogate (U+D800 to U+DFFF)."
NUMBER_MESSAGE = f"Numbers may have at most {MAX_NUMBER_LENGTH} characters."
DEPTH_MESSAGE = f"The body may nest at most {MAX_DEPTH} levels deep."


class _Refused(ValueError):
    """Raised while decoding; becomes the 400 of ``parse_json_body``."""


def _number(kind):
    def parse(literal: str):
        if len(literal) > MAX_NUMBER_LENGTH:
            raise _Refused(NUMBER_MESSAGE)
        value = kind(literal)
        if isinstance(value, float) and not math.isfinite(value):
            raise _Refused("Numbers must be finite.")
        return value

    return parse


def _no_constant(name: str):
    raise _Refused(f"{name} is not JSON.")


_DECODER = json.JSONDecoder(
    parse_int=_number(int), parse_float=_number(float), parse_constant=_no_constant
)


def parse_json_body(data: bytes) -> Any:
    """The JSON value of a request body, or a 400 ``validation_error`` saying what is wrong
    (per field for text that cannot be stored, on the whole body otherwise)."""
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        raise _unreadable("The body is not valid UTF-8.") from None
    try:
        value = _DECODER.decode(text)
    except _Refused as refused:
        raise _unreadable(str(refused)) from None
    except RecursionError:
        raise _unreadable(DEPTH_MESSAGE) from None
    except ValueError as exc:  # json.JSONDecodeError
        raise _unreadable(f"The body is not valid JSON: {exc}") from None
    _check_value(value)
    return value


def _unreadable(message: str) -> AppError:
    """A body that is no valid request at all: a 400 ``validation_error`` on the whole."""
    return validation_error({"_schema": [message]}, "The request body cannot be read.")


def _check_value(value: Any) -> None:
    """Depth and storable text, walked without recursion; errors name the field's path."""
    problems: dict[str, list[str]] = {}
    stack: list[tuple[Any, str, int]] = [(value, "", 1)]
    while stack:
        item, path, depth = stack.pop()
        if isinstance(item, str):
            _check_text(item, path, problems)
            continue
        if not isinstance(item, dict | list):
            continue
        if depth > MAX_DEPTH:
            raise _unreadable(DEPTH_MESSAGE)
        pairs = item.items() if isinstance(item, dict) else enumerate(item)
        for key, child in pairs:
            if isinstance(key, str) and UNSTORABLE.search(key):
                problems.setdefault(path or "_schema", []).append(
                    "A field name holds a character that cannot be stored."
                )
                continue
            stack.append((child, f"{path}.{key}" if path else str(key), depth + 1))
    if problems:
        raise validation_error(problems)


def _check_text(text: str, path: str, problems: dict[str, list[str]]) -> None:
    found = UNSTORABLE.findall(text)
    if not found:
        return
    messages = problems.setdefault(path or "_schema", [])
    if "\x00" in found:
        messages.append(NUL_MESSAGE)
    if any(ch != "\x00" for ch in found):
        messages.append(SURROGATE_MESSAGE)


def unstorable_fields(pairs: Iterator[tuple[str, str]]) -> dict[str, list[str]]:
    """The fields of a query string or form whose value (or name) cannot be stored."""
    problems: dict[str, list[str]] = {}
    for name, value in pairs:
        if UNSTORABLE.search(name):
            problems.setdefault("_schema", []).append(
                "A field name holds a character that cannot be stored."
            )
        else:
            _check_text(value, name, problems)
    return problems


class StrictRequest(Request):
    """Flask's request whose JSON is parsed by ``parse_json_body`` (cached per request)."""

    def get_json(self, force: bool = False, silent: bool = False, cache: bool = True):
        if cache and self._cached_json[silent] is not Ellipsis:
            return self._cached_json[silent]
        if not (force or self.is_json):
            if silent:
                return None
            raise AppError("unsupported_media_type", "Send the body as application/json.")
        try:
            value = parse_json_body(self._body())
        except AppError:
            if silent:
                return None
            raise
        if cache:
            self._cached_json = (value, value)
        return value

    def _body(self) -> bytes:
        data = self.get_data(cache=True)
        # A chunked body has no Content-Length; Werkzeug stops reading at the limit and
        # hands back a truncated body instead of refusing it.
        limit = self.max_content_length
        if self.content_length is None and limit is not None and len(data) >= limit:
            raise RequestEntityTooLarge()
        return data


class BodyParser(FlaskParser):
    """webargs reads JSON through the request (so through ``parse_json_body``), once."""

    DEFAULT_VALIDATION_STATUS = 400  # bad input is a 400 with the SPEC's body, not 422

    def _raw_load_json(self, req: Request) -> Any:
        if not core.is_json(req.mimetype) or not req.get_data(cache=True):
            return core.missing
        return req.get_json()


FORM_TYPES = ("application/x-www-form-urlencoded", "multipart/form-data")


def check_request_input() -> None:
    """Before any view: path values, query string, form and JSON body must be storable."""
    for value in (request.view_args or {}).values():
        if isinstance(value, str) and UNSTORABLE.search(value):
            raise not_found()
    problems = unstorable_fields(request.args.items(multi=True))
    if request.mimetype in FORM_TYPES:
        problems |= unstorable_fields(request.form.items(multi=True))
    if problems:
        raise validation_error(problems)
    if request.mimetype in FORM_TYPES:
        return
    body = request.get_data(cache=True)
    if request.method == "PATCH" and not body and is_api_request():
        # A PATCH names what to change; ``{}`` is the explicit "nothing" (a no-op).
        raise validation_error({"_schema": ["Send a JSON object with the fields to change."]})
    # Every body the API takes is an object; a list, string or number is no request.
    if body and request.is_json and not isinstance(request.get_json(), dict):
        raise validation_error({"_schema": ["Send a JSON object."]})
