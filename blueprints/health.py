"""GET /healthz → {status, database, redis}: for load balancers and the fresh-clone check.

Each component is ``ok``, ``down`` or (Redis without ``REDIS_URL``) ``not_configured``;
the answer is 503 when the database or a configured Redis is down."""

from __future__ import annotations

import logging

from flask import Blueprint, current_app, jsonify
from sqlalchemy import text

from extensions import db
from jobs import redis_connection

logger = logging.getLogger(__name__)
bp = Blueprint("health", __name__)


@bp.route("/healthz")
def healthz():
    database = _check_database()
    redis_state = _check_redis()
    healthy = database == "ok" and redis_state in ("ok", "not_configured")
    body = {"status": "ok" if healthy else "degraded", "database": database, "redis": redis_state}
    return jsonify(body), 200 if healthy else 503


def _check_database() -> str:
    try:
        db.session.execute(text("SELECT 1"))
        db.session.rollback()
        return "ok"
    except Exception:
        logger.exception("health check: database unreachable")
        db.session.rollback()
        return "down"


def _check_redis() -> str:
    url = current_app.config.get("REDIS_URL")
    if not url:
        return "not_configured"
    import redis

    try:
        redis_connection(url).ping()
        return "ok"
    except redis.RedisError:
        logger.warning("health check: redis unreachable at the configured REDIS_URL")
        return "down"
