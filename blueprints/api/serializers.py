"""Rows → the JSON shapes of SPEC section 8.1 (datetimes in UTC with ``Z``)."""

from __future__ import annotations

from datetime import UTC, datetime

from domain.pricing import PriceBreakdown
from models import Connection, Coupon, SessionType, User


def iso(value: datetime | None) -> str | None:
    if value is None:
        return None
    return value.astimezone(UTC).isoformat().replace("+00:00", "Z")


def user_json(user: User) -> dict:
    data = {
        "id": user.id,
        "email": user.email,
        "name": user.name,
        "role": user.role,
        "timezone": user.timezone,
    }
    if user.is_coach:
        data |= {
            "slug": user.slug,
            "calendar_privacy": user.calendar_privacy,
            "currency": user.currency,
            "vat_rate": format(user.vat_rate, "f"),
            "embed_domains": list(user.embed_domains or []),
        }
    return data


def connection_json(connection: Connection) -> dict:
    return {
        "id": connection.id,
        "requester_id": connection.requester_id,
        "addressee_id": connection.addressee_id,
        "status": connection.status,
        "created_at": iso(connection.created_at),
    }


def session_type_json(st: SessionType) -> dict:
    return {
        "id": st.id,
        "coach_id": st.coach_id,
        "name": st.name,
        "description": st.description,
        "format": st.format,
        "location": st.location,
        "color": st.color,
        "active": st.active,
        "duration": {
            "min": st.duration_min,
            "max": st.duration_max,
            "default": st.duration_default,
            "step": st.duration_step,
        },
        "price": {"amount": st.price_amount, "currency": st.coach.currency},
        "rules": {
            "firm_booking": st.firm_booking,
            "min_notice_minutes": st.min_notice_minutes,
            "max_advance_days": st.max_advance_days,
            "buffer_before_minutes": st.buffer_before_minutes,
            "buffer_after_minutes": st.buffer_after_minutes,
        },
        "cancellation": {
            "full_refund_hours": st.full_refund_hours,
            "partial_refund_hours": st.partial_refund_hours,
            "partial_refund_percent": st.partial_refund_percent,
        },
        "max_attendees": st.max_attendees,
        "notifications": {
            "email": st.email_notifications,
            "reminder_offsets_minutes": list(st.reminder_offsets_minutes),
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
    nested = {
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
            key: key
            for key in ("full_refund_hours", "partial_refund_hours", "partial_refund_percent")
        },
        "notifications": {
            "email": "email_notifications",
            "reminder_offsets_minutes": "reminder_offsets_minutes",
        },
    }
    for group, columns in nested.items():
        for key, column in columns.items():
            if key in data.get(group, {}):
                flat[column] = data[group][key]
    return flat


def coupon_json(coupon: Coupon) -> dict:
    return {
        "id": coupon.id,
        "code": coupon.code,
        "percent_off": coupon.percent_off,
        "amount_off": coupon.amount_off,
        "currency": coupon.coach.currency,
        "valid_from": iso(coupon.valid_from),
        "valid_until": iso(coupon.valid_until),
        "max_redemptions": coupon.max_redemptions,
        "redemptions": coupon.redemption_count,
    }


def availability_json(window) -> dict:
    recurrence = None
    if window.is_recurring:
        recurrence = {"weekdays": window.recurrence_weekdays.split(",")}
        if window.recurrence_until is not None:
            recurrence["until"] = window.recurrence_until.isoformat()
        if window.recurrence_count is not None:
            recurrence["count"] = window.recurrence_count
    return {
        "id": window.id,
        "coach_id": window.coach_id,
        "start": iso(window.start_at),
        "end": iso(window.end_at),
        "timezone": window.timezone,
        "session_type_id": window.session_type_id,
        "instant_booking": window.instant_booking,
        "recurrence": recurrence,
        "exceptions": [
            {
                "occurrence": iso(e.occurrence_start),
                "kind": e.kind,
                "start": iso(e.start_at),
                "end": iso(e.end_at),
            }
            for e in sorted(window.exceptions, key=lambda e: e.occurrence_start)
        ],
    }


def calendar_items(view) -> list[dict]:
    """Free time, the viewer's own bookings (all of them for the coach), and others' active
    bookings only as anonymous busy blocks: no names, messages, prices or ids."""
    items = [
        {
            "type": "availability",
            "id": span.window_id,
            "occurrence": iso(span.occurrence),
            "start": iso(span.start),
            "end": iso(span.end),
            "session_type_id": span.session_type_id,
            "instant_booking": span.instant_booking,
        }
        for span in view.free
    ]
    busy_seen = set()
    for booking in view.bookings:
        if view.viewer_id in (booking.coach_id, booking.client_id):
            items.append(
                {
                    "type": "booking",
                    "id": booking.id,
                    "start": iso(booking.start_at),
                    "end": iso(booking.end_at),
                    "status": booking.status,
                    "kind": booking.kind,
                    "session_type_id": booking.session_type_id,
                    "client_id": booking.client_id,
                    "coach_id": booking.coach_id,
                }
            )
        elif (booking.start_at, booking.end_at) not in busy_seen:
            busy_seen.add((booking.start_at, booking.end_at))
            items.append(
                {"type": "busy", "start": iso(booking.start_at), "end": iso(booking.end_at)}
            )
    items.sort(key=lambda item: (item["start"], item["type"]))
    return items


def slot_json(slot) -> dict:
    data = {"start": iso(slot.start), "end": iso(slot.end), "kind": slot.kind}
    if slot.seats_left is not None:
        data["seats_left"] = slot.seats_left
    return data


def coach_json(coach, session_types) -> dict:
    """A coach's public profile with the active session types."""
    return {
        "id": coach.id,
        "name": coach.name,
        "slug": coach.slug,
        "timezone": coach.timezone,
        "currency": coach.currency,
        "calendar_privacy": coach.calendar_privacy,
        "session_types": [session_type_json(st) for st in session_types],
    }


def booking_price_json(b) -> dict:
    """The stored SPEC 5 breakdown of a booking, in the one shape pricing defines."""
    return PriceBreakdown(
        currency=b.currency,
        base=b.price_base,
        discount_code=b.discount_code,
        discount_amount=b.discount_amount,
        net=b.price_net,
        vat_rate=b.vat_rate,
        vat_amount=b.vat_amount,
        fee_amount=b.platform_fee_amount,
        fee_payer=b.platform_fee_payer,
        total=b.price_total,
        coach_payout=b.coach_payout,
    ).as_json()


def booking_json(b) -> dict:
    return {
        "id": b.id,
        "coach_id": b.coach_id,
        "client_id": b.client_id,
        "session_type_id": b.session_type_id,
        "start": iso(b.start_at),
        "end": iso(b.end_at),
        "duration_minutes": b.duration_minutes,
        "status": b.status,
        "kind": b.kind,
        "message": b.message,
        "price": booking_price_json(b),
        "payment": {
            "status": b.payment_status,
            "checkout_url": b.checkout_url,
            "amount_paid": b.amount_paid,
            "amount_refunded": b.amount_refunded,
        },
        "suggestions": [
            {"id": s.id, "start": iso(s.start_at), "end": iso(s.end_at)} for s in b.suggestions
        ],
        "history": [
            {
                "from": h.from_status,
                "to": h.to_status,
                "by": h.by_user_id,
                "at": iso(h.at),
                "note": h.note,
            }
            for h in b.history
        ],
        "created_at": iso(b.created_at),
    }


def notification_json(n) -> dict:
    return {
        "id": n.id,
        "title": n.title,
        "body": n.body,
        "url": n.url,
        "read": n.read_at is not None,
        "created_at": iso(n.created_at),
    }


def paged(items: list, limit: int, cursor_of, to_json) -> dict:
    """A list fetched with ``limit + 1`` rows → ``{items, next_cursor}``: the extra row
    only tells that there is more, and the last shown row gives the cursor."""
    page = items[:limit]
    next_cursor = cursor_of(page[-1]) if len(items) > limit else None
    return {"items": [to_json(item) for item in page], "next_cursor": next_cursor}
