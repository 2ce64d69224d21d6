"""Session types: a coach's offer (SPEC 8 and 8.1). The request schemas and their mapping
to columns live here; the answer's shape, ``SessionTypeOut``, is in common.py (the coach
profile lists session types too)."""

from __future__ import annotations

from flask_login import current_user
from marshmallow import RAISE, ValidationError, fields, validate, validates

from blueprints.api.common import (
    MAX_AMOUNT,
    MAX_MINUTES,
    BaseSchema,
    OutSchema,
    SessionTypeOut,
    StrictBoolean,
    no_content,
    out_list,
    out_nested,
    strict_int,
)
from blueprints.api.docs import BEARER, OPTIONAL_BEARER, Blueprint
from blueprints.security import api_login_required
from domain.session_types import FIRM_BOOKING, FORMATS
from services import catalog
from services.emails import EMAIL_EVENTS


class DurationSchema(BaseSchema):
    min = strict_int(15, MAX_MINUTES)
    max = strict_int(15, MAX_MINUTES)
    default = strict_int(15, MAX_MINUTES)
    step = strict_int(15, 240)


class PriceSchema(BaseSchema):
    amount = strict_int(0, MAX_AMOUNT)
    currency = fields.String(validate=validate.Length(equal=3))


class RulesSchema(BaseSchema):
    firm_booking = fields.String(validate=validate.OneOf(FIRM_BOOKING))
    min_notice_minutes = strict_int(0, 60 * 24 * 365)
    max_advance_days = strict_int(1, 730)
    buffer_before_minutes = strict_int(0, 480)
    buffer_after_minutes = strict_int(0, 480)


class CancellationSchema(BaseSchema):
    full_refund_hours = strict_int(0, 24 * 365)
    partial_refund_hours = strict_int(0, 24 * 365)
    partial_refund_percent = strict_int(0, 100)


class _KnownKeysSchema(BaseSchema):
    """An object whose keys are all known: any other key is a validation error."""

    class Meta:
        unknown = RAISE

    error_messages = {"unknown": f"Not an e-mail event; they are {', '.join(EMAIL_EVENTS)}."}


# ``{"reminder": false, ...}``: any subset of the events; those left out keep their setting.
EmailEventsSchema = _KnownKeysSchema.from_dict(
    {event: StrictBoolean(metadata={"description": text}) for event, text in EMAIL_EVENTS.items()},
    name="EmailEventsSchema",
)


class NotificationSettingsSchema(BaseSchema):
    email = StrictBoolean(metadata={"description": "Off: no e-mail at all for this type."})
    email_events = fields.Nested(EmailEventsSchema)
    reminder_offsets_minutes = fields.List(
        strict_int(1, 60 * 24 * 14), validate=validate.Length(max=5)
    )


class SessionTypeSchema(BaseSchema):
    name = fields.String(required=True, validate=validate.Length(min=1, max=120))
    description = fields.String(validate=validate.Length(max=5000))
    format = fields.String(validate=validate.OneOf(FORMATS))
    location = fields.String(validate=validate.Length(max=500))
    color = fields.String(validate=validate.Regexp(r"^#[0-9a-fA-F]{6}$", error="Use #rrggbb."))
    active = StrictBoolean()
    duration = fields.Nested(DurationSchema)
    price = fields.Nested(PriceSchema)
    rules = fields.Nested(RulesSchema)
    cancellation = fields.Nested(CancellationSchema)
    max_attendees = strict_int(1, 1000)
    notifications = fields.Nested(NotificationSettingsSchema)

    @validates("name")
    def _name_not_blank(self, value: str, **_kwargs) -> None:
        if not value.strip():
            raise ValidationError("Enter a name.")


class SessionTypePatchSchema(SessionTypeSchema):
    """PATCH: every field optional; the merged result is validated whole by the service."""


class SessionTypeEnvelopeOut(OutSchema):
    session_type = out_nested(SessionTypeOut)


class SessionTypeListOut(OutSchema):
    items = out_list(fields.Nested(SessionTypeOut))


# The request's nested groups → the column (or service) names they set.
_COLUMNS = {
    "duration": {
        "min": "duration_min",
        "max": "duration_max",
        "default": "duration_default",
        "step": "duration_step",
    },
    "price": {"amount": "price_amount", "currency": "currency"},
    "rules": {
        key: key
        for key in (
            "firm_booking",
            "min_notice_minutes",
            "max_advance_days",
            "buffer_before_minutes",
            "buffer_after_minutes",
        )
    },
    "cancellation": {
        key: key for key in ("full_refund_hours", "partial_refund_hours", "partial_refund_percent")
    },
    "notifications": {
        "email": "email_notifications",
        "email_events": "email_events",  # folded into email_events_off by the service
        "reminder_offsets_minutes": "reminder_offsets_minutes",
    },
}


def session_type_values(data: dict) -> dict:
    """The nested request shape → flat column values (only what was given)."""
    flat = {
        key: data[key]
        for key in ("name", "description", "format", "location", "color", "active")
        if key in data
    }
    if "max_attendees" in data:
        flat["max_attendees"] = data["max_attendees"]
    for group, columns in _COLUMNS.items():
        for key, column in columns.items():
            if key in data.get(group, {}):
                flat[column] = data[group][key]
    return flat


blp = Blueprint(
    "api_session_types", __name__, url_prefix="/api/session-types", description="Session types"
)


@blp.route("", methods=["GET"])
@api_login_required
@blp.response(200, SessionTypeListOut)
@blp.errors(401, 403)
@blp.doc(security=BEARER)
def index():
    """The calling coach's session types, inactive ones included."""
    return {"items": catalog.list_own_session_types(current_user)}


@blp.route("", methods=["POST"])
@api_login_required
@blp.arguments(SessionTypeSchema)
@blp.response(201, SessionTypeEnvelopeOut)
@blp.errors(400, 401, 403, 415)
@blp.doc(security=BEARER)
def create(data: dict):
    """Offer a new session type; omitted fields take the SPEC defaults."""
    session_type = catalog.create_session_type(current_user, session_type_values(data))
    return {"session_type": session_type}, 201


@blp.route("/<id:session_type_id>", methods=["GET"])
@blp.response(200, SessionTypeEnvelopeOut)
@blp.errors(404)
@blp.doc(security=OPTIONAL_BEARER)
def show(session_type_id: int):
    """One session type: any of the owner's, or an active one on a calendar you may see."""
    session_type = catalog.get_session_type(current_user, session_type_id)
    return {"session_type": session_type}


@blp.route("/<id:session_type_id>", methods=["PATCH"])
@api_login_required
@blp.arguments(SessionTypePatchSchema(partial=True))
@blp.response(200, SessionTypeEnvelopeOut)
@blp.errors(400, 401, 403, 404, 415)
@blp.doc(security=BEARER)
def update(changes: dict, session_type_id: int):
    """Change some fields; the result is validated whole."""
    session_type = catalog.update_session_type(
        current_user, session_type_id, session_type_values(changes)
    )
    return {"session_type": session_type}


@blp.route("/<id:session_type_id>", methods=["DELETE"])
@api_login_required
@blp.response(204)
@blp.errors(400, 401, 403, 404)
@blp.doc(security=BEARER)
def delete(session_type_id: int):
    """Stop offering it; existing bookings keep it."""
    catalog.delete_session_type(current_user, session_type_id)
    return no_content()
