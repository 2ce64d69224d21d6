"""Socket.IO (SPEC 7): who may connect, and who may follow a calendar.

A connection is authenticated by a bearer token (``auth={"token": …}`` or ``?token=``),
else by the browser's sign-in, and refused otherwise; it joins ``user:<id>``.
``join_calendar {coach_id}`` joins ``calendar:<coach_id>`` only if the viewer may see that
calendar: a calendar they may not see answers exactly as a coach that does not exist
(``not_found``), as the calendar API does.

Flask-SocketIO runs each event inside an app and request context of its own, whose
teardown removes the database session; the handlers here also remove it themselves, so
no event leaves a transaction open whatever it ran into.
"""

from __future__ import annotations

import functools
import logging

from flask import request, session
from flask_socketio import ConnectionRefusedError, join_room, leave_room

from extensions import db, socketio
from models import User
from services import accounts, web_sessions
from services.live import calendar_room, user_room
from services.visibility import can_view_calendar

logger = logging.getLogger(__name__)

MAX_ID = 2**31 - 1  # ids are 32-bit integer columns
# The connection's user, kept in Flask-SocketIO's per-connection copy of the session.
USER_KEY = "live_user_id"


def register_socket_handlers() -> None:
    """Register the handlers on the app's Socket.IO server (after ``socketio.init_app``,
    which builds a new server for every app)."""
    socketio.on_event("connect", on_connect)
    socketio.on_event("join_calendar", on_join_calendar)
    socketio.on_event("leave_calendar", on_leave_calendar)


def _closes_session(handler):
    """Remove the event's database session when the handler is done."""

    @functools.wraps(handler)
    def wrapper(*args):
        try:
            return handler(*args)
        finally:
            db.session.remove()

    return wrapper


@_closes_session
def on_connect(auth=None):
    try:
        user = _connecting_user(auth)
    except Exception:  # a malformed handshake is a refusal, never a server error
        logger.exception("socket handshake failed")
        user = None
    if user is None:
        raise ConnectionRefusedError("unauthorized")
    session[USER_KEY] = user.id
    join_room(user_room(user.id))


def _connecting_user(auth) -> User | None:
    """A bearer token, if one is given, is the only credential (as for the API); else
    the browser's sign-in."""
    token = auth.get("token") if isinstance(auth, dict) else None
    if token is None:
        token = request.args.get("token")
    if token is not None:
        return accounts.user_for_token(token) if isinstance(token, str) else None
    return _signed_in_user()


def _signed_in_user() -> User | None:
    """The live sign-in behind the session cookie (what Flask-Login's user loader reads).
    Flask-Login itself is not asked: without a session it would fall back to the remember
    cookie and rotate that sign-in's secret, and a handshake cannot send the new cookie
    back (the browser's copy would stop working). A page load, which can, comes first."""
    secret = session.get("_user_id")
    sign_in = web_sessions.resolve(secret) if isinstance(secret, str) else None
    return sign_in.user if sign_in is not None else None


@_closes_session
def on_join_calendar(*args):
    coach_id = _coach_id(args)
    if coach_id is None:
        return _refusal("validation_error")
    try:
        allowed = _may_follow(coach_id)
    except Exception:
        logger.exception("join_calendar %s failed", coach_id)
        return _refusal("internal_error")
    if not allowed:
        return _refusal("not_found")
    join_room(calendar_room(coach_id))
    return {"ok": True}


@_closes_session
def on_leave_calendar(*args):
    coach_id = _coach_id(args)
    if coach_id is None:
        return _refusal("validation_error")
    leave_room(calendar_room(coach_id))
    return {"ok": True}


def _may_follow(coach_id: int) -> bool:
    user_id = session.get(USER_KEY)
    viewer = db.session.get(User, user_id) if isinstance(user_id, int) else None
    if viewer is not None and not viewer.is_active:
        viewer = None
    coach = db.session.get(User, coach_id)
    return coach is not None and can_view_calendar(viewer, coach)


def _coach_id(args: tuple) -> int | None:
    """``coach_id`` of the event's one argument, a JSON object: a positive id, else None."""
    if len(args) != 1 or not isinstance(args[0], dict):
        return None
    value = args[0].get("coach_id")
    if type(value) is not int or not 1 <= value <= MAX_ID:  # bool is not an id
        return None
    return value


def _refusal(code: str) -> dict:
    return {"ok": False, "error": {"code": code}}
