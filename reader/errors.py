"""Maps exceptions to HTTP answers: JSON for API clients, HTML for people."""

from __future__ import annotations

import logging

from flask import Flask, Response, current_app, jsonify, render_template, request
from flask_limiter.errors import RateLimitExceeded
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import HTTPException, RequestEntityTooLarge

from annotations.errors import (
    AuthenticationFailed,
    Conflict,
    NotFound,
    PermissionDenied,
    ValidationError,
)
from corpus.errors import DocumentNotFound, InvalidDocument

log = logging.getLogger(__name__)

STATUS: list[tuple[type[Exception], int]] = [
    (DocumentNotFound, 404),
    (NotFound, 404),
    (InvalidDocument, 422),
    (ValidationError, 422),
    (PermissionDenied, 403),
    (Conflict, 409),
    (AuthenticationFailed, 401),
]
TITLES = {
    400: "Bad request",
    401: "Sign in required",
    403: "Not allowed",
    404: "Not found",
    405: "Method not allowed",
    409: "Conflict",
    412: "Precondition failed",
    415: "Unsupported media type",
    413: "Too large",
    422: "Cannot process this input",
    428: "Precondition required",
    429: "Too many requests",
    500: "Something went wrong",
}


def wants_json() -> bool:
    """True for API paths, JSON requests and clients that prefer JSON."""
    if request.path.startswith("/api/") or request.is_json:
        return True
    best = request.accept_mimetypes.best_match(["text/html", "application/json"])
    return best == "application/json"


def error_response(status: int, message: str, field: str | None = None) -> tuple[Response, int]:
    """Render an error as JSON or HTML with the given status."""
    title = TITLES.get(status, "Error")
    if wants_json():
        body: dict[str, object] = {"error": {"status": status, "title": title, "message": message}}
        if field:
            body["error"]["field"] = field  # type: ignore[index]
        return jsonify(body), status
    referrer = request.referrer or ""
    back = referrer if referrer.startswith(request.host_url) else None
    html = render_template(
        "errors/error.html", status=status, title=title, message=message, back=back
    )
    return Response(html, mimetype="text/html"), status


def _domain(exc: Exception) -> tuple[Response, int]:
    status = next(code for kind, code in STATUS if isinstance(exc, kind))
    return error_response(status, str(exc), getattr(exc, "field", None))


def _http(exc: HTTPException) -> tuple[Response, int] | HTTPException:
    if exc.code is None or exc.code < 400:
        return exc
    message = exc.description or TITLES.get(exc.code, "Error")
    response, status = error_response(exc.code, message)
    if exc.code == 405 and exc.response is None:
        response.headers["Allow"] = ", ".join(getattr(exc, "valid_methods", None) or [])
    return response, status


def _csrf(exc: CSRFError) -> tuple[Response, int]:
    return error_response(400, f"CSRF check failed: {exc.description} Reload the page and retry.")


def _too_large(exc: RequestEntityTooLarge) -> tuple[Response, int]:
    limit = request.max_content_length or current_app.config.get("MAX_CONTENT_LENGTH")
    return error_response(413, f"The request body is larger than the limit of {limit} bytes.")


def _too_many(exc: RateLimitExceeded) -> tuple[Response, int]:
    # The same words whether or not the account exists; Flask-Limiter adds Retry-After.
    return error_response(429, "Too many sign-in attempts. Wait a minute, then try again.")


def _unexpected(exc: Exception) -> tuple[Response, int]:
    log.exception("unhandled error on %s %s", request.method, request.path)
    return error_response(500, "An unexpected error occurred; it has been logged.")


def init_app(app: Flask) -> None:
    """Register the handlers."""
    for kind, _status in STATUS:
        app.register_error_handler(kind, _domain)
    app.register_error_handler(CSRFError, _csrf)
    app.register_error_handler(RequestEntityTooLarge, _too_large)
    app.register_error_handler(RateLimitExceeded, _too_many)
    app.register_error_handler(HTTPException, _http)
    app.register_error_handler(Exception, _unexpected)
