"""WTForms of the availability editor. The coach types local wall-clock times in their own
zone; ``values()`` turns a form into the same dict the API's schema gives
``services.availability`` (aware datetimes, ``recurrence`` with weekdays and until or
count), so the service validates page and API alike. ``attach_errors`` puts a service's
per-field messages next to the matching inputs."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

from flask_wtf import FlaskForm
from wtforms import (
    BooleanField,
    DateField,
    DateTimeLocalField,
    IntegerField,
    RadioField,
    SelectChoice,
    SelectField,
    SelectMultipleField,
    TimeField,
)
from wtforms.validators import NumberRange, Optional, ValidationError
from wtforms.widgets import CheckboxInput, ListWidget

from blueprints.api.common import EARLIEST, LATEST, MAX_ID, RANGE_MESSAGE
from domain.errors import AppError, validation_error
from domain.recurrence import WEEKDAY_CODES, resolve_local

WEEKDAY_LABELS = dict(
    zip(WEEKDAY_CODES, ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"), strict=True)
)
ONE_OFF, WEEKLY = "one_off", "weekly"
REQUIRED = "This field is required."
TIME_FORMAT = ["%H:%M", "%H:%M:%S"]
LOCAL_FORMAT = ["%Y-%m-%dT%H:%M", "%Y-%m-%dT%H:%M:%S"]


def _in_range(_form, field) -> None:
    """Dates the API accepts (1970 to 2199): far ones overflow when converted."""
    value = field.data
    if value is None:
        return
    day = value.date() if isinstance(value, datetime) else value
    if not EARLIEST.date() <= day < LATEST.date():
        field.data = None
        raise ValidationError(RANGE_MESSAGE)


def _session_type_choices(session_types) -> list[SelectChoice]:
    return [
        SelectChoice("", "Any session type"),
        *(SelectChoice(str(t.id), t.name) for t in session_types),
    ]


class _Base(FlaskForm):
    class Meta:
        csrf = False  # CSRFProtect checks every POST (blueprints/security.py)

    # service detail key → form field
    FIELD_OF: dict[str, str] = {}

    def problem(self, field_name: str, message: str) -> None:
        field = self[field_name]
        field.errors = [*field.errors, message]

    def require(self, *names: str) -> None:
        for name in names:
            if self[name].data is None and not self[name].errors:
                self.problem(name, REQUIRED)

    def is_clean(self) -> bool:
        return not any(field.errors for field in self)

    def field_of(self) -> dict[str, str]:
        return self.FIELD_OF

    def attach_errors(self, error: AppError) -> None:
        """A service's per-field messages next to their fields, else above the form."""
        placed = False
        for key, messages in error.details.items():
            name = self.field_of().get(key)
            if name is not None and isinstance(messages, list):
                self.problem(name, " ".join(messages))
                placed = True
        if not placed:
            self.form_errors.append(error.message)


class OneOffForm(_Base):
    """A one-off window: the new-window dialog, and one part of the editor's form."""

    start = DateTimeLocalField("Start", format=LOCAL_FORMAT, validators=[Optional(), _in_range])
    end = DateTimeLocalField("End", format=LOCAL_FORMAT, validators=[Optional(), _in_range])
    session_type_id = SelectField("Session type", validate_choice=False, default="")
    instant_booking = BooleanField("Instant booking (firm bookings, not requests)", default=True)

    FIELD_OF = {"start": "start", "end": "end", "session_type_id": "session_type_id"}

    def __init__(self, session_types=(), **kwargs):
        super().__init__(**kwargs)
        self.session_type_id.choices = _session_type_choices(session_types)

    @property
    def kind(self) -> str:
        return ONE_OFF

    def validate(self, extra_validators=None) -> bool:
        super().validate(extra_validators)
        self.check_one_off()
        return self.is_clean()

    def check_one_off(self) -> None:
        self.require("start", "end")
        self.check_session_type()

    def check_session_type(self) -> None:
        raw = self.session_type_id.data or ""
        if raw and not (raw.isdigit() and 1 <= int(raw) <= MAX_ID):
            self.problem("session_type_id", "Not one of your session types.")

    def common_values(self) -> dict:
        raw = self.session_type_id.data or ""
        return {
            "session_type_id": int(raw) if raw else None,
            "instant_booking": bool(self.instant_booking.data),
        }

    def values(self, zone: str) -> dict:
        """The service's input, as the API's schema loads it."""
        return {
            "start": to_utc(self.start.data, zone),
            "end": to_utc(self.end.data, zone),
            "recurrence": None,
            **self.common_values(),
        }

    def prefill(self, start: datetime, end: datetime, zone: str) -> None:
        self.start.data, self.end.data = local_naive(start, zone), local_naive(end, zone)


