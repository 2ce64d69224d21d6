"""Response schemas (marshmallow) of SPEC section 8.1, for the OpenAPI document only.

The JSON itself is built by ``blueprints/api/serializers.py``; these schemas describe it,
field for field, and the contract test (tests/api/test_openapi_contract.py) checks that
every answer conforms. Unknown keys are not allowed (``additionalProperties: false``),
so a field added to a serializer but not here fails that test. Datetimes are strings in
UTC with ``Z``; a field that may be ``null`` is marked with ``allow_none``.
"""

from __future__ import annotations

from marshmallow import RAISE, Schema, fields, validate

from domain.recurrence import WEEKDAY_CODES
from domain.session_types import FIRM_BOOKING, FORMATS
from domain.visibility import PRIVACY_VALUES
from models.bookings import BOOKING_STATUSES, PAYMENT_STATUSES
from models.users import ROLES

KINDS = ("firm", "request")
CONNECTION_STATUSES = ("pending", "accepted", "declined")
FEE_PAYERS = ("client", "coach")


class OutSchema(Schema):
    """Every key the serializer writes is declared; nothing else may appear."""

    class Meta:
        unknown = RAISE


def _int(**kwargs) -> fields.Integer:
    return fields.Integer(required=True, **kwargs)


def _str(**kwargs) -> fields.String:
    return fields.String(required=True, **kwargs)


def _bool(**kwargs) -> fields.Boolean:
    return fields.Boolean(required=True, **kwargs)


def _datetime(**kwargs) -> fields.DateTime:
    return fields.DateTime(required=True, format="iso", **kwargs)


def _enum(choices, **kwargs) -> fields.String:
    return fields.String(required=True, validate=validate.OneOf(choices), **kwargs)


def _nested(schema, **kwargs) -> fields.Nested:
    return fields.Nested(schema, required=True, **kwargs)


def _list(inner, **kwargs) -> fields.List:
    return fields.List(inner, required=True, **kwargs)


class OneOfNested(fields.Field):
    """Documentation-only field: the value is one of several schemas (a JSON Schema
    ``oneOf``; each alternative tells itself apart by a ``type`` enum)."""

    def __init__(self, *schemas: type[Schema], **kwargs):
        super().__init__(**kwargs)
        self.schemas = schemas


def one_of_nested_properties(self, field, **_kwargs) -> dict:
    """apispec attribute function for :class:`OneOfNested` (bound to the converter)."""
    if isinstance(field, OneOfNested):
        return {"oneOf": [self.resolve_nested_schema(schema) for schema in field.schemas]}
    return {}


# --- accounts ----------------------------------------------------------------------


class UserOut(OutSchema):
    """Coaches also carry slug, privacy, currency, VAT rate and embed domains."""

    id = _int()
    email = _str()
    name = _str()
    role = _enum(ROLES)
    timezone = _str()
    slug = fields.String(allow_none=True)
    calendar_privacy = fields.String(validate=validate.OneOf(PRIVACY_VALUES))
    currency = fields.String()
    vat_rate = fields.String(metadata={"description": 'A decimal string such as "0.19".'})
    embed_domains = fields.List(fields.String())


class UserEnvelopeOut(OutSchema):
    user = _nested(UserOut)


class AuthTokenOut(OutSchema):
    user = _nested(UserOut)
    token = _str(metadata={"description": "Send as `Authorization: Bearer <token>`."})
    expires_at = _datetime()


# --- connections -------------------------------------------------------------------


class ConnectionOut(OutSchema):
    id = _int()
    requester_id = _int()
    addressee_id = _int()
    status = _enum(CONNECTION_STATUSES)
    created_at = _datetime()


class ConnectionEnvelopeOut(OutSchema):
    connection = _nested(ConnectionOut)


class ConnectionListOut(OutSchema):
    items = _list(fields.Nested(ConnectionOut))
    next_cursor = fields.Integer(required=True, allow_none=True)


