"""The fake Stripe of fake_stripe.py, driven only through the official stripe library (and,
for its browser Checkout page, plain HTTP)."""

from __future__ import annotations

import time

import pytest
import requests
import stripe

from tests.payments.fake_stripe import FakeStripe, fake_stripe, signed  # noqa: F401

SECRET = "whsec_test_fake"
MISSING = object()


def stripe_for(fake: FakeStripe, key: str = "sk_test_x", retries: int = 0, timeout: float = 5):
    return stripe.StripeClient(
        key,
        base_addresses={"api": fake.base_url},
        max_network_retries=retries,
        http_client=stripe.RequestsClient(timeout=timeout),
    )


@pytest.fixture
def fake(fake_stripe: FakeStripe) -> FakeStripe:  # noqa: F811 (the fixture of fake_stripe.py)
    return fake_stripe


@pytest.fixture
def api(fake) -> stripe.StripeClient:
    return stripe_for(fake)


def session_params(**changes) -> dict:
    params = {
        "mode": "payment",
        "line_items": [
            {
                "quantity": 2,
                "price_data": {
                    "currency": "eur",
                    "unit_amount": 2625,
                    "product_data": {"name": "Intro call", "description": "30 minutes"},
                },
            }
        ],
        "metadata": {"booking_id": "42"},
        "payment_intent_data": {"metadata": {"booking_id": "42"}},
        "client_reference_id": "42",
        "customer_email": "client@example.com",
        "expires_at": int(time.time()) + 3600,
        "success_url": "https://coachbook.example/bookings/42/paid?session_id={CHECKOUT_SESSION_ID}",
        "cancel_url": "https://coachbook.example/bookings/42/checkout-cancelled",
    }
    params.update(changes)
    return {k: v for k, v in params.items() if v is not MISSING}


def paid_session(fake: FakeStripe, api: stripe.StripeClient) -> stripe.checkout.Session:
    session = api.v1.checkout.sessions.create(session_params())
    fake.complete(session.id)
    return api.v1.checkout.sessions.retrieve(session.id)


# --- Checkout Sessions -------------------------------------------------------------------


def test_a_new_session_is_open_and_echoes_what_was_asked(fake, api):
    session = api.v1.checkout.sessions.create(session_params())

    assert isinstance(session, stripe.checkout.Session)
    assert session.id.startswith("cs_test_")
    assert session.url == f"{fake.base_url}/pay/{session.id}"
    assert (session.status, session.payment_status) == ("open", "unpaid")
    assert (session.amount_total, session.currency) == (5250, "eur")
    assert session.metadata["booking_id"] == "42"
    assert session.client_reference_id == "42"
    assert session["payment_intent"] is None
    assert isinstance(session.expires_at, int) and isinstance(session.created, int)
    assert fake.sessions[session.id]["status"] == "open"
    [request] = fake.requests
    assert (request.method, request.path) == ("POST", "/v1/checkout/sessions")
    item = request.params["line_items"][0]
    assert item["price_data"]["unit_amount"] == "2625"  # as sent: bracket keys, strings
    assert item["price_data"]["product_data"]["name"] == "Intro call"
    assert request.params["metadata"] == {"booking_id": "42"}
    assert request.idempotency_key  # the library puts one on every POST


@pytest.mark.parametrize(
    "changes, param",
    [
        ({"mode": "subscription"}, "mode"),
        ({"mode": MISSING}, "mode"),
        ({"success_url": MISSING}, "success_url"),
        ({"cancel_url": MISSING}, "cancel_url"),
        ({"success_url": "coachbook.example/paid"}, "success_url"),
        ({"line_items": MISSING}, "line_items"),
        ({"surprise": "yes"}, "surprise"),
        ({"line_items": [{"price": "price_123", "quantity": 1}]}, "line_items[0][price]"),
        ({"line_items": [{"quantity": 1}]}, "line_items[0][price_data]"),
        ({"line_items": []}, "line_items"),
    ],
)
def test_a_session_stripe_would_refuse_is_refused(api, changes, param):
    with pytest.raises(stripe.InvalidRequestError) as refused:
        api.v1.checkout.sessions.create(session_params(**changes))
    assert (refused.value.http_status, refused.value.param) == (400, param)


@pytest.mark.parametrize(
    "change, param",
    [
        ({"unit_amount": 0}, "unit_amount"),
        ({"unit_amount": "12.50"}, "unit_amount"),
        ({"unit_amount": MISSING}, "unit_amount"),
        ({"currency": "euro"}, "currency"),
        ({"product_data": {"description": "no name"}}, "product_data][name"),
    ],
)
def test_a_bad_price_is_refused(api, change, param):
    params = session_params()
    price = params["line_items"][0]["price_data"]
    price.update(change)
    params["line_items"][0]["price_data"] = {k: v for k, v in price.items() if v is not MISSING}
    with pytest.raises(stripe.InvalidRequestError) as refused:
        api.v1.checkout.sessions.create(params)
    assert refused.value.param == f"line_items[0][price_data][{param}]"


