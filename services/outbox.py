"""The email outbox (SPEC 10): rows written with the change that causes them, delivered
by a job after the commit, re-tried by the sweeper; never lost, never sent twice.

Delivery of one row:
1. **claim** it with one conditional UPDATE (``pending`` and due, or ``sending`` by a
   worker that has been silent for ``STALE_CLAIM``) and commit: of two workers racing
   for a row exactly one gets it, the other sends nothing;
2. send it (SMTP when ``MAIL_SERVER`` is set, else an ``.eml`` file in the outbox
   folder), with the ``Message-ID`` fixed when the row was written;
3. mark it ``sent`` (or back to ``pending`` with a later ``next_attempt_at`` after a
   temporary failure; ``failed`` after a permanent one or ``MAIL_MAX_ATTEMPTS``).

A worker killed between 2 and 3 leaves the row ``sending``; the sweeper sends it again
after ``STALE_CLAIM`` with the same Message-ID, which recipients' mail systems treat as
the one message. A worker killed before the server accepted the message simply leaves
the row for the sweeper.
"""

from __future__ import annotations

import contextlib
import logging
import smtplib
import ssl
import uuid
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from email.message import EmailMessage
from email.utils import formatdate, parseaddr
from pathlib import Path

from flask import current_app
from sqlalchemy import and_, or_, select, update

from extensions import db
from models import OutboxEmail
from models.types import utcnow
from services.inserts import insert_ignoring_duplicates
from services.transactions import write_transaction

logger = logging.getLogger(__name__)

# A claim older than this is taken to belong to a dead worker (a send takes seconds).
STALE_CLAIM = timedelta(minutes=5)
# How many rows one sweep sends (the next sweep takes the rest).
SWEEP_BATCH = 500


@dataclass
class Email:
    """An email to queue: what ``services.emails`` composes. A booking email comes as
    ``content`` (rendered to text, HTML and ``.ics`` when it is sent), others as text."""

    to: str
    subject: str
    text: str = ""
    html: str = ""
    kind: str = ""
    booking_id: int | None = None
    ics: str | None = None
    dedupe_key: str | None = None
    headers: dict = field(default_factory=dict)
    content: dict | None = None


def queue(emails: list[Email]) -> list[int]:
    """Write the emails to the outbox in the current transaction and have them sent after
    the commit; their ids. A row whose ``dedupe_key`` exists already is skipped."""
    if not emails:
        return []
    from jobs import enqueue
    from jobs.tasks import send_emails

    plain = [_row(email) for email in emails if email.dedupe_key is None]
    table = OutboxEmail.__table__  # a Core insert: a third of the ORM's cost per change
    ids = (
        list(db.session.execute(table.insert().returning(table.c.id), plain).scalars())
        if plain
        else []
    )
    for email in emails:
        if email.dedupe_key is not None:
            new_id = db.session.scalar(
                insert_ignoring_duplicates(OutboxEmail, _row(email)).returning(OutboxEmail.id)
            )
            if new_id is not None:  # None: this email was queued before
                ids.append(new_id)
    if ids:
        enqueue(send_emails, ids)
    return ids


def _row(email: Email) -> dict:
    now = utcnow()
    return {
        "kind": email.kind,
        "to_address": email.to,
        "subject": email.subject[:300],
        "body_text": email.text,
        "body_html": email.html,
        "ics": email.ics,
        "content": email.content,
        "booking_id": email.booking_id,
        "dedupe_key": email.dedupe_key,
        "message_id": new_message_id(),
        "status": "pending",
        "attempts": 0,
        "last_error": "",
        "next_attempt_at": now,
        "created_at": now,
    }


def new_message_id() -> str:
    """A globally unique Message-ID in the domain of the sender address."""
    sender = parseaddr(current_app.config["MAIL_DEFAULT_SENDER"])[1]
    domain = sender.rpartition("@")[2] or "localhost"
    return f"<{uuid.uuid4().hex}@{domain}>"


# --- delivery ------------------------------------------------------------------------


def deliver_many(outbox_ids: list[int], now: datetime | None = None) -> int:
    """Claim and send each of these rows (one SMTP connection for all); how many were
    sent. Rows another worker holds, or sent already, are skipped. If the server cannot
    be reached the rest are left as they are, due for the next sweep (a server that is
    down would otherwise cost a connection timeout per row)."""
    sent = 0
    with Transport.open() as transport:
        for outbox_id in outbox_ids:
            if deliver(outbox_id, transport, now):
                sent += 1
            elif transport.unreachable:
                break
    return sent


