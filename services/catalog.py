"""Session types and coupons: a coach's offer, changed only by that coach."""

from __future__ import annotations

import logging
from datetime import datetime

from sqlalchemy import select

from domain.coupons import coupon_problems, normalise_code
from domain.errors import AppError, forbidden, not_found, validation_error
from domain.session_types import session_type_problems, switch_email_events, with_defaults
from extensions import db
from models import Coupon, SessionType, User
from models.types import utcnow
from services.emails import EMAIL_EVENTS
from services.transactions import refused, write_transaction
from services.visibility import can_view_calendar

logger = logging.getLogger(__name__)

SESSION_TYPE_COLUMNS = (
    "name",
    *(column for column in with_defaults({}) if column != "reminder_offsets_minutes"),
    "reminder_offsets_minutes",
)
COUPON_COLUMNS = (
    "code",
    "percent_off",
    "amount_off",
    "valid_from",
    "valid_until",
    "max_redemptions",
)


def require_coach(user: User) -> None:
    if not user.is_coach:
        raise forbidden("Only coaches can do this.")


# --- session types ---------------------------------------------------------------


def list_own_session_types(coach: User) -> list[SessionType]:
    require_coach(coach)
    return list(
        db.session.scalars(
            select(SessionType)
            .where(SessionType.coach_id == coach.id, SessionType.deleted_at.is_(None))
            .order_by(SessionType.id)
        )
    )


def active_session_types(coach: User) -> list[SessionType]:
    """What a coach offers now, as the public profile lists it."""
    return list(
        db.session.scalars(
            select(SessionType)
            .where(
                SessionType.coach_id == coach.id,
                SessionType.active.is_(True),
                SessionType.deleted_at.is_(None),
            )
            .order_by(SessionType.id)
        )
    )


def get_session_type(viewer, session_type_id: int) -> SessionType:
    """The owner sees any of theirs; others an active one on a calendar they may see."""
    session_type = db.session.get(SessionType, session_type_id)
    if session_type is None or session_type.deleted_at is not None:
        raise not_found("session type")
    if getattr(viewer, "id", None) == session_type.coach_id:
        return session_type
    if session_type.active and can_view_calendar(viewer, session_type.coach):
        return session_type
    raise not_found("session type")


def create_session_type(coach: User, values: dict) -> SessionType:
    with write_transaction():
        require_coach(coach)
        full = _with_email_events(with_defaults(_trimmed(values)))
        _check_session_type(coach, full)
        session_type = SessionType(coach_id=coach.id, **_columns(full, SESSION_TYPE_COLUMNS))
        db.session.add(session_type)
    logger.info("session type %s created by coach %s", session_type.id, coach.id)
    return session_type


def update_session_type(coach: User, session_type_id: int, changes: dict) -> SessionType:
    with write_transaction():
        session_type = _own_session_type(coach, session_type_id)
        current = {column: getattr(session_type, column) for column in SESSION_TYPE_COLUMNS}
        full = _with_email_events({**current, **_trimmed(changes)})
        # Switching the format resets the capacity to its default; re-sending it does not.
        if full["format"] != current["format"] and "max_attendees" not in changes:
            full["max_attendees"] = with_defaults({"format": full["format"]})["max_attendees"]
        _check_session_type(coach, full)
        for column, value in _columns(full, SESSION_TYPE_COLUMNS).items():
            setattr(session_type, column, value)
    logger.info("session type %s updated", session_type.id)
    return session_type


def delete_session_type(coach: User, session_type_id: int) -> None:
    """Deleting keeps the row for existing bookings; it is no longer offered or listed."""
    with write_transaction():
        session_type = _own_session_type(coach, session_type_id)
        session_type.deleted_at = utcnow()
        session_type.active = False
    logger.info("session type %s deleted", session_type.id)


def _own_session_type(user: User, session_type_id: int) -> SessionType:
    session_type = get_session_type(user, session_type_id)  # 404 if the caller can't know it
    if session_type.coach_id != user.id:
        raise forbidden("Only the coach who offers this session type can change it.")
    return session_type


def _with_email_events(full: dict) -> dict:
    """``email_events`` ({event: on}, any subset) folded into ``email_events_off``."""
    switches = full.pop("email_events", None)
    if switches is not None:
        full["email_events_off"] = switch_email_events(
            full["email_events_off"], switches, EMAIL_EVENTS
        )
    return full


def _check_session_type(coach: User, full: dict) -> None:
    problems = session_type_problems(full)
    currency = full.pop("currency", None)
    if currency is not None and currency != coach.currency:
        problems["price.currency"] = [f"Prices are in your currency, {coach.currency}."]
    if problems:
        raise validation_error(problems)


