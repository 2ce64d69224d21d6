"""Email outbox throughput (issue 12, "Performance"): emails per second delivered to a
local SMTP server (aiosmtpd on 127.0.0.1, in this process: it shares the interpreter
with the sender, so the figure is a floor). Aim: >= 100/s.

Each round queues ``BATCH`` emails (text, HTML and an ``.ics`` attachment, about 6 kB
each) in one transaction, as changes do, and then delivers them:

- **job**: ``outbox.deliver_many(ids)``, what the RQ send job runs (the emails were
  handed to RQ on real Redis and wait there; no worker runs);
- **sweep**: ``outbox.sweep()``, the periodic sweeper finding them due;
- **in-process**: without ``REDIS_URL``, the job runs right after the commit in the
  committing process: queue + send, from the commit's start.

Every email is claimed, sent over one SMTP connection and marked sent; the benchmark
checks that the server received exactly ``BATCH`` messages with distinct Message-IDs.
The production rows are skipped with a note when Redis does not answer.
"""

from __future__ import annotations

import os
import socket
import statistics
import threading
import time

import redis
from aiosmtpd.controller import Controller

from bench.databases import on_each_database
from bench.harness import Result
from services import outbox
from services.outbox import Email
from services.transactions import write_transaction

BATCH, ROUNDS = 500, 5
AIM_PER_SECOND = 100
DEFAULT_REDIS = "redis://127.0.0.1:6379/15"


class CountingSink:
    """Accepts every message and keeps its Message-ID (a recipient's mail server)."""

    def __init__(self):
        self.ids: list[bytes] = []
        self.lock = threading.Lock()

    async def handle_DATA(self, server, session, envelope):
        content = envelope.original_content
        start = content.find(b"Message-ID: ")
        with self.lock:
            self.ids.append(content[start : content.find(b"\r\n", start)])
        return "250 OK"


def run() -> list[Result]:
    url = os.environ.get("REDIS_URL") or os.environ.get("TEST_REDIS_URL") or DEFAULT_REDIS
    try:
        redis.Redis.from_url(url, socket_connect_timeout=2).ping()
    except redis.RedisError as error:
        print(f"Outbox job and sweep benchmarks skipped: Redis at {url} does not answer ({error})")
        url = None
    return on_each_database(lambda app, label: _run_on(app, label, url))


def _run_on(app, label: str, redis_url: str | None) -> list[Result]:
    sink = CountingSink()
    port = _free_port()
    controller = Controller(sink, hostname="127.0.0.1", port=port)
    controller.start()
    app.config.update(MAIL_SERVER="127.0.0.1", MAIL_PORT=port)
    try:
        results = []
        if redis_url:
            results.append(_rounds(app, sink, f"job (deliver_many), {label}", _by_job, redis_url))
            results.append(_rounds(app, sink, f"sweep, {label}", _by_sweep, redis_url))
        results.append(_rounds(app, sink, f"in-process after the commit, {label}", _in_process))
        return results
    finally:
        controller.stop()


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _rounds(app, sink, what: str, deliver, redis_url: str | None = None) -> Result:
    app.config["REDIS_URL"] = redis_url
    seconds = []
    try:
        for round_ in range(ROUNDS + 1):  # the first round warms up
            sink.ids.clear()
            elapsed = deliver(app, round_)
            assert len(sink.ids) == BATCH and len(set(sink.ids)) == BATCH, len(sink.ids)
            if round_:
                seconds.append(elapsed)
    finally:
        app.config["REDIS_URL"] = None
        if redis_url:
            _empty_queue(app, redis_url)
    per_email = sorted(s * 1000 / BATCH for s in seconds)
    rate = BATCH / statistics.median(seconds)
    verdict = "meets" if rate >= AIM_PER_SECOND else "MISSES"
    return Result(
        f"outbox: {BATCH} emails to SMTP, {what}",
        statistics.median(per_email),
        per_email[-1],
        ROUNDS,
        f"ms per email; {rate:.0f} emails/s (median of {ROUNDS} rounds of {BATCH});"
        f" {verdict} the aim of {AIM_PER_SECOND}/s",
    )


def _by_job(app, round_: int) -> float:
    ids = _queue(app, round_)
    with app.app_context():
        started = time.perf_counter()
        sent = outbox.deliver_many(ids)
        elapsed = time.perf_counter() - started
    assert sent == BATCH, sent
    return elapsed


def _by_sweep(app, round_: int) -> float:
    _queue(app, round_)
    with app.app_context():
        started = time.perf_counter()
        sent = outbox.sweep()
        elapsed = time.perf_counter() - started
    assert sent == BATCH, sent
    return elapsed


def _in_process(app, round_: int) -> float:
    started = time.perf_counter()
    _queue(app, round_)  # the send job runs inside the commit's after-commit hook
    return time.perf_counter() - started


def _queue(app, round_: int) -> list[int]:
    with app.app_context(), write_transaction():
        return outbox.queue([_email(round_, n) for n in range(BATCH)])


def _email(round_: int, n: int) -> Email:
    line = "Your session with Dana Demo is confirmed for Mon 7 Jun 2027, 10:00 (Berlin). "
    return Email(
        to=f"client{n}@example.com",
        subject=f"Confirmed: Coaching with Dana Demo, Mon 7 Jun 10:00 ({round_}-{n})",
        text=line * 12,
        html="<html><body>" + f"<p>{line}</p>" * 30 + "</body></html>",
        kind="confirmation",
        ics=_ICS,
    )


def _empty_queue(app, redis_url: str) -> None:
    """Drop the send jobs this benchmark left on RQ (the emails were sent directly)."""
    from rq import Queue

    from jobs import QUEUE

    Queue(QUEUE, connection=redis.Redis.from_url(redis_url)).empty()


_ICS = "\r\n".join(
    [
        "BEGIN:VCALENDAR",
        "VERSION:2.0",
        "PRODID:-//Coachbook//EN",
        "METHOD:REQUEST",
        "BEGIN:VEVENT",
        "UID:booking-1@coachbook",
        "DTSTAMP:20270601T080000Z",
        "DTSTART:20270607T080000Z",
        "DTEND:20270607T090000Z",
        "SUMMARY:Coaching with Dana Demo",
        "END:VEVENT",
        "END:VCALENDAR",
        "",
    ]
)
