"""Request schemas (marshmallow): types, ranges and enums; unknown fields are ignored."""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal

from marshmallow import (
    EXCLUDE,
    Schema,
    ValidationError,
    fields,
    validate,
    validates,
    validates_schema,
)

from domain.currencies import is_valid_currency
from domain.origins import normalise_origin
from domain.recurrence import WEEKDAY_CODES
from domain.session_types import FIRM_BOOKING, FORMATS
from domain.slugs import is_valid_slug
from domain.timezones import is_valid_timezone
from domain.visibility import PRIVACY_VALUES

MAX_MINUTES = 24 * 60
MAX_AMOUNT = 100_000_000  # minor units
MAX_ID = 2**31 - 1  # ids are 32-bit integer columns


class BaseSchema(Schema):
    """Unknown fields are ignored (SPEC 8.1). Text that cannot be stored (NUL, lone
    surrogates) never reaches a schema: blueprints/bodies.py refuses it first."""

    class Meta:
        unknown = EXCLUDE


# Datetimes and dates far from today are refused: converting one near year 1 or 9999 to UTC
# or a time zone overflows. The range is wide enough for any booking, coupon or query.
EARLIEST = datetime(1970, 1, 1, tzinfo=UTC)
LATEST = datetime(2200, 1, 1, tzinfo=UTC)
RANGE_MESSAGE = "Use a date from 1970 to 2199."


class Moment(fields.AwareDateTime):
    """An ISO 8601 date-time with an offset (``…Z`` or ``…+01:00``), 1970 to 2199."""

    default_error_messages = {"range": RANGE_MESSAGE}

    def __init__(self, **kwargs):
        kwargs.setdefault("metadata", {"description": "ISO 8601 with an offset, 1970 to 2199."})
        super().__init__(format="iso", **kwargs)

    def _deserialize(self, value, attr, data, **kwargs) -> datetime:
        moment = super()._deserialize(value, attr, data, **kwargs)
        if not EARLIEST <= moment < LATEST:
            raise self.make_error("range")
        return moment


class Day(fields.Date):
    """An ISO 8601 date (``YYYY-MM-DD``), 1970 to 2199."""

    default_error_messages = {"range": RANGE_MESSAGE}

    def __init__(self, **kwargs):
        kwargs.setdefault("metadata", {"description": "YYYY-MM-DD, 1970 to 2199."})
        super().__init__(**kwargs)

    def _deserialize(self, value, attr, data, **kwargs) -> date:
        day = super()._deserialize(value, attr, data, **kwargs)
        if not EARLIEST.date() <= day < LATEST.date():
            raise self.make_error("range")
        return day


class JsonInteger(fields.Integer):
    """A JSON integer: ``60``, or ``60.0`` since JSON Schema (and so the OpenAPI document)
    counts a number with a zero fraction as an integer. With ``strict=True``, ``"60"``,
    ``60.5`` and ``true`` stay a validation error."""

    def _validated(self, value):
        if isinstance(value, float) and value.is_integer():
            value = int(value)
        return super()._validated(value)


def _strict_int(low: int, high: int, **kwargs) -> fields.Integer:
    return JsonInteger(strict=True, validate=validate.Range(low, high), **kwargs)


class StrictBoolean(fields.Boolean):
    """JSON true or false only: "yes", 1 or "on" are a validation error, not a guess."""

    def _deserialize(self, value, attr, data, **kwargs):
        if not isinstance(value, bool):
            raise self.make_error("invalid")
        return value


def _boolean(**kwargs) -> fields.Boolean:
    return StrictBoolean(**kwargs)


def _timezone(value: str) -> None:
    if not is_valid_timezone(value):
        raise ValidationError("Not an IANA time zone such as Europe/Berlin.")


class ErrorSchema(BaseSchema):
    code = fields.String(
        required=True,
        metadata={"description": "validation_error, unauthorized, forbidden, not_found, …"},
    )
    message = fields.String(required=True, metadata={"description": "For people."})
    details = fields.Dict(
        required=True, metadata={"description": 'Per field: {"start": ["message", …]}.'}
    )


class ErrorEnvelopeSchema(BaseSchema):
    """Every error answer: ``{"error": {code, message, details}}``."""

    error = fields.Nested(ErrorSchema, required=True)


