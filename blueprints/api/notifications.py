"""In-app notifications: the list with the unread count, and marking one read; with the
paging query and the response schemas."""

from __future__ import annotations

from flask_login import current_user
from marshmallow import fields

from blueprints.api.common import (
    BooleanFrom,
    OutSchema,
    PageOut,
    PageQuerySchema,
    out_int,
    out_list,
    out_nested,
    out_str,
    out_time,
)
from blueprints.api.docs import BEARER, Blueprint
from blueprints.security import api_login_required
from services import notifications


class NotificationOut(OutSchema):
    id = out_int()
    title = out_str()
    body = out_str()
    url = out_str()
    read = BooleanFrom(source=lambda n: n.read_at is not None, required=True)
    created_at = out_time()


class NotificationListOut(PageOut):
    """Newest first; the cursor is the last notification's id."""

    items = out_list(fields.Nested(NotificationOut))
    next_cursor = fields.Integer(required=True, allow_none=True)
    unread_count = out_int()


class NotificationReadOut(OutSchema):
    notification = out_nested(NotificationOut)
    unread_count = out_int()


blp = Blueprint(
    "api_notifications", __name__, url_prefix="/api/notifications", description="Notifications"
)


@blp.route("", methods=["GET"])
@api_login_required
@blp.arguments(PageQuerySchema, location="query")
@blp.response(200, NotificationListOut)
@blp.errors(400, 401)
@blp.doc(security=BEARER)
def index(query: dict):
    """Newest first, with the number still unread."""
    items, unread = notifications.list_notifications(
        current_user, query["limit"] + 1, query.get("cursor")
    )
    return {"rows": items, "limit": query["limit"], "unread_count": unread}


@blp.route("/<id:notification_id>/read", methods=["POST"])
@api_login_required
@blp.response(200, NotificationReadOut)
@blp.errors(400, 401, 404)
@blp.doc(security=BEARER)
def read(notification_id: int):
    """Mark one of your notifications read."""
    notification = notifications.mark_read(current_user, notification_id)
    return {
        "notification": notification,
        "unread_count": notifications.unread_count(current_user.id),
    }
