"""Security policy for every request: CSRF, headers, rate limits and the proxy in front."""

from __future__ import annotations

from flask import Flask, Response, current_app, request
from flask_limiter import Limiter
from flask_limiter.util import get_remote_address
from werkzeug.middleware.proxy_fix import ProxyFix
from werkzeug.routing import IntegerConverter, Map

from reader.extensions import csrf

CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "object-src 'none'; base-uri 'none'; frame-ancestors 'none'; form-action 'self'"
)

# Limits are declared on views (auth.login); storage and switches come from RATELIMIT_* config.
limiter = Limiter(key_func=get_remote_address)


class DatabaseIntConverter(IntegerConverter):
    """`<int:...>` in routes, bounded to what a 32-bit integer column holds (larger is a 404)."""

    def __init__(self, url_map: Map, *args: object, **kwargs: object) -> None:
        kwargs.setdefault("max", 2**31 - 1)
        super().__init__(url_map, *args, **kwargs)  # type: ignore[arg-type]


def has_bearer_token() -> bool:
    """True when the request authenticates with an API token instead of a session."""
    return request.headers.get("Authorization", "").startswith("Bearer ")


def login_address_limit() -> str:
    """The sign-in attempts allowed from one address (LOGIN_LIMIT_PER_ADDRESS)."""
    return str(current_app.config["LOGIN_LIMIT_PER_ADDRESS"])


def login_account_limit() -> str:
    """The sign-in attempts allowed for one username (LOGIN_LIMIT_PER_ACCOUNT)."""
    return str(current_app.config["LOGIN_LIMIT_PER_ACCOUNT"])


def submitted_username() -> str:
    """The rate-limit key of a sign-in attempt: the name tried, whether or not it exists."""
    name = request.form.get("username", "")
    return "login:" + (name.strip().lower()[:64] or "-")


def is_failed_login(response: Response) -> bool:
    """Only failed attempts count against the limits (a success redirects)."""
    return response.status_code != 302


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
    response.headers.setdefault("Cross-Origin-Opener-Policy", "same-origin")
    if current_app.config.get("SESSION_COOKIE_SECURE"):
        response.headers.setdefault("Strict-Transport-Security", "max-age=31536000")
    return response


def init_app(app: Flask) -> None:
    """Check CSRF, add security headers, limit sign-ins and trust the configured proxies."""
    app.config["WTF_CSRF_CHECK_DEFAULT"] = False
    # Before the blueprints add their routes: an id no column can hold is "not found", not a crash.
    app.url_map.converters["int"] = DatabaseIntConverter
    app.before_request(_protect)
    app.after_request(_headers)
    limiter.init_app(app)
    proxies = int(app.config.get("BEHIND_PROXY") or 0)
    if proxies > 0:
        # Flask-Login's session protection and the rate limits key on the client's address.
        app.wsgi_app = ProxyFix(  # type: ignore[method-assign]
            app.wsgi_app, x_for=proxies, x_proto=proxies, x_host=proxies, x_prefix=proxies
        )
