"""What the booking modal offers: a coach's bookable session types, the bookable starts of
one day in the viewer's zone, whether the chosen start would be firm or a request, and
the price. Reads only. Every answer comes from the functions the API and the booking
itself use: ``calendar.bookable_slots`` (the slots route), ``calendar.check_time`` (the
rule ``bookings.create_booking`` applies, a time outside availability being a request)
and ``pricing.price_preview`` (the price route)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from domain import slots
from domain.errors import AppError
from domain.pricing import PriceBreakdown
from models import SessionType, User
from models.types import utcnow
from services import bookings, calendar, catalog, connections, pricing
from services.visibility import is_connected, require_calendar_view, viewer_id_of


@dataclass(frozen=True)
class Offer:
    """A coach whose calendar the viewer may see, and the session types they can book."""

    coach: User
    session_types: list[SessionType]


@dataclass(frozen=True)
class Wish:
    """What the viewer has picked so far; ``None`` where nothing (valid) was picked.

    ``requested`` is a time asked for outside availability (a click on empty calendar
    time): offered as such on its day. ``strict``: a duration the type does not offer is
    an error rather than quietly replaced by the default (a submitted form)."""

    session_type_id: int | None = None
    day: date | None = None
    start: datetime | None = None
    duration: int | None = None
    coupon_code: str = ""
    requested: datetime | None = None
    zone: str = "UTC"
    strict: bool = False


@dataclass(frozen=True)
class Quote:
    """The SPEC 5 breakdown, how it will be paid and the coupon's problem (if any: then
    the price is the one without the discount)."""

    price: PriceBreakdown
    payment: str  # not_required | offline | payment_pending (bookings.payment_status_for)
    coupon_problems: list[str]


@dataclass
class Choices:
    """Everything the modal shows for one wish: the options and what is selected."""

    offer: Offer
    session_type: SessionType | None = None
    durations: list[int] = field(default_factory=list)
    duration: int | None = None
    day: date | None = None
    starts: list[slots.Slot] = field(default_factory=list)
    requested: datetime | None = None
    start: datetime | None = None
    verdict: slots.Verdict | None = None
    quote: Quote | None = None
    problems: dict[str, list[str]] = field(default_factory=dict)

    def problem(self, name: str, message: str) -> None:
        self.problems.setdefault(name, []).append(message)


def offer(viewer, slug: str) -> Offer:
    """The coach behind ``slug`` and their bookable types; 404 (as for an unknown slug)
    when the viewer may not see the calendar."""
    coach = require_calendar_view(viewer, connections.find_coach_by_slug(slug))
    return Offer(coach, catalog.active_session_types(coach))


def durations(session_type: SessionType) -> list[int]:
    """The type's durations: min to max in its step."""
    return list(
        range(session_type.duration_min, session_type.duration_max + 1, session_type.duration_step)
    )


def day_range(day: date, zone: str) -> tuple[datetime, datetime]:
    """The local day in ``zone`` as a UTC range (23 or 25 hours on a DST change)."""
    tz = ZoneInfo(zone)
    start = datetime.combine(day, time(0), tzinfo=tz)
    end = datetime.combine(day + timedelta(days=1), time(0), tzinfo=tz)
    return start, end


def local_day(moment: datetime, zone: str) -> date:
    return moment.astimezone(ZoneInfo(zone)).date()


def choose(viewer, offered: Offer, wish: Wish, now: datetime | None = None) -> Choices:
    """The options and the selection for ``wish`` on the ``offer`` the viewer may see:
    each choice falls back to a valid one and says why under the form field's name in
    ``problems``."""
    now = now or utcnow()
    choices = Choices(offered)
    if not choices.offer.session_types:
        return choices
    _choose_type(choices, wish)
    _choose_duration(choices, wish)
    _choose_start(viewer, choices, wish, now)
    choices.quote = quote(viewer, choices.session_type.id, choices.duration, wish.coupon_code)
    for message in choices.quote.coupon_problems:
        choices.problem("coupon_code", message)
    return choices


def _choose_type(choices: Choices, wish: Wish) -> None:
    types = choices.offer.session_types
    chosen = next((t for t in types if t.id == wish.session_type_id), None)
    if chosen is None and wish.session_type_id is not None:
        choices.problem("session_type_id", "Choose one of the coach's session types.")
    choices.session_type = chosen or types[0]


def _choose_duration(choices: Choices, wish: Wish) -> None:
    session_type = choices.session_type
    choices.durations = durations(session_type)
    if wish.duration in choices.durations:
        choices.duration = wish.duration
        return
    if wish.duration is not None and wish.strict:
        low, high = session_type.duration_min, session_type.duration_max
        step = session_type.duration_step
        choices.problem("duration_minutes", f"Choose {low} to {high} minutes in steps of {step}.")
    choices.duration = session_type.duration_default


def _choose_start(viewer, choices: Choices, wish: Wish, now: datetime) -> None:
    zone = wish.zone
    anchor = wish.start or wish.requested
    choices.day = wish.day or (local_day(anchor, zone) if anchor else local_day(now, zone))
    choices.starts = starts_on(
        viewer, choices.offer.coach, choices.session_type, choices.duration, choices.day, zone, now
    )
    offered = {slot.start for slot in choices.starts}
    if wish.requested is not None and local_day(wish.requested, zone) == choices.day:
        choices.requested = None if wish.requested in offered else wish.requested
    start = wish.start
    if start is None:
        return
    if local_day(start, zone) != choices.day:
        if wish.strict:
            choices.problem("start", "Choose a start time on the chosen date.")
        return
    if start not in offered and start != choices.requested:
        choices.problem(
            "start",
            f"This time is not free for {choices.duration} minutes. Choose another start.",
        )
        return
    choices.start = start
    if viewer_id_of(viewer) is None:
        return
    try:
        choices.verdict = decide(
            viewer, choices.offer.coach, choices.session_type, start, choices.duration, now
        )
    except AppError as refused:
        for message in refused.details.get("start") or [refused.message]:
            choices.problem("start", message)


def starts_on(
    viewer,
    coach: User,
    session_type: SessionType,
    duration: int,
    day: date,
    zone: str,
    now: datetime | None = None,
) -> list[slots.Slot]:
    """Every bookable start of the local ``day`` in ``zone`` (the API's slot listing)."""
    start, end = day_range(day, zone)
    return calendar.bookable_slots(viewer, coach.id, session_type.id, duration, start, end, now=now)


def decide(
    viewer,
    coach: User,
    session_type: SessionType,
    start: datetime,
    duration: int,
    now: datetime | None = None,
) -> slots.Verdict:
    """Firm or request for this viewer, by the rule the booking applies (outside
    availability: always a request). Raises what the booking would: a 400 on ``start``
    for notice, advance and grid, a 409 for a time that is taken."""
    return calendar.check_time(
        coach,
        session_type,
        start,
        duration,
        now=now or utcnow(),
        client_id=viewer_id_of(viewer),
        viewer_connected=calendar.needs_connection(session_type.firm_booking)
        and is_connected(viewer, coach),
        outside_ok=True,
    )


def quote(viewer, session_type_id: int, duration: int, coupon_code: str) -> Quote:
    """The API's price preview; an unusable coupon gives its message and the price
    without it."""
    problems: list[str] = []
    try:
        price = pricing.price_preview(viewer, session_type_id, duration, coupon_code or None)
    except AppError as refused:
        if "coupon_code" not in refused.details:
            raise
        problems = list(refused.details["coupon_code"])
        price = pricing.price_preview(viewer, session_type_id, duration, None)
    return Quote(price, bookings.payment_status_for(price.total), problems)