@pytest.mark.parametrize("quantity", [0, MISSING])
def test_a_bad_quantity_is_refused(api, quantity):
    params = session_params()
    params["line_items"][0]["quantity"] = quantity
    if quantity is MISSING:
        del params["line_items"][0]["quantity"]
    with pytest.raises(stripe.InvalidRequestError) as refused:
        api.v1.checkout.sessions.create(params)
    assert refused.value.param == "line_items[0][quantity]"


def test_expires_at_must_be_30_minutes_to_24_hours_after_the_fakes_clock(fake, api):
    now = fake.clock = 1_900_000_000
    for ahead in (30 * 60, 24 * 3600):
        api.v1.checkout.sessions.create(session_params(expires_at=now + ahead))
    for ahead in (30 * 60 - 1, 24 * 3600 + 1, -60):
        with pytest.raises(stripe.InvalidRequestError) as refused:
            api.v1.checkout.sessions.create(session_params(expires_at=now + ahead))
        assert refused.value.param == "expires_at"
    default = api.v1.checkout.sessions.create(session_params(expires_at=MISSING))
    assert (default.created, default.expires_at) == (now, now + 24 * 3600)


def test_an_open_session_expires_when_the_clock_passes_its_expires_at(fake, api):
    now = fake.clock = 1_900_000_000
    session = api.v1.checkout.sessions.create(session_params(expires_at=now + 1800))
    fake.clock = now + 1799
    assert api.v1.checkout.sessions.retrieve(session.id).status == "open"
    fake.clock = now + 1800
    expired = api.v1.checkout.sessions.retrieve(session.id)
    assert (expired.status, expired.url) == ("expired", None)
    with pytest.raises(ValueError):
        fake.complete(session.id)


def test_unknown_ids_are_404_resource_missing(api):
    for retrieve, object_id in [
        (api.v1.checkout.sessions.retrieve, "cs_test_nope"),
        (api.v1.payment_intents.retrieve, "pi_nope"),
        (api.v1.refunds.retrieve, "re_nope"),
        (api.v1.checkout.sessions.expire, "cs_test_nope"),
    ]:
        with pytest.raises(stripe.InvalidRequestError) as missing:
            retrieve(object_id)
        assert (missing.value.http_status, missing.value.code) == (404, "resource_missing")
        assert object_id in str(missing.value)


@pytest.mark.parametrize("key", ["pk_test_x", "sk_live_x"])
def test_a_secret_test_key_is_required(fake, key):
    with pytest.raises(stripe.AuthenticationError) as refused:
        stripe_for(fake, key=key).v1.checkout.sessions.create(session_params())
    assert refused.value.http_status == 401
    assert fake.sessions == {}


def test_the_global_configuration_reaches_the_fake_too(fake, monkeypatch):
    monkeypatch.setattr(stripe, "api_key", "sk_test_x")
    monkeypatch.setattr(stripe, "api_base", fake.base_url)
    monkeypatch.setattr(stripe, "max_network_retries", 0)
    session = stripe.checkout.Session.create(**session_params())
    assert stripe.checkout.Session.retrieve(session.id).amount_total == 5250


# --- paying, failing, expiring -------------------------------------------------------------


def test_a_completed_session_is_paid_by_a_succeeded_payment_intent(fake, api):
    session = api.v1.checkout.sessions.create(session_params())
    completed = fake.complete(session.id)
    assert (completed["status"], completed["payment_status"]) == ("complete", "paid")

    plain = api.v1.checkout.sessions.retrieve(session.id)
    assert (plain.status, plain.payment_status, plain.url) == ("complete", "paid", None)
    assert plain.payment_intent == completed["payment_intent"]
    assert plain.payment_intent.startswith("pi_")

    expanded = api.v1.checkout.sessions.retrieve(session.id, {"expand": ["payment_intent"]})
    intent = expanded.payment_intent
    assert isinstance(intent, stripe.PaymentIntent)
    assert (intent.id, intent.status, intent.amount) == (plain.payment_intent, "succeeded", 5250)
    assert intent.metadata["booking_id"] == "42"  # from payment_intent_data
    assert fake.requests[-1].params == {"expand": ["payment_intent"]}

    again = api.v1.payment_intents.retrieve(intent.id, {"expand": ["latest_charge"]})
    charge = again.latest_charge
    assert isinstance(charge, stripe.Charge)
    assert (charge.amount, charge.amount_refunded, charge.payment_intent) == (5250, 0, intent.id)


