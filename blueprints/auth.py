"""Web sign-up, sign-in and sign-out (Flask-Login sessions)."""

from __future__ import annotations

from flask import Blueprint, flash, redirect, request, url_for
from flask_login import current_user, login_required

from blueprints.forms import LoginForm, RegisterForm
from blueprints.rendering import render_page
from blueprints.security import auth_rate_limits, is_safe_next, sign_in, sign_out
from domain.errors import AppError
from domain.timezones import timezone_names
from services import accounts

bp = Blueprint("auth", __name__)


@bp.route("/register", methods=["GET", "POST"])
@auth_rate_limits("register")
def register():
    if current_user.is_authenticated:
        return redirect(url_for("pages.dashboard"))
    form = RegisterForm()
    if form.validate_on_submit():
        try:
            user = accounts.register_user(
                email=form.email.data,
                password=form.password.data,
                name=form.name.data,
                role=form.role.data,
                timezone=form.timezone.data,
            )
        except AppError as error:
            _attach_errors(form, error)
        else:
            sign_in(user)
            flash(f"Welcome, {user.name}! Your account is ready.", "success")
            return redirect(url_for("pages.dashboard"))
    status = 400 if form.errors else 200
    return render_page("auth/register.html", form=form, zones=timezone_names(), status=status)


@bp.route("/login", methods=["GET", "POST"])
@auth_rate_limits("login")
def login():
    next_url = request.args.get("next")
    if current_user.is_authenticated:
        return redirect(next_url if is_safe_next(next_url) else url_for("pages.dashboard"))
    form = LoginForm()
    if form.validate_on_submit():
        try:
            user = accounts.authenticate(form.email.data, form.password.data)
        except AppError as error:
            form.password.errors.append(error.message)
        else:
            sign_in(user, remember=form.remember.data)
            flash(f"Signed in as {user.name}.", "success")
            return redirect(next_url if is_safe_next(next_url) else url_for("pages.dashboard"))
    status = 400 if form.errors else 200
    return render_page("auth/login.html", form=form, next_url=next_url, status=status)


@bp.route("/logout", methods=["POST"])
@login_required
def logout():
    sign_out()
    flash("You are signed out.", "info")
    return redirect(url_for("pages.index"))


def _attach_errors(form, error: AppError) -> None:
    """Put a service's per-field messages next to the matching form fields."""
    placed = False
    for field_name, messages in error.details.items():
        field = getattr(form, field_name, None)
        if field is not None and isinstance(messages, list):
            field.errors = [*field.errors, *messages]
            placed = True
    if not placed:
        form.form_errors.append(error.message)
