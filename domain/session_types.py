"""Session-type rules (SPEC section 4 and 8.1): defaults and cross-field checks.

Values are flat, named like the columns; problems are keyed by the API field path
(``duration.default``) so they can go straight into an error's details.
"""

from __future__ import annotations

GRID_MINUTES = 15
FORMATS = ("one_on_one", "group")
FIRM_BOOKING = ("everyone", "connected", "nobody")
DEFAULT_GROUP_ATTENDEES = 10

DEFAULTS = {
    "description": "",
    "format": "one_on_one",
    "location": "",
    "color": "#2563eb",
    "active": True,
    "duration_min": 60,
    "duration_max": 60,
    "duration_default": 60,
    "duration_step": 15,
    "price_amount": 0,
    "firm_booking": "everyone",
    "min_notice_minutes": 120,
    "max_advance_days": 90,
    "buffer_before_minutes": 0,
    "buffer_after_minutes": 0,
    "full_refund_hours": 24,
    "partial_refund_hours": 2,
    "partial_refund_percent": 50,
    "email_notifications": True,
    # The email events (keys of services.emails.EMAIL_EVENTS) switched off: none.
    "email_events_off": [],
    "reminder_offsets_minutes": [1440, 60],
}

# Column name → API path, for error details.
API_PATHS = {
    "duration_min": "duration.min",
    "duration_max": "duration.max",
    "duration_default": "duration.default",
    "duration_step": "duration.step",
    "price_amount": "price.amount",
    "firm_booking": "rules.firm_booking",
    "min_notice_minutes": "rules.min_notice_minutes",
    "max_advance_days": "rules.max_advance_days",
    "buffer_before_minutes": "rules.buffer_before_minutes",
    "buffer_after_minutes": "rules.buffer_after_minutes",
    "full_refund_hours": "cancellation.full_refund_hours",
    "partial_refund_hours": "cancellation.partial_refund_hours",
    "partial_refund_percent": "cancellation.partial_refund_percent",
    "email_notifications": "notifications.email",
    "reminder_offsets_minutes": "notifications.reminder_offsets_minutes",
}


def with_defaults(values: dict) -> dict:
    """The given values over SPEC defaults; a group type seats 10 unless told otherwise."""
    full = {**DEFAULTS, **values}
    if "max_attendees" not in values:
        full["max_attendees"] = DEFAULT_GROUP_ATTENDEES if full["format"] == "group" else 1
    full["reminder_offsets_minutes"] = list(full["reminder_offsets_minutes"])
    full["email_events_off"] = list(full["email_events_off"])
    return full


def switch_email_events(off: list[str], switches: dict[str, bool], events) -> list[str]:
    """The events switched off after ``switches`` ({event: on}, any subset of ``events``)
    were applied to those ``off`` now; in the order of ``events``."""
    return [event for event in events if not switches.get(event, event not in off)]


def session_type_problems(v: dict) -> dict[str, list[str]]:
    """What is wrong with a complete set of session-type values (empty when valid)."""
    problems: dict[str, list[str]] = {}

    def add(column: str, message: str) -> None:
        problems.setdefault(API_PATHS.get(column, column), []).append(message)

    step = v["duration_step"]
    if step <= 0 or step % GRID_MINUTES:
        add("duration_step", f"Must be a positive multiple of {GRID_MINUTES} minutes.")
    else:
        for column in ("duration_min", "duration_default", "duration_max"):
            if v[column] % step:
                add(column, f"Must be a multiple of the step ({step} minutes).")
    if v["duration_min"] > v["duration_default"]:
        add("duration_default", "Must not be shorter than the minimum duration.")
    if v["duration_default"] > v["duration_max"]:
        add("duration_default", "Must not be longer than the maximum duration.")
    if v["partial_refund_hours"] > v["full_refund_hours"]:
        add("partial_refund_hours", "Must not be more than the full-refund hours.")
    if v["format"] == "one_on_one" and v["max_attendees"] != 1:
        problems.setdefault("max_attendees", []).append("A one-on-one session has 1 attendee.")
    if v["format"] == "group" and v["max_attendees"] < 2:
        problems.setdefault("max_attendees", []).append("A group session seats at least 2.")
    offsets = v["reminder_offsets_minutes"]
    if len(set(offsets)) != len(offsets):
        add("reminder_offsets_minutes", "Each reminder time may appear once.")
    return problems