def test_only_expandable_fields_expand(api):
    session = api.v1.checkout.sessions.create(session_params())
    with pytest.raises(stripe.InvalidRequestError) as refused:
        api.v1.checkout.sessions.retrieve(session.id, {"expand": ["metadata"]})
    assert refused.value.param == "expand"


def test_a_session_expires_once_and_only_while_open(fake, api):
    session = api.v1.checkout.sessions.create(session_params())
    expired = api.v1.checkout.sessions.expire(session.id)
    assert (expired.status, expired.payment_status, expired.url) == ("expired", "unpaid", None)
    with pytest.raises(stripe.InvalidRequestError):
        api.v1.checkout.sessions.expire(session.id)

    paid = paid_session(fake, api)
    with pytest.raises(stripe.InvalidRequestError):
        api.v1.checkout.sessions.expire(paid.id)
    assert api.v1.checkout.sessions.retrieve(paid.id).status == "complete"

    other = api.v1.checkout.sessions.create(session_params())
    assert fake.expire(other.id)["status"] == "expired"
    assert api.v1.checkout.sessions.retrieve(other.id).status == "expired"
    with pytest.raises(ValueError):
        fake.expire(other.id)


def test_a_failed_payment_leaves_the_session_open(fake, api):
    session = api.v1.checkout.sessions.create(session_params())
    failed = fake.fail_payment(session.id)

    intent = api.v1.payment_intents.retrieve(failed["id"])
    assert intent.status == "requires_payment_method"
    assert intent.last_payment_error["code"] == "card_declined"
    still = api.v1.checkout.sessions.retrieve(session.id)
    assert (still.status, still.payment_status, still.payment_intent) == (
        "open",
        "unpaid",
        intent.id,
    )
    with pytest.raises(stripe.InvalidRequestError):
        api.v1.refunds.create({"payment_intent": intent.id})

    fake.complete(session.id)  # a second card works: the same PaymentIntent
    assert api.v1.payment_intents.retrieve(intent.id).status == "succeeded"


# --- refunds -----------------------------------------------------------------------------


def test_refunds_take_what_is_left_and_no_more(fake, api):
    intent_id = paid_session(fake, api).payment_intent
    first = api.v1.refunds.create(
        {"payment_intent": intent_id, "amount": 2000, "metadata": {"refund_id": "7"}}
    )
    assert isinstance(first, stripe.Refund)
    assert first.id.startswith("re_")
    assert (first.amount, first.currency, first.status) == (2000, "eur", "succeeded")
    assert (first.payment_intent, first.metadata["refund_id"]) == (intent_id, "7")
    charge = fake.charges[fake.payment_intents[intent_id]["latest_charge"]]
    assert (charge["amount_refunded"], charge["refunded"]) == (2000, False)

    for amount in (3251, 0, -5):
        with pytest.raises(stripe.InvalidRequestError) as refused:
            api.v1.refunds.create({"payment_intent": intent_id, "amount": amount})
        assert refused.value.param == "amount"

    rest = api.v1.refunds.create({"payment_intent": intent_id})  # the default: what is left
    assert rest.amount == 3250
    assert (charge["amount_refunded"], charge["refunded"]) == (5250, True)
    with pytest.raises(stripe.InvalidRequestError) as refused:
        api.v1.refunds.create({"payment_intent": intent_id, "amount": 1})
    assert refused.value.code == "charge_already_refunded"

    assert api.v1.refunds.retrieve(first.id).amount == 2000
    listed = api.v1.refunds.list({"payment_intent": intent_id})
    assert [r.id for r in listed.data] == [rest.id, first.id]
    assert listed.has_more is False
    page = api.v1.refunds.list({"payment_intent": intent_id, "limit": 1})
    assert ([r.id for r in page.data], page.has_more) == ([rest.id], True)
    assert set(fake.refunds) == {first.id, rest.id}


def test_a_refund_needs_a_known_succeeded_payment_intent(api):
    for params in ({}, {"payment_intent": "pi_nope"}):
        with pytest.raises(stripe.InvalidRequestError) as refused:
            api.v1.refunds.create(params)
        assert refused.value.param == "payment_intent"


def test_an_idempotency_key_replays_the_first_answer(fake, api):
    intent_id = paid_session(fake, api).payment_intent
    params = {"payment_intent": intent_id, "amount": 1000}
    first = api.v1.refunds.create(params, {"idempotency_key": "refund-42-cancel"})
    again = api.v1.refunds.create(params, {"idempotency_key": "refund-42-cancel"})

    assert again.id == first.id
    assert len(fake.refunds) == 1
    assert fake.charges[first.charge]["amount_refunded"] == 1000
    assert [r.idempotency_key for r in fake.requests[-2:]] == ["refund-42-cancel"] * 2
    with pytest.raises(stripe.IdempotencyError):
        api.v1.refunds.create({**params, "amount": 999}, {"idempotency_key": "refund-42-cancel"})
    assert api.v1.refunds.create(params).id != first.id  # a new key: a new refund