# --- session types -----------------------------------------------------------------


class DurationOut(OutSchema):
    min = _int()
    max = _int()
    default = _int()
    step = _int()


class MoneyOut(OutSchema):
    amount = _int(metadata={"description": "Minor units of the currency."})
    currency = _str()


class RulesOut(OutSchema):
    firm_booking = _enum(FIRM_BOOKING)
    min_notice_minutes = _int()
    max_advance_days = _int()
    buffer_before_minutes = _int()
    buffer_after_minutes = _int()


class CancellationOut(OutSchema):
    full_refund_hours = _int()
    partial_refund_hours = _int()
    partial_refund_percent = _int()


class NotificationSettingsOut(OutSchema):
    email = _bool()
    reminder_offsets_minutes = _list(fields.Integer())


class SessionTypeOut(OutSchema):
    id = _int()
    coach_id = _int()
    name = _str()
    description = _str()
    format = _enum(FORMATS)
    location = _str()
    color = _str()
    active = _bool()
    duration = _nested(DurationOut)
    price = _nested(MoneyOut)
    rules = _nested(RulesOut)
    cancellation = _nested(CancellationOut)
    max_attendees = _int()
    notifications = _nested(NotificationSettingsOut)


class SessionTypeEnvelopeOut(OutSchema):
    session_type = _nested(SessionTypeOut)


class SessionTypeListOut(OutSchema):
    items = _list(fields.Nested(SessionTypeOut))


# --- coupons -----------------------------------------------------------------------


class CouponOut(OutSchema):
    id = _int()
    code = _str()
    percent_off = fields.Integer(required=True, allow_none=True)
    amount_off = fields.Integer(required=True, allow_none=True)
    currency = _str()
    valid_from = _datetime(allow_none=True)
    valid_until = _datetime(allow_none=True)
    max_redemptions = fields.Integer(required=True, allow_none=True)
    redemptions = _int()


class CouponEnvelopeOut(OutSchema):
    coupon = _nested(CouponOut)


class CouponListOut(OutSchema):
    items = _list(fields.Nested(CouponOut))


# --- availability, calendar, slots, price ------------------------------------------


class RecurrenceOut(OutSchema):
    weekdays = _list(fields.String(validate=validate.OneOf(WEEKDAY_CODES)))
    until = fields.Date()
    count = fields.Integer()


class AvailabilityExceptionOut(OutSchema):
    occurrence = _datetime()
    kind = _enum(("deleted", "modified"))
    start = _datetime(allow_none=True)
    end = _datetime(allow_none=True)


class AvailabilityOut(OutSchema):
    id = _int()
    coach_id = _int()
    start = _datetime()
    end = _datetime()
    timezone = _str()
    session_type_id = fields.Integer(required=True, allow_none=True)
    instant_booking = _bool()
    recurrence = _nested(RecurrenceOut, allow_none=True)
    exceptions = _list(fields.Nested(AvailabilityExceptionOut))


class AvailabilityEnvelopeOut(OutSchema):
    availability = _nested(AvailabilityOut)


class CalendarAvailabilityOut(OutSchema):
    """Free time after splitting; ``occurrence`` is the original start of its occurrence."""

    type = _enum(("availability",))
    id = _int()
    occurrence = _datetime()
    start = _datetime()
    end = _datetime()
    session_type_id = fields.Integer(required=True, allow_none=True)
    instant_booking = _bool()


class CalendarBookingOut(OutSchema):
    """A booking the viewer is a party to."""

    type = _enum(("booking",))
    id = _int()
    start = _datetime()
    end = _datetime()
    status = _enum(BOOKING_STATUSES)
    kind = _enum(KINDS)
    session_type_id = _int()
    client_id = _int()
    coach_id = _int()


class CalendarBusyOut(OutSchema):
    """Someone else's active booking: the time only."""

    type = _enum(("busy",))
    start = _datetime()
    end = _datetime()


