"""The coach's earnings list (SPEC 5, issue 13 item 6): what each booking brought through
Stripe, what went back, the platform fee and what the coach keeps, with totals; bookings
paid to the coach directly listed apart; clients are refused."""

from __future__ import annotations

import re

from tests.api.booking_setup import at, booked
from tests.factories import PASSWORD
from tests.helpers import web_login
from tests.payments.test_refunds import cancel, paid_booking


def cells(html: str) -> list[list[str]]:
    rows = re.findall(r"<tr>(.*?)</tr>", html, re.S)
    return [
        [re.sub(r"<[^>]+>", "", c).strip() for c in re.findall(r"<td[^>]*>(.*?)</td>", r, re.S)]
        for r in rows
    ]


def test_the_coach_sees_paid_refunded_fee_and_kept_per_booking_and_in_total(
    app, api, client, stripe_server
):
    scene, booking, _intent = paid_booking(app, api, client, stripe_server)
    second = booked(api, scene, at(12))
    assert second["status"] == "pending_payment"  # not paid: not an earning
    price = booking["price"]
    total, fee = price["total"], price["platform_fee"]["amount"]
    assert price["platform_fee"]["payer"] == "client" and total == price["coach_payout"] + fee
    cancel(app, scene.client, booking["id"], 10)  # half back by the default policy
    half = round(total / 2)

    web_login(client, scene.coach.email, PASSWORD)
    page = client.get("/earnings")

    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert "Platform fee: 5 %" in html and "paid by the client" in html
    money = lambda amount: f"{amount / 100:.2f}"  # noqa: E731
    [totals, row] = [r for r in cells(html) if r]
    assert [money(total), money(half), money(fee), money(total - half - fee)] == [
        re.sub(r"[^\d.]", "", v) for v in totals[1:5]
    ]
    assert row[1] == scene.client.name
    assert re.sub(r"[^\d.]", "", row[-1]) == money(total - half - fee)


def test_a_booking_paid_directly_is_listed_apart_and_a_client_is_refused(
    app, api, client, stripe_server
):
    from tests.api.booking_setup import make_scene

    app.config["STRIPE_SECRET_KEY"] = None  # this booking is made without Stripe
    scene = make_scene(app, api, price_amount=4000)
    offline = booked(api, scene, at(10))
    assert offline["payment"]["status"] == "offline"

    web_login(client, scene.coach.email, PASSWORD)
    html = client.get("/earnings").get_data(as_text=True)
    assert "paid to you directly" in html
    assert f"{offline['price']['coach_payout'] / 100:.2f}" in html

    other = app.test_client()
    web_login(other, scene.client.email, PASSWORD)
    assert other.get("/earnings").status_code == 403
