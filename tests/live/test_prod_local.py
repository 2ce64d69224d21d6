"""``scripts/prod-local``: the production recipe started from this checkout (nginx,
gunicorn with two processes, an RQ worker, PostgreSQL, Redis), looked at through nginx as
a browser would, then stopped.

Needs nginx (``apt-get install nginx``; .ci/run installs it): without it the test is
skipped, except under ``CI=true`` where that is a failure.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import requests

from tests.conftest import create_pg_database, drop_pg_database, free_port
from tests.live.conftest import ROOT, WAIT, Listener

pytestmark = [pytest.mark.stack, pytest.mark.redis, pytest.mark.postgres]
NGINX = shutil.which("nginx") or "/usr/sbin/nginx"
SCRIPT = ROOT / "scripts" / "prod-local"


@pytest.fixture
def stack(postgres_server_url, redis_url, tmp_path):
    if not Path(NGINX).exists():
        message = "nginx not installed (apt-get install -y nginx)"
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail(message, pytrace=False)
        pytest.skip(message)
    database = create_pg_database(postgres_server_url, prefix="coachbook_prodlocal")
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PYTEST", "DATABASE_"))}
    env |= {
        "DATABASE_URL": database,
        "REDIS_URL": redis_url,
        "SOCKETIO_CHANNEL": f"prod-local-{port}",
        "PROD_DIR": str(tmp_path / "prod"),
        "PROD_PORT": str(port),
        "PROD_APP_PORT": str(free_port()),
        "PROD_SEED": "1",
        "PATH": f"{Path(sys.executable).parent}:{env.get('PATH', '')}",
    }

    def run(command: str) -> subprocess.CompletedProcess:
        return subprocess.run(
            [str(SCRIPT), command], cwd=ROOT, env=env, capture_output=True, text=True, timeout=120
        )

    started = run("start")
    try:
        assert started.returncode == 0, started.stdout + started.stderr
        yield f"http://127.0.0.1:{port}", run, tmp_path / "prod"
    finally:
        run("stop")
        drop_pg_database(database)


def test_the_stack_serves_pages_assets_sockets_and_stops_cleanly(stack):
    base, run, run_dir = stack

    health = requests.get(f"{base}/healthz", timeout=WAIT)
    assert health.json() == {"status": "ok", "database": "ok", "redis": "ok"}
    page = requests.get(f"{base}/coaches/dana-demo", timeout=WAIT)
    assert page.status_code == 200 and "Dana Demo" in page.text
    assert page.headers["Server"] == "nginx" and page.headers["X-Request-ID"]

    # The page names content-hashed files; nginx serves them compressed, cached a year.
    [css] = [p for p in page.text.split('"') if p.startswith("/static/css/app-")]
    asset = requests.get(f"{base}{css}", headers={"Accept-Encoding": "gzip"}, timeout=WAIT)
    assert asset.status_code == 200 and asset.headers["Content-Encoding"] == "gzip"
    assert asset.headers["Cache-Control"] == "public, max-age=31536000, immutable"
    embed = requests.get(f"{base}/static/embed.js", timeout=WAIT)
    assert embed.status_code == 200 and embed.headers["Cache-Control"] == "max-age=300"

    # A live-update connection through nginx's WebSocket upgrade, with a token.
    login = requests.post(
        f"{base}/api/auth/login",
        json={"email": "coach@example.com", "password": "demo-coach-pass"},
        timeout=WAIT,
    )
    assert login.status_code == 200, login.text
    listener = Listener(base, auth={"token": login.json()["token"]})
    try:
        assert listener.client.transport() == "websocket"
    finally:
        listener.close()

    status = run("status")
    assert status.returncode == 0 and "web" in status.stdout and "worker-1" in status.stdout
    stopped = run("stop")
    assert stopped.returncode == 0, stopped.stdout + stopped.stderr
    assert "killed" not in stopped.stdout  # each process stopped on SIGTERM/SIGQUIT
    assert not list(run_dir.glob("*.pid"))
    with pytest.raises(requests.ConnectionError):
        requests.get(f"{base}/healthz", timeout=2)
