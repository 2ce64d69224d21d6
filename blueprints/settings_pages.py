"""The signed-in user's settings: profile (name, time zone and, for coaches, privacy,
currency, VAT and address), password, the list of sign-ins, the calendar feed and, for
coaches, the embed snippet with its allowed websites and a live preview.

Each form posts on its own and calls the service the JSON API calls (``PATCH /api/me``,
``POST /api/me/password``) with the values the API would hand it, after the API's own
schema has checked them (blueprints/settings_forms.py). htmx swaps the form's card; the
sign-ins card is swapped out of band when a change ends or shows sign-ins differently.
"""

from __future__ import annotations

from flask import Blueprint, current_app, g, make_response, redirect, url_for
from flask_login import current_user, login_required, logout_user
from jinja2_fragments.flask import render_block

from blueprints.api.me import PasswordChangeSchema, ProfileSchema
from blueprints.catalog_forms import check_like_the_api, place_errors
from blueprints.errors import STATUS_BY_CODE
from blueprints.rendering import is_htmx, render_page
from blueprints.security import auth_rate_limits
from blueprints.settings_forms import (
    EmbedForm,
    PasswordForm,
    ProfileForm,
    embed_data,
    profile_data,
)
from blueprints.toasts import toast
from domain.errors import AppError
from domain.timezones import timezone_names
from services import accounts, feeds, sign_ins, web_sessions

bp = Blueprint("settings_pages", __name__)
TEMPLATE = "settings/settings.html"
# Service refusals shown next to a field.
FIELD_ERRORS = ("validation_error", "slug_taken")


# What a user agent string says, for the list of sign-ins: the first match wins.
BROWSERS = (
    ("Edg/", "Edge"),
    ("OPR/", "Opera"),
    ("Firefox/", "Firefox"),
    ("Chrome/", "Chrome"),
    ("Safari/", "Safari"),
)
SYSTEMS = (
    ("iPhone", "iPhone"),
    ("iPad", "iPad"),
    ("Android", "Android"),
    ("Windows", "Windows"),
    ("Mac OS X", "macOS"),
    ("CrOS", "ChromeOS"),
    ("Linux", "Linux"),
)


@bp.app_template_filter("device_name")
def device_name(user_agent: str) -> str:
    """``Mozilla/5.0 (X11; Linux x86_64) … Chrome/126 …`` → ``Chrome on Linux``."""
    if not user_agent:
        return "Unknown browser"
    browser = next((name for mark, name in BROWSERS if mark in user_agent), None)
    system = next((name for mark, name in SYSTEMS if mark in user_agent), None)
    if browser and system:
        return f"{browser} on {system}"
    return browser or system or user_agent[:60]


def _user():
    return current_user._get_current_object()


def _page(profile_form=None, password_form=None, embed_form=None) -> dict:
    user = _user()
    return {
        "profile_form": profile_form
        or ProfileForm(formdata=None, data=profile_data(user), coach=user.is_coach),
        "password_form": password_form or PasswordForm(formdata=None),
        "embed_form": embed_form or EmbedForm(formdata=None, data=embed_data(user)),
        "embed_script": current_app.config["BASE_URL"].rstrip("/") + "/static/embed.js",
        "sign_ins": web_sessions.live_sessions(user),
        "this_sign_in": g.get("web_session_id"),
        "zones": timezone_names(),
        "feed_url": feeds.feed_url(user),
        "oob": False,
    }


def _answer(blocks: tuple[str, ...], status: int = 200, **context):
    """htmx: the given blocks (the first swapped in place, the others out of band);
    otherwise the whole page."""
    if not is_htmx():
        return render_page(TEMPLATE, status=status, **context)
    parts = [render_block(TEMPLATE, blocks[0], **context)]
    parts += [render_block(TEMPLATE, block, **(context | {"oob": True})) for block in blocks[1:]]
    response = make_response("".join(parts), status)
    response.vary.add("HX-Request")
    return response


def _entries(form) -> dict:
    return {"embed_domains": form.origins()} if isinstance(form, EmbedForm) else {}


