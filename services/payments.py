"""Stripe payments (SPEC 4 Booking 5, SPEC 5 refunds, SPEC 9): Checkout Sessions, the
webhook events, refunds and the reconciliation that repairs what a lost webhook left.

Money and bookings must never disagree, whatever order Stripe's events arrive in. Every
change here is made under the booking's row lock, from the state Stripe reports (a
Checkout Session, a charge), and is a no-op when the booking already shows it: so the
webhook, the success page's direct retrieval and the reconciliation job can all report
the same payment and it counts once.

- ``start_checkout``: a Checkout Session for a booking, called inside the booking's
  transaction (Stripe down → 502 ``payment_error`` and the transaction rolls back: no
  booking is left half-made);
- ``handle_event``: a verified webhook event, processed once per event id;
- ``apply_session``: what a Checkout Session says (paid → confirmed and succeeded;
  expired → the hold ends);
- ``queue_refund`` / ``send_refund``: a refund row written with the cancellation, sent
  after the commit with an idempotency key of its own (a retry never refunds twice);
- ``reconcile``: the periodic check of bookings waiting for Stripe.
"""

from __future__ import annotations

import logging
from datetime import UTC, datetime, timedelta

import stripe
from flask import current_app
from sqlalchemy import select, update

from domain.errors import AppError
from extensions import db
from models import Booking, Payment, ProcessedWebhookEvent, Refund, SessionType, User
from models.types import utcnow
from services import live, notifications
from services.inserts import insert_ignoring_duplicates
from services.transactions import write_transaction

logger = logging.getLogger(__name__)

# Stripe's bounds on a Checkout Session's expires_at (30 minutes .. 24 hours ahead).
SHORTEST_SESSION = timedelta(minutes=30)
LONGEST_SESSION = timedelta(hours=24)
# Margin over Stripe's minimum, for the time the request takes to reach it.
SESSION_MARGIN = timedelta(minutes=1)
# A refund or payment not confirmed by Stripe this long is checked by the reconciliation.
RECONCILE_AFTER = timedelta(minutes=2)


def enabled() -> bool:
    return bool(current_app.config.get("STRIPE_SECRET_KEY"))


def client() -> stripe.StripeClient:
    """The Stripe client of the app's configuration (``STRIPE_API_BASE``: a local test
    server instead of api.stripe.com)."""
    config = current_app.config
    base = config.get("STRIPE_API_BASE")
    return stripe.StripeClient(
        config["STRIPE_SECRET_KEY"],
        base_addresses={"api": base} if base else None,
        max_network_retries=config.get("STRIPE_MAX_NETWORK_RETRIES", 1),
        http_client=stripe.RequestsClient(timeout=config.get("STRIPE_TIMEOUT_SECONDS", 10)),
    )


def _payment_error(error: Exception) -> AppError:
    logger.warning("Stripe refused or did not answer: %s", error)
    return AppError(
        "payment_error", "The payment service did not answer; nothing was charged. Try again."
    )


# --- Checkout ------------------------------------------------------------------------


def start_checkout(booking: Booking, now: datetime, expires_at: datetime) -> None:
    """Create the booking's Checkout Session (in the booking's transaction, the booking
    flushed): its id, URL and expiry on the booking, an ``open`` payment row."""
    session_type = db.session.get(SessionType, booking.session_type_id)
    coach = db.session.get(User, booking.coach_id)
    client_user = db.session.get(User, booking.client_id)
    base = current_app.config["BASE_URL"].rstrip("/")
    page = f"{base}/bookings/{booking.id}"
    params = {
        "mode": "payment",
        "line_items": [
            {
                "quantity": 1,
                "price_data": {
                    "currency": booking.currency.lower(),
                    "unit_amount": booking.price_total,
                    "product_data": {
                        "name": f"{session_type.name} with {coach.name}",
                        "description": f"{booking.duration_minutes} minutes, "
                        f"{booking.start_at.astimezone(UTC):%a %d %b %Y %H:%M} UTC",
                    },
                },
            }
        ],
        "metadata": {"booking_id": str(booking.id)},
        "payment_intent_data": {"metadata": {"booking_id": str(booking.id)}},
        "client_reference_id": str(booking.id),
        "customer_email": client_user.email,
        "expires_at": int(expires_at.timestamp()),
        "success_url": f"{page}/paid?session_id={{CHECKOUT_SESSION_ID}}",
        "cancel_url": f"{page}/checkout-cancelled",
    }
    try:
        session = client().v1.checkout.sessions.create(params)
    except stripe.StripeError as error:
        raise _payment_error(error) from error
    booking.checkout_session_id = session.id
    booking.checkout_url = session.url
    booking.checkout_expires_at = datetime.fromtimestamp(session.expires_at, UTC)
    db.session.add(
        Payment(
            booking_id=booking.id,
            checkout_session_id=session.id,
            amount=booking.price_total,
            currency=booking.currency,
            status="open",
        )
    )


