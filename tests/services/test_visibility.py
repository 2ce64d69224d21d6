"""can_view_calendar and require_calendar_view over real rows, on SQLite and PostgreSQL.

Every calendar page, fragment, API call, feed and socket room asks these, so the whole
matrix of SPEC section 4 runs here against stored users and connections.
"""

from __future__ import annotations

import pytest
from flask_login import AnonymousUserMixin

from domain.errors import AppError
from extensions import db
from models import Connection, User
from services.visibility import can_view_calendar, require_calendar_view
from tests.factories import make_client, make_coach, make_connection
from tests.privacy import PRIVACIES, TRUTH_TABLE, may_see

VISITOR_NONE = "visitor: None"
VISITOR_ANONYMOUS = "visitor: AnonymousUserMixin"

# The shared table, with the signed-out visitor as both forms a route may pass.
VIEWERS = {
    "signed-out visitor (None)": "signed-out visitor",
    "signed-out visitor (anonymous user)": "signed-out visitor",
    **{viewer: viewer for viewer in TRUTH_TABLE if viewer != "signed-out visitor"},
}

MATRIX = [
    pytest.param(viewer, privacy, may_see(VIEWERS[viewer], privacy), id=f"{viewer} / {privacy}")
    for viewer in VIEWERS
    for privacy in PRIVACIES
]


def make_viewer(app, coach, kind: str):
    """The stored viewer of this kind for ``coach`` (a Person), or a visitor marker."""
    if kind == "owner":
        return coach
    if kind == "signed-out visitor (None)":
        return VISITOR_NONE
    if kind == "signed-out visitor (anonymous user)":
        return VISITOR_ANONYMOUS
    if kind == "unconnected client":
        return make_client(app)
    if kind == "other coach, unconnected":
        return make_coach(app)
    if kind == "other coach, connected":
        other = make_coach(app)
        make_connection(app, other, coach, "accepted")
        return other
    status = {
        "connected client": "accepted",
        "client with a pending connection": "pending",
        "client with a declined connection": "declined",
    }[kind]
    client = make_client(app)
    make_connection(app, client, coach, status)
    return client


def _load(viewer):
    if viewer == VISITOR_NONE:
        return None
    if viewer == VISITOR_ANONYMOUS:
        return AnonymousUserMixin()
    return db.session.get(User, viewer.id)


def can_view(app, viewer, coach) -> bool:
    """Ask the service in a fresh app context, with rows loaded by id."""
    with app.app_context():
        return can_view_calendar(_load(viewer), db.session.get(User, coach.id))


def set_privacy(app, person, privacy: str) -> None:
    with app.app_context():
        db.session.get(User, person.id).calendar_privacy = privacy
        db.session.commit()


@pytest.mark.parametrize(("viewer_kind", "privacy", "expected"), MATRIX)
def test_each_viewer_sees_a_stored_calendar_exactly_as_its_privacy_allows(
    app, viewer_kind, privacy, expected
):
    coach = make_coach(app, calendar_privacy=privacy)
    viewer = make_viewer(app, coach, viewer_kind)
    assert can_view(app, viewer, coach) is expected


@pytest.mark.parametrize(
    ("status", "expected"), [("accepted", True), ("pending", False), ("declined", False)]
)
def test_a_connection_the_coach_asked_for_counts_the_same_as_one_the_client_asked_for(
    app, status, expected
):
    coach = make_coach(app, calendar_privacy="connected")
    client = make_client(app)
    make_connection(app, coach, client, status)
    assert can_view(app, client, coach) is expected


def test_an_accepted_connection_with_another_coach_does_not_open_this_calendar(app):
    coach = make_coach(app, calendar_privacy="connected")
    other_coach = make_coach(app, calendar_privacy="connected")
    client = make_client(app)
    make_connection(app, client, other_coach, "accepted")
    assert can_view(app, client, other_coach) is True
    assert can_view(app, client, coach) is False


