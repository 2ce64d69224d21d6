"""The e-mail settings of a session type: ``notifications.email_events`` in the API (any
subset in, every event out, an unknown event refused) and the checkboxes of the coach's
form, which store what the API stores."""

from __future__ import annotations

import re

import pytest

from extensions import db
from models import SessionType
from services.emails import EMAIL_EVENTS
from tests.factories import make_coach, make_session_type
from tests.helpers import assert_error, csrf_token, web_login

URL = "/api/session-types"
TYPES = "/coach/session-types"


def stored_off(app, type_id: int) -> list[str]:
    with app.app_context():
        return db.session.get(SessionType, type_id).email_events_off


def patch(api, coach, type_id: int, notifications: dict):
    return api.patch(f"{URL}/{type_id}", json={"notifications": notifications}, as_=coach)


def test_a_new_type_sends_every_email_event(app, api):
    coach = make_coach(app)
    response = api.post(URL, json={"name": "Intro"}, as_=coach)
    notifications = response.get_json()["session_type"]["notifications"]
    assert notifications["email"] is True
    assert notifications["email_events"] == dict.fromkeys(EMAIL_EVENTS, True)


def test_events_given_change_and_events_left_out_keep_their_setting(app, api):
    coach = make_coach(app)
    type_id = make_session_type(app, coach)

    first = patch(api, coach, type_id, {"email_events": {"reminder": False, "payment": False}})
    assert first.status_code == 200, first.get_json()
    events = first.get_json()["session_type"]["notifications"]["email_events"]
    assert events == dict.fromkeys(EMAIL_EVENTS, True) | {"reminder": False, "payment": False}

    second = patch(api, coach, type_id, {"email_events": {"reminder": True}, "email": False})
    notifications = second.get_json()["session_type"]["notifications"]
    assert notifications["email"] is False
    assert notifications["email_events"] == dict.fromkeys(EMAIL_EVENTS, True) | {"payment": False}
    assert stored_off(app, type_id) == ["payment"]
    shown = api.get(f"{URL}/{type_id}", as_=coach).get_json()["session_type"]["notifications"]
    assert shown == notifications


@pytest.mark.parametrize(
    ("email_events", "field"),
    [
        ({"sms": True}, "notifications.email_events.sms"),
        ({"reminder": "off"}, "notifications.email_events.reminder"),
        ({"reminder": 0}, "notifications.email_events.reminder"),
        (["reminder"], "notifications.email_events"),
        ("reminder", "notifications.email_events"),
    ],
)
def test_an_unknown_event_or_a_setting_not_true_or_false_is_refused(app, api, email_events, field):
    coach = make_coach(app)
    type_id = make_session_type(app, coach)

    response = patch(api, coach, type_id, {"email_events": email_events})

    details = assert_error(response, 400, "validation_error")["details"]
    assert any(key == field or key.startswith(field + ".") for key in details), details
    if field.endswith(".sms"):
        assert "confirmation" in details[field][0]  # the message names the known events
    assert stored_off(app, type_id) == []


def signed_in(app, person):
    browser = app.test_client()
    assert web_login(browser, person.email, person.password).status_code == 302
    return browser


def checkboxes(page: str) -> dict[str, bool]:
    """Each e-mail event's checkbox on the form: ticked or not."""
    boxes = {}
    for tag in re.findall(r'<input[^>]*name="email_event_[a-z]+"[^>]*>', page):
        name = re.search(r'name="email_event_([a-z]+)"', tag).group(1)
        boxes[name] = " checked" in tag
    return boxes


def test_the_form_has_a_ticked_box_per_event_with_its_label(app):
    browser = signed_in(app, make_coach(app))
    page = browser.get(f"{TYPES}/new").get_data(as_text=True)

    assert checkboxes(page) == dict.fromkeys(EMAIL_EVENTS, True)
    for label in EMAIL_EVENTS.values():
        assert label in page
    assert "Send e-mails about these bookings" in page


def test_an_unticked_box_switches_its_event_off_and_the_form_shows_it(app, api):
    coach = make_coach(app)
    type_id = make_session_type(app, coach, name="Coaching")
    browser = signed_in(app, coach)
    form = {
        "name": "Coaching",
        "format": "one_on_one",
        "color": "#2563eb",
        "active": "y",
        "email_notifications": "y",
        "reminder_offsets_minutes": "1440, 60",
        **{f"email_event_{event}": "y" for event in EMAIL_EVENTS if event != "suggested"},
        "csrf_token": csrf_token(browser, TYPES),
    }

    assert browser.post(f"{TYPES}/{type_id}", data=form).status_code == 302

    assert stored_off(app, type_id) == ["suggested"]
    page = browser.get(f"{TYPES}/{type_id}/edit").get_data(as_text=True)
    assert checkboxes(page) == dict.fromkeys(EMAIL_EVENTS, True) | {"suggested": False}
    events = api.get(f"{URL}/{type_id}", as_=coach).get_json()["session_type"]["notifications"]
    assert events["email_events"]["suggested"] is False
