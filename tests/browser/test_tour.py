"""A newcomer's tour of the demo site: every page, as the demo coach, the demo client and
a signed-out visitor, loads without console errors or requests to other hosts, has no
serious or critical accessibility violation and does not scroll sideways at 375 px."""

from __future__ import annotations

from sqlalchemy import select

from extensions import db
from models import Booking, User
from tests.factories import Person

COACH_PAGES = (
    "/dashboard",
    "/coaches/{slug}?view=month",
    "/coaches/{slug}?view=week",
    "/coaches/{slug}?view=day",
    "/coach/availability",
    "/coach/session-types",
    "/coach/coupons",
    "/settings",
    "/notifications",
    "/bookings/{booking}",
)
CLIENT_PAGES = (
    "/dashboard",
    "/coaches/{slug}?view=month",
    "/coaches/{slug}?view=week",
    "/settings",
    "/notifications",
    "/bookings/{booking}",
)
VISITOR_PAGES = ("/", "/login", "/register", "/coaches/{slug}?view=week")


def _demo(app) -> dict:
    assert app.test_cli_runner().invoke(args=["seed-demo"]).exit_code == 0
    with app.app_context():
        coach = db.session.scalar(select(User).where(User.email == "coach@example.com"))
        client = db.session.scalar(select(User).where(User.email == "client@example.com"))
        booking = db.session.scalar(
            select(Booking.id).where(Booking.client_id == client.id).order_by(Booking.start_at)
        )
        return {
            "slug": coach.slug,
            "booking": booking,
            "coach": Person(
                coach.id, coach.email, "demo-coach-pass", coach.name, "coach", coach.slug, ""
            ),
            "client": Person(
                client.id, client.email, "demo-client-pass", client.name, "client", None, ""
            ),
        }


def _visit(web, paths, demo) -> None:
    for template in paths:
        path = template.format(**demo)
        response = web.goto(path)
        assert response.status == 200, (path, response.status)
        web.check_accessibility(path)
        web.check_narrow(path)


def test_the_demo_coach_can_open_every_page(app, web):
    demo = _demo(app)
    web.sign_in(demo["coach"])
    _visit(web, COACH_PAGES, demo)


def test_the_demo_client_can_open_every_page(app, web):
    demo = _demo(app)
    web.sign_in(demo["client"])
    _visit(web, CLIENT_PAGES, demo)


def test_a_visitor_sees_the_landing_page_and_a_public_calendar(app, web):
    demo = _demo(app)
    _visit(web, VISITOR_PAGES, demo)
    web.goto("/")
    web.screenshot("landing", full_page=False)
