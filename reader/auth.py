"""Accounts in the browser: register, log in, log out."""

from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, request, session, url_for
from flask_login import LoginManager, current_user, login_user, logout_user
from flask_wtf import FlaskForm
from werkzeug.wrappers import Response
from wtforms import HiddenField, PasswordField, StringField
from wtforms.validators import DataRequired, EqualTo, Length

from annotations.accounts import MAX_PASSWORD, MIN_PASSWORD, User, parse_credentials
from annotations.errors import AuthenticationFailed, Conflict, ValidationError
from reader.errors import error_response, wants_json
from reader.extensions import db
from reader.security import (
    has_bearer_token,
    is_failed_login,
    limiter,
    login_account_limit,
    login_address_limit,
    submitted_username,
)
from reader.wiring import services

bp = Blueprint("auth", __name__)


class LoginForm(FlaskForm):
    """Sign-in form."""

    username = StringField("Username", validators=[DataRequired(), Length(max=32)])
    password = PasswordField("Password", validators=[DataRequired(), Length(max=MAX_PASSWORD)])
    next = HiddenField()


class RegisterForm(FlaskForm):
    """Registration form."""

    username = StringField("Username", validators=[DataRequired(), Length(min=2, max=32)])
    password = PasswordField(
        "Password", validators=[DataRequired(), Length(min=MIN_PASSWORD, max=MAX_PASSWORD)]
    )
    confirm = PasswordField(
        "Repeat password", validators=[DataRequired(), EqualTo("password", "Passwords differ.")]
    )


def safe_next(target: str | None) -> str:
    """Return target if it is a path on this site, else the library."""
    if target and target.startswith("/") and not target.startswith(("//", "/\\")):
        return target
    return url_for("library.index")


def start_session(user: User) -> None:
    """Sign user in on a brand-new session (nothing from before sign-in is carried over)."""
    session.clear()
    login_user(user)


def init_login(manager: LoginManager) -> None:
    """Load users from the session or from an API token."""
    manager.login_view = "auth.login"
    manager.login_message = "Please sign in to continue."

    @manager.unauthorized_handler
    def _unauthorized() -> Response | tuple[Response, int]:
        if wants_json():
            return error_response(401, "sign in or send 'Authorization: Bearer <token>'")
        flash("Please sign in to continue.", "info")
        return redirect(url_for("auth.login", next=request.full_path.rstrip("?")))

    @manager.user_loader
    def _load(session_id: str) -> User | None:
        # "<id>:<session token>": a sign-out rotates the token, so copied cookies stop working.
        return services().accounts.for_session(session_id)

    @manager.request_loader
    def _from_token(req: object) -> User | None:
        if not has_bearer_token():
            return None
        raw = request.headers["Authorization"].removeprefix("Bearer ").strip()
        with db.transaction():
            return services().accounts.user_for_token(raw)


@bp.route("/register", methods=["GET", "POST"])
def register() -> str | Response | tuple[str, int]:
    """Create an account and sign in."""
    form = RegisterForm()
    if form.validate_on_submit():
        try:
            with db.transaction():
                user = services().accounts.register(
                    parse_credentials(form.username.data, form.password.data)
                )
        except (ValidationError, Conflict) as exc:
            form.username.errors = [getattr(exc, "message", str(exc))]
        else:
            start_session(user)
            flash(f"Welcome, {user.username}. Your account is ready.", "success")
            return redirect(url_for("library.index"))
    status = 422 if request.method == "POST" else 200
    return render_template("auth/register.html", form=form), status


@bp.route("/login", methods=["GET", "POST"])
@limiter.limit(login_address_limit, methods=["POST"], deduct_when=is_failed_login)
@limiter.limit(
    login_account_limit, methods=["POST"], key_func=submitted_username, deduct_when=is_failed_login
)
def login() -> str | Response | tuple[str, int]:
    """Sign in with a username and password."""
    form = LoginForm(next=request.args.get("next", ""))
    if form.validate_on_submit():
        try:
            with db.transaction():
                user = services().accounts.authenticate(form.username.data, form.password.data)
        except AuthenticationFailed as exc:
            form.password.errors = [str(exc).capitalize() + "."]
        else:
            start_session(user)
            return redirect(safe_next(form.next.data))
    status = 422 if request.method == "POST" else 200
    return render_template("auth/login.html", form=form), status


@bp.post("/logout")
def logout() -> Response:
    """Sign out (POST, CSRF-protected) and end every session of the account."""
    if current_user.is_authenticated:
        with db.transaction():
            services().accounts.end_sessions(current_user._get_current_object())
        logout_user()
        session.clear()
        flash("You are signed out.", "info")
    return redirect(url_for("library.index"))
