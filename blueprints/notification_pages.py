"""The notifications page: newest first, paged with "older", each marked read alone or
all at once; the bell's count in the nav is sent along (out of band) after marking."""

from __future__ import annotations

from flask import Blueprint, redirect, request, url_for
from flask_login import current_user, login_required

from blueprints.booking_page_forms import NotificationsQuery
from blueprints.rendering import is_htmx, render_page
from blueprints.toasts import toast
from services import notifications as notes

bp = Blueprint("notification_pages", __name__)
PAGE_SIZE = 20


def _me():
    return current_user._get_current_object()


@bp.route("/notifications")
@login_required
def notifications():
    query = NotificationsQuery(request.args)
    if not query.validate():
        toast("That page of notifications does not exist; here are the newest.", "error")
        return _page(None, 400)
    return _page(query.before.data)


@bp.route("/notifications/<id:notification_id>/read", methods=["POST"])
@login_required
def read(notification_id: int):
    notification = notes.mark_read(_me(), notification_id)
    if not is_htmx():
        return redirect(_back(), 303)
    unread = notes.unread_count(current_user.id)
    return render_page(
        "notifications/_item.html", n=notification, unread=unread, bell_oob=True, before=None
    )


@bp.route("/notifications/read", methods=["POST"])
@login_required
def read_all():
    marked = notes.mark_all_read(_me())
    toast(f"{marked} notification{'s' if marked != 1 else ''} marked read." if marked else
          "Everything was read already.", "success" if marked else "info")  # fmt: skip
    if not is_htmx():
        return redirect(_back(), 303)
    return _page(_before())


def _page(before: int | None, status: int = 200):
    user = _me()
    items, unread = notes.list_notifications(user, PAGE_SIZE + 1, before)
    older = items[PAGE_SIZE - 1].id if len(items) > PAGE_SIZE else None
    return render_page(
        "notifications/page.html",
        block="main",
        status=status,
        items=items[:PAGE_SIZE],
        unread=unread,
        older=older,
        before=before,
        bell_oob=is_htmx(),
    )


def _before() -> int | None:
    query = NotificationsQuery(request.form)
    return query.before.data if query.validate() else None


def _back() -> str:
    before = _before()
    return (
        url_for("notification_pages.notifications", before=before)
        if before
        else url_for("notification_pages.notifications")
    )
