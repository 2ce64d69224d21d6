"""``flask --app app worker`` as a real process on real Redis: it runs the send jobs the
app queues, a worker killed in the middle of a send leaves the email for the sweeper
(which sends it once), and without ``REDIS_URL`` it says why it will not start."""

from __future__ import annotations

import subprocess
import sys
import time
from datetime import timedelta
from pathlib import Path

import pytest
from rq import Queue

from jobs import QUEUE, redis_connection
from models.types import utcnow
from services import outbox
from services.outbox import STALE_CLAIM
from tests.conftest import free_port
from tests.jobs.conftest import (
    REPO,
    WAIT_SECONDS,
    HoldingSink,
    email,
    queue_emails,
    received,
    row,
    smtp_server,
    start_worker,
    worker_env,
)


@pytest.fixture
def mail_port():
    return free_port()


@pytest.fixture
def app_config(clean_redis, mail_port):
    # The app hands its jobs to RQ, as in production; the worker process runs them.
    return {
        "REDIS_URL": clean_redis,
        "SOCKETIO_MESSAGE_QUEUE": None,
        "MAIL_SERVER": "127.0.0.1",
        "MAIL_PORT": mail_port,
    }


def env_for(app, mail_port: int) -> dict:
    return worker_env(
        app, REDIS_URL=app.config["REDIS_URL"], MAIL_SERVER="127.0.0.1", MAIL_PORT=mail_port
    )


@pytest.mark.redis
def test_a_burst_worker_runs_the_send_job_the_app_queued(app, mail_port, tmp_path):
    with smtp_server(mail_port) as sink:
        [outbox_id] = queue_emails(app, email(to="ana@example.com"))
        assert row(app, outbox_id)["status"] == "pending"  # on RQ, not sent by the app
        assert Queue(QUEUE, connection=redis_connection(app.config["REDIS_URL"])).count == 1

        worker = start_worker(env_for(app, mail_port), "--burst", log=tmp_path / "worker.log")
        try:
            code = worker.wait(WAIT_SECONDS * 2)
        except subprocess.TimeoutExpired:
            pytest.fail(
                "the burst worker did not finish:\n" + (tmp_path / "worker.log").read_text()
            )
        finally:
            worker.kill()
        assert code == 0, (tmp_path / "worker.log").read_text()

    stored = row(app, outbox_id)
    assert stored["status"] == "sent", (tmp_path / "worker.log").read_text()
    assert received(sink, stored["message_id"]) == 1
    assert [m["To"] for m in sink.messages] == ["ana@example.com"]
    assert Queue(QUEUE, connection=redis_connection(app.config["REDIS_URL"])).count == 0


@pytest.mark.redis
def test_a_worker_killed_mid_send_leaves_the_email_to_the_sweeper_which_sends_it_once(
    app, mail_port, tmp_path
):
    log = tmp_path / "worker.log"
    sink = HoldingSink()
    sink.hold = True
    with smtp_server(mail_port, sink):
        [outbox_id] = queue_emails(app)
        worker = start_worker(env_for(app, mail_port), log=log)
        try:
            assert sink.in_data.wait(WAIT_SECONDS * 2), log.read_text()
            worker.kill()  # SIGKILL while the server holds the message in DATA
            worker.wait(WAIT_SECONDS)
        finally:
            worker.kill()
        sink.hold = False
        sink.release.set()

        stored = row(app, outbox_id)
        assert stored["status"] == "sending"
        assert sink.messages == []  # the server never answered: nothing was accepted

        with app.app_context():  # the sweeper's next ticks
            assert outbox.sweep(utcnow() + STALE_CLAIM - timedelta(seconds=30)) == 0
            assert outbox.sweep(utcnow() + STALE_CLAIM + timedelta(minutes=1)) == 1
            assert outbox.sweep(utcnow() + STALE_CLAIM + timedelta(hours=1)) == 0

    stored = row(app, outbox_id)
    assert (stored["status"], stored["attempts"]) == ("sent", 2)
    assert received(sink, stored["message_id"]) == 1
    assert len(sink.messages) == 1


def test_without_redis_the_worker_exits_with_a_clear_message(tmp_path):
    env = worker_env_without_app(tmp_path)
    result = subprocess.run(
        [sys.executable, "-m", "flask", "--app", "app", "worker"],
        cwd=REPO,
        env=env,
        capture_output=True,
        text=True,
        timeout=WAIT_SECONDS * 2,
        stdin=subprocess.DEVNULL,
    )
    assert result.returncode != 0
    assert "REDIS_URL is not set" in result.stderr
    assert "need no worker" in result.stderr


def worker_env_without_app(tmp_path) -> dict:
    class Bare:  # just what worker_env reads: a SQLite file in the test's folder
        config = {"SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / 'db.sqlite3'}"}
        instance_path = str(tmp_path)

    return worker_env(Bare())


@pytest.mark.redis
def test_a_killed_worker_leaves_no_scheduler_process_behind(app, mail_port, tmp_path):
    """RQ runs its scheduler in a child process; a worker killed with SIGKILL (the OOM
    killer, a fault drill) must not leave it running with the scheduler lock."""
    log = tmp_path / "worker.log"
    worker = start_worker(env_for(app, mail_port), log=log)
    try:
        deadline = time.monotonic() + WAIT_SECONDS
        children = []
        while not children and time.monotonic() < deadline:
            children = child_pids(worker.pid)
            time.sleep(0.1)
        assert children, "no scheduler process started:\n" + log.read_text()
        worker.kill()
        worker.wait(WAIT_SECONDS)
        deadline = time.monotonic() + WAIT_SECONDS
        while any(alive(pid) for pid in children) and time.monotonic() < deadline:
            time.sleep(0.1)
        assert not any(alive(pid) for pid in children), log.read_text()
    finally:
        worker.kill()


def child_pids(pid: int) -> list[int]:
    found = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[1]) == pid:
            found.append(int(stat.parent.name))
    return found


def alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state != "Z"
