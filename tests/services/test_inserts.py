"""services.inserts: new rows written with one INSERT each, on SQLite and PostgreSQL. What is
returned must behave exactly like a row loaded from the database: every column there
without another query, nothing left for a later flush to write twice."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from sqlalchemy import event, select, text

from extensions import db
from models import Notification
from services.inserts import insert_now, insert_rows
from tests.factories import make_client


def statements_during(action) -> list[str]:
    seen: list[str] = []

    def record(_conn, _cursor, statement, *_args) -> None:
        seen.append(statement)

    event.listen(db.engine, "before_cursor_execute", record)
    try:
        action()
    finally:
        event.remove(db.engine, "before_cursor_execute", record)
    return seen


def committed_rows(user_id: int) -> list[tuple]:
    """The user's notifications as another connection sees them."""
    with db.engine.connect() as connection:
        query = text("SELECT id, kind, title, body, url FROM notification WHERE user_id = :u")
        return sorted(connection.execute(query, {"u": user_id}).all())


@pytest.fixture
def user(app):
    return make_client(app)


def test_insert_now_writes_the_row_with_its_defaults_and_returns_it_loaded(app, user):
    with app.app_context():
        before = datetime.now(UTC)
        notification = Notification(user_id=user.id, kind="test", title="Hello")
        returned = insert_now(notification)

        assert returned is notification
        assert notification.id is not None
        assert notification in db.session
        assert not db.session.new and not db.session.dirty
        # Python-side defaults are on the object, so reading them costs no query.
        reads = statements_during(
            lambda: (notification.body, notification.url, notification.read_at)
        )
        assert reads == []
        assert (notification.body, notification.url, notification.read_at) == ("", "", None)
        assert notification.created_at >= before
        assert db.session.get(Notification, notification.id) is notification
        written = (notification.id, notification.created_at)

        db.session.commit()
    with app.app_context():
        assert committed_rows(user.id) == [(written[0], "test", "Hello", "", "")]
        assert db.session.get(Notification, written[0]).created_at == written[1]


def test_a_later_commit_does_not_write_an_inserted_row_again(app, user):
    with app.app_context():
        notification = insert_now(Notification(user_id=user.id, kind="test", title="Once"))
        notification.title = "Changed"
        notification_id = notification.id
        db.session.commit()
    with app.app_context():
        assert committed_rows(user.id) == [(notification_id, "test", "Changed", "", "")]


def test_a_rollback_takes_the_inserted_row_back(app, user):
    with app.app_context():
        insert_now(Notification(user_id=user.id, kind="test", title="Gone"))
        db.session.rollback()
        assert committed_rows(user.id) == []


def test_insert_now_refuses_an_object_that_has_a_row_already(app, user):
    with app.app_context():
        notification = insert_now(Notification(user_id=user.id, kind="test", title="Hello"))
        with pytest.raises(ValueError, match="new objects only"):
            insert_now(notification)
        pending = Notification(user_id=user.id, kind="test", title="Pending")
        db.session.add(pending)
        with pytest.raises(ValueError, match="new objects only"):
            insert_now(pending)


def test_insert_rows_writes_all_rows_in_one_statement(app, user):
    rows = [{"user_id": user.id, "kind": "test", "title": f"N{i}"} for i in range(3)]
    with app.app_context():
        writes = statements_during(lambda: insert_rows(Notification, rows))
        db.session.commit()
        assert len([s for s in writes if s.lstrip().upper().startswith("INSERT")]) == 1
        stored = db.session.scalars(
            select(Notification).where(Notification.user_id == user.id).order_by(Notification.id)
        ).all()
        assert [n.title for n in stored] == ["N0", "N1", "N2"]
        assert all(n.created_at is not None and n.url == "" for n in stored)
        # Nothing to write: no statement at all.
        assert statements_during(lambda: insert_rows(Notification, [])) == []
