"""Logs: one line per record, text or JSON (``LOG_FORMAT``), each with the request id of
the request it belongs to, also in the jobs and effects that request caused.

The request id comes from the proxy (``X-Request-ID``, nginx's ``$request_id``) when it
is a sane token, else it is made here; every answer carries it back in ``X-Request-ID``.
It lives in a context variable: set for a request (blueprints/request_ids.py), carried
into RQ job ``meta`` by ``jobs.dispatch``, restored by the worker around each job and by
the effects thread around each request's effects.
"""

from __future__ import annotations

import contextvars
import logging
import re
import uuid
from collections.abc import Iterator
from contextlib import contextmanager

from pythonjsonlogger.json import JsonFormatter

NO_REQUEST = "-"
_request_id: contextvars.ContextVar[str] = contextvars.ContextVar("request_id", default=NO_REQUEST)
# What a proxy may hand us: nginx's 32 hex digits, a UUID, or any short plain token.
_SANE = re.compile(r"[A-Za-z0-9._:-]{8,128}")
TEXT_FORMAT = "%(asctime)s %(levelname)s %(name)s [%(request_id)s] %(message)s"
JSON_FIELDS = "%(asctime)s %(levelname)s %(name)s %(request_id)s %(process)d %(message)s"


def current_request_id() -> str:
    return _request_id.get()


def request_id_from(header: str | None) -> str:
    """The proxy's id if it is one we can log safely, else a new one."""
    if header and _SANE.fullmatch(header):
        return header
    return uuid.uuid4().hex


def bind(request_id: str) -> contextvars.Token:
    return _request_id.set(request_id or NO_REQUEST)


def unbind(token: contextvars.Token) -> None:
    _request_id.reset(token)


@contextmanager
def bound(request_id: str | None) -> Iterator[None]:
    """Log as part of ``request_id`` within the block (a job, a request's effects)."""
    token = bind(request_id or NO_REQUEST)
    try:
        yield
    finally:
        unbind(token)


class RequestIdFilter(logging.Filter):
    """Give every record the current request id (``-`` outside any request)."""

    def filter(self, record: logging.LogRecord) -> bool:
        record.request_id = _request_id.get()
        return True


def configure(log_format: str, level: int = logging.INFO) -> None:
    """The root logger's one handler (stderr), in ``text`` or ``json``. Called by the app
    factory; replaces a handler it set before (tests build many apps)."""
    root = logging.getLogger()
    for handler in list(root.handlers):
        if getattr(handler, "coachbook", False):
            root.removeHandler(handler)
    handler = logging.StreamHandler()
    handler.coachbook = True
    handler.addFilter(RequestIdFilter())
    if log_format == "json":
        handler.setFormatter(
            JsonFormatter(JSON_FIELDS, rename_fields={"levelname": "level", "asctime": "time"})
        )
    else:
        handler.setFormatter(logging.Formatter(TEXT_FORMAT))
    root.addHandler(handler)
    root.setLevel(level)
