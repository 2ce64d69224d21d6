"""A coach's calendar, availability windows, bookable slots and the price preview
(SPEC 8 and 8.1), with their request and response schemas and the ``OneOfNested`` field
of the calendar's three kinds of item (its apispec attribute function is registered in
__init__.py). Reads of a public calendar need no sign-in."""

from __future__ import annotations

from flask import jsonify
from flask_login import current_user
from marshmallow import (
    Schema,
    ValidationError,
    fields,
    missing,
    post_dump,
    pre_dump,
    validate,
    validates_schema,
)

from blueprints.api.common import (
    KINDS,
    MAX_ID,
    MAX_MINUTES,
    BaseSchema,
    Day,
    ListFrom,
    Moment,
    NestedFrom,
    OutSchema,
    PriceBreakdownOut,
    StrictBoolean,
    no_content,
    out_bool,
    out_enum,
    out_int,
    out_list,
    out_nested,
    out_str,
    out_time,
    strict_int,
)
from blueprints.api.docs import BEARER, OPTIONAL_BEARER, Blueprint
from blueprints.security import api_login_required
from domain.recurrence import WEEKDAY_CODES
from domain.status import BOOKING_STATUSES
from domain.timezones import iso_utc
from services import availability, calendar, pricing

# --- requests ------------------------------------------------------------------------


class RangeQuerySchema(BaseSchema):
    start = Moment(required=True)
    end = Moment(required=True)


class SlotsQuerySchema(RangeQuerySchema):
    session_type_id = fields.Integer(required=True, validate=validate.Range(1, MAX_ID))
    duration_minutes = fields.Integer(validate=validate.Range(15, MAX_MINUTES))


class RecurrenceSchema(BaseSchema):
    weekdays = fields.List(
        fields.String(validate=validate.OneOf(WEEKDAY_CODES)),
        required=True,
        validate=validate.Length(min=1, max=7),
    )
    until = Day(allow_none=True)
    count = strict_int(1, 520, allow_none=True)

    @validates_schema
    def _until_or_count(self, data: dict, **_kwargs) -> None:
        if data.get("until") is not None and data.get("count") is not None:
            raise ValidationError("Give until or count, not both.", field_name="count")


class AvailabilitySchema(BaseSchema):
    start = Moment(required=True)
    end = Moment(required=True)
    session_type_id = strict_int(1, MAX_ID, allow_none=True, load_default=None)
    instant_booking = StrictBoolean(load_default=True)
    recurrence = fields.Nested(RecurrenceSchema, allow_none=True, load_default=None)


class AvailabilityUpdateSchema(BaseSchema):
    """PUT: start and end always; other fields keep their value when omitted."""

    start = Moment(required=True)
    end = Moment(required=True)
    session_type_id = strict_int(1, MAX_ID, allow_none=True)
    instant_booking = StrictBoolean()
    recurrence = fields.Nested(RecurrenceSchema, allow_none=True)


class ScopeQuerySchema(BaseSchema):
    scope = fields.String(load_default="series", validate=validate.OneOf(("series", "occurrence")))
    occurrence = Moment()

    @validates_schema
    def _occurrence_for_scope(self, data: dict, **_kwargs) -> None:
        if data["scope"] == "occurrence" and "occurrence" not in data:
            raise ValidationError("Give the occurrence's original start.", field_name="occurrence")


class PriceRequestSchema(BaseSchema):
    session_type_id = strict_int(1, MAX_ID, required=True)
    duration_minutes = strict_int(15, MAX_MINUTES)
    coupon_code = fields.String(validate=validate.Length(max=40), allow_none=True)


# --- answers -------------------------------------------------------------------------


class Tag(fields.String):
    """A constant that tells the alternatives of a ``OneOfNested`` apart, documented as a
    one-value enum."""

    def __init__(self, value: str, **kwargs):
        super().__init__(required=True, validate=validate.OneOf((value,)), **kwargs)
        self.value = value

    def get_value(self, obj, attr, accessor=None, default=missing):
        return self.value


class OneOfNested(fields.Field):
    """A value that is one of several schemas (a JSON Schema ``oneOf``; each alternative
    tells itself apart by a ``Tag``), dumped from a ``(schema class, object)`` pair."""

    def __init__(self, *schemas: type[Schema], **kwargs):
        super().__init__(**kwargs)
        self.schemas = schemas
        self._instances: dict[type[Schema], Schema] = {}

    def _serialize(self, value, attr, obj, **kwargs):
        schema_class, item = value
        if schema_class not in self.schemas:
            raise ValueError(f"{schema_class.__name__} is not one of {self.name}'s schemas")
        if schema_class not in self._instances:
            self._instances[schema_class] = schema_class()
        return self._instances[schema_class].dump(item)


def one_of_nested_properties(self, field, **_kwargs) -> dict:
    """apispec attribute function for :class:`OneOfNested` (bound to the converter)."""
    if isinstance(field, OneOfNested):
        return {"oneOf": [self.resolve_nested_schema(schema) for schema in field.schemas]}
    return {}


