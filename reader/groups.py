"""Groups in the browser: list, create, and manage members."""

from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_login import current_user, login_required
from werkzeug.wrappers import Response

from annotations.errors import Conflict, ValidationError
from reader.extensions import db
from reader.wiring import services

bp = Blueprint("groups", __name__, url_prefix="/groups")


@bp.get("/")
@login_required
def index() -> str:
    """The groups the user belongs to, and a form to start one."""
    groups = services().groups.for_user(current_user)
    return render_template("groups/index.html", groups=groups)


@bp.post("/")
@login_required
def create() -> Response | tuple[str, int]:
    """Create a group owned by the current user."""
    try:
        with db.transaction():
            group = services().groups.create(request.form.get("name", ""), current_user)
    except ValidationError as exc:
        groups = services().groups.for_user(current_user)
        return render_template("groups/index.html", groups=groups, error=exc.message), 422
    flash(f"Group “{group.name}” created.", "success")
    return redirect(url_for("groups.show", group_id=group.id))


@bp.get("/<int:group_id>")
@login_required
def show(group_id: int) -> str:
    """A group's members (members only; the owner can change them)."""
    group = services().groups.get(group_id, current_user)
    return render_template("groups/show.html", group=group)


@bp.post("/<int:group_id>/members")
@login_required
def add_member(group_id: int) -> Response | tuple[str, int]:
    """Add a member by username (owner only)."""
    try:
        with db.transaction():
            membership = services().groups.add_member(
                group_id, request.form.get("username", ""), current_user
            )
    except (ValidationError, Conflict) as exc:
        group = services().groups.get(group_id, current_user)
        message = exc.message if isinstance(exc, ValidationError) else str(exc)
        return render_template("groups/show.html", group=group, error=message), 422
    flash(f"{membership.user.username} added.", "success")
    return redirect(url_for("groups.show", group_id=group_id))


@bp.post("/<int:group_id>/members/<int:user_id>/remove")
@login_required
def remove_member(group_id: int, user_id: int) -> Response:
    """Remove a member (owner only)."""
    with db.transaction():
        services().groups.remove_member(group_id, user_id, current_user)
    flash("Member removed.", "info")
    return redirect(url_for("groups.show", group_id=group_id))
