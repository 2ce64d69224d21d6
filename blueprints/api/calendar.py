"""A coach's calendar, availability windows, bookable slots and the price preview
(SPEC 8 and 8.1). Reads of a public calendar need no sign-in."""

from __future__ import annotations

from flask_login import current_user

from blueprints.api.docs import BEARER, OPTIONAL_BEARER, Blueprint
from blueprints.api.responses import (
    AvailabilityEnvelopeOut,
    CalendarOut,
    PriceEnvelopeOut,
    SlotListOut,
)
from blueprints.api.schemas import (
    AvailabilitySchema,
    AvailabilityUpdateSchema,
    PriceRequestSchema,
    RangeQuerySchema,
    ScopeQuerySchema,
    SlotsQuerySchema,
)
from blueprints.api.serializers import availability_json, calendar_items, slot_json
from blueprints.security import api_login_required
from services import availability, calendar, pricing

blp = Blueprint(
    "api_calendar", __name__, url_prefix="/api/bookings", description="Calendar and availability"
)


@blp.route("/<id:user_id>/bookings", methods=["GET"])
@blp.arguments(RangeQuerySchema, location="query")
@blp.response(200, CalendarOut)
@blp.errors(400, 404)
@blp.doc(security=OPTIONAL_BEARER)
def calendar_view(query: dict, user_id: int):
    """Free availability after splitting, your own bookings, anonymous busy blocks."""
    view = calendar.calendar(current_user, user_id, query["start"], query["end"])
    return {"items": calendar_items(view)}


@blp.route("/<id:user_id>/slots", methods=["GET"])
@blp.arguments(SlotsQuerySchema, location="query")
@blp.response(200, SlotListOut)
@blp.errors(400, 404)
@blp.doc(security=OPTIONAL_BEARER)
def slots(query: dict, user_id: int):
    """Every bookable start on the 15-minute grid for a session type and duration."""
    found = calendar.bookable_slots(
        current_user,
        user_id,
        query["session_type_id"],
        query.get("duration_minutes"),
        query["start"],
        query["end"],
    )
    return {"items": [slot_json(slot) for slot in found]}


@blp.route("/price", methods=["POST"])
@blp.arguments(PriceRequestSchema)
@blp.response(200, PriceEnvelopeOut)
@blp.errors(400, 404, 415)
@blp.doc(security=OPTIONAL_BEARER)
def price(data: dict):
    """The price breakdown for a session type, duration and optional coupon."""
    breakdown = pricing.price_preview(
        current_user,
        data["session_type_id"],
        data.get("duration_minutes"),
        data.get("coupon_code"),
    )
    return {"price": breakdown.as_json()}


@blp.route("/availability", methods=["POST"])
@api_login_required
@blp.arguments(AvailabilitySchema)
@blp.response(201, AvailabilityEnvelopeOut)
@blp.errors(400, 401, 403, 404, 415)
@blp.doc(security=BEARER)
def create_availability(data: dict):
    """A one-off window, or a weekly series with ``recurrence``."""
    window = availability.create_window(current_user, data)
    return {"availability": availability_json(window)}, 201


@blp.route("/availability/<id:availability_id>", methods=["PUT"])
@api_login_required
@blp.arguments(ScopeQuerySchema, location="query")
@blp.arguments(AvailabilityUpdateSchema, location="json")
@blp.response(200, AvailabilityEnvelopeOut)
@blp.errors(400, 401, 403, 404, 415)
@blp.doc(security=BEARER)
def update_availability(scope: dict, data: dict, availability_id: int):
    """Change the series (omitted fields keep their values), or with
    ``?scope=occurrence&occurrence=<original start>`` move or change one occurrence."""
    if scope["scope"] == "occurrence":
        window = availability.update_occurrence(
            current_user,
            availability_id,
            scope["occurrence"],
            data["start"],
            data["end"],
            data.get("instant_booking"),
        )
    else:
        window = availability.update_series(current_user, availability_id, data)
    return {"availability": availability_json(window)}


@blp.route("/availability/<id:availability_id>", methods=["DELETE"])
@api_login_required
@blp.arguments(ScopeQuerySchema, location="query")
@blp.response(204)
@blp.errors(400, 401, 403, 404)
@blp.doc(security=BEARER)
def delete_availability(scope: dict, availability_id: int):
    """Delete the series, or one occurrence of it."""
    occurrence = scope.get("occurrence") if scope["scope"] == "occurrence" else None
    availability.delete_window(current_user, availability_id, occurrence)
    return "", 204