class WindowForm(OneOffForm):
    """The editor's form: a one-off window or a weekly series (the radio decides which
    group of fields counts; without JavaScript both groups show)."""

    kind_choice = RadioField(
        "Repeats",
        choices=[
            SelectChoice(ONE_OFF, "Once (a one-off window)"),
            SelectChoice(WEEKLY, "Every week"),
        ],
        default=WEEKLY,
        validate_choice=False,
    )
    weekdays = SelectMultipleField(
        "Weekdays",
        choices=[SelectChoice(code, label) for code, label in WEEKDAY_LABELS.items()],
        widget=ListWidget(prefix_label=False),
        option_widget=CheckboxInput(),
    )
    start_time = TimeField("From", format=TIME_FORMAT, validators=[Optional()])
    end_time = TimeField("To", format=TIME_FORMAT, validators=[Optional()])
    from_date = DateField("Starting on", validators=[Optional(), _in_range])
    until = DateField("Last day", validators=[Optional(), _in_range])
    count = IntegerField(
        "Occurrences",
        validators=[Optional(), NumberRange(1, 520, "Give a number from 1 to 520.")],
    )

    WEEKLY_FIELDS = ("weekdays", "start_time", "end_time", "from_date", "until", "count")
    ONE_OFF_FIELDS = ("start", "end")
    WEEKLY_FIELD_OF = {
        "start": "from_date",
        "end": "end_time",
        "recurrence.weekdays": "weekdays",
        "recurrence.until": "until",
        "recurrence.count": "count",
        "session_type_id": "session_type_id",
    }

    @property
    def kind(self) -> str:
        return WEEKLY if self.kind_choice.data == WEEKLY else ONE_OFF

    def field_of(self) -> dict[str, str]:
        return self.WEEKLY_FIELD_OF if self.kind == WEEKLY else self.FIELD_OF

    def validate(self, extra_validators=None) -> bool:
        _Base.validate(self, extra_validators)
        if self.kind_choice.data not in (ONE_OFF, WEEKLY):
            self.problem("kind_choice", "Choose once or every week.")
        for name in self.ONE_OFF_FIELDS if self.kind == WEEKLY else self.WEEKLY_FIELDS:
            self[name].errors = []  # the other group's fields do not count
        if self.kind == ONE_OFF:
            self.check_one_off()
            return self.is_clean()
        self.require("start_time", "end_time", "from_date")
        if not self.weekdays.data and not self.weekdays.errors:
            self.problem("weekdays", "Choose at least one weekday.")
        if self.until.data is not None and self.count.data is not None:
            self.problem("count", "Give until or count, not both.")
        self.check_session_type()
        return self.is_clean()

    def values(self, zone: str) -> dict:
        if self.kind == ONE_OFF:
            return super().values(zone)
        first = first_day_on(self.from_date.data, self.weekdays.data)
        tz = ZoneInfo(zone)
        return {
            "start": resolve_local(first, self.start_time.data, tz),
            "end": resolve_local(first, self.end_time.data, tz),
            "recurrence": {
                "weekdays": list(self.weekdays.data),
                "until": self.until.data,
                "count": self.count.data,
            },
            **self.common_values(),
        }

    def fill(self, window, zone: str) -> None:
        """Show a stored window or series in the coach's zone."""
        self.kind_choice.data = WEEKLY if window.is_recurring else ONE_OFF
        self.session_type_id.data = str(window.session_type_id or "")
        self.instant_booking.data = window.instant_booking
        start, end = local_naive(window.start_at, zone), local_naive(window.end_at, zone)
        if not window.is_recurring:
            self.start.data, self.end.data = start, end
            return
        self.weekdays.data = window.recurrence_weekdays.split(",")
        self.start_time.data, self.end_time.data = start.time(), end.time()
        self.from_date.data = start.date()
        self.until.data, self.count.data = window.recurrence_until, window.recurrence_count


