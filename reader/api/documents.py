"""Documents in JSON."""

from __future__ import annotations

from flask import Response, jsonify, url_for

from corpus.presenters import document_detail, document_summary
from reader.api import bp
from reader.library import requested_version
from reader.wiring import services


def _url(doc_id: str) -> str:
    return url_for("library.document", doc_id=doc_id, _external=True)


@bp.get("/documents")
def list_documents() -> Response:
    """List the corpus."""
    versions = services().documents.list_documents()
    return jsonify({"documents": [document_summary(v, _url(v.document_id)) for v in versions]})


@bp.get("/documents/<doc_id>")
def get_document(doc_id: str) -> Response:
    """Return a document's canonical text and blocks (newest version, or ?version=N)."""
    version = services().documents.get_version(doc_id, requested_version())
    return jsonify(document_detail(version, _url(doc_id)))
