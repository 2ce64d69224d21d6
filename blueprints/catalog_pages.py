"""The coach's session types and coupons: lists, create and edit forms (a ``<dialog>``
fragment for htmx, a page of its own without JavaScript), deactivate and reactivate.

Each write calls the service the JSON API calls, with the values the API would hand it
(blueprints/catalog_forms.py): the validation is the API's, its messages appear next to
the fields. Clients get 403 on every page here; a session type or coupon that is not the
coach's own answers 404, exactly as a missing id does.
"""

from __future__ import annotations

import json

from flask import Blueprint, redirect, url_for
from flask_login import current_user, login_required

from blueprints.api.coupons import CouponPatchSchema, CouponSchema
from blueprints.api.session_types import (
    SessionTypePatchSchema,
    SessionTypeSchema,
    session_type_values,
)
from blueprints.catalog_forms import (
    SESSION_TYPE_FIELDS,
    CouponForm,
    SessionTypeForm,
    check_like_the_api,
    coupon_data,
    place_errors,
    session_type_data,
)
from blueprints.errors import STATUS_BY_CODE
from blueprints.rendering import is_htmx, render_page
from blueprints.toasts import toast
from domain.errors import AppError
from services import catalog, coach_catalog

bp = Blueprint("catalog_pages", __name__)

# Service refusals that belong next to a field (the rest become the usual error answer).
FIELD_ERRORS = ("validation_error", "coupon_exists")


def _coach():
    """The signed-in coach; a client gets 403 on every page here."""
    user = current_user._get_current_object()
    catalog.require_coach(user)
    return user


def _save(form, schema, write, fields: dict | None = None):
    """Check ``form`` as the API would and call ``write(values)``; None when refused
    (the messages are then on the form), else what the service returned."""
    data = check_like_the_api(form, schema, fields, lambda: form_lists(form))
    if data is None:
        return None
    try:
        return write(data)
    except AppError as error:
        if error.code not in FIELD_ERRORS:
            raise
        details = error.details
        if error.code != "validation_error":  # a conflict: its message says it best
            details = {field: [error.message] for field in error.details}
        place_errors(form, details or {"_schema": [error.message]}, fields, form_lists(form))
        form.refusal_status = STATUS_BY_CODE[error.code]
        return None


def form_lists(form) -> dict:
    """List fields' entries, to name the one an error is about."""
    reminders = getattr(form, "reminders", None)
    return {"reminder_offsets_minutes": reminders} if reminders else {}


def _saved(template: str, block: str, message: str, list_endpoint: str, **context):
    """After a save: htmx gets the fresh list (swapped in place of the old one), the
    dialog closes and a toast says so; without JavaScript, back to the list page."""
    toast(message)
    if not is_htmx():
        return redirect(url_for(list_endpoint))
    response = render_page(template, block=block, **context)
    response.headers["HX-Retarget"] = "#" + block.replace("_", "-")
    response.headers["HX-Reswap"] = "outerHTML"
    response.headers["HX-Trigger-After-Swap"] = json.dumps({"catalog-saved": True})
    return response


def _form_answer(template: str, form, **context):
    """The form: in its dialog (htmx) or as a page of its own; refused, only the form
    with its messages (htmx swaps it in place) and a 4xx status."""
    refused = bool(form.form_errors) or any(field.errors for field in form)
    status = getattr(form, "refusal_status", 400) if refused else 200
    block = "form" if refused else "modal"
    return render_page(
        template, block=block, status=status, form=form, in_dialog=is_htmx(), **context
    )


# --- session types -------------------------------------------------------------------


TYPES = "catalog/session_types.html"
COUPONS = "catalog/coupons.html"


def _types_page(coach) -> dict:
    return {"session_types": catalog.list_own_session_types(coach), "currency": coach.currency}


def _types_saved(coach, message: str):
    return _saved(
        TYPES, "session_type_list", message, "catalog_pages.session_types", **_types_page(coach)
    )


@bp.route("/coach/session-types")
@login_required
def session_types():
    return render_page(TYPES, block="session_type_list", **_types_page(_coach()))


@bp.route("/coach/session-types/new")
@login_required
def new_session_type():
    coach = _coach()
    form = SessionTypeForm(data=session_type_data(None, coach.currency), currency=coach.currency)
    return _type_form(form, None)


@bp.route("/coach/session-types", methods=["POST"])
@login_required
def create_session_type():
    coach = _coach()
    form = SessionTypeForm(currency=coach.currency)
    created = _save(
        form,
        SessionTypeSchema(),
        lambda data: catalog.create_session_type(coach, session_type_values(data)),
        SESSION_TYPE_FIELDS,
    )
    if created is None:
        return _type_form(form, None)
    return _types_saved(coach, f"Session type “{created.name}” created.")


@bp.route("/coach/session-types/<id:session_type_id>/edit")
@login_required
def edit_session_type(session_type_id: int):
    coach = _coach()
    session_type = coach_catalog.own_session_type(coach, session_type_id)
    data = session_type_data(session_type, coach.currency)
    return _type_form(SessionTypeForm(data=data, currency=coach.currency), session_type)