class OccurrenceForm(_Base):
    """Move one occurrence, or switch its instant booking (it keeps its session type)."""

    start = DateTimeLocalField("Start", format=LOCAL_FORMAT, validators=[Optional(), _in_range])
    end = DateTimeLocalField("End", format=LOCAL_FORMAT, validators=[Optional(), _in_range])
    instant_booking = BooleanField("Instant booking (firm bookings, not requests)")

    FIELD_OF = {"start": "start", "end": "end", "instant_booking": "instant_booking"}

    def validate(self, extra_validators=None) -> bool:
        super().validate(extra_validators)
        self.require("start", "end")
        return self.is_clean()

    def values(self, zone: str) -> tuple[datetime, datetime]:
        return to_utc(self.start.data, zone), to_utc(self.end.data, zone)

    def fill(self, occurrence, zone: str) -> None:
        self.start.data = local_naive(occurrence.start, zone)
        self.end.data = local_naive(occurrence.end, zone)
        self.instant_booking.data = occurrence.instant_booking


def to_utc(value: datetime, zone: str) -> datetime:
    """A wall-clock time in ``zone`` by the DST rule of the recurrence expansion."""
    return resolve_local(value.date(), value.time(), ZoneInfo(zone))


def local_naive(value: datetime, zone: str) -> datetime:
    return value.astimezone(ZoneInfo(zone)).replace(tzinfo=None, second=0, microsecond=0)


def first_day_on(day: date, weekdays) -> date:
    """The first day on or after ``day`` that falls on one of ``weekdays``."""
    for offset in range(7):
        candidate = day + timedelta(days=offset)
        if WEEKDAY_CODES[candidate.weekday()] in weekdays:
            return candidate
    return day


# --- query values (the dialogs' ?start=&end=, ?occurrence=, the editor's ?week=) -------


def parse_moment(text: str | None, name: str) -> datetime:
    """An ISO 8601 datetime with an offset, 1970 to 2199, as UTC; else a 400."""
    message = "Give an ISO 8601 time with an offset, e.g. 2027-01-04T09:00:00Z."
    try:
        value = datetime.fromisoformat(text or "")
    except ValueError:
        raise validation_error({name: [message]}, message) from None
    if value.tzinfo is None:
        raise validation_error({name: [message]}, message)
    try:
        if not EARLIEST <= value < LATEST:
            raise validation_error({name: [RANGE_MESSAGE]}, RANGE_MESSAGE)
        return value.astimezone(UTC)
    except OverflowError:
        raise validation_error({name: [RANGE_MESSAGE]}, RANGE_MESSAGE) from None


def prefill_range(args) -> tuple[datetime | None, datetime | None]:
    """``?start=&end=`` of the new-window dialog: both or neither; a bad one is a 400."""
    if not args.get("start") and not args.get("end"):
        return None, None
    start, end = parse_moment(args.get("start"), "start"), parse_moment(args.get("end"), "end")
    if end <= start:
        raise validation_error(
            {"end": ["Must be after start."]}, "The end must be after the start."
        )
    return start, end


def week_start(raw: str | None, today: date, weeks: int) -> date:
    """The Monday of ``?week=YYYY-MM-DD`` (default: ``today``'s week); a bad one is a 400."""
    day = today
    if raw:
        message = "Give a date as YYYY-MM-DD."
        try:
            day = date.fromisoformat(raw)
        except ValueError:
            raise validation_error({"week": [message]}, message) from None
        earliest = EARLIEST.date() + timedelta(days=7)
        if not earliest <= day < LATEST.date() - timedelta(weeks=weeks + 1):
            raise validation_error({"week": [RANGE_MESSAGE]}, RANGE_MESSAGE)
    return day - timedelta(days=day.weekday())