# --- failure modes -----------------------------------------------------------------------


def test_down_answers_500_and_the_library_retries_with_the_same_key(fake):
    fake.down = True
    with pytest.raises(stripe.APIError) as failed:
        stripe_for(fake, retries=1).v1.checkout.sessions.create(session_params())
    assert failed.value.http_status == 500
    first, retry = fake.requests
    assert first.idempotency_key == retry.idempotency_key
    assert fake.sessions == {}

    fake.down = False
    assert stripe_for(fake).v1.checkout.sessions.create(session_params()).status == "open"


def test_down_refuse_closes_connections_unanswered(fake, api):
    fake.down = "refuse"
    with pytest.raises(stripe.APIConnectionError):
        api.v1.checkout.sessions.create(session_params())
    assert fake.requests == [] and fake.sessions == {}


def test_a_delay_longer_than_the_timeout_is_a_connection_error(fake):
    fake.delay_seconds = 1.0
    started = time.monotonic()
    with pytest.raises(stripe.APIConnectionError):
        stripe_for(fake, timeout=0.2).v1.checkout.sessions.create(session_params())
    assert time.monotonic() - started < 0.9
    deadline = time.monotonic() + 3
    while not fake.sessions and time.monotonic() < deadline:
        time.sleep(0.05)
    assert len(fake.sessions) == 1  # handled anyway, as a slow Stripe would


# --- the Checkout page -------------------------------------------------------------------


def test_the_checkout_page_pays_and_redirects_to_the_success_url(fake, api):
    session = api.v1.checkout.sessions.create(session_params())
    page = requests.get(session.url, timeout=5)
    assert page.status_code == 200
    assert "Checkout" in page.text and "52.50 EUR" in page.text and "Intro call" in page.text
    assert ">Pay</button>" in page.text and ">Cancel</button>" in page.text

    paid = requests.post(f"{session.url}/complete", allow_redirects=False, timeout=5)
    assert paid.status_code == 303
    assert paid.headers["Location"] == (
        f"https://coachbook.example/bookings/42/paid?session_id={session.id}"
    )
    assert api.v1.checkout.sessions.retrieve(session.id).payment_status == "paid"
    assert requests.get(session.url, timeout=5).status_code == 410  # no second payment


def test_the_checkout_page_cancels_back_to_the_cancel_url(fake, api):
    session = api.v1.checkout.sessions.create(session_params())
    back = requests.post(f"{session.url}/cancel", allow_redirects=False, timeout=5)
    assert back.status_code == 303
    assert back.headers["Location"] == "https://coachbook.example/bookings/42/checkout-cancelled"
    assert api.v1.checkout.sessions.retrieve(session.id).status == "open"
    assert requests.get(f"{fake.base_url}/pay/cs_test_nope", timeout=5).status_code == 404


# --- webhook events ----------------------------------------------------------------------


def test_signed_events_pass_the_librarys_verification(fake, api):
    session = api.v1.checkout.sessions.create(session_params())
    event = fake.event("checkout.session.completed", fake.complete(session.id))
    assert event["id"].startswith("evt_") and event["api_version"] == stripe.api_version

    payload, header = signed(event, SECRET)
    verified = stripe.Webhook.construct_event(payload, header, SECRET)
    assert (verified.id, verified.type) == (event["id"], "checkout.session.completed")
    assert verified.data.object["id"] == session.id
    assert verified.data.object["payment_status"] == "paid"


def test_a_tampered_stale_or_wrongly_signed_event_is_refused(fake):
    event = fake.event("charge.refunded", {"id": "ch_x", "object": "charge"})
    payload, header = signed(event, SECRET)
    stale_payload, stale_header = signed(event, SECRET, timestamp=int(time.time()) - 301)
    for body, signature, secret in [
        (payload.replace(b"ch_x", b"ch_y"), header, SECRET),
        (payload, header, "whsec_other"),
        (stale_payload, stale_header, SECRET),
    ]:
        with pytest.raises(stripe.SignatureVerificationError):
            stripe.Webhook.construct_event(body, signature, secret)


def test_bad_metadata_is_refused_and_nothing_is_made(fake, api):
    for params in (
        session_params(metadata={"k" * 41: "v"}),
        session_params(payment_intent_data={"metadata": {"booking": "x" * 501}}),
    ):
        with pytest.raises(stripe.InvalidRequestError) as refused:
            api.v1.checkout.sessions.create(params)
        assert refused.value.param in ("metadata", "payment_intent_data[metadata]")
    assert fake.sessions == {}
    intent_id = paid_session(fake, api).payment_intent
    with pytest.raises(stripe.InvalidRequestError):
        api.v1.refunds.create({"payment_intent": intent_id, "metadata": {"k" * 41: "v"}})
    assert fake.refunds == {}
