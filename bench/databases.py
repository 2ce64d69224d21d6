"""Benchmarks run on a fresh SQLite file and a fresh PostgreSQL database, both migrated."""

from __future__ import annotations

import os
import tempfile
import uuid
from collections.abc import Callable
from pathlib import Path

import psycopg
from flask import Flask
from flask_migrate import upgrade
from sqlalchemy import make_url

from app import create_app
from bench.harness import Result
from extensions import db

DEFAULT_PG = "postgresql+psycopg://postgres@127.0.0.1:5432/test"


def on_each_database(run_on: Callable[[Flask, str], list[Result]]) -> list[Result]:
    """``run_on(app, label)`` on SQLite, then on PostgreSQL (skipped with a note when
    ``TEST_DATABASE_URL`` or the local server does not answer)."""
    results = []
    with tempfile.TemporaryDirectory() as tmp:
        results += _on(f"sqlite:///{Path(tmp) / 'bench.sqlite3'}", "SQLite", tmp, run_on)
        server = make_url(os.environ.get("TEST_DATABASE_URL") or DEFAULT_PG)
        name = f"coachbook_bench_{uuid.uuid4().hex[:8]}"
        try:
            _admin(server, f'CREATE DATABASE "{name}"')
        except psycopg.Error as error:
            print(f"PostgreSQL benchmarks skipped: {error}")
            return results
        try:
            url = server.set(database=name).render_as_string(hide_password=False)
            results += _on(url, "PostgreSQL", tmp, run_on)
        finally:
            _admin(server, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    return results


def bench_app(url: str, instance_path: str) -> Flask:
    """The app on ``url`` with cheap hashing and no rate limits, migrated to head."""
    app = create_app(
        {
            "SQLALCHEMY_DATABASE_URI": url,
            "INSTANCE_PATH": instance_path,
            "SECRET_KEY": "bench-" + "x" * 40,
            "REDIS_URL": None,
            "RATELIMIT_ENABLED": False,
            "PASSWORD_HASH_METHOD": "pbkdf2:sha256:1000",
        }
    )
    with app.app_context():
        upgrade()
    return app


def _on(url: str, label: str, tmp: str, run_on) -> list[Result]:
    app = bench_app(url, tmp)
    try:
        return run_on(app, label)
    finally:
        with app.app_context():
            db.engine.dispose()


def _admin(server, sql: str) -> None:
    dsn = server.set(drivername="postgresql").render_as_string(hide_password=False)
    with psycopg.connect(dsn, autocommit=True) as conn:
        conn.execute(sql)
