"""What every e-mail must be, whatever its content: user text escaped in the HTML, nothing
fetched from another host, a Message-ID of its own."""

from __future__ import annotations

import re

from tests.api.booking_setup import at, booked
from tests.api.transition_setup import act
from tests.email.mail import BASE_URL, make_people, only, received

HOSTILE_NAME = 'Eve <script>alert("name")</script> & Co'
HOSTILE_MESSAGE = "<img src=x onerror=alert(1)> <b>bold</b>\nsecond line"


def test_the_html_escapes_a_hostile_name_and_message(app, api, sink):
    scene = make_people(app, api, instant_booking=False, client_name=HOSTILE_NAME)
    booked(api, scene, at(10), message=HOSTILE_MESSAGE)

    coach = only(sink, scene.coach)
    assert "<script>" not in coach.html and "<img" not in coach.html and "<b>" not in coach.html
    assert "Eve &lt;script&gt;alert(&#34;name&#34;)&lt;/script&gt; &amp; Co" in coach.html
    assert "&lt;img src=x onerror=alert(1)&gt; &lt;b&gt;bold&lt;/b&gt;<br>second line" in (
        coach.html
    )
    # the plain text and the subject say it as it was written
    assert HOSTILE_NAME in coach.text and "> <img src=x onerror=alert(1)> <b>bold</b>" in coach.text
    assert coach.subject.startswith(f"New request from {HOSTILE_NAME}: ")


def test_a_name_in_the_invitation_stays_one_attendee_name(app, api, sink):
    scene = make_people(app, api, client_name='Robin "RC"; Client, Jr.')
    booked(api, scene, at(10))

    event = only(sink, scene.coach).event()
    assert event["ATTENDEE"].params["CN"] == 'Robin "RC"; Client, Jr.'
    assert str(event["SUMMARY"]) == 'Coaching between Dana Coach and Robin "RC"; Client, Jr.'


def test_the_html_loads_nothing_and_links_only_to_the_site(app, api, sink):
    scene = make_people(app, api, instant_booking=False)
    booked(api, scene, at(10))

    for mail in received(sink):
        html = mail.html
        assert "<img" not in html and "<link" not in html and "<script" not in html
        assert "src=" not in html and "url(" not in html
        links = re.findall(r'href="([^"]+)"', html)
        assert links and all(link.startswith(BASE_URL) for link in links), links


def test_every_email_has_a_message_id_of_its_own(app, api, sink):
    scene = make_people(app, api)
    booking = booked(api, scene, at(10))
    act(api, scene.client, booking["id"], "cancel", {"reason": ""})

    ids = [mail.message["Message-ID"] for mail in received(sink)]
    assert len(ids) == 4
    assert all(re.fullmatch(r"<[^<>@\s]+@[^<>@\s]+>", message_id) for message_id in ids), ids
    assert len(set(ids)) == 4
