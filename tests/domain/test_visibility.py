"""The pure calendar-visibility rule (SPEC section 4, "Calendar visibility").

The owner always sees their calendar; ``public`` shows it to everyone, signed-out
visitors too; ``connected`` only to users with an accepted connection; ``private`` to
the owner only. Anything else shows nothing to anyone but the owner.
"""

from __future__ import annotations

import pytest

from domain.visibility import PRIVACY_VALUES, Privacy, may_view_calendar
from tests.privacy import PRIVACIES, TRUTH_TABLE

OWNER_ID = 10

# Each viewer as the rule receives it: (viewer_id, connection_accepted).
# A pending or declined connection is not an accepted one.
VIEWERS = {
    "owner": (OWNER_ID, False),
    "signed-out visitor": (None, False),
    "unconnected client": (21, False),
    "connected client": (22, True),
    "other coach, unconnected": (31, False),
    "other coach, connected": (32, True),
    "client with a pending connection": (23, False),
    "client with a declined connection": (24, False),
}

MATRIX = [
    pytest.param(viewer, privacy, TRUTH_TABLE[viewer][column], id=f"{viewer} / {privacy}")
    for viewer in VIEWERS
    for column, privacy in enumerate(PRIVACIES)
]


def test_the_truth_table_covers_every_viewer_and_every_privacy_value():
    assert set(TRUTH_TABLE) == set(VIEWERS)
    assert set(PRIVACIES) == set(PRIVACY_VALUES) == {p.value for p in Privacy}


@pytest.mark.parametrize(("viewer", "privacy", "expected"), MATRIX)
def test_each_viewer_sees_the_calendar_exactly_as_the_privacy_setting_allows(
    viewer, privacy, expected
):
    viewer_id, accepted = VIEWERS[viewer]
    allowed = may_view_calendar(
        viewer_id=viewer_id, owner_id=OWNER_ID, privacy=privacy, connection_accepted=accepted
    )
    assert allowed is expected


@pytest.mark.parametrize("privacy", list(Privacy), ids=lambda p: f"enum {p.value}")
def test_the_enum_members_give_the_same_answers_as_their_string_values(privacy):
    for viewer, (viewer_id, accepted) in VIEWERS.items():
        by_enum = may_view_calendar(
            viewer_id=viewer_id, owner_id=OWNER_ID, privacy=privacy, connection_accepted=accepted
        )
        by_string = may_view_calendar(
            viewer_id=viewer_id,
            owner_id=OWNER_ID,
            privacy=privacy.value,
            connection_accepted=accepted,
        )
        assert by_enum is by_string, viewer


UNKNOWN_PRIVACY = ["", "PUBLIC", "Public", " public", "connections", "everyone", "shared", None]


@pytest.mark.parametrize("privacy", UNKNOWN_PRIVACY, ids=repr)
@pytest.mark.parametrize("viewer", [v for v in VIEWERS if v != "owner"])
def test_an_unknown_privacy_value_shows_the_calendar_to_no_one_but_the_owner(viewer, privacy):
    viewer_id, accepted = VIEWERS[viewer]
    allowed = may_view_calendar(
        viewer_id=viewer_id, owner_id=OWNER_ID, privacy=privacy, connection_accepted=accepted
    )
    assert allowed is False


@pytest.mark.parametrize("privacy", UNKNOWN_PRIVACY, ids=repr)
def test_the_owner_still_sees_their_own_calendar_whatever_the_privacy_value(privacy):
    allowed = may_view_calendar(
        viewer_id=OWNER_ID, owner_id=OWNER_ID, privacy=privacy, connection_accepted=False
    )
    assert allowed is True


def test_a_signed_out_visitor_is_never_treated_as_connected():
    # Even if a caller wrongly passes connection_accepted=True for a visitor.
    allowed = may_view_calendar(
        viewer_id=None, owner_id=OWNER_ID, privacy="connected", connection_accepted=True
    )
    assert allowed is False


def test_an_accepted_connection_does_not_open_a_private_calendar():
    allowed = may_view_calendar(
        viewer_id=22, owner_id=OWNER_ID, privacy="private", connection_accepted=True
    )
    assert allowed is False