def bookable_session_type(coach: User, session_type_id: int) -> SessionType:
    session_type = db.session.get(SessionType, session_type_id)
    if (
        session_type is None
        or session_type.coach_id != coach.id
        or not session_type.active
        or session_type.deleted_at is not None
    ):
        raise not_found("session type")
    return session_type


def check_duration(session_type: SessionType, duration: int | None) -> int:
    """The chosen duration, or the type's default; on the step, within min and max."""
    if duration is None:
        return session_type.duration_default
    low, high, step = (
        session_type.duration_min,
        session_type.duration_max,
        session_type.duration_step,
    )
    if not low <= duration <= high or (duration - low) % step:
        raise validation_error(
            {"duration_minutes": [f"Choose {low} to {high} minutes in steps of {step}."]}
        )
    return duration


# --- coupons -----------------------------------------------------------------------


def list_coupons(coach: User) -> list[Coupon]:
    require_coach(coach)
    return list(
        db.session.scalars(
            select(Coupon)
            .where(Coupon.coach_id == coach.id, Coupon.deleted_at.is_(None))
            .order_by(Coupon.id.desc())
        )
    )


def get_coupon(coach: User, coupon_id: int) -> Coupon:
    """Coupons are the coach's secret: anyone else gets 404."""
    require_coach(coach)
    coupon = db.session.get(Coupon, coupon_id)
    if coupon is None or coupon.deleted_at is not None or coupon.coach_id != coach.id:
        raise not_found("coupon")
    return coupon


def create_coupon(coach: User, values: dict) -> Coupon:
    with write_transaction():
        require_coach(coach)
        full = {column: values.get(column) for column in COUPON_COLUMNS}
        full["code"] = normalise_code(full["code"] or "")
        _check_coupon(coach, full, coupon_id=None)
        coupon = Coupon(coach_id=coach.id, **full)
        db.session.add(coupon)
    logger.info("coupon %s created by coach %s", coupon.id, coach.id)
    return coupon


def update_coupon(coach: User, coupon_id: int, changes: dict) -> Coupon:
    with write_transaction():
        coupon = get_coupon(coach, coupon_id)
        full = {column: getattr(coupon, column) for column in COUPON_COLUMNS} | changes
        full["code"] = normalise_code(full["code"])
        # A discount kind given alone replaces the other one.
        if changes.get("percent_off") is not None and "amount_off" not in changes:
            full["amount_off"] = None
        if changes.get("amount_off") is not None and "percent_off" not in changes:
            full["percent_off"] = None
        _check_coupon(coach, full, coupon_id=coupon.id)
        if (
            full["max_redemptions"] is not None
            and full["max_redemptions"] < coupon.redemption_count
        ):
            raise validation_error(
                {"max_redemptions": [f"It has been redeemed {coupon.redemption_count} times."]}
            )
        for column, value in full.items():
            setattr(coupon, column, value)
    return coupon


def delete_coupon(coach: User, coupon_id: int) -> None:
    with write_transaction():
        coupon = get_coupon(coach, coupon_id)
        coupon.deleted_at = utcnow()
        # Free the code for a new coupon; bookings keep the code they used.
        coupon.code = f"{coupon.code[:28]}~DEL{coupon.id}"


def _check_coupon(coach: User, full: dict, coupon_id: int | None) -> None:
    problems = coupon_problems(full)
    if "code" not in problems:
        clash = db.session.scalar(
            select(Coupon.id).where(
                Coupon.coach_id == coach.id, Coupon.code == full["code"], Coupon.id != coupon_id
            )
        )
        if clash is not None:
            raise refused("uq_coupon_coach_id_code")
    if problems:
        raise validation_error(problems)


def _trimmed(values: dict) -> dict:
    """Names are shown in lists and e-mails: no stray spaces around them."""
    if isinstance(values.get("name"), str):
        return {**values, "name": values["name"].strip()}
    return values


def _columns(values: dict, columns: tuple[str, ...]) -> dict:
    return {column: values[column] for column in columns if column in values}


def usable_coupon(coach: User, code: str, now: datetime) -> Coupon:
    """The coach's coupon with this code, valid now and not used up; else a field error."""
    coupon = db.session.scalar(
        select(Coupon).where(
            Coupon.coach_id == coach.id,
            Coupon.code == normalise_code(code),
            Coupon.deleted_at.is_(None),
        )
    )
    if coupon is None:
        raise _coupon_error("This code is not valid for this coach.")
    if coupon.valid_from is not None and now < coupon.valid_from:
        raise _coupon_error("This code is not valid yet.")
    if coupon.valid_until is not None and now >= coupon.valid_until:
        raise _coupon_error("This code has expired.")
    if coupon.max_redemptions is not None and coupon.redemption_count >= coupon.max_redemptions:
        raise _coupon_error("This code has been used up.")
    return coupon


def _coupon_error(message: str) -> AppError:
    return validation_error({"coupon_code": [message]})