def deliver(outbox_id: int, transport: Transport, now: datetime | None = None) -> bool:
    """Claim, send and mark one row; True if this call sent it."""
    now = now or utcnow()
    row = _claim(outbox_id, now)
    if row is None:
        return False
    if row.attempts > current_app.config["MAIL_MAX_ATTEMPTS"]:
        # Claimed again and again from workers that died while sending it.
        _give_up(outbox_id, f"no worker finished sending it in {row.attempts - 1} attempts")
        return False
    try:
        rendered = _rendered(row)
        message = build_message(row, rendered)
    except Exception as error:  # the row's own content: no retry can fix it
        logger.exception("email %s cannot be built", outbox_id)
        _give_up(outbox_id, f"cannot be built: {type(error).__name__}: {error}")
        return False
    try:
        transport.send(message)
    except PermanentFailure as error:
        _give_up(outbox_id, str(error))
        return False
    except (smtplib.SMTPException, OSError) as error:
        _retry_later(row, now, error)
        return False
    _mark_sent(outbox_id, now, rendered)
    return True


def _rendered(row) -> dict:
    """The bodies of a row written as ``content``, to store with its ``sent`` mark (the
    outbox keeps what was sent); nothing for a row written as text."""
    if row.content is None or row.body_text:
        return {}
    from services.email_format import bodies  # it composes Emails: imports this module

    text, html, invitation = bodies(row.content)
    return {"body_text": text, "body_html": html, "ics": invitation}


def _claim(outbox_id: int, now: datetime):
    """Take the row if it is due (or its worker went silent) and commit at once: the
    row's columns as claimed, or None when it is not this caller's to send. Every write
    of a delivery is a short transaction of its own that reads nothing first: on SQLite
    a write after a read that another writer has overtaken fails at once ("database is
    locked"), which would leave a sent row ``sending`` to be sent again."""
    claimable = or_(
        and_(OutboxEmail.status == "pending", OutboxEmail.next_attempt_at <= now),
        and_(OutboxEmail.status == "sending", OutboxEmail.claimed_at <= now - STALE_CLAIM),
    )
    with write_transaction():
        return db.session.execute(
            update(OutboxEmail)
            .where(OutboxEmail.id == outbox_id, claimable)
            .values(status="sending", claimed_at=now, attempts=OutboxEmail.attempts + 1)
            .returning(*OutboxEmail.__table__.columns),
            execution_options={"synchronize_session": False},
        ).first()


def _mark_sent(outbox_id: int, now: datetime, rendered: dict) -> None:
    with write_transaction():
        db.session.execute(
            update(OutboxEmail)
            .where(OutboxEmail.id == outbox_id, OutboxEmail.status == "sending")
            .values(status="sent", sent_at=now, last_error="", **rendered),
            execution_options={"synchronize_session": False},
        )
    logger.info("email %s sent", outbox_id)


def _retry_later(row, now: datetime, error: Exception) -> None:
    """Back to ``pending`` for a later attempt (``row``: the columns as claimed)."""
    reason = f"{type(error).__name__}: {error}"
    if row.attempts >= current_app.config["MAIL_MAX_ATTEMPTS"]:
        _give_up(row.id, reason)
        return
    delay = retry_delay(row.attempts)
    with write_transaction():
        db.session.execute(
            update(OutboxEmail)
            .where(OutboxEmail.id == row.id, OutboxEmail.status == "sending")
            .values(status="pending", next_attempt_at=now + delay, last_error=reason[:500]),
            execution_options={"synchronize_session": False},
        )
    logger.warning("email %s not sent (%s); next attempt in %s", row.id, error, delay)


def _give_up(outbox_id: int, error: str) -> None:
    with write_transaction():
        db.session.execute(
            update(OutboxEmail)
            .where(OutboxEmail.id == outbox_id)
            .values(status="failed", last_error=error[:500]),
            execution_options={"synchronize_session": False},
        )
    logger.error("email %s failed for good: %s", outbox_id, error)


def retry_delay(attempts: int) -> timedelta:
    """1, 2, 4, ... minutes after each failed attempt, at most an hour."""
    return timedelta(minutes=min(2 ** max(attempts - 1, 0), 60))


def due_ids(now: datetime | None = None, limit: int = SWEEP_BATCH) -> list[int]:
    """Rows the sweeper should send: pending and due, or claimed by a silent worker."""
    now = now or utcnow()
    query = (
        select(OutboxEmail.id)
        .where(
            or_(
                and_(OutboxEmail.status == "pending", OutboxEmail.next_attempt_at <= now),
                and_(
                    OutboxEmail.status == "sending",
                    OutboxEmail.claimed_at <= now - STALE_CLAIM,
                ),
            )
        )
        .order_by(OutboxEmail.id)
        .limit(limit)
    )
    ids = list(db.session.scalars(query))
    db.session.commit()
    return ids


