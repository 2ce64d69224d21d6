"""WTForms for the coach's session types and coupons, and the road from a posted form to
the service, the same road the JSON API takes:

1. the form parses what a browser sends (types, required fields, amounts entered in the
   coach's currency such as ``60.00`` → minor units);
2. ``api_body()`` builds the JSON body the API would receive for the same input;
3. the API's own request schema checks that body (``api_checked``), so every limit and
   message is the API's;
4. the API's mapping gives the service its values, and the service checks the rest.

Messages from any step go next to their fields (``place_errors``).
"""

from __future__ import annotations

from decimal import Decimal, DecimalException
from zoneinfo import ZoneInfo

from flask_login import current_user
from flask_wtf import FlaskForm
from marshmallow import Schema, ValidationError
from wtforms import (
    BooleanField,
    ColorField,
    DateTimeLocalField,
    DecimalField,
    IntegerField,
    SelectChoice,
    SelectField,
    StringField,
    TextAreaField,
)
from wtforms.validators import DataRequired, Optional
from wtforms.validators import ValidationError as FieldError

from blueprints.api.common import MAX_AMOUNT
from blueprints.errors import flatten_details
from blueprints.templating import money
from domain.currencies import minor_unit_exponent
from domain.session_types import API_PATHS, DEFAULTS
from services.emails import EMAIL_EVENTS

# An error's detail path (the API's field name) → the form field it belongs to. Session
# type fields are named like their columns; domain.session_types.API_PATHS maps those.
SESSION_TYPE_FIELDS = {path: column for column, path in API_PATHS.items()} | {
    "price.currency": "price_amount",
}


def api_checked(schema: Schema, body: dict) -> tuple[dict | None, dict[str, list[str]]]:
    """The API schema's verdict on ``body``: (loaded data, {}) or (None, problems)."""
    try:
        return schema.load(body), {}
    except ValidationError as error:
        return None, flatten_details(error.messages)


def place_errors(
    form, details: dict, fields: dict | None = None, lists: dict | None = None, *, more=True
) -> None:
    """Put per-field messages (keyed by API path) next to the form's fields; a message
    about one entry of a list names the entry; the rest go above the form. With
    ``more=False`` a field that has a message already keeps just that one."""
    fields, lists = fields or {}, lists or {}
    for path, messages in details.items():
        messages = messages if isinstance(messages, list) else [str(messages)]
        name, position = split_path(path)
        name = fields.get(name, name)
        field = form._fields.get(name)
        if field is None or name == "csrf_token":
            form.form_errors.extend(messages)
            continue
        if field.errors and not more:
            continue
        entries = lists.get(name) or []
        if position is not None and position < len(entries):
            messages = [f"{entries[position]}: {message}" for message in messages]
        field.errors = [*field.errors, *messages]


def check_like_the_api(form, schema: Schema, fields=None, lists=None) -> dict | None:
    """Parse the posted form, then check its API body with the API's schema: the loaded
    data, or None with every message placed (the parse's first, the schema's beside)."""
    parsed = form.validate_on_submit()
    data, problems = api_checked(schema, form.api_body())
    place_errors(form, problems, fields, lists() if lists else None, more=False)
    return data if parsed and not problems else None


def split_path(path: str) -> tuple[str, int | None]:
    """``embed_domains.2`` → (``embed_domains``, 2); ``duration.min`` → (``duration.min``,
    None)."""
    head, _, tail = str(path).rpartition(".")
    if head and tail.isdigit():
        return head, int(tail)
    return str(path), None