def test_a_connection_between_two_other_users_opens_nothing_for_a_third(app):
    coach = make_coach(app, calendar_privacy="connected")
    connected = make_client(app)
    make_connection(app, connected, coach, "accepted")
    bystander = make_client(app)
    make_connection(app, bystander, connected, "accepted")
    assert can_view(app, bystander, coach) is False


def test_changing_the_privacy_setting_takes_effect_on_the_next_check(app):
    coach = make_coach(app, calendar_privacy="public")
    visitor_seen = can_view(app, VISITOR_NONE, coach)
    set_privacy(app, coach, "private")
    assert visitor_seen is True
    assert can_view(app, VISITOR_NONE, coach) is False
    assert can_view(app, coach, coach) is True


def test_accepting_a_pending_connection_opens_a_connected_calendar(app):
    coach = make_coach(app, calendar_privacy="connected")
    client = make_client(app)
    connection_id = make_connection(app, client, coach, "pending")
    assert can_view(app, client, coach) is False
    with app.app_context():
        db.session.get(Connection, connection_id).status = "accepted"
        db.session.commit()
    assert can_view(app, client, coach) is True


@pytest.mark.parametrize("privacy", PRIVACIES)
def test_a_client_has_no_calendar_for_anyone_to_see(app, privacy):
    client = make_client(app, calendar_privacy=privacy)
    coach = make_coach(app)
    make_connection(app, coach, client, "accepted")
    assert can_view(app, VISITOR_NONE, client) is False
    assert can_view(app, VISITOR_ANONYMOUS, client) is False
    assert can_view(app, coach, client) is False
    assert can_view(app, client, client) is False


def test_there_is_no_calendar_to_see_without_a_coach(app):
    viewer = make_client(app)
    with app.app_context():
        assert can_view_calendar(db.session.get(User, viewer.id), None) is False
        assert can_view_calendar(None, None) is False


@pytest.mark.parametrize(
    "viewer_kind",
    ["signed-out visitor (None)", "unconnected client", "client with a pending connection"],
)
def test_require_calendar_view_answers_not_found_when_the_calendar_is_hidden(app, viewer_kind):
    coach = make_coach(app, calendar_privacy="connected")
    viewer = make_viewer(app, coach, viewer_kind)
    with app.app_context(), pytest.raises(AppError) as raised:
        require_calendar_view(_load(viewer), db.session.get(User, coach.id))
    assert raised.value.code == "not_found"


def test_require_calendar_view_hides_a_private_calendar_even_from_a_connection(app):
    coach = make_coach(app, calendar_privacy="private")
    client = make_client(app)
    make_connection(app, client, coach, "accepted")
    with app.app_context(), pytest.raises(AppError) as raised:
        require_calendar_view(db.session.get(User, client.id), db.session.get(User, coach.id))
    assert raised.value.code == "not_found"


def test_require_calendar_view_answers_not_found_for_a_missing_coach_or_a_client(app):
    viewer = make_client(app)
    other_client = make_client(app, calendar_privacy="public")
    with app.app_context():
        user = db.session.get(User, viewer.id)
        for target in (None, db.session.get(User, other_client.id)):
            with pytest.raises(AppError) as raised:
                require_calendar_view(user, target)
            assert raised.value.code == "not_found"


@pytest.mark.parametrize(
    ("viewer_kind", "privacy"),
    [
        ("signed-out visitor (anonymous user)", "public"),
        ("connected client", "connected"),
        ("owner", "private"),
    ],
)
def test_require_calendar_view_returns_the_coach_when_the_calendar_is_visible(
    app, viewer_kind, privacy
):
    coach = make_coach(app, calendar_privacy=privacy)
    viewer = make_viewer(app, coach, viewer_kind)
    with app.app_context():
        coach_row = db.session.get(User, coach.id)
        assert require_calendar_view(_load(viewer), coach_row) is coach_row