def _saved(form, write) -> bool:
    """Run the service's ``write``; a refusal about fields goes next to them (False)."""
    try:
        write()
    except AppError as error:
        if error.code not in FIELD_ERRORS:
            raise
        place_errors(form, error.details or {"_schema": [error.message]}, lists=_entries(form))
        form.refusal_status = STATUS_BY_CODE[error.code]
        return False
    return True


@bp.route("/settings")
@login_required
def settings():
    return render_page(TEMPLATE, **_page())


@bp.route("/settings/profile", methods=["POST"])
@login_required
def update_profile():
    user = _user()
    form = ProfileForm(coach=user.is_coach)
    data = check_like_the_api(form, ProfileSchema(), lists=lambda: _entries(form))
    if data is not None and _saved(form, lambda: accounts.update_profile(user, data)):
        toast("Settings saved.")
        if not is_htmx():
            return redirect(url_for("settings_pages.settings"))
        # The embed card says whether the (new) privacy and address can be embedded.
        return _answer(("profile", "sign_ins", "embed"), **_page())
    status = getattr(form, "refusal_status", 400)
    return _answer(("profile",), status=status, **_page(profile_form=form))


@bp.route("/settings/embed", methods=["POST"])
@login_required
def update_embed():
    """The websites that may embed the coach's calendar (``PATCH /api/me``'s
    ``embed_domains``)."""
    user = _user()
    if not user.is_coach:
        raise AppError("forbidden", "Only coaches have a calendar to embed.")
    form = EmbedForm()
    data = check_like_the_api(form, ProfileSchema(), lists=lambda: _entries(form))
    if data is not None and _saved(form, lambda: accounts.update_profile(user, data)):
        toast("Embed settings saved.")
        if not is_htmx():
            return redirect(url_for("settings_pages.settings"))
        return _answer(("embed",), **_page())
    status = getattr(form, "refusal_status", 400)
    return _answer(("embed",), status=status, **_page(embed_form=form))


@bp.route("/settings/password", methods=["POST"])
@auth_rate_limits("password")
@login_required
def change_password():
    form = PasswordForm()
    data = check_like_the_api(form, PasswordChangeSchema())
    if data is not None and _saved(
        form,
        lambda: accounts.change_password(
            _user(),
            data["current_password"],
            data["new_password"],
            keep_web_session=g.get("web_session_id"),
        ),
    ):
        toast("Password changed. You are signed out everywhere else.")
        if not is_htmx():
            return redirect(url_for("settings_pages.settings"))
        return _answer(("password", "sign_ins"), **_page())
    status = getattr(form, "refusal_status", 400)
    return _answer(("password",), status=status, **_page(password_form=form))


@bp.route("/settings/sessions/<id:session_id>/end", methods=["POST"])
@login_required
def end_sign_in(session_id: int):
    web_sessions.end_for_user(_user(), session_id)
    if session_id == g.get("web_session_id"):  # this browser's own sign-in: signed out here
        logout_user()
        toast("You are signed out.", "info")
        return _to_login()
    toast("That sign-in has ended.")
    return _sign_ins_answer()


@bp.route("/settings/sessions/end-others", methods=["POST"])
@login_required
def end_other_sign_ins():
    ended = sign_ins.end_other_sign_ins(_user(), keep=g.get("web_session_id"))
    toast(f"Signed out everywhere else ({ended} sign-in{'s' if ended != 1 else ''} ended).")
    return _sign_ins_answer()


@bp.route("/settings/feed/rotate", methods=["POST"])
@login_required
def rotate_feed():
    feeds.rotate(_user())
    toast("Your calendar feed has a new address; the old one no longer works.")
    if not is_htmx():
        return redirect(url_for("settings_pages.settings"))
    return _answer(("feed",), **_page())


def _sign_ins_answer():
    if not is_htmx():
        return redirect(url_for("settings_pages.settings"))
    return _answer(("sign_ins",), **_page())


def _to_login():
    if not is_htmx():
        return redirect(url_for("auth.login"))
    response = make_response("", 200)
    response.headers["HX-Redirect"] = url_for("auth.login")
    return response