class CalendarOut(OutSchema):
    items = _list(OneOfNested(CalendarAvailabilityOut, CalendarBookingOut, CalendarBusyOut))


class SlotOut(OutSchema):
    start = _datetime()
    end = _datetime()
    kind = _enum(KINDS)
    seats_left = fields.Integer(metadata={"description": "Group session types only."})


class SlotListOut(OutSchema):
    items = _list(fields.Nested(SlotOut))


class DiscountOut(OutSchema):
    code = _str(allow_none=True)
    amount = _int()


class VatOut(OutSchema):
    rate = _str(metadata={"description": 'A decimal string such as "0.19".'})
    amount = _int()


class PlatformFeeOut(OutSchema):
    amount = _int()
    payer = _enum(FEE_PAYERS)


class PriceBreakdownOut(OutSchema):
    """SPEC section 5; amounts in minor units of ``currency``."""

    currency = _str()
    base = _int()
    discount = _nested(DiscountOut)
    net = _int()
    vat = _nested(VatOut)
    platform_fee = _nested(PlatformFeeOut)
    total = _int()
    coach_payout = _int()


class PriceEnvelopeOut(OutSchema):
    price = _nested(PriceBreakdownOut)


# --- coaches -----------------------------------------------------------------------


class CoachOut(OutSchema):
    id = _int()
    name = _str()
    slug = _str()
    timezone = _str()
    currency = _str()
    calendar_privacy = _enum(PRIVACY_VALUES)
    session_types = _list(fields.Nested(SessionTypeOut))


class CoachEnvelopeOut(OutSchema):
    coach = _nested(CoachOut)


# --- bookings ----------------------------------------------------------------------


class PaymentOut(OutSchema):
    status = _enum(PAYMENT_STATUSES)
    checkout_url = _str(allow_none=True)
    amount_paid = _int()
    amount_refunded = _int()


class SuggestionOut(OutSchema):
    id = _int()
    start = _datetime()
    end = _datetime()


class HistoryEntryOut(OutSchema):
    from_ = _enum(BOOKING_STATUSES, allow_none=True, data_key="from")
    to = _enum(BOOKING_STATUSES)
    by = fields.Integer(required=True, allow_none=True)
    at = _datetime()
    note = _str()


class BookingOut(OutSchema):
    id = _int()
    coach_id = _int()
    client_id = _int()
    session_type_id = _int()
    start = _datetime()
    end = _datetime()
    duration_minutes = _int()
    status = _enum(BOOKING_STATUSES)
    kind = _enum(KINDS)
    message = _str()
    price = _nested(PriceBreakdownOut)
    payment = _nested(PaymentOut)
    suggestions = _list(fields.Nested(SuggestionOut))
    history = _list(fields.Nested(HistoryEntryOut))
    created_at = _datetime()


class BookingEnvelopeOut(OutSchema):
    booking = _nested(BookingOut)


class BookingListOut(OutSchema):
    items = _list(fields.Nested(BookingOut))
    next_cursor = _str(allow_none=True)


class RefundOut(OutSchema):
    amount = _int(metadata={"description": "Minor units due back by the refund policy."})
    status = _enum(("none", "pending"))


class CancelledBookingOut(OutSchema):
    booking = _nested(BookingOut)
    refund = _nested(RefundOut)


class StatusChangeOut(OutSchema):
    """``{booking}``; a cancellation also carries the ``refund``."""

    booking = _nested(BookingOut)
    refund = fields.Nested(RefundOut)


# --- notifications -----------------------------------------------------------------


class NotificationOut(OutSchema):
    id = _int()
    title = _str()
    body = _str()
    url = _str()
    read = _bool()
    created_at = _datetime()


class NotificationListOut(OutSchema):
    items = _list(fields.Nested(NotificationOut))
    unread_count = _int()
    next_cursor = fields.Integer(required=True, allow_none=True)


class NotificationReadOut(OutSchema):
    notification = _nested(NotificationOut)
    unread_count = _int()