def to_minor_units(amount: Decimal, currency: str) -> int:
    """``Decimal("60.00")`` EUR → 6000; refuses what the currency cannot hold."""
    exponent = minor_unit_exponent(currency)
    try:
        if not amount.is_finite():
            raise FieldError("Enter an amount such as 60.00.")
        scaled = amount.scaleb(exponent)
        if scaled != scaled.to_integral_value():
            places = f"at most {exponent} decimals" if exponent else "a whole amount"
            raise FieldError(f"Use {places} in {currency}.")
    except DecimalException:
        raise FieldError("Enter an amount such as 60.00.") from None
    if scaled < 0:
        raise FieldError("Must not be negative.")
    if scaled > MAX_AMOUNT:
        raise FieldError(f"At most {money(MAX_AMOUNT, currency)}.")
    return int(scaled)


def in_major_units(amount: int, currency: str) -> Decimal:
    """6000 EUR → ``Decimal("60.00")``, for showing a stored amount in a form."""
    return Decimal(amount).scaleb(-minor_unit_exponent(currency))


def _number(label: str, hint: str = "") -> IntegerField:
    return IntegerField(label, validators=[Optional()], description=hint)


class SessionTypeForm(FlaskForm):
    """Every field of SPEC 8.1's session type; blank numbers take the API's defaults
    (on create) or keep their value (on edit), as omitted JSON fields do."""

    name = StringField("Name", validators=[DataRequired("Enter a name.")])
    description = TextAreaField("Description")
    location = StringField("Location or video link")
    color = ColorField("Colour", default=DEFAULTS["color"])
    format = SelectField(
        "Format",
        choices=[SelectChoice("one_on_one", "One-on-one"), SelectChoice("group", "Group")],
        default="one_on_one",
    )
    max_attendees = _number("Seats", "How many clients a group session takes (default 10).")
    active = BooleanField("Offered: clients can book it", default=True)
    duration_min = _number("Shortest (minutes)")
    duration_max = _number("Longest (minutes)")
    duration_default = _number("Default (minutes)")
    duration_step = _number("Step (minutes)", "A multiple of 15.")
    price_amount = DecimalField("Price", places=None, validators=[Optional()])
    firm_booking = SelectField(
        "Confirmed at once for",
        choices=[
            SelectChoice("everyone", "Everyone"),
            SelectChoice("connected", "Your connections (others send a request)"),
            SelectChoice("nobody", "Nobody: every booking is a request"),
        ],
        default="everyone",
    )
    min_notice_minutes = _number("Minimum notice (minutes)")
    max_advance_days = _number("Bookable up to (days ahead)")
    buffer_before_minutes = _number("Buffer before (minutes)")
    buffer_after_minutes = _number("Buffer after (minutes)")
    full_refund_hours = _number("Full refund until (hours before)")
    partial_refund_hours = _number("Partial refund until (hours before)")
    partial_refund_percent = _number("Partial refund (%)")
    email_notifications = BooleanField("Send e-mails about these bookings", default=True)
    reminder_offsets_minutes = StringField(
        "Reminders (minutes before)", description="Comma-separated, e.g. 1440, 60. Empty: none."
    )

    def __init__(self, *args, currency: str, **kwargs):
        super().__init__(*args, **kwargs)
        self.currency = currency
        self.price_amount.label.text = f"Price for the default duration ({currency})"
        self.price_minor: int | None = None
        self.reminders: list | None = None

    def validate_price_amount(self, field) -> None:
        if field.data is None:  # not a number: the field says so already
            return
        self.price_minor = to_minor_units(field.data, self.currency)

    def validate_reminder_offsets_minutes(self, field) -> None:
        parts = [part.strip() for part in (field.data or "").split(",") if part.strip()]
        if not all(part.isascii() and part.isdigit() and len(part) < 10 for part in parts):
            raise FieldError("Enter minutes separated by commas, e.g. 1440, 60.")
        self.reminders = [int(part) for part in parts]

    def email_event_fields(self) -> list:
        """A checkbox per email event, in the order of EMAIL_EVENTS."""
        return [self[email_event_field(event)] for event in EMAIL_EVENTS]

    def api_body(self) -> dict:
        """The JSON the API would be sent for this input (blank numbers left out)."""
        body = {
            "name": self.name.data,
            "description": self.description.data or "",
            "location": self.location.data or "",
            "color": self.color.data or "",
            "format": self.format.data,
            "active": bool(self.active.data),
        }
        special = {
            "price_amount": self.price_minor,
            "reminder_offsets_minutes": self.reminders,
            "email_notifications": bool(self.email_notifications.data),
        }
        for column, path in API_PATHS.items():
            value = special[column] if column in special else self[column].data
            if value is not None:
                group, key = path.split(".")
                body.setdefault(group, {})[key] = value
        # Seats belong to group sessions; a one-on-one session seats one.
        if self.format.data == "group" and self.max_attendees.data is not None:
            body["max_attendees"] = self.max_attendees.data
        body["notifications"]["email_events"] = {
            event: bool(self[email_event_field(event)].data) for event in EMAIL_EVENTS
        }
        return body


