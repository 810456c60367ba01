"""Search in JSON, with cursor paging and facet counts."""

from __future__ import annotations

from typing import Any

from flask import Response, jsonify, request, url_for

from annotations.errors import ValidationError
from annotations.search import Hit
from reader.api import bp
from reader.library import current_viewer
from reader.wiring import services


def _hit(hit: Hit) -> dict[str, Any]:
    data: dict[str, Any] = {
        "type": hit.type,
        "id": hit.key.split(":", 1)[1] if hit.type != "passage" else hit.fragment,
        "document": hit.document_id,
        "document_title": hit.document_title,
        "section": hit.section or None,
        "score": round(hit.score, 4),
        "snippet": hit.snippet,
        "url": url_for("library.document", doc_id=hit.document_id, _external=True)
        + "#"
        + hit.fragment,
    }
    if hit.annotation is not None:
        data["annotation"] = hit.annotation.id
        data["kind"] = hit.annotation.kind
        data["user"] = hit.annotation.author.username
    if hit.source is not None:
        data["source_url"] = hit.source.url
    return data


@bp.get("/search")
def search() -> Response:
    """GET /api/search?q=...&limit=...&cursor=..."""
    raw_limit = request.args.get("limit", "20")
    digits = raw_limit.isascii() and raw_limit.isdigit() and len(raw_limit) <= 3
    if not digits or not 1 <= int(raw_limit) <= 100:
        raise ValidationError("limit", "must be a whole number from 1 to 100")
    outcome = services().search.search(
        request.args.get("q", ""), current_viewer(), request.args.get("cursor"), int(raw_limit)
    )
    return jsonify(
        {
            "query": outcome.query,
            "total": outcome.total,
            "hits": [_hit(h) for h in outcome.hits],
            "facets": {k: dict(v) for k, v in outcome.facets.items()},
            "next_cursor": outcome.next_cursor,
            "prev_cursor": outcome.prev_cursor,
            "suggestions": outcome.suggestions,
            "notices": outcome.notices,
        }
    )