class RecurrenceOut(OutSchema):
    """A series' rule; ``until`` and ``count`` only when set."""

    weekdays = out_list(fields.String(validate=validate.OneOf(WEEKDAY_CODES)))
    until = fields.Date()
    count = fields.Integer()

    @pre_dump
    def _rule(self, window, **_kwargs) -> dict:
        rule = {"weekdays": window.recurrence_weekdays.split(",")}
        if window.recurrence_until is not None:
            rule["until"] = window.recurrence_until
        if window.recurrence_count is not None:
            rule["count"] = window.recurrence_count
        return rule


class AvailabilityExceptionOut(OutSchema):
    occurrence = out_time(attribute="occurrence_start")
    kind = out_enum(("deleted", "modified"))
    start = out_time(allow_none=True, attribute="start_at")
    end = out_time(allow_none=True, attribute="end_at")


def _recurrence(window):
    return window if window.is_recurring else None


def _exceptions(window) -> list:
    return sorted(window.exceptions, key=lambda e: e.occurrence_start)


class AvailabilityOut(OutSchema):
    id = out_int()
    coach_id = out_int()
    start = out_time(attribute="start_at")
    end = out_time(attribute="end_at")
    timezone = out_str()
    session_type_id = fields.Integer(required=True, allow_none=True)
    instant_booking = out_bool()
    recurrence = NestedFrom(RecurrenceOut, source=_recurrence, required=True, allow_none=True)
    exceptions = ListFrom(
        fields.Nested(AvailabilityExceptionOut), source=_exceptions, required=True
    )


class AvailabilityEnvelopeOut(OutSchema):
    availability = out_nested(AvailabilityOut)


class CalendarAvailabilityOut(OutSchema):
    """Free time after splitting; ``occurrence`` is the original start of its occurrence."""

    type = Tag("availability")
    id = out_int(attribute="window_id")
    occurrence = out_time()
    start = out_time()
    end = out_time()
    session_type_id = fields.Integer(required=True, allow_none=True)
    instant_booking = out_bool()


class CalendarBookingOut(OutSchema):
    """A booking the viewer is a party to."""

    type = Tag("booking")
    id = out_int()
    start = out_time(attribute="start_at")
    end = out_time(attribute="end_at")
    status = out_enum(BOOKING_STATUSES)
    kind = out_enum(KINDS)
    session_type_id = out_int()
    client_id = out_int()
    coach_id = out_int()


class CalendarBusyOut(OutSchema):
    """Someone else's active booking: the time only."""

    type = Tag("busy")
    start = out_time(attribute="start_at")
    end = out_time(attribute="end_at")


class CalendarOut(OutSchema):
    """Dumped from a ``services.calendar.CalendarView``: free time, the viewer's own
    bookings (all of them for the coach), and others' active bookings only as anonymous
    busy blocks (one per time): no names, messages, prices or ids. By start, then type."""

    items = out_list(OneOfNested(CalendarAvailabilityOut, CalendarBookingOut, CalendarBusyOut))

    @pre_dump
    def _kinds(self, view, **_kwargs) -> dict:
        items = [(CalendarAvailabilityOut, span) for span in view.free]
        busy_seen = set()
        for booking in view.bookings:
            if view.viewer_id in (booking.coach_id, booking.client_id):
                items.append((CalendarBookingOut, booking))
            elif (booking.start_at, booking.end_at) not in busy_seen:
                busy_seen.add((booking.start_at, booking.end_at))
                items.append((CalendarBusyOut, booking))
        return {"items": items}

    @post_dump
    def _by_start(self, data: dict, **_kwargs) -> dict:
        data["items"].sort(key=lambda item: (item["start"], item["type"]))
        return data


class SlotOut(OutSchema):
    start = out_time()
    end = out_time()
    kind = out_enum(KINDS)
    seats_left = fields.Integer(metadata={"description": "Group session types only."})

    @post_dump
    def _seats_for_groups(self, data: dict, **_kwargs) -> dict:
        if data["seats_left"] is None:
            del data["seats_left"]
        return data


class SlotListOut(OutSchema):
    items = out_list(fields.Nested(SlotOut))


class PriceEnvelopeOut(OutSchema):
    price = out_nested(PriceBreakdownOut)


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
    return calendar.calendar(current_user, user_id, query["start"], query["end"])


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
    # A month holds hundreds of starts: written here as SlotOut documents them (the
    # contract tests check the two agree), at a third of marshmallow's cost per start.
    return jsonify({"items": [_slot_json(slot) for slot in found]})


def _slot_json(slot) -> dict:
    data = {"start": iso_utc(slot.start), "end": iso_utc(slot.end), "kind": slot.kind}
    if slot.seats_left is not None:
        data["seats_left"] = slot.seats_left
    return data


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
    return {"price": breakdown}


@blp.route("/availability", methods=["POST"])
@api_login_required
@blp.arguments(AvailabilitySchema)
@blp.response(201, AvailabilityEnvelopeOut)
@blp.errors(400, 401, 403, 404, 415)
@blp.doc(security=BEARER)
def create_availability(data: dict):
    """A one-off window, or a weekly series with ``recurrence``."""
    window = availability.create_window(current_user, data)
    return {"availability": window}, 201


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
    return {"availability": window}


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
    return no_content()
