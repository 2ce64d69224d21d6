"""How a booking email is put together: a ``Draft`` (recipient, event, words), the words
for times and money in the recipient's zone (``Change``), and the rendering with the
templates ``email/booking.txt`` and ``email/booking.html`` plus the ``.ics`` invitation
(``services.ics``). What each change sends is ``services.emails``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from zoneinfo import ZoneInfo

from flask import current_app

from domain.timezones import is_valid_timezone
from services import ics
from services.outbox import Email

# How a booking's payment stands, said after its price.
PAYMENT_WORDS = {
    "offline": "paid to the coach directly",
    "payment_pending": "to be paid online",
    "processing": "payment processing",
    "succeeded": "paid",
    "failed": "payment failed",
    "refunded": "refunded",
    "partially_refunded": "partly refunded",
}
TEMPLATES = ("email/booking.txt", "email/booking.html")
DASH, MINUS = "\u2013", "\u2212"


@dataclass
class Draft:
    """One email before rendering: recipient, event (a key of EMAIL_EVENTS), the outbox
    kind, and the words; ``ics`` is "REQUEST" or "CANCEL" for an attached invitation."""

    to: object
    event: str
    kind: str
    subject: str
    heading: str
    lines: list[str]
    after: list[str] = field(default_factory=list)
    times: list[str] = field(default_factory=list)
    rows: list[tuple[str, str]] = field(default_factory=list)
    when_label: str = "When"
    show_price: bool = True
    note: tuple[str, str] | None = None
    action: str = "View booking"
    extra_link: tuple[str, str] | None = None
    ics: str | None = None


class Change:
    """A booking change as its emails see it: the parties, the session type, and times
    and money put into words for each recipient."""

    def __init__(self, booking, actor_id, note="", refund=None, moved_from=None):
        self.booking = booking
        self.coach, self.client = booking.coach, booking.client
        self.type_name = booking.session_type.name
        self.actor_id = actor_id
        self.note = "\n".join(note.splitlines()) if note else ""
        self.refund = refund or 0
        self.moved_from = moved_from
        self._invitations: dict[str, dict] = {}

    def invitation(self, method: str) -> dict:
        """The ``.ics`` data (METHOD ``REQUEST`` or ``CANCEL``), the same for both parties."""
        if method not in self._invitations:
            self._invitations[method] = ics.invitation_data(self.booking, cancel=method == "CANCEL")
        return self._invitations[method]

    def other(self, user):
        return self.client if user.id == self.coach.id else self.coach

    def by(self, user) -> bool:
        """Did ``user`` make this change?"""
        return self.actor_id == user.id

    def noted(self, label: str) -> tuple[str, str] | None:
        """The change's note (a message, a reason) under ``label``, if there is one."""
        return (label, self.note) if self.note else None

    def calendar_link(self) -> tuple[str, str] | None:
        """A link to the coach's calendar, for finding another time."""
        if not self.coach.slug:
            return None
        return ("Find another time", f"{base_url()}/coaches/{self.coach.slug}")

    def previous_status(self) -> str | None:
        """The status before this change (its history entry is the booking's last)."""
        history = self.booking.history
        return history[-1].from_status if history else None

    def zone(self, user) -> ZoneInfo:
        return ZoneInfo(user.timezone if is_valid_timezone(user.timezone) else "UTC")

    def when(self, user, start: datetime | None = None, end: datetime | None = None) -> str:
        """``Mon 18 Jan 2027, 10:00-11:00 (Europe/Berlin)`` (an en dash) in the user's zone."""
        zone = self.zone(user)
        start = (start or self.booking.start_at).astimezone(zone)
        end = (end or self.booking.end_at).astimezone(zone)
        if start.date() == end.date():
            return f"{_day(start)}, {start:%H:%M}{DASH}{end:%H:%M} ({zone.key})"
        return f"{_day(start)}, {start:%H:%M} {DASH} {_day(end)}, {end:%H:%M} ({zone.key})"

    def at(self, user, moment: datetime) -> str:
        """``Mon 18 Jan 2027, 10:00 (Europe/Berlin)``."""
        local = moment.astimezone(self.zone(user))
        return f"{_day(local)}, {local:%H:%M} ({local.tzinfo.key})"

    def clock(self, user) -> str:
        local = self.booking.start_at.astimezone(self.zone(user))
        return f"{local:%H:%M} ({local.tzinfo.key})"

    def short(self, user, moment: datetime | None = None) -> str:
        """``Mon 18 Jan, 10:00``: the time in a subject line."""
        local = (moment or self.booking.start_at).astimezone(self.zone(user))
        return f"{local:%a} {local.day} {local:%b}, {local:%H:%M}"

    def money(self, amount: int) -> str:
        # The app's one money formatter, registered as the template filter by
        # blueprints.templating (importing that module here would be circular).
        return current_app.jinja_env.filters["money"](amount, self.booking.currency)

    def price(self) -> str:
        booking = self.booking
        words = PAYMENT_WORDS.get(booking.payment_status)
        amount = self.money(booking.price_total)
        return f"{amount}, {words}" if words else amount

    def payment_lines(self, user) -> list[str]:
        """What is still to be paid, and how."""
        booking = self.booking
        amount = self.money(booking.price_total)
        to_client = user.id == self.client.id
        if booking.price_total == 0:
            return []
        if booking.payment_status == "offline":
            if to_client:
                return [f"Pay {amount} to {self.coach.name} directly, as you agree with them."]
            return [f"{self.client.name} pays you {amount} directly."]
        if booking.payment_status != "payment_pending":
            return []
        by = booking.payment_deadline_at
        deadline = f" by {self.at(user, by)}" if by else ""
        if to_client:
            return [
                f"Payment is needed: pay {amount} on the booking page{deadline}. "
                "Unpaid, the booking is cancelled then and the time freed."
            ]
        return [f"{self.client.name} still has to pay {amount}{deadline}."]

    def refund_lines(self, user) -> list[str]:
        """What a cancellation refunds, also when that is nothing."""
        booking = self.booking
        to_client = user.id == self.client.id
        paid = booking.amount_paid - booking.amount_refunded
        if booking.price_total == 0:
            return []
        if self.refund > 0:
            of = f" of the {self.money(paid)} paid" if self.refund < paid else ""
            if to_client:
                return [
                    f"Refund: you get {self.money(self.refund)}{of} back to the way you paid; "
                    "it can take a few days to arrive."
                ]
            return [f"Refund: {self.client.name} gets {self.money(self.refund)}{of} back."]
        if paid > 0:
            if to_client:
                return [
                    "No refund: the cancellation policy refunds nothing this close to the start."
                ]
            return [f"No refund: your cancellation policy refunds {self.client.name} nothing."]
        if booking.payment_status == "offline":
            if to_client:
                return [
                    "Nothing was paid through Coachbook, so there is no refund here. If you "
                    f"paid {self.coach.name} directly, settle it with them."
                ]
            return [
                "Nothing was paid through Coachbook. If "
                f"{self.client.name} paid you directly, settle any refund with them."
            ]
        return ["Nothing was paid, so nothing is charged."] if to_client else []


