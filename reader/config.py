"""Configuration: defaults, then instance/config.py, then READER_* variables, then test_config."""

from __future__ import annotations

import json
import os
from typing import Any

from flask import Flask

DEV_SECRET_KEY = "dev-only-not-secret"

DEFAULTS: dict[str, Any] = {
    # "production" refuses the development secret key; `make run` sets READER_ENV=development.
    "ENV_NAME": "production",
    "SECRET_KEY": DEV_SECRET_KEY,
    # Defaults to a SQLite file in the instance folder; PostgreSQL: postgresql+psycopg://...
    "DATABASE_URL": None,
    "MAX_IMPORT_BYTES": 5_000_000,
    "MAX_CONTENT_LENGTH": 6_000_000,
    # Annotations per page of an AnnotationCollection (at most 1000).
    "ANNOTATION_PAGE_SIZE": 100,
    # Threads the reading view's panel shows at once; more load a window at a time.
    "PANEL_THREADS": 100,
    # Longest passage (in characters) one annotation may quote.
    "MAX_QUOTE_LENGTH": 5000,
    # The Whoosh index folder (default: <instance>/index) and how long a writer waits for its lock.
    "SEARCH_INDEX_DIR": None,
    "SEARCH_WRITE_TIMEOUT": 15.0,
    "SEARCH_MAX_QUERY_LENGTH": 500,
    "SEARCH_MAX_TERMS": 20,
    # argon2 parameters: "default"; "fast" is for the test suite and refused elsewhere.
    "PASSWORD_HASH_PROFILE": "default",
    "SESSION_COOKIE_HTTPONLY": True,
    "SESSION_COOKIE_SAMESITE": "Lax",
    "SESSION_COOKIE_SECURE": False,
    # Flask-Login's "remember me" cookie gets the same flags (Secure follows the session cookie).
    "REMEMBER_COOKIE_HTTPONLY": True,
    "REMEMBER_COOKIE_SAMESITE": "Lax",
    "WTF_CSRF_TIME_LIMIT": None,
    # Number of reverse proxies in front of the app whose X-Forwarded-* headers are trusted.
    "BEHIND_PROXY": 0,
    # Sign-in attempts (Flask-Limiter); memory:// is per process: use redis:// etc. to share.
    "RATELIMIT_ENABLED": True,
    "RATELIMIT_STORAGE_URI": "memory://",
    "RATELIMIT_HEADERS_ENABLED": True,
    "LOGIN_LIMIT_PER_ADDRESS": "10/minute",
    "LOGIN_LIMIT_PER_ACCOUNT": "5/minute",
    # JSON request bodies nested deeper than this are refused (422) before parsing.
    "MAX_JSON_DEPTH": 32,
}

# Keys read from READER_<KEY> environment variables, with the type to parse them as.
ENV_KEYS: dict[str, type] = {
    "ENV_NAME": str,
    "SECRET_KEY": str,
    "DATABASE_URL": str,
    "MAX_IMPORT_BYTES": int,
    "MAX_CONTENT_LENGTH": int,
    "MAX_QUOTE_LENGTH": int,
    "ANNOTATION_PAGE_SIZE": int,
    "PANEL_THREADS": int,
    "SEARCH_INDEX_DIR": str,
    "SEARCH_WRITE_TIMEOUT": float,
    "SEARCH_MAX_QUERY_LENGTH": int,
    "SEARCH_MAX_TERMS": int,
    "SESSION_COOKIE_SECURE": bool,
    "BEHIND_PROXY": int,
    "RATELIMIT_ENABLED": bool,
    "RATELIMIT_STORAGE_URI": str,
    "LOGIN_LIMIT_PER_ADDRESS": str,
    "LOGIN_LIMIT_PER_ACCOUNT": str,
    "MAX_JSON_DEPTH": int,
}
SECRET_KEYS = ("SECRET_KEY", "RATELIMIT_STORAGE_URI")


def _parse(kind: type, raw: str) -> Any:
    if kind is bool:
        return raw.strip().lower() in ("1", "true", "yes", "on")
    if kind is int:
        return int(raw)
    if kind is float:
        return float(raw)
    return raw


def load_config(app: Flask, test_config: dict[str, Any] | None) -> None:
    """Fill app.config in precedence order and check it is safe to run."""
    app.config.from_mapping(DEFAULTS)
    app.config.from_pyfile("config.py", silent=True)
    for key, kind in ENV_KEYS.items():
        raw = os.environ.get(f"READER_{key}")
        if raw is not None:
            try:
                app.config[key] = _parse(kind, raw)
            except ValueError:
                raise RuntimeError(f"READER_{key}={raw!r} is not a valid {kind.__name__}") from None
    if test_config:
        app.config.from_mapping(test_config)
    app.config.setdefault("REMEMBER_COOKIE_SECURE", bool(app.config["SESSION_COOKIE_SECURE"]))
    if not app.config["DATABASE_URL"]:
        app.config["DATABASE_URL"] = "sqlite:///" + os.path.join(
            app.instance_path, "reader.sqlite3"
        )
    check_config(app.config)


def check_config(config: dict[str, Any]) -> None:
    """Fail fast on configuration that is unsafe outside development and tests."""
    if config.get("PASSWORD_HASH_PROFILE") != "default" and not config.get("TESTING"):
        raise RuntimeError("PASSWORD_HASH_PROFILE other than 'default' is for tests only")
    if int(config.get("PANEL_THREADS", 1)) < 1:
        raise RuntimeError("PANEL_THREADS must be at least 1")
    relaxed = config.get("TESTING") or config.get("ENV_NAME") == "development"
    if not relaxed and config.get("SECRET_KEY") in (None, "", DEV_SECRET_KEY):
        raise RuntimeError(
            "READER_SECRET_KEY must be set to a long random value in production "
            "(or set READER_ENV_NAME=development for a local run)"
        )


def describe(config: dict[str, Any]) -> str:
    """Return the effective non-secret settings as JSON (for `reader config`)."""
    shown = {k: config.get(k) for k in ENV_KEYS if k not in SECRET_KEYS}
    return json.dumps(shown, indent=2, default=str)