def hold_until(now: datetime) -> datetime:
    """When a new booking's payment hold (its Checkout Session) ends."""
    minutes = current_app.config.get("CHECKOUT_HOLD_MINUTES", 30)
    return now + max(timedelta(minutes=minutes), SHORTEST_SESSION) + SESSION_MARGIN


def pay_link(booking_id: int, user_id: int, now: datetime | None = None) -> str:
    """The Checkout URL for the client to pay a booking that waits for payment: the open
    session's, or a new one (an accepted request pays until its deadline)."""
    from services.transitions import locked_for

    now = now or utcnow()
    with write_transaction():
        booking, actor = locked_for(user_id, booking_id)
        if actor != "client":
            raise AppError("forbidden", "Only the client pays for a booking.")
        from services.booking_views import awaits_payment

        waiting = awaits_payment(booking)
        if not waiting or not enabled():
            raise AppError("invalid_transition", "This booking has nothing to pay.")
        if (
            booking.checkout_url
            and booking.checkout_expires_at
            and booking.checkout_expires_at > now + timedelta(minutes=5)
        ):
            return booking.checkout_url
        if booking.status == "pending_payment":
            raise AppError("invalid_transition", "The time held for this payment has run out.")
        deadline = booking.payment_deadline_at or booking.start_at
        expires_at = min(
            max(deadline, now + SHORTEST_SESSION + SESSION_MARGIN), now + LONGEST_SESSION
        )
        start_checkout(booking, now, expires_at)
        return booking.checkout_url


# --- what Stripe reports --------------------------------------------------------------


def handle_event(event: dict) -> str:
    """A verified webhook event, once per event id: "processed", "replay", "ignored" or
    "unknown booking"."""
    kind, obj = event["type"], event["data"]["object"]
    handler = HANDLERS.get(kind)
    with write_transaction():
        fresh = db.session.scalar(
            insert_ignoring_duplicates(
                ProcessedWebhookEvent, {"id": event["id"], "type": kind}
            ).returning(ProcessedWebhookEvent.id)
        )
        if fresh is None:
            return "replay"
        if handler is None:
            return "ignored"
        found = handler(obj, utcnow())
    if not found:
        logger.warning("Stripe event %s (%s) is about no booking of ours", event["id"], kind)
        return "unknown booking"
    return "processed"


def _on_session_completed(session: dict, now: datetime) -> bool:
    return apply_session(session, now)


def _on_session_expired(session: dict, now: datetime) -> bool:
    return apply_session(session, now)


def apply_session(session: dict, now: datetime) -> bool:
    """Make the booking of this Checkout Session agree with it (in the caller's
    transaction): False if it is no session of ours."""
    booking = _locked_by(Booking.checkout_session_id == session["id"])
    if booking is None:
        return False
    payment = db.session.scalar(select(Payment).where(Payment.checkout_session_id == session["id"]))
    if session.get("payment_status") == "paid":
        _paid(booking, payment, session, now)
    elif session.get("status") == "complete":
        # Completed with a payment method that settles later (a bank debit): the money
        # is on its way; checkout.session.async_payment_succeeded will say it arrived.
        if booking.amount_paid == 0 and booking.payment_status in ("payment_pending", "failed"):
            booking.payment_status = "processing"
            live.payment_update(booking)
    elif session.get("status") == "expired":
        if payment is not None and payment.status == "open":
            payment.status = "expired"
        if booking.status == "pending_payment" and booking.amount_paid == 0:
            from services.transitions import move_locked_as_system

            move_locked_as_system(
                booking, "expired", "booking_expired", now, "The payment hold ran out."
            )
    return True


def _paid(booking: Booking, payment: Payment | None, session: dict, now: datetime) -> None:
    intent = session.get("payment_intent")
    intent_id = intent["id"] if isinstance(intent, dict) else intent
    amount = int(session.get("amount_total") or booking.price_total)
    if payment is not None:
        if payment.status == "succeeded":
            return  # reported before
        payment.status = "succeeded"
        payment.payment_intent_id = intent_id
    if booking.amount_paid:
        return
    booking.amount_paid = amount
    booking.payment_intent_id = intent_id
    booking.payment_status = "succeeded"
    live.payment_update(booking)
    if booking.status == "pending_payment":
        from services.transitions import move_locked_as_system

        # The confirmation e-mails of a paid hold say it was paid; the receipt follows.
        move_locked_as_system(booking, "confirmed", "booking_confirmed", now, "Paid.")
    elif booking.status not in ("confirmed", "completed"):
        # Paid for a booking that has ended meanwhile (cancelled, expired): the money
        # goes back in full, so booking and payment agree again.
        queue_refund(booking, amount, "late-payment")
    notifications.payment_changed(booking, "payment_receipt")


