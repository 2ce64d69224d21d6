"""What a visitor feels: pages fetched over real HTTP (keep-alive) from the app served by
Werkzeug's threaded server on 127.0.0.1, with the demo data of ``flask seed-demo``.

Reported per database: the demo coach's calendar page (full page and the htmx fragment)
in week and month view, and the month's slots through the API for comparison.
"""

from __future__ import annotations

import http.client
import logging
import threading
from datetime import date, timedelta

from werkzeug.serving import make_server

from bench.databases import on_each_database
from bench.harness import Result, measure

RUNS = 60


def _monday_in(weeks: int) -> date:
    day = date.today() + timedelta(weeks=weeks)
    return day - timedelta(days=day.weekday())


def _get(connection: http.client.HTTPConnection, path: str, headers: dict) -> None:
    connection.request("GET", path, headers=headers)
    response = connection.getresponse()
    body = response.read()
    if response.status != 200:
        raise RuntimeError(f"GET {path}: {response.status} {body[:200]!r}")


def run_on(app, label: str) -> list[Result]:
    assert app.test_cli_runner().invoke(args=["seed-demo"]).exit_code == 0
    logging.getLogger("werkzeug").setLevel(logging.WARNING)
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    connection = http.client.HTTPConnection("127.0.0.1", server.server_port, timeout=10)
    week = _monday_in(1).isoformat()
    base = "/coaches/dana-demo"
    htmx = {"HX-Request": "true"}
    cases = (
        ("week page", f"{base}?view=week&date={week}&tz=Europe/Berlin", {}),
        ("week fragment (htmx)", f"{base}?view=week&date={week}&tz=Europe/Berlin", htmx),
        ("month page", f"{base}?view=month&date={week}&tz=Europe/Berlin", {}),
    )
    results = []
    try:
        for name, path, headers in cases:
            results.append(
                measure(
                    f"HTTP {label}: calendar {name}",
                    lambda path=path, headers=headers: _get(connection, path, headers),
                    runs=RUNS,
                    warmup=5,
                    note="demo coach, signed out, keep-alive",
                )
            )
    finally:
        connection.close()
        server.shutdown()
        server.server_close()
    return results


def run() -> list[Result]:
    return on_each_database(run_on)
