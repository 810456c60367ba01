"""The search page."""

from __future__ import annotations

from flask import Blueprint, render_template, request

from annotations.errors import ValidationError
from corpus.querylang import with_filter
from reader.library import current_viewer
from reader.wiring import services

bp = Blueprint("search", __name__)


@bp.get("/search")
def results() -> str | tuple[str, int]:
    """Search passages, annotations and sources; `within` narrows to one document first."""
    raw = request.args.get("q", "")
    within = request.args.get("within") or None
    finder = services().search
    try:
        query = raw
        if within:
            try:
                query = with_filter(finder.parse(raw), "doc", within).describe()
            except ValueError:
                raise ValidationError("within", "is not a document id") from None
        outcome = finder.search(query, current_viewer(), request.args.get("cursor"))
    except ValidationError as exc:
        return render_template(
            "search/results.html",
            q=raw,
            error=exc.message,
            outcome=None,
            within=within,
            add_filter=None,
        ), 422

    def add_filter(name: str, value: str) -> str:
        return with_filter(outcome.parsed, name, value).describe() if outcome.parsed else raw

    return render_template(
        "search/results.html",
        q=raw,
        outcome=outcome,
        error=None,
        within=within,
        add_filter=add_filter,
        doc_titles={v.document_id: v.title for v in services().documents.list_documents()},
    )
