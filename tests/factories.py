"""Factories: each builds a valid row with defaults, so a test states only what matters.

They take the app, work in their own app context and return plain records (ids, the
password and a bearer token), never ORM objects bound to a closed session.
"""

from __future__ import annotations

import itertools
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from decimal import Decimal

from extensions import db
from models import Booking, Connection, Coupon, SessionType, User
from models.types import utcnow
from services import accounts

_sequence = itertools.count(1)
PASSWORD = "correct horse battery"


@dataclass(frozen=True)
class Person:
    id: int
    email: str
    password: str
    name: str
    role: str
    slug: str | None
    token: str


def make_user(app, role: str = "client", **overrides) -> Person:
    n = next(_sequence)
    values = {
        "email": f"{role}{n}@example.com",
        "name": f"{role.title()} {n}",
        "timezone": "Europe/Berlin",
    } | {k: v for k, v in overrides.items() if k in ("email", "name", "timezone")}
    with app.app_context():
        user = accounts.register_user(password=PASSWORD, role=role, **values)
        for field in ("calendar_privacy", "currency", "vat_rate", "slug", "embed_domains"):
            if field in overrides:
                value = overrides[field]
                setattr(user, field, Decimal(value) if field == "vat_rate" else value)
        db.session.commit()
        token, _ = accounts.issue_api_token(user)
        return Person(user.id, user.email, PASSWORD, user.name, role, user.slug, token)


def make_coach(app, **overrides) -> Person:
    return make_user(app, "coach", **overrides)


def make_client(app, **overrides) -> Person:
    return make_user(app, "client", **overrides)


def make_connection(app, requester: Person, addressee: Person, status: str = "accepted") -> int:
    with app.app_context():
        connection = Connection(
            requester_id=requester.id,
            addressee_id=addressee.id,
            pair_key=Connection.key_for(requester.id, addressee.id),
            status=status,
            responded_at=None if status == "pending" else utcnow(),
        )
        db.session.add(connection)
        db.session.commit()
        return connection.id


def make_session_type(app, coach: Person, **overrides) -> int:
    values = {
        "name": "Coaching",
        "duration_min": 30,
        "duration_max": 90,
        "duration_default": 60,
        "price_amount": 6000,
    } | overrides
    with app.app_context():
        session_type = SessionType(coach_id=coach.id, **values)
        db.session.add(session_type)
        db.session.commit()
        return session_type.id


def make_coupon(app, coach: Person, **overrides) -> int:
    values = {"code": f"SAVE{next(_sequence)}", "percent_off": 10} | overrides
    with app.app_context():
        coupon = Coupon(coach_id=coach.id, **values)
        db.session.add(coupon)
        db.session.commit()
        return coupon.id


def user_row(app, person: Person) -> dict:
    """The stored user as a dict, to check what a request changed (or did not)."""
    with app.app_context():
        user = db.session.get(User, person.id)
        return {c.name: getattr(user, c.key) for c in User.__table__.columns}


def make_booking(
    app,
    coach,
    client,
    session_type_id: int,
    start: datetime,
    end: datetime | None = None,
    *,
    status: str = "confirmed",
    slot_key: str | None = None,
) -> int:
    """A booking row as the booking service writes it (the session widened by the type's
    buffers, its own slot key), inserted directly: for tests that need it as given state."""
    with app.app_context():
        session_type = db.session.get(SessionType, session_type_id)
        end = end or start + timedelta(minutes=session_type.duration_default)
        booking = Booking(
            coach_id=coach.id,
            client_id=client.id,
            session_type_id=session_type_id,
            start_at=start.astimezone(UTC),
            end_at=end.astimezone(UTC),
            blocked_start_at=(start - timedelta(minutes=session_type.buffer_before_minutes)),
            blocked_end_at=(end + timedelta(minutes=session_type.buffer_after_minutes)),
            duration_minutes=int((end - start).total_seconds() // 60),
            slot_key=slot_key or f"b-{uuid.uuid4()}",
            status=status,
            kind="firm",
            currency="EUR",
            message="Private note: I'd like to talk about my divorce.",
            price_base=6000,
            price_net=6000,
            price_total=6300,
            coach_payout=6000,
        )
        db.session.add(booking)
        db.session.commit()
        return booking.id