# --- accounts ----------------------------------------------------------------------


class RegisterSchema(BaseSchema):
    email = fields.Email(required=True, validate=validate.Length(max=254))
    password = fields.String(required=True, validate=validate.Length(min=8, max=200))
    name = fields.String(required=True, validate=validate.Length(min=1, max=120))
    role = fields.String(required=True, validate=validate.OneOf(("coach", "client")))
    timezone = fields.String(load_default="UTC", validate=_timezone)

    @validates("name")
    def _name_not_blank(self, value: str, **_kwargs) -> None:
        if not value.strip():
            raise ValidationError("Enter your name.")


class LoginSchema(BaseSchema):
    email = fields.String(required=True, validate=validate.Length(min=1, max=254))
    password = fields.String(required=True, validate=validate.Length(min=1, max=200))


class PasswordChangeSchema(BaseSchema):
    current_password = fields.String(required=True, validate=validate.Length(min=1, max=200))
    new_password = fields.String(required=True, validate=validate.Length(min=8, max=200))


class ProfileSchema(BaseSchema):
    name = fields.String(validate=validate.Length(min=1, max=120))
    timezone = fields.String(validate=_timezone)
    slug = fields.String(validate=validate.Length(max=64))
    calendar_privacy = fields.String(validate=validate.OneOf(PRIVACY_VALUES))
    currency = fields.String(validate=validate.Length(equal=3))
    vat_rate = fields.Decimal(places=None, allow_nan=False)
    embed_domains = fields.List(
        fields.String(validate=validate.Length(max=300)), validate=validate.Length(max=20)
    )

    @validates("slug")
    def _slug(self, value: str, **_kwargs) -> None:
        if not is_valid_slug(value):
            raise ValidationError("Use 3-64 lower-case letters, digits and single hyphens.")

    @validates("currency")
    def _currency(self, value: str, **_kwargs) -> None:
        if not is_valid_currency(value):
            raise ValidationError("Not an ISO 4217 currency code such as EUR.")

    @validates("vat_rate")
    def _vat_rate(self, value: Decimal, **_kwargs) -> None:
        if not (Decimal(0) <= value < Decimal(1)) or value.as_tuple().exponent < -4:
            raise ValidationError("A rate from 0 to below 1 with at most 4 decimals, e.g. 0.19.")

    @validates("embed_domains")
    def _origins(self, value: list[str], **_kwargs) -> None:
        errors = {}
        for index, origin in enumerate(value):
            try:
                normalise_origin(origin)
            except ValueError as exc:
                errors[index] = [str(exc)]
        if errors:
            raise ValidationError(errors)


# --- connections -------------------------------------------------------------------


class ConnectionRequestSchema(BaseSchema):
    addressee_id = _strict_int(1, MAX_ID)
    coach_slug = fields.String(validate=validate.Length(min=1, max=64))


class ConnectionListQuerySchema(BaseSchema):
    status = fields.String(validate=validate.OneOf(("pending", "accepted", "declined")))
    limit = fields.Integer(load_default=50, validate=validate.Range(1, 200))
    cursor = fields.Integer(validate=validate.Range(1, MAX_ID))


# --- session types -----------------------------------------------------------------


class DurationSchema(BaseSchema):
    min = _strict_int(15, MAX_MINUTES)
    max = _strict_int(15, MAX_MINUTES)
    default = _strict_int(15, MAX_MINUTES)
    step = _strict_int(15, 240)


class PriceSchema(BaseSchema):
    amount = _strict_int(0, MAX_AMOUNT)
    currency = fields.String(validate=validate.Length(equal=3))


class RulesSchema(BaseSchema):
    firm_booking = fields.String(validate=validate.OneOf(FIRM_BOOKING))
    min_notice_minutes = _strict_int(0, 60 * 24 * 365)
    max_advance_days = _strict_int(1, 730)
    buffer_before_minutes = _strict_int(0, 480)
    buffer_after_minutes = _strict_int(0, 480)


class CancellationSchema(BaseSchema):
    full_refund_hours = _strict_int(0, 24 * 365)
    partial_refund_hours = _strict_int(0, 24 * 365)
    partial_refund_percent = _strict_int(0, 100)


