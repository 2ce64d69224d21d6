"""Bookings: create, read, and every transition of SPEC section 4 (SPEC 8, 8.1)."""

from __future__ import annotations

from datetime import datetime

from flask_login import current_user

from blueprints.api.docs import BEARER, Blueprint
from blueprints.api.responses import (
    BookingEnvelopeOut,
    BookingListOut,
    CancelledBookingOut,
    StatusChangeOut,
)
from blueprints.api.schemas import (
    EARLIEST,
    LATEST,
    MAX_ID,
    BookingCreateSchema,
    CancelSchema,
    ChooseSchema,
    MessageSchema,
    RescheduleSchema,
    SessionsQuerySchema,
    StatusChangeSchema,
    SuggestSchema,
)
from blueprints.api.serializers import booking_json, iso, paged
from blueprints.security import api_login_required
from domain.errors import not_found, validation_error
from services import bookings, transitions

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
    return {"booking": booking_json(booking)}, 201


@blp.route("/<id:booking_id>", methods=["GET"])
@api_login_required
@blp.response(200, BookingEnvelopeOut)
@blp.errors(401, 403, 404)
@blp.doc(security=BEARER)
def show(booking_id: int):
    """One booking, for its coach and its client only."""
    return {"booking": booking_json(bookings.get_booking(_me(), booking_id))}


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
    return paged(items, query["limit"], lambda b: f"{iso(b.start_at)}_{b.id}", booking_json)


@blp.route("/<id:booking_id>/accept", methods=["POST"])
@api_login_required
@blp.arguments(MessageSchema)
@blp.response(200, BookingEnvelopeOut)
@blp.errors(400, 401, 403, 404, 409, 415)
@blp.doc(security=BEARER)
def accept(data: dict, booking_id: int):
    """The coach confirms a request."""
    return {"booking": booking_json(transitions.accept(_me(), booking_id, data["message"]))}


@blp.route("/<id:booking_id>/decline", methods=["POST"])
@api_login_required
@blp.arguments(MessageSchema)
@blp.response(200, BookingEnvelopeOut)
@blp.errors(400, 401, 403, 404, 409, 415)
@blp.doc(security=BEARER)
def decline(data: dict, booking_id: int):
    """The coach declines a request, or the client declines the suggested times."""
    return {"booking": booking_json(transitions.decline(_me(), booking_id, data["message"]))}


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
    return {"booking": booking_json(booking)}


@blp.route("/<id:booking_id>/choose", methods=["POST"])
@api_login_required
@blp.arguments(ChooseSchema)
@blp.response(200, BookingEnvelopeOut)
@blp.errors(400, 401, 403, 404, 409, 415)
@blp.doc(security=BEARER)
def choose(data: dict, booking_id: int):
    """The client takes one suggested time (409 if it was taken meanwhile)."""
    booking = transitions.choose(_me(), booking_id, data["suggestion_id"])
    return {"booking": booking_json(booking)}


@blp.route("/<id:booking_id>/cancel", methods=["POST"])
@api_login_required
@blp.arguments(CancelSchema)
@blp.response(200, CancelledBookingOut)
@blp.errors(400, 401, 403, 404, 409, 415)
@blp.doc(security=BEARER)
def cancel(data: dict, booking_id: int):
    """Cancel; the answer carries the refund due by the policy."""
    booking, refund = transitions.cancel(_me(), booking_id, data["reason"])
    return {"booking": booking_json(booking), "refund": refund.as_json()}


@blp.route("/<id:booking_id>/reschedule", methods=["POST"])
@api_login_required
@blp.arguments(RescheduleSchema)
@blp.response(200, BookingEnvelopeOut)
@blp.errors(400, 401, 403, 404, 409, 415)
@blp.doc(security=BEARER)
def reschedule(data: dict, booking_id: int):
    """Move a confirmed booking to another free time of the same length."""
    return {"booking": booking_json(transitions.reschedule(_me(), booking_id, data["start"]))}


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
        return {"booking": booking_json(booking)}
    booking, refund = transitions.cancel(_me(), booking_id, data["reason"], data["status"])
    return {"booking": booking_json(booking), "refund": refund.as_json()}


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
