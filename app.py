"""The app factory: config, extensions, blueprints, errors and CLI commands.

``flask --app app run`` serves it; the module attribute ``app`` (built on first use) is
what ``flask --app app`` and ``gunicorn app:app`` load.
"""

from __future__ import annotations

from pathlib import Path

from flask import Flask, url_for
from jinja2 import StrictUndefined
from werkzeug.middleware.proxy_fix import ProxyFix

import models  # noqa: F401  (registers every table with the metadata)
from blueprints.bodies import StrictRequest
from config import finalise_config, load_config
from extensions import csrf, db, limiter, login_manager, migrate, socketio, static_digest
from services import effects, log_context
from services.transactions import install_sqlite_hooks

BASE_DIR = Path(__file__).resolve().parent


def create_app(overrides: dict | None = None) -> Flask:
    """Build the app from the environment, with ``overrides`` on top (tests use these)."""
    config = load_config()
    config.update(overrides or {})
    finalise_config(config)

    app = Flask(__name__, instance_path=config["INSTANCE_PATH"], instance_relative_config=False)
    app.request_class = StrictRequest  # JSON bodies parsed and checked in one place
    app.config.update(config)
    Path(app.instance_path).mkdir(parents=True, exist_ok=True)
    app.jinja_env.undefined = StrictUndefined
    app.json.sort_keys = False
    log_context.configure(app.config.get("LOG_FORMAT") or "text")
    proxies = app.config.get("TRUSTED_PROXY_COUNT", 0)
    if proxies:
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=proxies, x_proto=proxies, x_host=proxies)

    _init_extensions(app)
    _register_blueprints(app)

    from blueprints.templating import register_template_helpers
    from cli import register_commands

    register_template_helpers(app)
    register_commands(app)
    return app


def _init_extensions(app: Flask) -> None:
    db.init_app(app)
    with app.app_context():
        if db.engine.dialect.name == "sqlite":
            install_sqlite_hooks(db.engine)
    migrate.init_app(app, db, directory=str(BASE_DIR / "migrations"))
    login_manager.init_app(app)
    csrf.init_app(app)
    limiter.init_app(app)
    static_digest.init_app(app)
    if app.config["APP_ENV"] != "production":
        # Plain names while developing: an edited file shows at once, whatever a
        # ``flask digest compile`` left in static/.
        app.jinja_env.globals["static_url_for"] = url_for
    effects.install(db.session, app)
    from jobs.schedule import start_in_process

    # Without Redis the periodic jobs run on a thread of each serving process, started
    # by its first request (so CLI commands such as ``db upgrade`` start none).
    app.before_request(lambda: start_in_process(app))
    socketio.init_app(
        app,
        async_mode=app.config["SOCKETIO_ASYNC_MODE"],
        message_queue=app.config.get("SOCKETIO_MESSAGE_QUEUE", app.config["REDIS_URL"]),
        channel=app.config.get("SOCKETIO_CHANNEL", "flask-socketio"),
        logger=False,
        engineio_logger=False,
    )


def _register_blueprints(app: Flask) -> None:
    from blueprints import (
        auth,
        availability_pages,
        booking_modal,
        booking_pages,
        calendar_pages,
        catalog_pages,
        embed_pages,
        feed_pages,
        health,
        notification_pages,
        pages,
        settings_pages,
        stripe_webhook,
    )
    from blueprints.api import IdConverter, init_api
    from blueprints.errors import register_error_handlers
    from blueprints.security import init_security

    # Registered before any blueprint: every route with an id uses ``<id:...>``.
    app.url_map.converters["id"] = IdConverter
    register_error_handlers(app)
    from blueprints.request_ids import init_request_ids

    init_request_ids(app)
    init_security(app)
    from blueprints.toasts import init_toasts

    init_toasts(app)
    for blueprint in (
        pages.bp,
        auth.bp,
        health.bp,
        calendar_pages.bp,
        booking_modal.bp,
        booking_pages.bp,
        availability_pages.bp,
        catalog_pages.bp,
        settings_pages.bp,
        notification_pages.bp,
        stripe_webhook.bp,
        feed_pages.bp,
        embed_pages.bp,
    ):
        app.register_blueprint(blueprint)
    init_api(app)
    from blueprints.sockets import register_socket_handlers

    register_socket_handlers()


def __getattr__(name: str):
    """``app.app`` is built on first access, so importing the factory has no side effects."""
    if name == "app":
        instance = create_app()
        globals()["app"] = instance
        return instance
    raise AttributeError(name)