def _on_payment_failed(intent: dict, now: datetime) -> bool:
    booking = _booking_of_intent(intent)
    if booking is None:
        return False
    if booking.payment_status in ("payment_pending", "processing"):
        booking.payment_status = "failed"
        live.payment_update(booking)
        notifications.payment_changed(booking, "payment_failed")
    return True


def _on_charge_refunded(charge: dict, now: datetime) -> bool:
    booking = _booking_of_intent(
        {"id": charge.get("payment_intent"), "metadata": charge.get("metadata") or {}}
    )
    if booking is None:
        return False
    refunded = int(charge.get("amount_refunded") or 0)
    if refunded > booking.amount_refunded:
        booking.amount_refunded = min(refunded, booking.amount_paid)
        _refund_status(booking)
        live.payment_update(booking)
    db.session.execute(
        update(Refund)
        .where(Refund.booking_id == booking.id, Refund.status == "pending")
        .where(Refund.amount <= booking.amount_refunded)
        .values(status="succeeded", updated_at=now)
    )
    return True


HANDLERS = {
    "checkout.session.completed": _on_session_completed,
    "checkout.session.async_payment_succeeded": _on_session_completed,
    "checkout.session.expired": _on_session_expired,
    "payment_intent.payment_failed": _on_payment_failed,
    "charge.refunded": _on_charge_refunded,
}


# --- refunds ---------------------------------------------------------------------------


def queue_refund(booking: Booking, amount: int, reason_key: str) -> Refund | None:
    """A pending refund of ``amount`` written in the current transaction (with its
    idempotency key) and sent to Stripe after the commit; None when nothing was paid
    through Stripe."""
    if amount <= 0 or not booking.payment_intent_id:
        return None
    refund = Refund(
        booking_id=booking.id,
        amount=amount,
        currency=booking.currency,
        status="pending",
        idempotency_key=f"refund-{booking.id}-{reason_key}",
    )
    db.session.add(refund)
    db.session.flush()
    from jobs import enqueue
    from jobs.tasks import send_refund as send_refund_job

    enqueue(send_refund_job, refund.id)
    return refund


def close_checkout(booking: Booking) -> None:
    """The booking no longer waits for a payment (cancelled): its open Checkout Session
    is expired at Stripe after the commit, so it cannot be paid any more (a payment that
    got in first is refunded when it is reported)."""
    if booking.checkout_session_id and booking.amount_paid == 0 and enabled():
        from jobs import enqueue
        from jobs.tasks import expire_checkout

        enqueue(expire_checkout, booking.checkout_session_id)


def expire_session(session_id: str) -> None:
    try:
        session = client().v1.checkout.sessions.retrieve(session_id)
        if session.status == "open":
            client().v1.checkout.sessions.expire(session_id)
    except stripe.StripeError as error:
        logger.warning("session %s not expired (%s); it runs out on its own", session_id, error)


def send_refund(refund_id: int) -> str:
    """Ask Stripe for a pending refund (its idempotency key makes a retry the same
    refund); "succeeded", "failed", "pending" (to retry) or "done" (nothing to do)."""
    refund = db.session.get(Refund, refund_id)
    if refund is None or refund.status != "pending":
        db.session.commit()
        return "done"
    booking = db.session.get(Booking, refund.booking_id)
    params = {
        "payment_intent": booking.payment_intent_id,
        "amount": refund.amount,
        "metadata": {"booking_id": str(booking.id), "refund_id": str(refund.id)},
    }
    key = refund.idempotency_key
    db.session.commit()  # no transaction stays open across the call
    try:
        answer = client().v1.refunds.create(params, {"idempotency_key": key})
    except stripe.InvalidRequestError as error:
        _refund_failed(refund_id, str(error))
        return "failed"
    except stripe.StripeError as error:
        with write_transaction():
            db.session.execute(
                update(Refund).where(Refund.id == refund_id).values(last_error=str(error)[:500])
            )
        logger.warning("refund %s not sent (%s); the reconciliation retries it", refund_id, error)
        return "pending"
    return _refund_done(refund_id, answer.id, answer.status)


