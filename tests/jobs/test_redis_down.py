"""Redis down: a change still commits and answers normally, its emails wait in the
outbox (the failed hand-over to RQ is logged, not raised), and the sweep sends them
once when the jobs run again."""

from __future__ import annotations

import logging

import pytest

from models import Booking
from services import outbox, periodic
from tests.api.booking_setup import at, book, make_scene
from tests.conftest import free_port
from tests.helpers import count
from tests.jobs.conftest import email, queue_emails, received, row, rows


@pytest.fixture
def app_config(smtp_sink):
    # Nothing listens on that port: every hand-over to RQ fails.
    return {
        "REDIS_URL": f"redis://127.0.0.1:{free_port()}/0",
        "SOCKETIO_MESSAGE_QUEUE": None,
        "MAIL_SERVER": "127.0.0.1",
        "MAIL_PORT": smtp_sink[1],
    }


def test_an_email_waits_in_the_outbox_and_the_sweep_sends_it_once(app, smtp_sink, caplog):
    sink, _ = smtp_sink
    with caplog.at_level(logging.WARNING, logger="jobs"):
        [outbox_id] = queue_emails(app, email(to="ana@example.com"))

    stored = row(app, outbox_id)
    assert (stored["status"], stored["attempts"]) == ("pending", 0)
    assert any("Redis unreachable" in r.getMessage() for r in caplog.records)
    assert sink.messages == []

    with app.app_context():  # the worker's next tick, once Redis is back
        assert periodic.run_all()["sweep_outbox"] == 1
        assert outbox.sweep() == 0
    assert row(app, outbox_id)["status"] == "sent"
    assert received(sink, stored["message_id"]) == 1
    assert len(sink.messages) == 1


def test_a_booking_through_the_api_is_made_and_its_emails_sent_later(app, api, smtp_sink):
    sink, _ = smtp_sink
    scene = make_scene(app, api)

    response = book(api, scene, at(10))

    assert response.status_code == 201, response.get_json()
    assert response.get_json()["booking"]["status"] == "confirmed"
    assert count(app, Booking) == 1
    waiting = rows(app)
    assert waiting, "a booking queues its confirmation emails"
    assert {r["status"] for r in waiting} == {"pending"}
    assert sink.messages == []

    with app.app_context():
        assert outbox.sweep() == len(waiting)
        assert outbox.sweep() == 0
    assert {r["status"] for r in rows(app)} == {"sent"}
    assert sorted(m["Message-ID"] for m in sink.messages) == sorted(
        r["message_id"] for r in waiting
    )
    assert sorted(m["To"] for m in sink.messages) == sorted([scene.coach.email, scene.client.email])
