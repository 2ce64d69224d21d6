"""Every request's id (``X-Request-ID``): taken from the proxy or made here, bound for the
request's log lines (services/log_context.py) and sent back with the answer."""

from __future__ import annotations

from flask import Flask, g, request

from services import log_context

HEADER = "X-Request-ID"


def init_request_ids(app: Flask) -> None:
    # First of all before_request hooks, so that everything after logs with the id.
    app.before_request_funcs.setdefault(None, []).insert(0, _bind)
    app.after_request(_answer_with_id)
    # Teardowns run last-registered first: this one goes to the end, after the effects'
    # hand-over (which passes the id on to the effects thread).
    app.teardown_request_funcs.setdefault(None, []).insert(0, _unbind)


def _bind() -> None:
    g.request_id = log_context.request_id_from(request.headers.get(HEADER))
    g.request_id_token = log_context.bind(g.request_id)


def _answer_with_id(response):
    if "request_id" in g:
        response.headers[HEADER] = g.request_id
    return response


def _unbind(_error=None) -> None:
    token = g.pop("request_id_token", None)
    if token is not None:
        log_context.unbind(token)
