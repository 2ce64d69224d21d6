"""The email outbox against a real SMTP server on 127.0.0.1: an email is sent once after
its change commits, never for a change that rolled back, survives the server being down
or refusing for a while, gives up on a permanent refusal, and two senders at once still
send each email once."""

from __future__ import annotations

import threading
import traceback
from datetime import timedelta

import pytest

from extensions import db
from models import OutboxEmail
from models.types import utcnow
from services import outbox, periodic
from services.outbox import STALE_CLAIM
from services.transactions import write_transaction
from tests.conftest import SmtpSink, free_port
from tests.jobs.conftest import WAIT_SECONDS, email, queue_emails, received, row, rows, smtp_server


def mail_to(port: int, **extra) -> dict:
    return {"MAIL_SERVER": "127.0.0.1", "MAIL_PORT": port, "MAIL_TIMEOUT_SECONDS": 5, **extra}


class TestDelivery:
    @pytest.fixture
    def app_config(self, smtp_sink):
        return mail_to(smtp_sink[1])

    def test_a_queued_email_is_sent_once_after_the_commit(self, app, smtp_sink):
        sink, _ = smtp_sink
        [outbox_id] = queue_emails(app, email(to="ana@example.com", subject="Booked"))

        stored = row(app, outbox_id)
        assert stored["status"] == "sent"
        assert stored["attempts"] == 1
        assert stored["sent_at"] is not None
        [message] = sink.messages
        assert message["Message-ID"] == stored["message_id"]
        assert (message["To"], message["Subject"]) == ("ana@example.com", "Booked")

        # A late duplicate of the job, and a sweep, send nothing more.
        with app.app_context():
            assert outbox.deliver_many([outbox_id]) == 0
            assert outbox.sweep(utcnow() + timedelta(days=1)) == 0
        assert len(sink.messages) == 1

    def test_nothing_is_queued_or_sent_when_the_change_rolls_back(self, app, smtp_sink):
        sink, _ = smtp_sink
        with app.app_context(), pytest.raises(RuntimeError), write_transaction():
            outbox.queue([email()])
            raise RuntimeError("the change failed")

        assert rows(app) == []
        assert sink.messages == []

    def test_a_permanent_refusal_fails_the_email_and_it_is_never_retried(self, app, smtp_sink):
        sink, _ = smtp_sink
        sink.refuse_with = "550 5.1.1 No such user"
        [outbox_id] = queue_emails(app)

        stored = row(app, outbox_id)
        assert (stored["status"], stored["attempts"]) == ("failed", 1)
        assert "550" in stored["last_error"]

        sink.refuse_with = None
        with app.app_context():
            assert periodic.run_all(utcnow() + timedelta(days=2))["sweep_outbox"] == 0
        assert sink.messages == []
        assert row(app, outbox_id)["status"] == "failed"

    def test_an_email_that_cannot_be_built_fails_at_once(self, app, smtp_sink):
        sink, _ = smtp_sink
        [outbox_id] = queue_emails(app, email(to="ana@example.com\nBcc: eve@example.com"))

        stored = row(app, outbox_id)
        assert (stored["status"], stored["attempts"]) == ("failed", 1)
        assert "cannot be built" in stored["last_error"]
        assert sink.messages == []

    def test_an_email_whose_workers_keep_dying_fails_after_the_last_attempt(self, app, smtp_sink):
        sink, _ = smtp_sink
        sink.refuse_with = "451 4.3.0 Try again later"
        [outbox_id] = queue_emails(app)
        sink.refuse_with = None
        last = app.config["MAIL_MAX_ATTEMPTS"]
        claimed = utcnow()
        # As a worker killed in the middle of the last allowed attempt leaves it.
        set_row(app, outbox_id, status="sending", attempts=last, claimed_at=claimed)

        with app.app_context():
            assert outbox.sweep(claimed + STALE_CLAIM + timedelta(minutes=1)) == 0
            assert outbox.sweep(claimed + timedelta(days=1)) == 0
        stored = row(app, outbox_id)
        assert stored["status"] == "failed"
        assert "no worker finished" in stored["last_error"]
        assert sink.messages == []


