"""API round trips through the Flask test client on a migrated SQLite file."""

from __future__ import annotations

import tempfile
from pathlib import Path

from flask_migrate import upgrade

from app import create_app
from bench.harness import Result, measure
from extensions import db
from models import SessionType
from services import accounts


def run() -> list[Result]:
    with tempfile.TemporaryDirectory() as tmp:
        app = create_app(
            {
                "SQLALCHEMY_DATABASE_URI": f"sqlite:///{Path(tmp) / 'bench.sqlite3'}",
                "INSTANCE_PATH": tmp,
                "SECRET_KEY": "bench-" + "x" * 40,
                "REDIS_URL": None,
                "RATELIMIT_ENABLED": False,
            }
        )
        with app.app_context():
            upgrade()
            coach = accounts.register_user(
                email="bench@example.com",
                password="bench-password",
                name="Bench",
                role="coach",
                timezone="Europe/Berlin",
            )
            for n in range(20):
                db.session.add(SessionType(coach_id=coach.id, name=f"Type {n}"))
            db.session.commit()
            token, _ = accounts.issue_api_token(coach)
        client = app.test_client()
        headers = {"Authorization": f"Bearer {token}"}
        results = [
            measure("GET /api/me (bearer)", lambda: client.get("/api/me", headers=headers)),
            measure(
                "GET /api/session-types (20 types)",
                lambda: client.get("/api/session-types", headers=headers),
            ),
        ]
        with app.app_context():
            db.engine.dispose()
        return results
