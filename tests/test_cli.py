"""flask seed-demo: a newcomer's demo data, created once however often it runs."""

from __future__ import annotations

from sqlalchemy import func, select

from extensions import db
from models import AvailabilityWindow, Booking, Connection, Coupon, SessionType, User
from tests.helpers import web_login


def _counts(app) -> dict:
    with app.app_context():
        return {
            model.__name__: db.session.scalar(select(func.count()).select_from(model))
            for model in (User, SessionType, AvailabilityWindow, Connection, Coupon, Booking)
        }


def test_seed_demo_prints_logins_that_work_and_is_idempotent(app):
    runner = app.test_cli_runner()
    first = runner.invoke(args=["seed-demo"])
    assert first.exit_code == 0, first.output
    assert "coach@example.com / demo-coach-pass" in first.output
    assert "client@example.com / demo-client-pass" in first.output
    counts = _counts(app)
    assert counts == {
        "User": 3,
        "SessionType": 3,
        "AvailabilityWindow": 2,  # the weekly series and the group workshop
        "Coupon": 1,
        "Connection": 1,
        "Booking": 5,
    }

    second = runner.invoke(args=["seed-demo"])
    assert second.exit_code == 0, second.output
    assert _counts(app) == counts

    client = app.test_client()
    response = web_login(client, "coach@example.com", "demo-coach-pass")
    assert response.status_code == 302
    dashboard = client.get("/dashboard").get_data(as_text=True)
    assert "Dana Demo" in dashboard
    assert "Coaching session" in dashboard and "Group workshop" in dashboard


def test_seed_demo_coach_is_public_in_berlin_with_eur_and_19_percent_vat(app):
    assert app.test_cli_runner().invoke(args=["seed-demo"]).exit_code == 0
    with app.app_context():
        coach = db.session.scalar(select(User).where(User.role == "coach"))
        assert (coach.timezone, coach.currency, str(coach.vat_rate)) == (
            "Europe/Berlin",
            "EUR",
            "0.19",
        )
        assert coach.calendar_privacy == "public"
        # docs/examples/embed, served on localhost:8000, may show the demo calendar.
        assert coach.embed_domains == ["http://localhost:8000"]
        types = {st.name: st for st in db.session.scalars(select(SessionType))}
        assert types["Free intro call"].price_amount == 0
        assert types["Free intro call"].duration_default == 30
        paid = types["Coaching session"]
        assert (paid.duration_min, paid.duration_default, paid.duration_max) == (30, 60, 120)
        assert paid.price_amount > 0
        assert types["Group workshop"].format == "group"
        window = db.session.scalar(
            select(AvailabilityWindow).where(AvailabilityWindow.recurrence_weekdays.is_not(None))
        )
        assert window.recurrence_weekdays == "MO,TU,WE,TH,FR"
        assert (window.recurrence_until - window.start_at.date()).days == 28


def test_seed_demo_makes_bookings_in_several_states_through_the_services(app):
    assert app.test_cli_runner().invoke(args=["seed-demo"]).exit_code == 0
    with app.app_context():
        bookings = list(db.session.scalars(select(Booking).order_by(Booking.start_at)))
        assert [(b.status, b.kind) for b in bookings] == [
            ("confirmed", "firm"),
            ("confirmed", "firm"),
            ("requested", "request"),
            ("time_suggested", "request"),
            ("cancelled_by_client", "firm"),
        ]
        assert bookings[1].payment_status == "offline" and bookings[1].price_total > 0
        assert len(bookings[3].suggestions) == 1
        assert all(len(b.history) >= 1 for b in bookings)