class TestServerRefusesForAWhile:
    @pytest.fixture
    def app_config(self, smtp_sink):
        return mail_to(smtp_sink[1], MAIL_MAX_ATTEMPTS=3)

    def test_a_temporary_refusal_is_retried_later_and_sent_once(self, app, smtp_sink):
        sink, _ = smtp_sink
        sink.refuse_with = "451 4.3.0 Try again later"
        before = utcnow()
        [outbox_id] = queue_emails(app)

        stored = row(app, outbox_id)
        assert (stored["status"], stored["attempts"]) == ("pending", 1)
        assert stored["next_attempt_at"] > before
        assert "451" in stored["last_error"]
        with app.app_context():  # not due yet: nothing is tried
            assert outbox.sweep(stored["next_attempt_at"] - timedelta(seconds=1)) == 0
        assert row(app, outbox_id)["attempts"] == 1

        sink.refuse_with = None
        with app.app_context():
            assert outbox.sweep(stored["next_attempt_at"] + timedelta(seconds=1)) == 1
            assert outbox.sweep(stored["next_attempt_at"] + timedelta(days=1)) == 0
        assert row(app, outbox_id)["status"] == "sent"
        assert received(sink, stored["message_id"]) == 1
        assert len(sink.messages) == 1

    def test_after_the_last_attempt_the_email_fails(self, app, smtp_sink):
        sink, _ = smtp_sink
        sink.refuse_with = "451 4.3.0 Try again later"
        [outbox_id] = queue_emails(app)  # attempt 1, after the commit
        with app.app_context():
            for _ in range(2):  # attempts 2 and 3, each when it is due
                due = row(app, outbox_id)["next_attempt_at"]
                assert outbox.sweep(due + timedelta(seconds=1)) == 0

        stored = row(app, outbox_id)
        assert (stored["status"], stored["attempts"]) == ("failed", 3)
        assert "451" in stored["last_error"]
        sink.refuse_with = None
        with app.app_context():
            assert outbox.sweep(utcnow() + timedelta(days=30)) == 0
        assert sink.messages == []


class BusyMailbox(SmtpSink):
    """Refuses every recipient with a temporary "mailbox busy" while ``busy`` is set."""

    busy = True

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        if self.busy:
            return "450 4.2.1 Mailbox busy, try again later"
        envelope.rcpt_tos.append(address)
        return "250 OK"


class TestRecipientBusy:
    @pytest.fixture
    def port(self):
        return free_port()

    @pytest.fixture
    def app_config(self, port):
        return mail_to(port)

    def test_a_temporary_refusal_of_the_recipient_is_retried(self, app, port):
        with smtp_server(port, BusyMailbox()) as sink:
            [outbox_id] = queue_emails(app)
            stored = row(app, outbox_id)
            assert (stored["status"], stored["attempts"]) == ("pending", 1)
            assert "450" in stored["last_error"]

            sink.busy = False
            with app.app_context():
                assert outbox.sweep(stored["next_attempt_at"] + timedelta(seconds=1)) == 1
        assert row(app, outbox_id)["status"] == "sent"
        assert received(sink, stored["message_id"]) == 1