class NotificationSettingsSchema(BaseSchema):
    email = _boolean()
    reminder_offsets_minutes = fields.List(
        _strict_int(1, 60 * 24 * 14), validate=validate.Length(max=5)
    )


class SessionTypeSchema(BaseSchema):
    name = fields.String(required=True, validate=validate.Length(min=1, max=120))
    description = fields.String(validate=validate.Length(max=5000))
    format = fields.String(validate=validate.OneOf(FORMATS))
    location = fields.String(validate=validate.Length(max=500))
    color = fields.String(validate=validate.Regexp(r"^#[0-9a-fA-F]{6}$", error="Use #rrggbb."))
    active = _boolean()
    duration = fields.Nested(DurationSchema)
    price = fields.Nested(PriceSchema)
    rules = fields.Nested(RulesSchema)
    cancellation = fields.Nested(CancellationSchema)
    max_attendees = _strict_int(1, 1000)
    notifications = fields.Nested(NotificationSettingsSchema)

    @validates("name")
    def _name_not_blank(self, value: str, **_kwargs) -> None:
        if not value.strip():
            raise ValidationError("Enter a name.")


class SessionTypePatchSchema(SessionTypeSchema):
    """PATCH: every field optional; the merged result is validated whole by the service."""


# --- coupons -----------------------------------------------------------------------


class CouponSchema(BaseSchema):
    code = fields.String(required=True, validate=validate.Length(min=2, max=40))
    percent_off = _strict_int(1, 100, allow_none=True)
    amount_off = _strict_int(1, MAX_AMOUNT, allow_none=True)
    valid_from = Moment(allow_none=True)
    valid_until = Moment(allow_none=True)
    max_redemptions = _strict_int(1, 1_000_000, allow_none=True)


class CouponPatchSchema(CouponSchema):
    """PATCH: every field optional."""


# --- calendar, availability, slots, price ------------------------------------------


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
    count = _strict_int(1, 520, allow_none=True)

    @validates_schema
    def _until_or_count(self, data: dict, **_kwargs) -> None:
        if data.get("until") is not None and data.get("count") is not None:
            raise ValidationError("Give until or count, not both.", field_name="count")


class AvailabilitySchema(BaseSchema):
    start = Moment(required=True)
    end = Moment(required=True)
    session_type_id = _strict_int(1, MAX_ID, allow_none=True, load_default=None)
    instant_booking = _boolean(load_default=True)
    recurrence = fields.Nested(RecurrenceSchema, allow_none=True, load_default=None)


class AvailabilityUpdateSchema(BaseSchema):
    """PUT: start and end always; other fields keep their value when omitted."""

    start = Moment(required=True)
    end = Moment(required=True)
    session_type_id = _strict_int(1, MAX_ID, allow_none=True)
    instant_booking = _boolean()
    recurrence = fields.Nested(RecurrenceSchema, allow_none=True)


class ScopeQuerySchema(BaseSchema):
    scope = fields.String(load_default="series", validate=validate.OneOf(("series", "occurrence")))
    occurrence = Moment()

    @validates_schema
    def _occurrence_for_scope(self, data: dict, **_kwargs) -> None:
        if data["scope"] == "occurrence" and "occurrence" not in data:
            raise ValidationError("Give the occurrence's original start.", field_name="occurrence")


class PriceRequestSchema(BaseSchema):
    session_type_id = _strict_int(1, MAX_ID, required=True)
    duration_minutes = _strict_int(15, MAX_MINUTES)
    coupon_code = fields.String(validate=validate.Length(max=40), allow_none=True)


# --- bookings ----------------------------------------------------------------------

_ID = (1, MAX_ID)


class BookingCreateSchema(BaseSchema):
    coach_id = _strict_int(*_ID, required=True)
    session_type_id = _strict_int(*_ID, required=True)
    start = Moment(required=True)
    duration_minutes = _strict_int(15, MAX_MINUTES)
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
    suggestion_id = _strict_int(*_ID, required=True)


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


class PageQuerySchema(BaseSchema):
    limit = fields.Integer(load_default=50, validate=validate.Range(1, 200))
    cursor = fields.Integer(validate=validate.Range(*_ID))
