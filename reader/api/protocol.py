"""The W3C Web Annotation Protocol around the annotation API: headers, preferences, ETags.

Also serves the OpenAPI description of the whole JSON API (/api/openapi.json).
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from importlib import resources
from typing import Any

from flask import Response, abort, current_app, jsonify, request

from annotations.errors import ValidationError
from annotations.interchange import InterchangeService
from annotations.presenters import CONTAINED_DESCRIPTIONS, CONTAINED_IRIS, MINIMAL_CONTAINER
from reader.api import bp
from reader.wiring import services

LDP = "http://www.w3.org/ns/ldp#"
OA = "http://www.w3.org/ns/oa#"
CONTAINER_LINK = (
    f'<{LDP}BasicContainer>; rel="type", '
    f'<http://www.w3.org/TR/annotation-protocol/>; rel="{LDP}constrainedBy"'
)
RESOURCE_LINK = f'<{LDP}Resource>; rel="type"'
ACCEPT_POST = 'application/ld+json; profile="http://www.w3.org/ns/anno.jsonld"'
CONTAINER_ENDPOINTS = frozenset(
    {
        "api.list_annotations",
        "api.create_annotation",
        "api.document_annotations",
        "api.create_document_annotation",
    }
)
ANNOTATION_ENDPOINTS = frozenset(
    {"api.get_annotation", "api.update_annotation", "api.delete_annotation"}
)
PREFERENCES = {
    OA + "PreferContainedIRIs": CONTAINED_IRIS,
    OA + "PreferContainedDescriptions": CONTAINED_DESCRIPTIONS,
    LDP + "PreferMinimalContainer": MINIMAL_CONTAINER,
}
DEFAULT_PAGE_SIZE = 100
MAX_PAGE_SIZE = 1000


@dataclass(frozen=True)
class Preference:
    """What a container GET should embed, and the Preference-Applied answer (if any)."""

    contained: str = CONTAINED_DESCRIPTIONS
    applied: str | None = None


def parse_prefer(header: str | None) -> Preference:
    """Read `Prefer: return=representation; include="..."` (RFC 7240, LDP, the Protocol).

    A minimal container wins over contained IRIs, which win over descriptions;
    `return=minimal` is read as a minimal container. Unknown preferences are ignored.
    """
    for preference in (header or "").split(","):
        token, *params = (part.strip() for part in preference.split(";"))
        if token.replace(" ", "") == "return=minimal":
            return Preference(MINIMAL_CONTAINER, "return=minimal")
        if token.replace(" ", "") != "return=representation":
            continue
        wanted: set[str] = set()
        for param in params:
            name, _, value = param.partition("=")
            if name.strip() == "include":
                wanted |= {
                    PREFERENCES[iri] for iri in value.strip('" ').split() if iri in PREFERENCES
                }
        for choice in (MINIMAL_CONTAINER, CONTAINED_IRIS, CONTAINED_DESCRIPTIONS):
            if choice in wanted:
                return Preference(choice, "return=representation")
    return Preference()


def page_size() -> int:
    """Annotations per container page (ANNOTATION_PAGE_SIZE, default 100)."""
    size = current_app.config.get("ANNOTATION_PAGE_SIZE", DEFAULT_PAGE_SIZE)
    return max(1, min(int(size), MAX_PAGE_SIZE))


def requested_page() -> tuple[int | None, bool]:
    """The page asked for (?page=N, 0-based; None for the container) and ?iris=1."""
    raw = request.args.get("page")
    iris = request.args.get("iris") == "1"
    if raw is None:
        return None, iris
    if not (raw.isascii() and raw.isdigit()) or len(raw) > 9:
        raise ValidationError("page", "must be a page number (0, 1, 2, ...)")
    return int(raw), iris


def serialize(data: Any) -> str:
    """The JSON text of a representation (the one place that decides its bytes)."""
    return json.dumps(data, ensure_ascii=False)


def etag_of(text: str) -> str:
    """A strong entity tag: a hash of the representation's bytes."""
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:32]


def require_match(current: Any) -> None:
    """Refuse with 412 a write whose If-Match names another state of the resource.

    If-Match is optional (no 428): the in-browser annotator and older clients write
    without it and keep last-writer-wins; clients that send it get lost-update protection.
    """
    condition = request.if_match
    if not condition or condition.contains(etag_of(serialize(current))):
        return
    message = (
        "If-Match does not match the annotation's current ETag: it changed since you "
        "read it. GET it again, reapply your change, and retry with the new ETag."
    )
    error = {"status": 412, "title": "Precondition failed", "message": message}
    response = jsonify({"error": error})
    response.status_code = 412
    response.set_etag(etag_of(serialize(current)))
    abort(response)


def interchange() -> InterchangeService:
    """The interchange service of this request."""
    return InterchangeService(services().annotations)


@bp.after_request
def protocol_headers(response: Response) -> Response:
    """Type the container and annotations with Link, Allow and Vary (also on HEAD/OPTIONS)."""
    if response.status_code >= 400 and response.status_code != 412:
        return response
    if request.endpoint in CONTAINER_ENDPOINTS:
        response.headers["Allow"] = "GET, HEAD, OPTIONS, POST"
        response.headers["Link"] = CONTAINER_LINK
        response.headers["Accept-Post"] = ACCEPT_POST
        response.vary.update(("Accept", "Prefer"))
    elif request.endpoint in ANNOTATION_ENDPOINTS:
        response.headers["Allow"] = "GET, HEAD, OPTIONS, PUT, DELETE"
        response.headers["Link"] = RESOURCE_LINK
        response.vary.add("Accept")
    return response


@bp.get("/openapi.json")
def openapi() -> Response:
    """The OpenAPI 3.1 description of this JSON API."""
    text = resources.files("reader").joinpath("openapi.json").read_text(encoding="utf-8")
    return Response(text, mimetype="application/json")
