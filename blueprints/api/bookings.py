"""Bookings: create, read, and every transition of SPEC section 4 (SPEC 8, 8.1), with
their request schemas and the booking's response shape."""

from __future__ import annotations

from datetime import datetime

from flask_login import current_user
from marshmallow import fields, validate

from blueprints.api.common import (
    EARLIEST,
    KINDS,
    LATEST,
    MAX_ID,
    MAX_MINUTES,
    BaseSchema,
    Moment,
    OutSchema,
    PageOut,
    PriceBreakdownOut,
    iso,
    out_enum,
    out_int,
    out_list,
    out_nested,
    out_part,
    out_str,
    out_time,
    strict_int,
)
from blueprints.api.docs import BEARER, Blueprint
from blueprints.security import api_login_required
from domain.errors import not_found, validation_error
from domain.pricing import PriceBreakdown
from domain.status import BOOKING_STATUSES
from models.bookings import PAYMENT_STATUSES
from services import bookings, payments, transitions

_ID = (1, MAX_ID)

# --- requests ------------------------------------------------------------------------


class BookingCreateSchema(BaseSchema):
    coach_id = strict_int(*_ID, required=True)
    session_type_id = strict_int(*_ID, required=True)
    start = Moment(required=True)
    duration_minutes = strict_int(15, MAX_MINUTES)
    message = fields.String(load_default="", validate=validate.Length(max=2000))
    coupon_code = fields.String(allow_none=True, validate=validate.Length(max=40))


class MessageSchema(BaseSchema):
    message = fields.String(load_default="", validate=validate.Length(max=2000))


class TimeRangeSchema(BaseSchema):
    start = Moment(required=True)
    end = Moment(required=True)


class SuggestSchema(MessageSchema):
    times = fields.List(
        fields.Nested(TimeRangeSchema), required=True, validate=validate.Length(min=1, max=3)
    )


class ChooseSchema(BaseSchema):
    suggestion_id = strict_int(*_ID, required=True)


class CancelSchema(BaseSchema):
    reason = fields.String(load_default="", validate=validate.Length(max=2000))


class RescheduleSchema(BaseSchema):
    start = Moment(required=True)


class StatusChangeSchema(CancelSchema):
    status = fields.String(
        required=True,
        validate=validate.OneOf(("completed", "cancelled_by_coach", "cancelled_by_client")),
    )


class SessionsQuerySchema(BaseSchema):
    start = Moment()
    end = Moment()
    limit = fields.Integer(load_default=50, validate=validate.Range(1, 200))
    cursor = fields.String(validate=validate.Length(max=100))


# --- answers -------------------------------------------------------------------------


class PaymentOut(OutSchema):
    status = out_enum(PAYMENT_STATUSES, attribute="payment_status")
    checkout_url = out_str(allow_none=True)
    amount_paid = out_int()
    amount_refunded = out_int()


class CheckoutOut(OutSchema):
    checkout_url = out_str()


class SuggestionOut(OutSchema):
    id = out_int()
    start = out_time(attribute="start_at")
    end = out_time(attribute="end_at")


class HistoryEntryOut(OutSchema):
    from_ = out_enum(BOOKING_STATUSES, allow_none=True, data_key="from", attribute="from_status")
    to = out_enum(BOOKING_STATUSES, attribute="to_status")
    by = fields.Integer(required=True, allow_none=True, attribute="by_user_id")
    at = out_time()
    note = out_str()


def price_of(booking) -> PriceBreakdown:
    """The SPEC 5 breakdown stored on a booking, in the one shape pricing defines."""
    return PriceBreakdown(
        currency=booking.currency,
        base=booking.price_base,
        discount_code=booking.discount_code,
        discount_amount=booking.discount_amount,
        net=booking.price_net,
        vat_rate=booking.vat_rate,
        vat_amount=booking.vat_amount,
        fee_amount=booking.platform_fee_amount,
        fee_payer=booking.platform_fee_payer,
        total=booking.price_total,
        coach_payout=booking.coach_payout,
    )


