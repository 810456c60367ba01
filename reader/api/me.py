"""Who the API caller is."""

from __future__ import annotations

from flask import Response, jsonify
from flask_login import current_user

from reader.api import bp
from reader.errors import error_response


@bp.get("/me")
def whoami() -> Response | tuple[Response, int]:
    """Return the signed-in user (session or Bearer token), or 401."""
    if not current_user.is_authenticated:
        return error_response(401, "sign in or send 'Authorization: Bearer <token>'")
    return jsonify({"username": current_user.username, "role": current_user.role})
