"""The JSON API blueprint (/api)."""

from __future__ import annotations

from flask import Blueprint

bp = Blueprint("api", __name__, url_prefix="/api")

from reader.api import annotation, claims, documents, me, protocol, search  # noqa: E402, F401
