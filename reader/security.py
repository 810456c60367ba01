"""Security headers and CSRF policy for every response."""

from __future__ import annotations

from flask import Flask, Response, current_app, request

from reader.extensions import csrf

CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "object-src 'none'; base-uri 'none'; frame-ancestors 'none'; form-action 'self'"
)


def has_bearer_token() -> bool:
    """True when the request authenticates with an API token instead of a session."""
    return request.headers.get("Authorization", "").startswith("Bearer ")


def _protect() -> None:
    # Token-authenticated API calls carry no cookie, so they cannot be forged cross-site.
    if not current_app.config.get("WTF_CSRF_ENABLED", True):
        return
    if request.method in ("POST", "PUT", "PATCH", "DELETE") and not has_bearer_token():
        csrf.protect()


def _headers(response: Response) -> Response:
    response.headers.setdefault("Content-Security-Policy", CSP)
    response.headers.setdefault("X-Content-Type-Options", "nosniff")
    response.headers.setdefault("Referrer-Policy", "same-origin")
    response.headers.setdefault("X-Frame-Options", "DENY")
    return response


def init_app(app: Flask) -> None:
    """Check CSRF on state-changing requests and add security headers."""
    app.config["WTF_CSRF_CHECK_DEFAULT"] = False
    app.before_request(_protect)
    app.after_request(_headers)
