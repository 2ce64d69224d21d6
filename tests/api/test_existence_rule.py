"""SPEC 8: what a caller may not know exists answers exactly as a missing id does (a
404, or the 401/403 that a missing id gets too, for a role refused whatever the id);
who may know it never gets a 404, but a 403 where they may see it and not do this.

Every route of the URL map that takes an ``<id:…>`` is checked over the full matrix of
callers (the owning coach, another coach, an unrelated client, a connected client who
also holds a booking, a signed-out visitor) and calendar privacies (public, connected,
private). The routes come from the URL map: a new one fails here until it is listed in
``ROUTES`` with what it needs to be called.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

import pytest
from sqlalchemy import select

from extensions import db
from models import Notification, User, WebSession
from services import web_sessions
from tests.api.scheduling import MONDAY, WINDOWS_URL, day_range, local, z
from tests.factories import (
    PASSWORD,
    make_booking,
    make_client,
    make_coach,
    make_connection,
    make_coupon,
    make_session_type,
)
from tests.helpers import csrf_token, web_login
from tests.privacy import PRIVACIES, may_see

MISSING = 2_000_000_000
ROLES = ("other coach", "unrelated client", "connected client", "signed out", "owner")
# The callers here, as the shared truth table names them.
AS_IN_TABLE = {
    "owner": "owner",
    "other coach": "other coach, unconnected",
    "unrelated client": "unconnected client",
    "connected client": "connected client",
    "signed out": "signed-out visitor",
}
# Who may know a thing exists, by kind: the calendar's viewers, or fixed people.
KNOWN_BY = {
    "calendar": None,  # decided by the privacy
    "booking": {"owner", "connected client"},
    "connection": {"owner", "connected client"},
    "coupon": {"owner"},
    "notification": {"owner"},
    "own list": {"owner"},
    "owner only": {"owner"},  # the coach's own pages: another coach's id is a missing one
}
START = local(MONDAY, 10)


def _suggest(w):
    return {
        "times": [
            {"start": z(START + timedelta(days=1)), "end": z(START + timedelta(days=1, hours=1))}
        ]
    }


# (method, rule) → (kind of the thing behind the id, query, JSON body); None: no body.
ROUTES = {
    ("GET", "/api/bookings/<id:user_id>/bookings"): ("calendar", day_range(MONDAY), None),
    ("GET", "/api/bookings/<id:user_id>/slots"): ("calendar", "slots", None),
    ("GET", "/api/bookings/user/<id:user_id>/sessions"): ("own list", {}, None),
    ("PUT", "/api/bookings/availability/<id:availability_id>"): (
        "calendar",
        {},
        {"start": z(local(MONDAY, 8)), "end": z(local(MONDAY, 18))},
    ),
    ("DELETE", "/api/bookings/availability/<id:availability_id>"): ("calendar", {}, None),
    ("GET", "/api/bookings/<id:booking_id>"): ("booking", {}, None),
    ("POST", "/api/bookings/<id:booking_id>/accept"): ("booking", {}, {}),
    ("POST", "/api/bookings/<id:booking_id>/decline"): ("booking", {}, {}),
    ("POST", "/api/bookings/<id:booking_id>/suggest"): ("booking", {}, _suggest),
    ("POST", "/api/bookings/<id:booking_id>/choose"): ("booking", {}, {"suggestion_id": 1}),
    ("POST", "/api/bookings/<id:booking_id>/cancel"): ("booking", {}, {}),
    ("POST", "/api/bookings/<id:booking_id>/checkout"): ("booking", {}, {}),
    ("POST", "/api/bookings/<id:booking_id>/reschedule"): (
        "booking",
        {},
        {"start": z(START + timedelta(hours=2))},
    ),
    ("PUT", "/api/bookings/<id:booking_id>/status"): (
        "booking",
        {},
        {"status": "cancelled_by_coach"},
    ),
    ("GET", "/api/session-types/<id:session_type_id>"): ("calendar", {}, None),
    ("PATCH", "/api/session-types/<id:session_type_id>"): ("calendar", {}, {"name": "Renamed"}),
    ("DELETE", "/api/session-types/<id:session_type_id>"): ("calendar", {}, None),
    ("GET", "/api/coupons/<id:coupon_id>"): ("coupon", {}, None),
    ("PATCH", "/api/coupons/<id:coupon_id>"): ("coupon", {}, {"percent_off": 15}),
    ("DELETE", "/api/coupons/<id:coupon_id>"): ("coupon", {}, None),
    ("POST", "/api/connections/<id:connection_id>/accept"): ("connection", {}, None),
    ("POST", "/api/connections/<id:connection_id>/decline"): ("connection", {}, None),
    ("POST", "/api/notifications/<id:notification_id>/read"): ("notification", {}, None),
    ("POST", "/connections/<id:connection_id>/<any(accept, decline):answer>"): (
        "connection",
        {},
        "web",
    ),
    # the coach's catalog pages (blueprints/catalog_pages.py): only the owner knows them
    ("GET", "/coach/session-types/<id:session_type_id>/edit"): ("owner only", {}, "web"),
    ("POST", "/coach/session-types/<id:session_type_id>"): ("owner only", {}, "web"),
    ("POST", "/coach/session-types/<id:session_type_id>/deactivate"): ("owner only", {}, "web"),
    ("POST", "/coach/session-types/<id:session_type_id>/activate"): ("owner only", {}, "web"),
    ("GET", "/coach/coupons/<id:coupon_id>/edit"): ("coupon", {}, "web"),
    ("POST", "/coach/coupons/<id:coupon_id>"): ("coupon", {}, "web"),
    ("POST", "/coach/coupons/<id:coupon_id>/deactivate"): ("coupon", {}, "web"),
    # the settings page's sign-ins (blueprints/settings_pages.py): the owner's own
    ("POST", "/settings/sessions/<id:session_id>/end"): ("owner only", {}, "web"),
    # the availability editor (blueprints/availability_pages.py): get_own_window's rule
    ("GET", "/coach/availability/<id:availability_id>/edit"): ("calendar", {}, "web"),
    ("POST", "/coach/availability/<id:availability_id>/edit"): ("calendar", {}, "web"),
    ("GET", "/coach/availability/<id:availability_id>/occurrence"): ("calendar", {}, "web"),
    ("POST", "/coach/availability/<id:availability_id>/occurrence"): ("calendar", {}, "web"),
    ("GET", "/coach/availability/<id:availability_id>/delete"): ("calendar", {}, "web"),
    ("POST", "/coach/availability/<id:availability_id>/delete"): ("calendar", {}, "web"),
    ("GET", "/bookings/<id:booking_id>"): ("booking", {}, "web"),
    ("POST", "/bookings/<id:booking_id>/accept"): ("booking", {}, "web"),
    ("GET", "/bookings/<id:booking_id>/decline"): ("booking", {}, "web"),
    ("POST", "/bookings/<id:booking_id>/decline"): ("booking", {}, "web"),
    ("GET", "/bookings/<id:booking_id>/suggest"): ("booking", {}, "web"),
    ("POST", "/bookings/<id:booking_id>/suggest"): ("booking", {}, "web"),
    ("POST", "/bookings/<id:booking_id>/choose"): ("booking", {}, "web"),
    ("GET", "/bookings/<id:booking_id>/cancel"): ("booking", {}, "web"),
    ("POST", "/bookings/<id:booking_id>/cancel"): ("booking", {}, "web"),
    ("GET", "/bookings/<id:booking_id>/reschedule"): ("booking", {}, "web"),
    ("POST", "/bookings/<id:booking_id>/reschedule"): ("booking", {}, "web"),
    ("POST", "/bookings/<id:booking_id>/complete"): ("booking", {}, "web"),
    ("POST", "/bookings/<id:booking_id>/pay"): ("booking", {}, "web"),
    ("GET", "/bookings/<id:booking_id>/paid"): ("booking", {}, "web"),
    ("GET", "/bookings/<id:booking_id>/booking.ics"): ("booking", {}, "web"),
    ("GET", "/bookings/<id:booking_id>/checkout-cancelled"): ("booking", {}, "web"),
    ("POST", "/notifications/<id:notification_id>/read"): ("notification", {}, "web"),
}


def _id_rules(app) -> set[tuple[str, str]]:
    found = set()
    for rule in app.url_map.iter_rules():
        if "<id:" not in rule.rule:
            continue
        for method in rule.methods - {"HEAD", "OPTIONS"}:
            found.add((method, rule.rule))
    return found


def test_every_route_with_an_id_is_in_the_matrix(app):
    assert _id_rules(app) == set(ROUTES), "list the new route in ROUTES"


@dataclass
class World:
    people: dict
    ids: dict  # argument name → id of the owner's thing
    session_type_id: int


def _world(app, api, privacy: str) -> World:
    owner = make_coach(app, calendar_privacy=privacy)
    connected = make_client(app)
    people = {
        "owner": owner,
        "other coach": make_coach(app, calendar_privacy="public"),
        "unrelated client": make_client(app),
        "connected client": connected,
        "signed out": None,
    }
    connection_id = make_connection(app, connected, owner, "accepted")
    session_type_id = make_session_type(app, owner)
    window = api.post(
        WINDOWS_URL,
        json={"start": z(local(MONDAY, 9)), "end": z(local(MONDAY, 17))},
        as_=owner,
    )
    assert window.status_code == 201, window.get_json()
    booking_id = make_booking(app, owner, connected, session_type_id, START, status="requested")
    with app.app_context():
        notification = Notification(user_id=owner.id, kind="test", title="Hello")
        db.session.add(notification)
        db.session.commit()
        notification_id = notification.id
    ids = {
        "user_id": owner.id,
        "availability_id": window.get_json()["availability"]["id"],
        "booking_id": booking_id,
        "session_type_id": session_type_id,
        "coupon_id": make_coupon(app, owner),
        "connection_id": connection_id,
        "notification_id": notification_id,
        "session_id": _web_sign_in(app, owner),
    }
    return World(people, ids, session_type_id)


def _web_sign_in(app, person) -> int:
    """The id of a browser sign-in of ``person`` (the settings page lists and ends them)."""
    with app.app_context():
        web_sessions.start(db.session.get(User, person.id), remember=False)
        return db.session.scalar(
            select(WebSession.id).where(WebSession.user_id == person.id).order_by(WebSession.id)
        )


def _url(rule: str, arg: str, value: int) -> str:
    url = rule.replace(f"<id:{arg}>", str(value))
    return url.replace("<any(accept, decline):answer>", "decline")


def _call(app, api, world, role, method, rule, value):
    _kind, query, body = ROUTES[(method, rule)]
    arg = rule.split("<id:")[1].split(">")[0]
    url = _url(rule, arg, value)
    person = world.people[role]
    if query == "slots":
        query = day_range(MONDAY) | {"session_type_id": world.session_type_id}
    if body == "web":
        browser = app.test_client()
        data = {}
        if person is not None:
            web_login(browser, person.email, PASSWORD)
            data["csrf_token"] = csrf_token(browser, "/dashboard")
        response = browser.open(url, method=method, data=data)
        return response.status_code, None
    if callable(body):
        body = body(world)
    kwargs = {"query_string": query}
    if body is not None:
        kwargs["json"] = body
    response = api.request(method, url, as_=person, **kwargs)
    code = (response.get_json() or {}).get("error", {}).get("code")
    return response.status_code, code


def _knows(kind: str, role: str, privacy: str) -> bool:
    if kind == "calendar":
        return may_see(AS_IN_TABLE[role], privacy)
    return role in KNOWN_BY[kind]


@pytest.mark.parametrize("route", sorted(ROUTES), ids=lambda r: f"{r[0]} {r[1]}")
def test_what_a_caller_may_not_know_answers_as_a_missing_id(app, api, route):
    method, rule = route
    kind = ROUTES[route][0]
    arg = rule.split("<id:")[1].split(">")[0]
    problems = []
    for privacy in PRIVACIES:
        world = _world(app, api, privacy)
        for role in ROLES:  # the owner last: their writes may delete the thing
            missing = _call(app, api, world, role, method, rule, MISSING)
            answer = _call(app, api, world, role, method, rule, world.ids[arg])
            if _knows(kind, role, privacy):
                if answer[0] == 404:
                    problems.append(f"{privacy}/{role}: 404 for a thing they may know")
            elif answer != missing:
                problems.append(f"{privacy}/{role}: {answer} but {missing} for a missing id")
    assert not problems, problems