class BookingOut(OutSchema):
    id = out_int()
    coach_id = out_int()
    client_id = out_int()
    session_type_id = out_int()
    start = out_time(attribute="start_at")
    end = out_time(attribute="end_at")
    duration_minutes = out_int()
    status = out_enum(BOOKING_STATUSES)
    kind = out_enum(KINDS)
    message = out_str()
    price = out_part(PriceBreakdownOut, source=price_of)
    payment = out_part(PaymentOut)
    suggestions = out_list(fields.Nested(SuggestionOut))
    history = out_list(fields.Nested(HistoryEntryOut))
    created_at = out_time()


class BookingEnvelopeOut(OutSchema):
    booking = out_nested(BookingOut)


class BookingListOut(PageOut):
    """Earliest first; the cursor is the last booking's start and id."""

    items = out_list(fields.Nested(BookingOut))
    next_cursor = out_str(allow_none=True)

    def cursor(self, row) -> str:
        return f"{iso(row.start_at)}_{row.id}"


class RefundOut(OutSchema):
    amount = out_int(metadata={"description": "Minor units due back by the refund policy."})
    status = out_enum(("none", "pending"))


class CancelledBookingOut(OutSchema):
    booking = out_nested(BookingOut)
    refund = out_nested(RefundOut)


class StatusChangeOut(OutSchema):
    """``{booking}``; a cancellation also carries the ``refund``."""

    booking = out_nested(BookingOut)
    refund = fields.Nested(RefundOut)


blp = Blueprint("api_bookings", __name__, url_prefix="/api/bookings", description="Bookings")


def _me():
    return current_user._get_current_object()


@blp.route("", methods=["POST"])
@api_login_required
@blp.arguments(BookingCreateSchema)
@blp.response(201, BookingEnvelopeOut)
@blp.errors(400, 401, 403, 404, 409, 415, 502)
@blp.doc(security=BEARER)
def create(data: dict):
    """Book a time: firm (confirmed) or a request the coach answers, with its price."""
    booking = bookings.create_booking(_me(), bookings.BookingRequest(**data))
    return {"booking": booking}, 201


@blp.route("/<id:booking_id>", methods=["GET"])
@api_login_required
@blp.response(200, BookingEnvelopeOut)
@blp.errors(401, 403, 404)
@blp.doc(security=BEARER)
def show(booking_id: int):
    """One booking, for its coach and its client only."""
    return {"booking": bookings.get_booking(_me(), booking_id)}


@blp.route("/user/<id:user_id>/sessions", methods=["GET"])
@api_login_required
@blp.arguments(SessionsQuerySchema, location="query")
@blp.response(200, BookingListOut)
@blp.errors(400, 401, 404)
@blp.doc(security=BEARER)
def sessions(query: dict, user_id: int):
    """Your own sessions (as coach or client), earliest first; ``?cursor=`` pages."""
    if user_id != current_user.id:  # another's list is not the caller's to know of
        raise not_found("session list")
    after = _parse_cursor(query.get("cursor"))
    items = bookings.list_sessions(
        _me(), query.get("start"), query.get("end"), query["limit"] + 1, after
    )
    return {"rows": items, "limit": query["limit"]}


@blp.route("/<id:booking_id>/accept", methods=["POST"])
@api_login_required
@blp.arguments(MessageSchema)
@blp.response(200, BookingEnvelopeOut)
@blp.errors(400, 401, 403, 404, 409, 415)
@blp.doc(security=BEARER)
def accept(data: dict, booking_id: int):
    """The coach confirms a request."""
    return {"booking": transitions.accept(_me(), booking_id, data["message"])}


@blp.route("/<id:booking_id>/decline", methods=["POST"])
@api_login_required
@blp.arguments(MessageSchema)
@blp.response(200, BookingEnvelopeOut)
@blp.errors(400, 401, 403, 404, 409, 415)
@blp.doc(security=BEARER)
def decline(data: dict, booking_id: int):
    """The coach declines a request, or the client declines the suggested times."""
    return {"booking": transitions.decline(_me(), booking_id, data["message"])}


