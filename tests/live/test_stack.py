"""The production processes, as docs/deploy.md runs them (SPEC 13): gunicorn with
deploy/gunicorn.conf.py and two app processes, a second gunicorn process, and an RQ
worker (``flask --app app worker``), on PostgreSQL and Redis.

One journey: a page and an API booking through the two-process gunicorn; the booking's
live event reaches a client connected to the other gunicorn (another process for sure);
its e-mails are sent by the worker; and stopping with SIGTERM right after the booking's
answer loses nothing: the process finishes handing over the booking's effects (the
event, the e-mail job) before it exits, and every process exits cleanly.
"""

from __future__ import annotations

import signal
import subprocess
import sys
import time

import pytest
import requests

from tests.api.booking_setup import at, make_scene, payload
from tests.conftest import free_port, migrated_pg_database
from tests.jobs.conftest import smtp_server
from tests.live.conftest import ROOT, WAIT, Listener, _wait_until_up, process_env

pytestmark = [pytest.mark.stack, pytest.mark.redis, pytest.mark.postgres]
STOP_SECONDS = 20


@pytest.fixture(scope="module")
def database_url(postgres_server_url, tmp_path_factory):
    """The stack runs on PostgreSQL only: a migrated database of this module's own."""
    with migrated_pg_database(postgres_server_url, tmp_path_factory, "coachbook_stack") as url:
        yield url


@pytest.fixture
def mail_port():
    return free_port()


@pytest.fixture
def app_config(redis_config, mail_port):
    return redis_config | {"MAIL_SERVER": "127.0.0.1", "MAIL_PORT": mail_port}


class Stack:
    """The processes of one test, each logging to a file of its own; all stopped after."""

    def __init__(self, env: dict, logs):
        self.env, self.logs = env, logs
        self.processes: dict[str, subprocess.Popen] = {}

    def start(self, name: str, command: list[str]) -> subprocess.Popen:
        log = (self.logs / f"{name}.log").open("wb")
        process = subprocess.Popen(
            command, cwd=ROOT, env=self.env, stdout=log, stderr=subprocess.STDOUT
        )
        self.processes[name] = process
        return process

    def gunicorn(self, name: str, workers: int) -> str:
        port = free_port()
        gunicorn = [sys.executable, "-m", "gunicorn", "-c", "deploy/gunicorn.conf.py"]
        options = ["-w", str(workers), "-b", f"127.0.0.1:{port}", "--graceful-timeout", "10"]
        self.start(name, [*gunicorn, *options])
        return f"http://127.0.0.1:{port}"

    def log(self, name: str) -> str:
        return (self.logs / f"{name}.log").read_text()

    def terminate(self, name: str) -> int:
        """SIGTERM, as systemd stops a unit; the exit code (killed after STOP_SECONDS)."""
        process = self.processes[name]
        process.send_signal(signal.SIGTERM)
        try:
            return process.wait(STOP_SECONDS)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
            pytest.fail(f"{name} did not stop within {STOP_SECONDS} s:\n{self.log(name)}")

    def stop_all(self) -> None:
        for process in self.processes.values():
            if process.poll() is None:
                process.kill()
                process.wait()


@pytest.fixture
def stack(app, database_url, redis_url, channel, mail_port, tmp_path):
    env = process_env(database_url, redis_url, channel, tmp_path / "instance")
    env |= {"MAIL_SERVER": "127.0.0.1", "MAIL_PORT": str(mail_port), "LOG_FORMAT": "json"}
    env.pop("GUNICORN_ACCESS_LOG", None)
    running = Stack(env, tmp_path)
    try:
        yield running
    finally:
        running.stop_all()


def test_two_processes_a_worker_and_a_graceful_stop(app, api, stack, mail_port):
    scene = make_scene(app, api)
    web = stack.gunicorn("web", workers=2)
    other = stack.gunicorn("other", workers=1)
    with smtp_server(mail_port) as sink:
        worker = stack.start("worker", [sys.executable, "-m", "flask", "--app", "app", "worker"])
        for base, name in ((web, "web"), (other, "other")):
            _wait_until_up(base, stack.processes[name])
        # Two app processes under the first gunicorn.
        assert "Booting worker" in stack.log("web")
        assert stack.log("web").count("Booting worker") == 2

        page = requests.get(f"{web}/coaches/{scene.coach.slug}", timeout=WAIT)
        assert page.status_code == 200 and scene.coach.name in page.text
        assert page.headers["X-Request-ID"]

        coach = Listener(other, auth={"token": scene.coach.token})
        try:
            answer = requests.post(
                f"{web}/api/bookings",
                json=payload(scene, start=at(10)),
                headers={"Authorization": f"Bearer {scene.client.token}"},
                timeout=WAIT,
            )
            # Stopped at once: what the request handed over must still go out.
            assert stack.terminate("web") == 0, stack.log("web")
            assert answer.status_code == 201, answer.text
            booking = answer.json()["booking"]

            update = coach.wait_for("booking_update", lambda data: "status" in data)
            assert (update["booking_id"], update["status"]) == (booking["id"], "confirmed")
        finally:
            coach.close()

        deadline = time.monotonic() + WAIT * 2
        while len(sink.messages) < 2 and time.monotonic() < deadline:
            time.sleep(0.1)
        recipients = sorted(str(m["To"]) for m in sink.messages)
        assert recipients == sorted([scene.client.email, scene.coach.email]), stack.log("worker")
        assert worker.poll() is None
        assert stack.terminate("worker") == 0, stack.log("worker")
    assert stack.terminate("other") == 0, stack.log("other")
    assert "warm shut down requested" in stack.log("worker")  # it finished, then stopped
