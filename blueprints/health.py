"""GET /healthz → {status, database, redis}: for load balancers and the fresh-clone check."""

from __future__ import annotations

import logging

from flask import Blueprint, current_app, jsonify
from sqlalchemy import text

from extensions import db

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
        return "error"


def _check_redis() -> str:
    url = current_app.config.get("REDIS_URL")
    if not url:
        return "not_configured"
    import redis

    try:
        redis.Redis.from_url(url, socket_connect_timeout=1, socket_timeout=1).ping()
        return "ok"
    except redis.RedisError:
        logger.warning("health check: redis unreachable at the configured REDIS_URL")
        return "error"
