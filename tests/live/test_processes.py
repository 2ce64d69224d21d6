"""Several processes, one Redis (SPEC 7): an event emitted by one app process or by an RQ
worker reaches a client connected to another app process, through Redis as the
Socket.IO message queue."""

from __future__ import annotations

import signal
import subprocess
import sys

import pytest
import redis
import requests
from rq import Queue

from services import live
from tests.api.booking_setup import BOOKINGS_URL, at, booked, make_scene, payload
from tests.api.scheduling import z
from tests.factories import make_client
from tests.live.conftest import ROOT, WAIT, process_env

pytestmark = pytest.mark.redis


@pytest.fixture
def app_config(redis_config):
    return redis_config


def test_a_booking_made_in_one_process_reaches_clients_of_another(app, api, listen, second_process):
    scene = make_scene(app, api)
    coach = listen(scene.coach, base=second_process)
    viewer = listen(make_client(app), base=second_process)
    assert viewer.join(scene.coach.id) == {"ok": True}  # joined in process B

    booking = booked(api, scene, at(10))  # through process A's API
    (_, note), (_, update) = coach.until("booking_update")
    assert note["url"] == f"/bookings/{booking['id']}"
    assert (update["booking_id"], update["status"]) == (booking["id"], "confirmed")
    assert viewer.wait_for("availability_update") == {
        "coach_id": scene.coach.id,
        "start": z(at(10)),
        "end": z(at(11)),
    }


def test_a_booking_made_through_the_other_process_reaches_this_one(
    app, api, listen, second_process
):
    scene = make_scene(app, api)
    client = listen(scene.client)  # on process A
    response = requests.post(
        second_process + BOOKINGS_URL,
        json=payload(scene, start=at(11)),
        headers={"Authorization": f"Bearer {scene.client.token}"},
        timeout=WAIT,
    )
    assert response.status_code == 201, response.text
    update = client.wait_for("booking_update")
    assert update["booking_id"] == response.json()["booking"]["id"]
    assert update["start"] == z(at(11))


def test_an_event_emitted_by_an_rq_worker_reaches_a_client(
    app, listen, database_url, redis_url, channel, tmp_path
):
    person = make_client(app)
    socket = listen(person)
    data = {"booking_id": 7, "payment_status": "succeeded"}
    connection = redis.Redis.from_url(redis_url)
    connection.flushdb()  # no job an earlier test left for the burst worker to run first
    jobs = Queue("default", connection=connection)
    job = jobs.enqueue(live.emit, "payment_update", data, live.user_room(person.id))
    env = process_env(database_url, redis_url, channel, tmp_path / "worker")
    worker = subprocess.Popen(
        [sys.executable, "-m", "flask", "--app", "app", "worker", "--burst"],
        cwd=ROOT,
        env={**env, "PYTHONFAULTHANDLER": "1"},
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        output, _ = worker.communicate(timeout=60)
    except subprocess.TimeoutExpired:
        worker.send_signal(signal.SIGABRT)  # the faulthandler prints every thread's stack
        output, _ = worker.communicate()
        pytest.fail(f"the burst worker did not finish:\n{output}")
    assert worker.returncode == 0, output
    assert job.get_status(refresh=True) == "finished", output
    assert socket.wait_for("payment_update") == data
