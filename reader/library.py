"""The library: the corpus list, the reading view and the stored originals."""

from __future__ import annotations

from flask import Blueprint, Response, render_template, request

from corpus.errors import DocumentNotFound
from corpus.presenters import reading_view
from reader.wiring import services

bp = Blueprint("library", __name__)


def requested_version() -> int | None:
    """Return the ?version=N query parameter, or None for the newest."""
    raw = request.args.get("version")
    if raw is None or raw == "":
        return None
    if not raw.isdigit() or int(raw) < 1:
        raise DocumentNotFound(f"version must be a positive whole number, not {raw!r}")
    return int(raw)


@bp.get("/")
def index() -> str:
    """List the corpus."""
    return render_template("library/index.html", documents=services().documents.list_documents())


@bp.get("/documents/<doc_id>")
def document(doc_id: str) -> str:
    """Show a document's reading view."""
    store = services().documents
    version = store.get_version(doc_id, requested_version())
    view = reading_view(version, store.count_versions(doc_id))
    return render_template("library/document.html", view=view)


@bp.get("/documents/<doc_id>/original")
def original(doc_id: str) -> Response:
    """Return the stored original bytes unchanged."""
    version = services().documents.get_version(doc_id, requested_version())
    response = Response(version.original)
    if version.fmt == "html":
        response.headers["Content-Type"] = "text/html; charset=utf-8"
        # Imported HTML is untrusted: show it, but never let it run or load anything.
        response.headers["Content-Security-Policy"] = "sandbox; default-src 'none'"
    else:
        response.headers["Content-Type"] = "text/plain; charset=utf-8"
    response.headers["Content-Disposition"] = f'inline; filename="{version.filename}"'
    response.headers["X-Content-SHA256"] = version.sha256
    return response
