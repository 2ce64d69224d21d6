"""WTForms for the settings page: the profile (name, time zone and, for coaches, the
coach-only settings of ``services.accounts.COACH_ONLY_FIELDS``), the websites that may
embed a coach's calendar, and the password change.

As on the catalog pages (blueprints/catalog_forms.py), the form parses, ``api_body()``
builds what the JSON API would be sent (``PATCH /api/me``, ``POST /api/me/password``) and
the API's own schema checks it before the service runs.
"""

from __future__ import annotations

from decimal import Decimal, DecimalException

from flask_wtf import FlaskForm
from wtforms import (
    DecimalField,
    PasswordField,
    RadioField,
    SelectChoice,
    SelectField,
    StringField,
    TextAreaField,
)
from wtforms.validators import DataRequired, Length, Optional
from wtforms.validators import ValidationError as FieldError

from domain.currencies import CURRENCY_CODES
from services.accounts import COACH_ONLY_FIELDS

PRIVACY_CHOICES = [
    SelectChoice("public", "Public: everyone, also people who are not signed in"),
    SelectChoice("connected", "Connected: only clients you have connected with"),
    SelectChoice("private", "Private: only you"),
]


class ProfileForm(FlaskForm):
    name = StringField("Name", validators=[DataRequired("Enter your name.")])
    timezone = StringField(
        "Time zone",
        validators=[DataRequired("Choose a time zone.")],
        description="Type to search, e.g. Europe/Berlin. Times are shown in this zone.",
    )
    calendar_privacy = RadioField("Who may see your calendar", choices=PRIVACY_CHOICES)
    currency = SelectField(
        "Currency", choices=[SelectChoice(code, code) for code in sorted(CURRENCY_CODES)]
    )
    vat_rate = DecimalField(
        "VAT rate (%)",
        places=None,
        validators=[Optional()],
        description="Added to your prices, e.g. 19. Empty or 0: no VAT.",
    )
    slug = StringField(
        "Your address",
        description="3-64 lower-case letters, digits and single hyphens.",
    )

    def __init__(self, *args, coach: bool, **kwargs):
        super().__init__(*args, **kwargs)
        self.coach = coach
        self.vat_fraction: Decimal | None = None
        if not coach:
            for name in COACH_ONLY_FIELDS:
                if name in self:
                    del self[name]

    def validate_vat_rate(self, field) -> None:
        """A percentage from 0 to below 100 with at most 2 decimals: the API's fraction
        from 0 to below 1 with at most 4."""
        if field.data is None:  # not a number: the field says so already
            return
        try:
            percent = field.data.normalize() if field.data.is_finite() else None
        except DecimalException:
            percent = None
        if percent is None or not Decimal(0) <= percent < Decimal(100):
            raise FieldError("Enter a rate from 0 to below 100, e.g. 19.")
        if percent.as_tuple().exponent < -2:
            raise FieldError("Use at most 2 decimals, e.g. 7.25.")
        self.vat_fraction = percent.scaleb(-2)

    def api_body(self) -> dict:
        body = {"name": self.name.data, "timezone": (self.timezone.data or "").strip()}
        if self.coach:
            body |= {
                "calendar_privacy": self.calendar_privacy.data,
                "currency": self.currency.data,
                "vat_rate": str(self.vat_fraction if self.vat_fraction is not None else 0),
                "slug": (self.slug.data or "").strip(),
            }
        return body


def profile_data(user) -> dict:
    """The stored profile as the form's initial data (VAT as a percentage)."""
    data = {"name": user.name, "timezone": user.timezone}
    if user.is_coach:
        percent = Decimal(user.vat_rate).scaleb(2).normalize()
        data |= {
            "calendar_privacy": user.calendar_privacy,
            "currency": user.currency,
            "vat_rate": Decimal(format(percent, "f")),
            "slug": user.slug,
        }
    return data


class EmbedForm(FlaskForm):
    """The websites that may frame the coach's embedded calendar (``embed_domains``)."""

    embed_domains = TextAreaField(
        "Websites that may embed your calendar",
        description="One origin per line, e.g. https://coach.example.com. Other sites "
        "cannot show it.",
    )

    def origins(self) -> list[str]:
        return [
            line.strip() for line in (self.embed_domains.data or "").splitlines() if line.strip()
        ]

    def api_body(self) -> dict:
        return {"embed_domains": self.origins()}


def embed_data(user) -> dict:
    return {"embed_domains": "\n".join(user.embed_domains or [])}


class PasswordForm(FlaskForm):
    current_password = PasswordField(
        "Current password", validators=[DataRequired("Enter your current password.")]
    )
    new_password = PasswordField(
        "New password",
        validators=[
            DataRequired("Choose a new password."),
            Length(min=8, max=200, message="Use 8 to 200 characters."),
        ],
        description="At least 8 characters. Every other sign-in of yours ends.",
    )

    def api_body(self) -> dict:
        return {
            "current_password": self.current_password.data,
            "new_password": self.new_password.data,
        }
