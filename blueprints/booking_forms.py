"""The booking modal's form (WTForms): what the viewer picks, read from the query string
(opening the modal, live updates) or the posted form (confirming)."""

from __future__ import annotations

from datetime import UTC, datetime

from flask_wtf import FlaskForm
from werkzeug.datastructures import MultiDict
from wtforms import (
    DateField,
    HiddenField,
    SelectChoice,
    SelectField,
    StringField,
    TextAreaField,
)
from wtforms.validators import Length, ValidationError

from domain.timezones import iso_utc
from services.booking_choices import Choices, Wish, local_day

EARLIEST = datetime(1970, 1, 1, tzinfo=UTC)
LATEST = datetime(2200, 1, 1, tzinfo=UTC)
RANGE_MESSAGE = "Use a date from 1970 to 2199."
MAX_MESSAGE = 2000
MAX_COUPON = 40
# The calendar's links say ``session_type`` and ``duration``; the form's fields are named
# as the API's (``session_type_id``, ``duration_minutes``), so service errors land on them.
ALIASES = {"session_type": "session_type_id", "duration": "duration_minutes"}
# The visible fields, in the order they appear (the first with a message gets the focus).
FIELD_NAMES = ("session_type_id", "date", "duration_minutes", "start", "coupon_code", "message")


def whole_number(value) -> int | None:
    """A select's value: ``None`` for nothing chosen, else ASCII digits (ValueError)."""
    if value is None or value == "":
        return None
    if isinstance(value, int):
        return value
    text = str(value)
    if not text.isascii() or not text.isdigit() or len(text) > 10:
        raise ValueError("Choose one of the options.")
    return int(text)


def parse_moment(value: str | None) -> datetime | None:
    """An ISO 8601 date-time with an offset (``…Z`` or ``…+01:00``), 1970 to 2199."""
    if not value:
        return None
    try:
        moment = datetime.fromisoformat(value.strip())
    except ValueError:
        raise ValueError("Choose a start time from the list.") from None
    if moment.tzinfo is None:
        raise ValueError("Choose a start time from the list.")
    if not EARLIEST <= moment < LATEST:
        raise ValueError(RANGE_MESSAGE)
    return moment.astimezone(UTC)


def iso(moment: datetime) -> str:
    """How a start travels in the form: UTC with ``Z``, as the calendar links write it."""
    return iso_utc(moment)


def number_select(label: str, field_id: str) -> SelectField:
    return SelectField(
        label,
        id=field_id,
        coerce=whole_number,
        validate_choice=False,
        invalid_value_message="Choose one of the options.",
    )


class BookingForm(FlaskForm):
    """Ids start with ``booking-``: the dialog shares its document with the calendar."""

    session_type_id = number_select("Session type", "booking-type")
    date = DateField(
        "Date", id="booking-date", invalid_value_message="Enter a date such as 2027-01-18."
    )
    # Not checked against the options: the booking service decides, so that a time taken
    # meanwhile is its 409 with fresh options, not a stale "not a valid choice".
    start = SelectField(
        "Start time",
        id="booking-start",
        coerce=parse_moment,
        validate_choice=False,
        invalid_value_message="Choose a start time from the list.",
    )
    duration_minutes = number_select("Duration", "booking-duration")
    coupon_code = StringField(
        "Coupon code",
        id="booking-coupon",
        validators=[Length(max=MAX_COUPON, message="At most 40 characters.")],
    )
    message = TextAreaField(
        "Message to the coach",
        id="booking-message",
        validators=[Length(max=MAX_MESSAGE, message="At most 2000 characters.")],
    )
    tz = HiddenField(id="booking-tz")
    outside = HiddenField(id="booking-outside")
    requested = HiddenField(id="booking-requested")
    modal = HiddenField(id="booking-in-modal")

    def validate_date(self, field) -> None:
        if field.data is not None and not EARLIEST.date() <= field.data < LATEST.date():
            raise ValidationError(RANGE_MESSAGE)

    def requested_time(self) -> datetime | None:
        """The time asked for outside availability (``outside=1``): the clicked start,
        carried on in ``requested`` while other times are picked."""
        if self.outside.data != "1":
            return None
        try:
            requested = parse_moment(self.requested.data) or self.start.data
        except ValueError:
            requested = None
        self.requested.data = iso(requested) if requested else ""
        return requested

    def wish(self, zone: str, strict: bool = False) -> Wish:
        return Wish(
            session_type_id=self.session_type_id.data,
            day=self.date.data if not self.date.errors else None,
            start=self.start.data,
            duration=self.duration_minutes.data,
            coupon_code="" if self.coupon_code.errors else (self.coupon_code.data or "").strip(),
            requested=self.requested_time(),
            zone=zone,
            strict=strict,
        )

    def check_for_booking(self, zone: str, type_ids: set[int]) -> bool:
        """The posted form is complete enough to send to the booking service: one of the
        coach's types (``type_ids``), a start on the chosen date."""
        ok = self.validate()
        if self.session_type_id.data not in type_ids and not self.session_type_id.errors:
            self.session_type_id.errors.append("Choose one of the coach's session types.")
            ok = False
        if self.start.data is None and not self.start.errors:
            self.start.errors.append("Choose a start time.")
            ok = False
        elif self.start.data is not None and self.date.data is not None:
            if local_day(self.start.data, zone) == self.date.data:
                return ok
            self.start.errors.append("Choose a start time on the chosen date.")
            ok = False
        return ok

    def fill(self, choices: Choices, labels: list[SelectChoice], zone: str) -> None:
        """Options and selected values from the service's choices; its problems next to
        the fields."""
        self.session_type_id.choices = [
            SelectChoice(t.id, t.name) for t in choices.offer.session_types
        ]
        self.duration_minutes.choices = [
            SelectChoice(m, duration_label(m)) for m in choices.durations
        ]
        self.start.choices = [SelectChoice("", "Choose a start time"), *labels]
        if choices.session_type is not None:
            self.session_type_id.data = choices.session_type.id
            self.duration_minutes.data = choices.duration
            self.date.data = choices.day
            self.start.data = choices.start
        self.tz.data = zone
        for name, messages in choices.problems.items():
            field = getattr(self, name, None) if name in FIELD_NAMES else None
            if field is not None and not field.errors:  # one message per field is enough
                field.errors = list(messages)

    def first_error(self) -> str | None:
        return next((name for name in FIELD_NAMES if getattr(self, name).errors), None)


def duration_label(minutes: int) -> str:
    hours, rest = divmod(minutes, 60)
    if not hours:
        return f"{minutes} min"
    if not rest:
        return f"{hours} h" if hours > 1 else "1 hour"
    return f"{hours} h {rest} min"


def query_formdata(args: MultiDict) -> MultiDict:
    """The query string with the calendar links' names mapped to the form's."""
    data = MultiDict()
    for key, value in args.items(multi=True):
        data.add(ALIASES.get(key, key), value)
    return data


def errors_to_fields(form: BookingForm, details: dict, fallback: str) -> None:
    """A service's per-field messages next to the fields; the rest above the form."""
    placed = False
    for name, messages in details.items():
        field = getattr(form, name, None) if name in FIELD_NAMES else None
        if field is not None and isinstance(messages, list):
            field.errors = [*field.errors, *messages]
            placed = True
    if not placed:
        form.form_errors.append(fallback)