def render(change: Change, draft: Draft) -> Email:
    """The draft as an outbox email: its subject, and as ``content`` the words and the
    invitation's data, which ``bodies`` turns into text, HTML and ``.ics`` when the email
    is sent (rendering there keeps it out of the change's transaction)."""
    booking = change.booking
    context = {
        "heading": draft.heading,
        "lines": draft.lines,
        "times": draft.times,
        "facts": facts(change, draft),
        "note": draft.note,
        "after": draft.after,
        "action": draft.action,
        "url": ics.booking_url(booking),
        "extra_link": draft.extra_link,
        "base_url": base_url(),
        "booking_id": booking.id,
    }
    return Email(
        to=draft.to.email,
        subject=" ".join(draft.subject.split()),  # one line, whatever a name holds
        text="",
        kind=draft.kind,
        booking_id=booking.id,
        content={"context": context, "ics": change.invitation(draft.ics) if draft.ics else None},
    )


def bodies(content: dict) -> tuple[str, str, str | None]:
    """An outbox row's ``content`` rendered: plain text, HTML, ``.ics`` (or None)."""
    env = current_app.jinja_env
    text, html = (env.get_template(name).render(content["context"]) for name in TEMPLATES)
    invitation = content.get("ics")
    return text, html, ics.invitation_text(invitation) if invitation else None


def facts(change: Change, draft: Draft) -> list[tuple[str, str]]:
    """The booking at a glance, for this recipient."""
    booking, user = change.booking, draft.to
    other = change.other(user)
    rows = [(draft.when_label, change.when(user))] if draft.when_label else []
    rows += draft.rows
    rows += [
        ("Coach" if other.id == change.coach.id else "Client", other.name),
        ("Session", change.type_name),
        ("Duration", f"{booking.duration_minutes} minutes"),
    ]
    if booking.session_type.location:
        rows.append(("Location", booking.session_type.location))
    if draft.show_price and booking.price_total:
        rows.append(("Price", change.price()))
    return rows


def span(minutes: int) -> str:
    """1440 → ``1 day``, 90 → ``1 hour 30 minutes``."""
    days, rest = divmod(minutes, 1440)
    hours, minutes = divmod(rest, 60)
    parts = [(days, "day"), (hours, "hour"), (minutes, "minute")]
    return " ".join(f"{n} {unit}{'' if n == 1 else 's'}" for n, unit in parts if n) or "0 minutes"


def base_url() -> str:
    return current_app.config["BASE_URL"].rstrip("/")


def _day(moment: datetime) -> str:
    return f"{moment:%a} {moment.day} {moment:%b %Y}"