@bp.route("/coach/session-types/<id:session_type_id>", methods=["POST"])
@login_required
def update_session_type(session_type_id: int):
    coach = _coach()
    session_type = coach_catalog.own_session_type(coach, session_type_id)
    form = SessionTypeForm(currency=coach.currency)
    updated = _save(
        form,
        SessionTypePatchSchema(partial=True),
        lambda data: coach_catalog.update_own_session_type(
            coach, session_type_id, session_type_values(data)
        ),
        SESSION_TYPE_FIELDS,
    )
    if updated is None:
        return _type_form(form, session_type)
    return _types_saved(coach, f"Session type “{updated.name}” saved.")


@bp.route("/coach/session-types/<id:session_type_id>/deactivate", methods=["POST"])
@login_required
def deactivate_session_type(session_type_id: int):
    return _set_active(session_type_id, False)


@bp.route("/coach/session-types/<id:session_type_id>/activate", methods=["POST"])
@login_required
def activate_session_type(session_type_id: int):
    return _set_active(session_type_id, True)


def _set_active(session_type_id: int, active: bool):
    coach = _coach()
    session_type = coach_catalog.update_own_session_type(coach, session_type_id, {"active": active})
    toast(
        f"“{session_type.name}” is offered again."
        if active
        else f"“{session_type.name}” is no longer offered; its bookings stay."
    )
    if not is_htmx():
        return redirect(url_for("catalog_pages.session_types"))
    return render_page(TYPES, block="session_type_list", **_types_page(coach))


def _type_form(form, session_type):
    if session_type is None:
        title, action = "New session type", url_for("catalog_pages.create_session_type")
    else:
        title = "Edit session type"
        action = url_for("catalog_pages.update_session_type", session_type_id=session_type.id)
    return _form_answer(
        "catalog/session_type_form.html",
        form,
        title=title,
        action=action,
        session_type=session_type,
        currency=form.currency,
    )


# --- coupons -------------------------------------------------------------------------


def _coupons_page(coach) -> dict:
    return {"coupons": catalog.list_coupons(coach), "currency": coach.currency}


def _coupons_saved(coach, message: str):
    return _saved(COUPONS, "coupon_list", message, "catalog_pages.coupons", **_coupons_page(coach))


@bp.route("/coach/coupons")
@login_required
def coupons():
    return render_page(COUPONS, block="coupon_list", **_coupons_page(_coach()))


@bp.route("/coach/coupons/new")
@login_required
def new_coupon():
    coach = _coach()
    return _coupon_form(CouponForm(currency=coach.currency), None)


@bp.route("/coach/coupons", methods=["POST"])
@login_required
def create_coupon():
    coach = _coach()
    form = CouponForm(currency=coach.currency)
    created = _save(form, CouponSchema(), lambda data: catalog.create_coupon(coach, data))
    if created is None:
        return _coupon_form(form, None)
    return _coupons_saved(coach, f"Coupon {created.code} created.")


@bp.route("/coach/coupons/<id:coupon_id>/edit")
@login_required
def edit_coupon(coupon_id: int):
    coach = _coach()
    coupon = catalog.get_coupon(coach, coupon_id)
    form = CouponForm(data=coupon_data(coupon, coach.currency), currency=coach.currency)
    return _coupon_form(form, coupon)


@bp.route("/coach/coupons/<id:coupon_id>", methods=["POST"])
@login_required
def update_coupon(coupon_id: int):
    coach = _coach()
    coupon = catalog.get_coupon(coach, coupon_id)
    form = CouponForm(currency=coach.currency)
    updated = _save(
        form,
        CouponPatchSchema(partial=True),
        lambda data: catalog.update_coupon(coach, coupon_id, data),
    )
    if updated is None:
        return _coupon_form(form, coupon)
    return _coupons_saved(coach, f"Coupon {updated.code} saved.")


@bp.route("/coach/coupons/<id:coupon_id>/deactivate", methods=["POST"])
@login_required
def deactivate_coupon(coupon_id: int):
    coach = _coach()
    code = catalog.get_coupon(coach, coupon_id).code
    catalog.delete_coupon(coach, coupon_id)
    toast(f"Coupon {code} deactivated. Bookings that used it keep their price.")
    if not is_htmx():
        return redirect(url_for("catalog_pages.coupons"))
    return render_page(COUPONS, block="coupon_list", **_coupons_page(coach))


def _coupon_form(form, coupon):
    if coupon is None:
        title, action = "New coupon", url_for("catalog_pages.create_coupon")
    else:
        title = "Edit coupon"
        action = url_for("catalog_pages.update_coupon", coupon_id=coupon.id)
    return _form_answer(
        "catalog/coupon_form.html",
        form,
        title=title,
        action=action,
        coupon=coupon,
        currency=form.currency,
        zone=current_user.timezone,
    )