def sweep(now: datetime | None = None) -> int:
    """Send what is due (the periodic outbox sweeper); how many were sent."""
    ids = due_ids(now)
    return deliver_many(ids, now) if ids else 0


# --- messages and transports ---------------------------------------------------------


def build_message(row: OutboxEmail, rendered: dict | None = None) -> EmailMessage:
    """The MIME message of a row: text, HTML alternative, ``.ics`` attachment (from
    ``rendered`` when the row was written as content)."""
    text, html, invitation = (
        (rendered or {}).get(name, getattr(row, name)) for name in ("body_text", "body_html", "ics")
    )
    message = EmailMessage()
    message["From"] = current_app.config["MAIL_DEFAULT_SENDER"]
    message["To"] = row.to_address
    message["Subject"] = row.subject
    message["Message-ID"] = row.message_id or f"<outbox-{row.id}@localhost>"
    message["Date"] = formatdate(row.created_at.timestamp(), localtime=False)
    message["Auto-Submitted"] = "auto-generated"
    message.set_content(text)
    if html:
        message.add_alternative(html, subtype="html")
    if invitation:
        method = "CANCEL" if "METHOD:CANCEL" in invitation else "REQUEST"
        message.add_attachment(
            invitation.encode(),
            maintype="text",
            subtype="calendar",
            filename="booking.ics",
            params={"method": method},
        )
    return message


class PermanentFailure(Exception):
    """The server refused the message for good (e.g. no such recipient)."""


class Transport:
    """Where messages go: SMTP (``MAIL_SERVER``) or ``.eml`` files (the default)."""

    # Set when the server could not be reached at all: the batch stops there.
    unreachable = False

    @staticmethod
    def open() -> Transport:
        config = current_app.config
        if config.get("MAIL_SERVER"):
            return SmtpTransport(config)
        return FileTransport(Path(config["OUTBOX_PATH"]))

    def __enter__(self):
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def send(self, message: EmailMessage) -> None:
        raise NotImplementedError

    def close(self) -> None:
        pass


class FileTransport(Transport):
    """The embedded default: each message as ``<outbox>/<timestamp>-<id>.eml``, logged."""

    def __init__(self, folder: Path):
        self.folder = folder

    def send(self, message: EmailMessage) -> None:
        self.folder.mkdir(parents=True, exist_ok=True)
        name = message["Message-ID"].strip("<>").partition("@")[0]
        path = self.folder / f"{name}.eml"
        path.write_bytes(bytes(message))
        logger.info("email to %s, %r, written to %s", message["To"], message["Subject"], path)


class SmtpTransport(Transport):
    """SMTP with smtplib; one connection for a batch, opened on the first message."""

    def __init__(self, config):
        self.config = config
        self.connection: smtplib.SMTP | None = None

    def _connect(self) -> smtplib.SMTP:
        config = self.config
        connection = smtplib.SMTP(
            config["MAIL_SERVER"], config["MAIL_PORT"], timeout=config["MAIL_TIMEOUT_SECONDS"]
        )
        if config.get("MAIL_USE_TLS"):
            connection.starttls(context=ssl.create_default_context())
        if config.get("MAIL_USERNAME"):
            connection.login(config["MAIL_USERNAME"], config.get("MAIL_PASSWORD") or "")
        return connection

    def send(self, message: EmailMessage) -> None:
        if self.connection is None:
            try:
                self.connection = self._connect()
            except (smtplib.SMTPException, OSError):
                self.unreachable = True
                raise
        try:
            self.connection.send_message(message)
        except smtplib.SMTPRecipientsRefused as error:
            # Refused at RCPT: for good only if every refusal is a 5xx (a 4xx such as
            # "mailbox busy" is worth another try). The connection stays usable.
            if all(500 <= code < 600 for code, _ in error.recipients.values()):
                raise PermanentFailure(str(error)) from error
            raise
        except smtplib.SMTPResponseException as error:
            if 500 <= error.smtp_code < 600:
                raise PermanentFailure(f"{error.smtp_code} {error.smtp_error!r}") from error
            self._drop()
            raise
        except (smtplib.SMTPException, OSError):
            self._drop()  # the next message opens a new connection
            raise

    def _drop(self) -> None:
        connection, self.connection = self.connection, None
        if connection is not None:
            with contextlib.suppress(OSError):
                connection.close()

    def close(self) -> None:
        connection, self.connection = self.connection, None
        if connection is not None:
            try:
                connection.quit()
            except (smtplib.SMTPException, OSError):
                connection.close()
