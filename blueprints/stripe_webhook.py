"""POST /stripe/webhook (SPEC 9): Stripe's events, verified with the official library's
signature check, each processed once (``services.payments.handle_event``).

A bad or stale signature is 400 and changes nothing; an event about no booking of ours,
or of a type we do not handle, is 200 (Stripe would otherwise retry it for days)."""

from __future__ import annotations

import json
import logging

import stripe
from flask import Blueprint, current_app, jsonify, request

from domain.errors import AppError
from extensions import csrf
from services import payments

logger = logging.getLogger(__name__)
bp = Blueprint("stripe_webhook", __name__)


@bp.route("/stripe/webhook", methods=["POST"])
@csrf.exempt
def webhook():
    secret = current_app.config.get("STRIPE_WEBHOOK_SECRET")
    if not secret:
        raise AppError("not_found", "Payments are not configured on this site.")
    payload = request.get_data()
    header = request.headers.get("Stripe-Signature", "")
    try:
        stripe.WebhookSignature.verify_header(
            payload.decode(), header, secret, tolerance=stripe.Webhook.DEFAULT_TOLERANCE
        )
        event = json.loads(payload)
        if not (isinstance(event["id"], str) and isinstance(event["data"]["object"], dict)):
            raise TypeError("not an event")
    except (stripe.SignatureVerificationError, UnicodeDecodeError) as error:
        logger.warning("Stripe webhook refused: %s", error)
        raise AppError("validation_error", "The Stripe signature is not valid.") from error
    except (ValueError, KeyError, TypeError) as error:
        raise AppError("validation_error", "The event is not a Stripe event.") from error
    outcome = payments.handle_event(event)
    logger.info("Stripe event %s (%s): %s", event["id"], event["type"], outcome)
    return jsonify({"received": True, "outcome": outcome})