@blp.route("/<id:booking_id>/suggest", methods=["POST"])
@api_login_required
@blp.arguments(SuggestSchema)
@blp.response(200, BookingEnvelopeOut)
@blp.errors(400, 401, 403, 404, 409, 415)
@blp.doc(security=BEARER)
def suggest(data: dict, booking_id: int):
    """The coach suggests 1-3 other times of the same length."""
    times = [(t["start"], t["end"]) for t in data["times"]]
    booking = transitions.suggest(_me(), booking_id, times, data["message"])
    return {"booking": booking}


@blp.route("/<id:booking_id>/choose", methods=["POST"])
@api_login_required
@blp.arguments(ChooseSchema)
@blp.response(200, BookingEnvelopeOut)
@blp.errors(400, 401, 403, 404, 409, 415)
@blp.doc(security=BEARER)
def choose(data: dict, booking_id: int):
    """The client takes one suggested time (409 if it was taken meanwhile)."""
    booking = transitions.choose(_me(), booking_id, data["suggestion_id"])
    return {"booking": booking}


@blp.route("/<id:booking_id>/cancel", methods=["POST"])
@api_login_required
@blp.arguments(CancelSchema)
@blp.response(200, CancelledBookingOut)
@blp.errors(400, 401, 403, 404, 409, 415)
@blp.doc(security=BEARER)
def cancel(data: dict, booking_id: int):
    """Cancel; the answer carries the refund due by the policy."""
    booking, refund = transitions.cancel(_me(), booking_id, data["reason"])
    return {"booking": booking, "refund": refund}


@blp.route("/<id:booking_id>/checkout", methods=["POST"])
@api_login_required
@blp.response(200, CheckoutOut)
@blp.errors(401, 403, 404, 409, 502)
@blp.doc(security=BEARER)
def checkout(booking_id: int):
    """The client's Stripe Checkout link for a booking waiting for payment."""
    return {"checkout_url": payments.pay_link(booking_id, _me().id)}


@blp.route("/<id:booking_id>/reschedule", methods=["POST"])
@api_login_required
@blp.arguments(RescheduleSchema)
@blp.response(200, BookingEnvelopeOut)
@blp.errors(400, 401, 403, 404, 409, 415)
@blp.doc(security=BEARER)
def reschedule(data: dict, booking_id: int):
    """Move a confirmed booking to another free time of the same length."""
    return {"booking": transitions.reschedule(_me(), booking_id, data["start"])}


@blp.route("/<id:booking_id>/status", methods=["PUT"])
@api_login_required
@blp.arguments(StatusChangeSchema)
@blp.response(200, StatusChangeOut)
@blp.errors(400, 401, 403, 404, 409, 415)
@blp.doc(security=BEARER)
def set_status(data: dict, booking_id: int):
    """``completed``, ``cancelled_by_coach`` or ``cancelled_by_client``."""
    if data["status"] == "completed":
        booking = transitions.complete(_me(), booking_id, data["reason"])
        return {"booking": booking}
    booking, refund = transitions.cancel(_me(), booking_id, data["reason"], data["status"])
    return {"booking": booking, "refund": refund}


def _parse_cursor(cursor: str | None) -> tuple[datetime, int] | None:
    if cursor is None:
        return None
    start, _, booking_id = cursor.rpartition("_")
    try:
        moment = datetime.fromisoformat(start.replace("Z", "+00:00"))
        if moment.tzinfo is None:
            raise ValueError("naive")
        # Out of these ranges it was not given out, and would overflow (a 500, not a 400).
        if not EARLIEST <= moment < LATEST or not 1 <= int(booking_id) <= MAX_ID:
            raise ValueError("out of range")
        return moment, int(booking_id)
    except ValueError as exc:
        raise validation_error({"cursor": ["Not a cursor this API gave out."]}) from exc
