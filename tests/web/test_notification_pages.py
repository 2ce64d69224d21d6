"""The notifications page: newest first with "older" pages, unread marked, marking one or
all read, links to the booking page, and the bell's count right after marking."""

from __future__ import annotations

import re

from extensions import db
from models import Notification
from tests.api.booking_setup import at, booked, make_scene
from tests.factories import make_client
from tests.helpers import count
from tests.web.test_booking_pages import HX, post, signed_in, text_of, toasts


def add_notes(app, person, titles, **fields) -> list[int]:
    with app.app_context():
        notes = [Notification(user_id=person.id, kind="test", title=t, **fields) for t in titles]
        db.session.add_all(notes)
        db.session.commit()
        return [n.id for n in notes]


def bell(body: str) -> tuple[str, str]:
    """(aria-label, count) of the nav's bell."""
    match = re.search(r'id="bell"[^>]*aria-label="([^"]+)".*?id="unread-count">(\d+)<', body, re.S)
    assert match, body
    return match.group(1), match.group(2)


def unread(app, person) -> int:
    return count(
        app, Notification, Notification.user_id == person.id, Notification.read_at.is_(None)
    )


def test_booking_notifications_are_listed_newest_first_and_link_to_the_booking(app, api):
    scene = make_scene(app, api, instant_booking=False)
    first = booked(api, scene, at(10))
    second = booked(api, scene, at(13))
    response = signed_in(app, scene.coach).get("/notifications")
    assert response.status_code == 200
    body = response.get_data(as_text=True)
    links = re.findall(r'<a href="(/bookings/\d+)">New request from', body)
    assert links == [f"/bookings/{second['id']}", f"/bookings/{first['id']}"]
    assert body.count("nt-unread") == 2 and "2 unread" in text_of(response)
    assert bell(body) == ("Notifications, 2 unread", "2")


def test_marking_one_read_updates_the_item_and_the_bell(app, api):
    person = make_client(app)
    ids = add_notes(app, person, ["One", "Two", "Three"])
    browser = signed_in(app, person)
    answer = post(browser, f"/notifications/{ids[1]}/read", htmx=True)
    assert answer.status_code == 200
    body = answer.get_data(as_text=True)
    assert body.lstrip().startswith(f'<li class="nt-item" id="notification-{ids[1]}">')
    assert "Mark read" not in body.split("</li>")[0]
    assert 'id="bell" href="/notifications" hx-swap-oob="true"' in body
    assert bell(body) == ("Notifications, 2 unread", "2")
    assert unread(app, person) == 2
    page = browser.get("/notifications").get_data(as_text=True)
    assert bell(page) == ("Notifications, 2 unread", "2")
    plain = post(browser, f"/notifications/{ids[0]}/read")
    assert plain.status_code == 303 and plain.headers["Location"].endswith("/notifications")
    assert bell(browser.get("/dashboard").get_data(as_text=True))[1] == "1"


def test_mark_all_read(app, api):
    person = make_client(app)
    add_notes(app, person, ["One", "Two"])
    other = make_client(app)
    add_notes(app, other, ["Someone else's"])
    browser = signed_in(app, person)
    answer = post(browser, "/notifications/read", htmx=True)
    assert answer.status_code == 200
    assert toasts(answer) == [("success", "2 notifications marked read.")]
    body = answer.get_data(as_text=True)
    assert body.lstrip().startswith('<section id="nt-main"')
    assert "nt-unread" not in body and bell(body) == ("Notifications, 0 unread", "0")
    assert unread(app, person) == 0 and unread(app, other) == 1
    again = post(browser, "/notifications/read", follow_redirects=True)
    assert "Everything was read already." in text_of(again)


def test_older_notifications_come_in_pages(app, api):
    person = make_client(app)
    ids = add_notes(app, person, [f"Note {n}" for n in range(25)])
    browser = signed_in(app, person)
    first = browser.get("/notifications")
    text = text_of(first)
    assert "Note 24" in text and "Note 5" in text and "Note 4" not in text
    older = re.search(r'href="(/notifications\?before=\d+)"', first.get_data(as_text=True))
    assert older and older.group(1) == f"/notifications?before={ids[5]}"
    second = browser.get(older.group(1), headers=HX)
    second_text = text_of(second)
    assert "Note 4" in second_text and "Note 0" in second_text and "Note 5" not in second_text
    assert "<html" not in second.get_data(as_text=True)
    assert "Older" not in second_text and "Newest" in second_text


def test_a_bad_page_is_a_400_with_the_newest(app, api):
    person = make_client(app)
    add_notes(app, person, ["Hello"])
    response = signed_in(app, person).get("/notifications?before=abc")
    assert response.status_code == 400 and "Hello" in text_of(response)


def test_someone_elses_notification_is_a_404_like_a_missing_one(app, api):
    owner, other = make_client(app), make_client(app)
    (note,) = add_notes(app, owner, ["Private"])
    browser = signed_in(app, other)
    assert post(browser, f"/notifications/{note}/read").status_code == 404
    assert post(browser, "/notifications/2000000000/read").status_code == 404
    assert "Private" not in text_of(browser.get("/notifications"))
    assert unread(app, owner) == 1


def test_marking_read_without_the_csrf_token_is_refused(app, api):
    person = make_client(app)
    (note,) = add_notes(app, person, ["Hello"])
    browser = signed_in(app, person)
    assert browser.post(f"/notifications/{note}/read").status_code == 400
    assert browser.post("/notifications/read").status_code == 400
    assert unread(app, person) == 1


def test_titles_and_bodies_are_escaped_and_only_local_links_are_followed(app, api):
    person = make_client(app)
    add_notes(app, person, ["<script>t()</script>"], body="<b>body</b>", url="//evil.example")
    add_notes(app, person, ["Js"], url="javascript:alert(1)")
    body = signed_in(app, person).get("/notifications").get_data(as_text=True)
    assert "<script>t()</script>" not in body and "&lt;script&gt;t()&lt;/script&gt;" in body
    assert "<b>body</b>" not in body and "&lt;b&gt;body&lt;/b&gt;" in body
    assert "evil.example" not in body and "javascript:" not in body


def test_signed_out_visitors_are_sent_to_sign_in(app):
    response = app.test_client().get("/notifications")
    assert response.status_code == 302 and "/login" in response.headers["Location"]
