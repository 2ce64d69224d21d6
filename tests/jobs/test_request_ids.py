"""Request ids (``X-Request-ID``): echoed or made for every answer, and carried into the
jobs a request causes, so the worker's log lines name the request that caused them."""

from __future__ import annotations

import json
import re
import subprocess

import pytest
from rq import Queue

from jobs import QUEUE, redis_connection
from services import effects
from tests.api.booking_setup import at, make_scene, payload
from tests.jobs.conftest import WAIT_SECONDS, start_worker, worker_env


@pytest.mark.parametrize(
    ("sent", "kept"),
    [
        ("3f1c0a9e8b7d6c5f4e3d2c1b0a998877", True),  # nginx's $request_id
        ("b1e7c3c2-6d53-4f0e-9a51-0f0e8a1a2b3c", True),
        ("short", False),
        ("has spaces in it", False),
        ("<script>alert(1)</script>", False),
        ("x" * 129, False),
        (None, False),
    ],
)
def test_every_answer_carries_a_request_id(client, sent, kept):
    headers = {"X-Request-ID": sent} if sent else {}

    answer = client.get("/healthz", headers=headers)

    given = answer.headers["X-Request-ID"]
    if kept:
        assert given == sent
    else:
        assert re.fullmatch(r"[0-9a-f]{32}", given)
    assert client.get("/healthz").headers["X-Request-ID"] != given  # one per request


@pytest.fixture
def app_config(clean_redis):
    return {"REDIS_URL": clean_redis, "SOCKETIO_MESSAGE_QUEUE": None, "MAIL_SERVER": None}


@pytest.mark.redis
def test_the_worker_logs_a_bookings_emails_with_the_bookings_request_id(app, api, client, tmp_path):
    scene = make_scene(app, api)
    trace = "booking-trace-0001"

    answer = client.post(
        "/api/bookings",
        json=payload(scene, start=at(10)),
        headers={"Authorization": f"Bearer {scene.client.token}", "X-Request-ID": trace},
    )
    assert answer.status_code == 201, answer.get_json()
    assert answer.headers["X-Request-ID"] == trace
    assert effects.drain(app)
    jobs = Queue(QUEUE, connection=redis_connection(app.config["REDIS_URL"])).jobs
    assert jobs and {job.meta.get("request_id") for job in jobs} == {trace}

    log = tmp_path / "worker.log"
    env = worker_env(app, REDIS_URL=app.config["REDIS_URL"], LOG_FORMAT="json")
    worker = start_worker(env, "--burst", log=log)
    try:
        assert worker.wait(WAIT_SECONDS * 2) == 0, log.read_text()
    except subprocess.TimeoutExpired:
        pytest.fail("the burst worker did not finish:\n" + log.read_text())
    finally:
        worker.kill()

    lines = [json.loads(line) for line in log.read_text().splitlines() if line.startswith("{")]
    sent = [line for line in lines if line["name"] == "services.outbox"]
    assert sent, log.read_text()  # the e-mails written to the outbox folder, one line each
    assert {line["request_id"] for line in sent} == {trace}
    assert all({"time", "level", "message", "process"} <= line.keys() for line in sent)
