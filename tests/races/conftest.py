"""The app served on a free 127.0.0.1 port in a thread, for races with real requests."""

from __future__ import annotations

import logging
import threading

import pytest
from werkzeug.serving import make_server


@pytest.fixture
def served(app):
    """(host, port) of the test app served by Werkzeug's threaded server; one thread per
    request, as in production, each with its own database session."""
    logging.getLogger("werkzeug").setLevel(logging.WARNING)
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(
        target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
    )
    thread.start()
    try:
        yield ("127.0.0.1", server.server_port)
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)