class TestServerDown:
    @pytest.fixture
    def port(self):
        return free_port()  # nothing listens there until the test starts a server

    @pytest.fixture
    def app_config(self, port):
        return mail_to(port)

    def test_the_email_waits_while_the_server_is_down_and_goes_once_it_is_back(self, app, port):
        [outbox_id] = queue_emails(app)

        stored = row(app, outbox_id)
        assert (stored["status"], stored["attempts"]) == ("pending", 1)
        assert stored["next_attempt_at"] > stored["created_at"]
        assert "Connection" in stored["last_error"] or "refused" in stored["last_error"]

        with smtp_server(port) as sink, app.app_context():
            later = stored["next_attempt_at"] + timedelta(seconds=1)
            assert periodic.run_all(later)["sweep_outbox"] == 1
            assert periodic.run_all(later + timedelta(hours=1))["sweep_outbox"] == 0
        assert row(app, outbox_id)["status"] == "sent"
        assert received(sink, stored["message_id"]) == 1
        assert len(sink.messages) == 1

    def test_a_sweep_stops_at_a_server_that_is_down_and_sends_all_once_it_is_back(self, app, port):
        ids = queue_emails(app, *(email(n) for n in range(5)))

        # The job after the commit tried the first email only: the rest wait, untouched.
        assert [r["attempts"] for r in rows(app)] == [1, 0, 0, 0, 0]
        assert {r["status"] for r in rows(app)} == {"pending"}

        later = max(r["next_attempt_at"] for r in rows(app)) + timedelta(seconds=1)
        with smtp_server(port) as sink, app.app_context():
            assert outbox.sweep(later) == 5
            assert outbox.sweep(later + timedelta(hours=1)) == 0
        assert {r["status"] for r in rows(app)} == {"sent"}
        assert sorted(sink.by_message_id()) == sorted(row(app, i)["message_id"] for i in ids)
        assert len(sink.messages) == 5


class TestTwoSendersAtOnce:
    """Two workers handed the same rows (a duplicated job, a sweep racing the job): every
    email reaches the server exactly once."""

    COUNT = 30

    @pytest.fixture
    def app_config(self, smtp_sink, clean_redis):
        # The send jobs wait on RQ (no worker runs): the rows stay pending for the racers.
        return mail_to(smtp_sink[1], REDIS_URL=clean_redis, SOCKETIO_MESSAGE_QUEUE=None)

    @pytest.mark.redis
    def test_each_email_is_received_exactly_once(self, app, smtp_sink):
        sink, _ = smtp_sink
        ids = queue_emails(app, *(email(n) for n in range(self.COUNT)))
        assert {r["status"] for r in rows(app)} == {"pending"}

        sent = race(app, [ids, ids])

        assert sum(sent) == self.COUNT
        assert {r["status"] for r in rows(app)} == {"sent"}
        assert {r["attempts"] for r in rows(app)} == {1}
        counts = {mid: len(found) for mid, found in sink.by_message_id().items()}
        assert counts == {r["message_id"]: 1 for r in rows(app)}

    @pytest.mark.redis
    def test_a_sweep_racing_the_job_sends_each_email_once(self, app, smtp_sink):
        sink, _ = smtp_sink
        ids = queue_emails(app, *(email(n) for n in range(self.COUNT)))

        sent = race(app, [ids, None])  # None: a sweep (everything due) in that thread

        assert sum(sent) == self.COUNT
        assert len(sink.messages) == self.COUNT
        assert {r["status"] for r in rows(app)} == {"sent"}
        assert all(len(found) == 1 for found in sink.by_message_id().values())


def set_row(app, outbox_id: int, **values) -> None:
    """Put an outbox row in a given state (the test's arrangement)."""
    with app.app_context():
        stored = db.session.get(OutboxEmail, outbox_id)
        for name, value in values.items():
            setattr(stored, name, value)
        db.session.commit()


def race(app, batches: list[list[int] | None]) -> list[int]:
    """Run ``deliver_many`` (or, for None, a sweep) in one thread per batch, each in an
    app context of its own, released together; how many each sent."""
    barrier = threading.Barrier(len(batches))
    sent: list[int | str] = [0] * len(batches)

    def run(index: int, batch: list[int] | None) -> None:
        try:
            with app.app_context():
                barrier.wait(WAIT_SECONDS)
                sent[index] = outbox.deliver_many(batch) if batch else outbox.sweep()
        except BaseException as error:  # shown by the assertion below
            sent[index] = "".join(traceback.format_exception(error))

    threads = [threading.Thread(target=run, args=item, daemon=True) for item in enumerate(batches)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(WAIT_SECONDS)
    assert not any(thread.is_alive() for thread in threads), "a sender did not finish"
    assert all(isinstance(n, int) for n in sent), sent
    return sent
