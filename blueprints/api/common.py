"""What several API resources share (SPEC 8.1): the request fields (``Moment``, ``Day``,
``JsonInteger``, strict booleans) and ``BaseSchema``; the response base ``OutSchema`` with
its fields (``UTCDateTime``, ``DecimalText``, ``NestedFrom``); and the
shapes more than one resource answers: the error envelope, the user, the session type,
the price breakdown and a page of ``{items, next_cursor}``.

Response schemas dump what a view returns (objects, or dicts of objects) into the JSON
sent; each one declares every key, so the OpenAPI document (``additionalProperties:
false``, checked by tests/api/test_openapi_contract.py) describes exactly that JSON.
Datetimes go out in UTC with ``Z``; a field that may be ``null`` is marked ``allow_none``.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, date, datetime
from typing import Any

from flask import Response, current_app
from marshmallow import EXCLUDE, RAISE, Schema, ValidationError, fields, missing, pre_dump, validate

from domain.pricing import FEE_PAYERS
from domain.session_types import FIRM_BOOKING, FORMATS
from domain.timezones import is_valid_timezone, iso_utc
from domain.visibility import PRIVACY_VALUES
from models.users import ROLES
from services.accounts import COACH_ONLY_FIELDS
from services.emails import EMAIL_EVENTS

MAX_MINUTES = 24 * 60
MAX_AMOUNT = 100_000_000  # minor units
MAX_ID = 2**31 - 1  # ids are 32-bit integer columns
KINDS = ("firm", "request")

# Datetimes and dates far from today are refused: converting one near year 1 or 9999 to UTC
# or a time zone overflows. The range is wide enough for any booking, coupon or query.
EARLIEST = datetime(1970, 1, 1, tzinfo=UTC)
LATEST = datetime(2200, 1, 1, tzinfo=UTC)
RANGE_MESSAGE = "Use a date from 1970 to 2199."


# --- requests ------------------------------------------------------------------------


class BaseSchema(Schema):
    """Unknown fields are ignored (SPEC 8.1). Text that cannot be stored (NUL, lone
    surrogates) never reaches a schema: blueprints/bodies.py refuses it first."""

    class Meta:
        unknown = EXCLUDE


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


def strict_int(low: int, high: int, **kwargs) -> fields.Integer:
    return JsonInteger(strict=True, validate=validate.Range(low, high), **kwargs)


class StrictBoolean(fields.Boolean):
    """JSON true or false only: "yes", 1 or "on" are a validation error, not a guess."""

    def _deserialize(self, value, attr, data, **kwargs):
        if not isinstance(value, bool):
            raise self.make_error("invalid")
        return value


def timezone_name(value: str) -> None:
    """Validator: an IANA time zone name."""
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


# --- response fields -----------------------------------------------------------------


def iso(value: datetime | None) -> str | None:
    """A datetime in UTC as ISO 8601 with ``Z``."""
    return None if value is None else iso_utc(value)


class UTCDateTime(fields.DateTime):
    """A date-time sent in UTC with ``Z``: ``2027-06-01T07:00:00Z``."""

    def __init__(self, **kwargs):
        super().__init__(format="iso", **kwargs)

    def _serialize(self, value, attr, obj, **kwargs) -> str | None:
        return iso(value)


class DecimalText(fields.String):
    """A Decimal as a plain decimal string: ``"0.19"``, never ``"1.9E-1"``."""

    def _serialize(self, value, attr, obj, **kwargs) -> str | None:
        return None if value is None else format(value, "f")


class _FromSource:
    """The value is ``source(obj)``, or ``obj`` itself without a source, rather than one
    attribute of it: a nested shape made of several attributes of its parent."""

    def __init__(self, *args, source: Callable[[Any], Any] | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        self.source = source

    def get_value(self, obj, attr, accessor=None, default=missing):
        return obj if self.source is None else self.source(obj)


class NestedFrom(_FromSource, fields.Nested):
    """``fields.Nested`` dumped from the parent object (or ``source(parent)``)."""


class ListFrom(_FromSource, fields.List):
    """``fields.List`` of ``source(parent)``."""


class BooleanFrom(_FromSource, fields.Boolean):
    """``fields.Boolean`` of ``source(parent)``."""


def no_content() -> Response:
    """A 204 answer without a body (a returned Response is sent as it is, undumped)."""
    return current_app.make_response(("", 204))


class OutSchema(Schema):
    """A response shape: every key it writes is declared; nothing else may appear."""

    class Meta:
        unknown = RAISE

    def get_attribute(self, obj, attr, default):
        """A key of a dict, else an attribute (marshmallow's lookup without its probing
        for ``__getitem__`` on every field: a booking dump reads some forty values)."""
        if isinstance(obj, dict):
            return obj.get(attr, default)
        if "." in attr:
            return super().get_attribute(obj, attr, default)
        return getattr(obj, attr, default)


def out_int(**kwargs) -> fields.Integer:
    return fields.Integer(required=True, **kwargs)


def out_str(**kwargs) -> fields.String:
    return fields.String(required=True, **kwargs)


def out_bool(**kwargs) -> fields.Boolean:
    return fields.Boolean(required=True, **kwargs)


def out_time(**kwargs) -> UTCDateTime:
    return UTCDateTime(required=True, **kwargs)


def out_enum(choices, **kwargs) -> fields.String:
    return fields.String(required=True, validate=validate.OneOf(choices), **kwargs)


def out_nested(schema, **kwargs) -> fields.Nested:
    return fields.Nested(schema, required=True, **kwargs)


def out_part(schema, **kwargs) -> NestedFrom:
    """A required nested object made of the parent's own attributes (or ``source``'s)."""
    return NestedFrom(schema, required=True, **kwargs)


def out_list(inner, **kwargs) -> fields.List:
    return fields.List(inner, required=True, **kwargs)


class PageQuerySchema(BaseSchema):
    """``?limit=`` (1-200, default 50) and ``?cursor=`` (the last id seen) of an id-paged list."""

    limit = fields.Integer(load_default=50, validate=validate.Range(1, 200))
    cursor = fields.Integer(validate=validate.Range(1, MAX_ID))


# --- the user --------------------------------------------------------------------------


class UserOut(OutSchema):
    """Coaches also carry slug, privacy, currency, VAT rate and embed domains."""

    id = out_int()
    email = out_str()
    name = out_str()
    role = out_enum(ROLES)
    timezone = out_str()
    slug = fields.String(allow_none=True)
    calendar_privacy = fields.String(validate=validate.OneOf(PRIVACY_VALUES))
    currency = fields.String()
    vat_rate = DecimalText(metadata={"description": 'A decimal string such as "0.19".'})
    embed_domains = fields.List(fields.String())

    def get_attribute(self, obj, attr, default):
        if attr in COACH_ONLY_FIELDS and not obj.is_coach:
            return missing  # left out
        if attr == "embed_domains":
            return obj.embed_domains or []
        return super().get_attribute(obj, attr, default)


# --- the session type ------------------------------------------------------------------


class DurationOut(OutSchema):
    min = out_int(attribute="duration_min")
    max = out_int(attribute="duration_max")
    default = out_int(attribute="duration_default")
    step = out_int(attribute="duration_step")


class MoneyOut(OutSchema):
    amount = out_int(
        attribute="price_amount", metadata={"description": "Minor units of the currency."}
    )
    currency = out_str(attribute="coach.currency")


class RulesOut(OutSchema):
    firm_booking = out_enum(FIRM_BOOKING)
    min_notice_minutes = out_int()
    max_advance_days = out_int()
    buffer_before_minutes = out_int()
    buffer_after_minutes = out_int()


class CancellationOut(OutSchema):
    full_refund_hours = out_int()
    partial_refund_hours = out_int()
    partial_refund_percent = out_int()


# Every email event with whether this session type sends it.
EmailEventsOut = OutSchema.from_dict(
    {event: out_bool(metadata={"description": label}) for event, label in EMAIL_EVENTS.items()},
    name="EmailEventsOut",
)


def email_events(session_type) -> dict[str, bool]:
    off = set(session_type.email_events_off or ())
    return {event: event not in off for event in EMAIL_EVENTS}


class NotificationSettingsOut(OutSchema):
    email = out_bool(attribute="email_notifications")
    email_events = out_part(EmailEventsOut, source=email_events)
    reminder_offsets_minutes = out_list(fields.Integer())


class SessionTypeOut(OutSchema):
    """A session type; the price's currency is its coach's."""

    id = out_int()
    coach_id = out_int()
    name = out_str()
    description = out_str()
    format = out_enum(FORMATS)
    location = out_str()
    color = out_str()
    active = out_bool()
    duration = out_part(DurationOut)
    price = out_part(MoneyOut)
    rules = out_part(RulesOut)
    cancellation = out_part(CancellationOut)
    max_attendees = out_int()
    notifications = out_part(NotificationSettingsOut)


# --- the price breakdown ---------------------------------------------------------------


class DiscountOut(OutSchema):
    code = out_str(allow_none=True, attribute="discount_code")
    amount = out_int(attribute="discount_amount")


class VatOut(OutSchema):
    rate = DecimalText(
        required=True,
        attribute="vat_rate",
        metadata={"description": 'A decimal string such as "0.19".'},
    )
    amount = out_int(attribute="vat_amount")


class PlatformFeeOut(OutSchema):
    amount = out_int(attribute="fee_amount")
    payer = out_enum(FEE_PAYERS, attribute="fee_payer")


class PriceBreakdownOut(OutSchema):
    """SPEC section 5 (a ``domain.pricing.PriceBreakdown``); amounts in minor units of
    ``currency``."""

    currency = out_str()
    base = out_int()
    discount = out_part(DiscountOut)
    net = out_int()
    vat = out_part(VatOut)
    platform_fee = out_part(PlatformFeeOut)
    total = out_int()
    coach_payout = out_int()


# --- paging ----------------------------------------------------------------------------


class PageOut(OutSchema):
    """``{items, next_cursor}`` dumped from ``{"rows": rows, "limit": limit}``: the rows
    were read with ``limit + 1``, the extra one only tells that there is more, and the
    last row shown gives the cursor. Subclasses declare ``items`` and ``next_cursor``
    (and may add keys, taken from the same dict) and say what a row's ``cursor`` is."""

    def cursor(self, row):
        return row.id

    @pre_dump
    def _page(self, data: dict, **_kwargs) -> dict:
        rows, limit = data["rows"], data["limit"]
        more = len(rows) > limit
        cursor = self.cursor(rows[limit - 1]) if more else None
        return {**data, "items": rows[:limit], "next_cursor": cursor}
