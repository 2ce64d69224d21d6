"""The settings page's "sign out everywhere else": every other web sign-in of the user
ends (``web_sessions.end_all`` inside its own transaction). Bearer tokens are not web
sign-ins and stay; a password change ends those too (``accounts.change_password``)."""

from __future__ import annotations

import logging

from models import User
from services import web_sessions
from services.transactions import write_transaction

logger = logging.getLogger(__name__)


def end_other_sign_ins(user: User, keep: int | None) -> int:
    """End every live web sign-in of ``user`` except ``keep``; returns how many ended."""
    with write_transaction():
        ended = web_sessions.end_all(user.id, keep=keep)
    logger.info("user %s ended %s other web sessions", user.id, ended)
    return ended
