"""WTForms classes of the booking page, the dashboard's answers and the notifications page.

CSRF is checked for every unsafe request before any view runs (blueprints/security.py),
from the form field or the htmx header, so these forms leave it to that check.
"""

from __future__ import annotations

from datetime import UTC, datetime

from flask_wtf import FlaskForm
from wtforms import (
    DateField,
    Form,
    HiddenField,
    IntegerField,
    SelectMultipleField,
    StringField,
    TextAreaField,
)
from wtforms.validators import DataRequired, Length, NumberRange, Optional, ValidationError

MAX_ID = 2**31 - 1
MAX_TEXT = 2000
MAX_SUGGESTIONS = 3
MAX_PICKED = 12
EARLIEST = datetime(1970, 1, 1, tzinfo=UTC)
LATEST = datetime(2200, 1, 1, tzinfo=UTC)
ORIGINS = ("page", "dashboard")


def parse_moment(value: str) -> datetime:
    """An ISO 8601 date-time with an offset, as the pickers send them; ValueError else."""
    moment = datetime.fromisoformat((value or "").strip().replace("Z", "+00:00"))
    if moment.tzinfo is None:
        raise ValueError("no offset")
    if not EARLIEST <= moment < LATEST:
        raise ValueError("out of range")
    return moment.astimezone(UTC)


class ActionForm(FlaskForm):
    """Where the answer goes back to: the booking page or the dashboard's request row."""

    class Meta:
        csrf = False

    origin = HiddenField(default="page")

    def where(self) -> str:
        return self.origin.data if self.origin.data in ORIGINS else "page"


class MessageForm(ActionForm):
    message = TextAreaField(
        "Message (optional)",
        validators=[Length(max=MAX_TEXT, message=f"At most {MAX_TEXT} characters.")],
    )


class CancelForm(ActionForm):
    reason = TextAreaField(
        "Reason (optional)",
        validators=[Length(max=MAX_TEXT, message=f"At most {MAX_TEXT} characters.")],
    )


class SuggestForm(MessageForm):
    times = SelectMultipleField("Times to suggest", validate_choice=False)

    def validate_times(self, field) -> None:
        values = [v for v in field.data or [] if v]
        if not 1 <= len(values) <= MAX_SUGGESTIONS:
            raise ValidationError(f"Pick 1 to {MAX_SUGGESTIONS} times.")
        try:
            self.moments = [parse_moment(v) for v in values]
        except ValueError as exc:
            raise ValidationError("Pick the times from the list.") from exc


class RescheduleForm(ActionForm):
    start = StringField("New time", validators=[DataRequired("Pick a new time.")])

    def validate_start(self, field) -> None:
        try:
            self.moment = parse_moment(field.data)
        except ValueError as exc:
            raise ValidationError("Pick a time from the list.") from exc


class ChooseForm(ActionForm):
    suggestion_id = IntegerField(
        "Suggested time",
        validators=[
            DataRequired("Choose one of the suggested times."),
            NumberRange(1, MAX_ID, "Choose one of the suggested times."),
        ],
    )


class PickerQuery(Form):
    """``?day=YYYY-MM-DD``: the first local day a time picker shows; ``times`` or
    ``start``: what was picked already (kept when the picker pages)."""

    day = DateField("Show times from", validators=[Optional()])
    origin = HiddenField(default="page")

    def picked(self, args) -> list[datetime]:
        """The picked values that are times (anything else is dropped): shown checked
        again, more than three too, so the coach sees what to drop."""
        found = []
        for value in args.getlist("times") + args.getlist("start"):
            try:
                moment = parse_moment(value)
            except ValueError:
                continue
            if moment not in found:
                found.append(moment)
        return found[:MAX_PICKED]

    def where(self) -> str:
        return self.origin.data if self.origin.data in ORIGINS else "page"


class NotificationsQuery(Form):
    """``?before=<id>``: the page of notifications older than that one."""

    before = IntegerField(
        "Older than", validators=[Optional(), NumberRange(1, MAX_ID, "Not a notification.")]
    )