def _refund_done(refund_id: int, stripe_id: str, status: str) -> str:
    now = utcnow()
    with write_transaction():
        refund = db.session.scalar(select(Refund).where(Refund.id == refund_id).with_for_update())
        booking = _locked_by(Booking.id == refund.booking_id)
        if refund.status == "pending" and status in ("succeeded", "pending"):
            refund.status = "succeeded"
            refund.stripe_refund_id = stripe_id
            refund.updated_at = now
            booking.amount_refunded = min(
                booking.amount_refunded + refund.amount, booking.amount_paid
            )
            _refund_status(booking)
            live.payment_update(booking)
            notifications.payment_changed(booking, "refund_issued", refund=refund.amount)
    return "succeeded"


def _refund_failed(refund_id: int, error: str) -> None:
    logger.error("refund %s refused by Stripe: %s", refund_id, error)
    with write_transaction():
        db.session.execute(
            update(Refund)
            .where(Refund.id == refund_id, Refund.status == "pending")
            .values(status="failed", last_error=error[:500])
        )


def _refund_status(booking: Booking) -> None:
    if booking.amount_refunded >= booking.amount_paid > 0:
        booking.payment_status = "refunded"
    elif booking.amount_refunded > 0:
        booking.payment_status = "partially_refunded"


# --- reconciliation -------------------------------------------------------------------


def reconcile(now: datetime | None = None) -> int:
    """Check what waits for Stripe and repair it (the periodic job): bookings holding
    time for a payment, accepted bookings with an open session, refunds still pending.
    How many were changed or retried."""
    if not enabled():
        return 0
    now = now or utcnow()
    waiting = list(
        db.session.scalars(
            select(Booking.checkout_session_id).where(
                Booking.checkout_session_id.is_not(None),
                Booking.amount_paid == 0,
                (Booking.status == "pending_payment")
                | (
                    (Booking.status == "confirmed")
                    & Booking.payment_status.in_(("payment_pending", "processing", "failed"))
                ),
            )
        )
    )
    pending = list(
        db.session.scalars(
            select(Refund.id).where(
                Refund.status == "pending", Refund.created_at <= now - RECONCILE_AFTER
            )
        )
    )
    db.session.commit()
    stripe_client = client()
    changed = 0
    for session_id in waiting:
        try:
            session = stripe_client.v1.checkout.sessions.retrieve(session_id).to_dict()
            if session["status"] == "open" and session.get("expires_at", 0) < now.timestamp():
                session = stripe_client.v1.checkout.sessions.expire(session_id).to_dict()
        except stripe.StripeError as error:
            logger.warning("reconciliation: session %s not checked (%s)", session_id, error)
            continue
        if session["status"] == "open":
            continue
        with write_transaction():
            apply_session(session, now)
        changed += 1
    for refund_id in pending:
        if send_refund(refund_id) != "pending":
            changed += 1
    return changed


def returned_from_checkout(booking_id: int) -> None:
    """The client is back from Checkout: ask Stripe now (the redirect alone proves
    nothing); still unconfirmed, the payment shows as ``processing``."""
    refresh(booking_id)
    with write_transaction():
        booking = _locked_by(Booking.id == booking_id)
        if (
            booking.amount_paid == 0
            and booking.payment_status in ("payment_pending", "failed")
            and booking.status in ("pending_payment", "confirmed")
        ):
            booking.payment_status = "processing"
            live.payment_update(booking)


def refresh(booking_id: int) -> None:
    """Ask Stripe about the booking's session now (a failure leaves it to the webhook
    and the reconciliation)."""
    booking = db.session.get(Booking, booking_id)
    if booking is None or not booking.checkout_session_id or booking.amount_paid or not enabled():
        return
    session_id = booking.checkout_session_id
    db.session.commit()
    try:
        session = client().v1.checkout.sessions.retrieve(session_id).to_dict()
    except stripe.StripeError as error:
        logger.warning("session %s not retrieved (%s)", session_id, error)
        return
    if session["status"] != "open":
        with write_transaction():
            apply_session(session, utcnow())


# --- helpers ---------------------------------------------------------------------------


def _locked_by(condition) -> Booking | None:
    return db.session.scalar(
        select(Booking).where(condition).with_for_update().execution_options(populate_existing=True)
    )


def _booking_of_intent(intent: dict) -> Booking | None:
    booking = None
    if intent.get("id"):
        booking = _locked_by(Booking.payment_intent_id == intent["id"])
    if booking is None and intent.get("id"):
        payment = db.session.scalar(
            select(Payment).where(Payment.payment_intent_id == intent["id"])
        )
        if payment is not None:
            booking = _locked_by(Booking.id == payment.booking_id)
    booking_id = (intent.get("metadata") or {}).get("booking_id")
    if booking is None and booking_id and str(booking_id).isdigit():
        candidate = _locked_by(Booking.id == int(booking_id))
        # The metadata alone is trusted only for a booking that has a session with Stripe.
        if candidate is not None and candidate.checkout_session_id:
            booking = candidate
    return booking
