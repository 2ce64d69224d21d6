"""In-app notifications: the list with the unread count, and marking one read."""

from __future__ import annotations

from flask_login import current_user

from blueprints.api.docs import BEARER, Blueprint
from blueprints.api.responses import NotificationListOut, NotificationReadOut
from blueprints.api.schemas import PageQuerySchema
from blueprints.api.serializers import notification_json, paged
from blueprints.security import api_login_required
from services import notifications

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
    return {
        **paged(items, query["limit"], lambda n: n.id, notification_json),
        "unread_count": unread,
    }


@blp.route("/<id:notification_id>/read", methods=["POST"])
@api_login_required
@blp.response(200, NotificationReadOut)
@blp.errors(400, 401, 404)
@blp.doc(security=BEARER)
def read(notification_id: int):
    """Mark one of your notifications read."""
    notification = notifications.mark_read(current_user, notification_id)
    return {
        "notification": notification_json(notification),
        "unread_count": notifications.unread_count(current_user.id),
    }
