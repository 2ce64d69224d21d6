"""WTForms classes for the web pages; messages appear next to their fields."""

from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import (
    BooleanField,
    EmailField,
    PasswordField,
    RadioField,
    SelectChoice,
    StringField,
)
from wtforms.validators import DataRequired, Email, Length, ValidationError

from domain.timezones import is_valid_timezone


def _iana_zone(_form, field) -> None:
    if not is_valid_timezone(field.data or ""):
        raise ValidationError("Choose an IANA time zone such as Europe/Berlin.")


class RegisterForm(FlaskForm):
    name = StringField("Name", validators=[DataRequired("Enter your name."), Length(max=120)])
    email = EmailField(
        "E-mail",
        validators=[
            DataRequired("Enter your e-mail address."),
            Email("Enter a valid e-mail address."),
            Length(max=254),
        ],
    )
    password = PasswordField(
        "Password",
        validators=[
            DataRequired("Choose a password."),
            Length(min=8, max=200, message="Use 8 to 200 characters."),
        ],
    )
    role = RadioField(
        "I am a",
        choices=[
            SelectChoice("client", "Client: I want to book sessions"),
            SelectChoice("coach", "Coach: I offer sessions"),
        ],
        default="client",
        validators=[DataRequired("Choose coach or client.")],
    )
    timezone = StringField(
        "Time zone", default="UTC", validators=[DataRequired("Choose a time zone."), _iana_zone]
    )


class LoginForm(FlaskForm):
    email = EmailField("E-mail", validators=[DataRequired("Enter your e-mail address.")])
    password = PasswordField("Password", validators=[DataRequired("Enter your password.")])
    remember = BooleanField("Keep me signed in")


class ConnectForm(FlaskForm):
    coach_slug = StringField(
        "Coach's address", validators=[DataRequired("Enter the coach's address."), Length(max=64)]
    )