def email_event_field(event: str) -> str:
    return f"email_event_{event}"


# A checkbox per email event (an unticked box is not sent, so it switches the event off).
for _event, _label in EMAIL_EVENTS.items():
    setattr(SessionTypeForm, email_event_field(_event), BooleanField(_label, default=True))


def session_type_data(session_type, currency: str) -> dict:
    """A stored session type (or the SPEC defaults for None) as the form's initial data."""
    values = dict(DEFAULTS) | {"name": "", "max_attendees": None}
    if session_type is not None:
        values = {column: getattr(session_type, column) for column in values} | {
            "name": session_type.name,
            "max_attendees": session_type.max_attendees if session_type.format == "group" else None,
        }
    values["price_amount"] = in_major_units(values["price_amount"], currency)
    values["reminder_offsets_minutes"] = ", ".join(
        str(m) for m in values["reminder_offsets_minutes"]
    )
    off = values.pop("email_events_off")
    values |= {email_event_field(event): event not in off for event in EMAIL_EVENTS}
    return values


def _coach_zone() -> ZoneInfo:
    return ZoneInfo(current_user.timezone)


class CouponForm(FlaskForm):
    """A coupon: a code, percent or a fixed amount off, an optional period and maximum."""

    code = StringField("Code", validators=[DataRequired("Enter a code.")])
    percent_off = _number("Percent off", "1 to 100.")
    amount_off = DecimalField("Amount off", places=None, validators=[Optional()])
    valid_from = DateTimeLocalField("Valid from", validators=[Optional()], tz=_coach_zone)
    valid_until = DateTimeLocalField("Valid until", validators=[Optional()], tz=_coach_zone)
    max_redemptions = _number("Maximum redemptions", "Empty: no limit.")

    def __init__(self, *args, currency: str, **kwargs):
        super().__init__(*args, **kwargs)
        self.currency = currency
        self.amount_off.label.text = f"Amount off ({currency})"
        self.amount_minor: int | None = None

    def validate_amount_off(self, field) -> None:
        if field.data is None:  # not a number: the field says so already
            return
        self.amount_minor = to_minor_units(field.data, self.currency)

    def api_body(self) -> dict:
        """The JSON the API would be sent: every field, ``null`` for the blank ones."""
        return {
            "code": self.code.data,
            "percent_off": self.percent_off.data,
            "amount_off": self.amount_minor,
            "valid_from": _iso(self.valid_from.data),
            "valid_until": _iso(self.valid_until.data),
            "max_redemptions": self.max_redemptions.data,
        }


def _iso(moment) -> str | None:
    return None if moment is None else moment.isoformat()


def coupon_data(coupon, currency: str) -> dict:
    """A stored coupon as the form's initial data."""
    return {
        "code": coupon.code,
        "percent_off": coupon.percent_off,
        "amount_off": None
        if coupon.amount_off is None
        else in_major_units(coupon.amount_off, currency),
        "valid_from": coupon.valid_from,
        "valid_until": coupon.valid_until,
        "max_redemptions": coupon.max_redemptions,
    }
