"""The annotation API in the W3C Web Annotation model."""

from __future__ import annotations

import json
import re
from typing import Any

from flask import Response, current_app, request, url_for
from flask_login import current_user, login_required

from annotations.bodies import parse_body
from annotations.errors import NotFound, ValidationError
from annotations.presenters import (
    MEDIA_TYPE,
    MINIMAL_CONTAINER,
    last_page,
    reader_context,
    to_collection,
    to_page,
    to_w3c,
)
from annotations.w3c import parse_annotation_edit, parse_new_annotation
from reader.api import bp
from reader.api.protocol import (
    etag_of,
    interchange,
    page_size,
    parse_prefer,
    requested_page,
    require_match,
    serialize,
)
from reader.extensions import db
from reader.wiring import services

JSON_TYPES = ("application/json", "application/ld+json")


def base_url() -> str:
    """The site's base URL, without a trailing slash."""
    return request.host_url.rstrip("/")


def ld_response(data: Any, status: int = 200, **headers: str) -> Response:
    """Answer JSON-LD with the W3C annotation profile and a strong ETag (304 when it matches)."""
    text = serialize(data)
    response = Response(text, status=status, mimetype=None)
    response.headers["Content-Type"] = MEDIA_TYPE
    response.headers.update(headers)
    response.set_etag(etag_of(text))
    return response.make_conditional(request)


# The shape of a JSON text: strings (even unterminated ones) and everything but brackets removed.
_JSON_STRING = re.compile(r'"[^"\\]*(?:\\.[^"\\]*)*"?', re.S)
_NOT_BRACKET = re.compile(r"[^\[\]{}]+")
_INNERMOST = re.compile(r"\[\]|\{\}")


def nests_deeper_than(text: str, limit: int) -> bool:
    """True when JSON text nests arrays and objects deeper than limit (checked before parsing)."""
    shape = _NOT_BRACKET.sub("", _JSON_STRING.sub("", text))
    for _ in range(limit):
        shape, removed = _INNERMOST.subn("", shape)
        if not removed:
            return False
    return _INNERMOST.search(shape) is not None


def json_body() -> object:
    """Return the parsed JSON request body, or raise ValidationError saying what is wrong."""
    if request.mimetype not in JSON_TYPES:
        raise ValidationError("Content-Type", "send application/ld+json or application/json")
    text = request.get_data(as_text=True)
    limit = int(current_app.config.get("MAX_JSON_DEPTH", 32))
    if nests_deeper_than(text, limit):
        raise ValidationError(
            "body",
            f"the request body is not valid JSON for this API: nested deeper than {limit} levels",
        )
    try:
        return json.loads(text)
    except (ValueError, RecursionError) as exc:
        raise ValidationError("body", f"the request body is not valid JSON ({exc})") from None


def _user() -> Any:
    return current_user if current_user.is_authenticated else None


def container(document_id: str | None, iri: str) -> Response:
    """A container (the collection, honouring Prefer) or one of its pages (?page=N)."""
    number, iris = requested_page()
    size = page_size()
    if number is None:
        preference = parse_prefer(request.headers.get("Prefer"))
        embedded = 0 if preference.contained == MINIMAL_CONTAINER else size
        rows, total = interchange().page(_user(), document_id, 0, embedded)
        data = to_collection(rows, base_url(), iri, total, size, preference.contained)
        response = ld_response(data)
        if preference.applied:
            response.headers["Preference-Applied"] = preference.applied
        return response
    rows, total = interchange().page(_user(), document_id, number * size, size)
    if number > last_page(total, size):
        raise NotFound(f"no page {number}: the last page is {last_page(total, size)}")
    return ld_response(to_page(rows, base_url(), iri, (number, size, total), iris))


@bp.get("/annotations/")
def list_annotations() -> Response:
    """The annotations the caller may see, optionally of one document (?document=ID)."""
    document_id = request.args.get("document") or None
    iri = url_for("api.list_annotations", document=document_id, _external=True)
    return container(document_id, iri)


@bp.get("/documents/<doc_id>/annotations/")
def document_annotations(doc_id: str) -> Response:
    """The container of one document's annotations (those the caller may see)."""
    return container(doc_id, url_for("api.document_annotations", doc_id=doc_id, _external=True))


def _created(annotation: Any) -> Response:
    data = to_w3c(annotation, base_url())
    return ld_response(data, 201, Location=data["id"])


@bp.post("/annotations/")
@login_required
def create_annotation() -> Response:
    """Create an annotation or reply; 201 with Location."""
    new = parse_new_annotation(json_body())
    with db.transaction():
        annotation = services().annotations.create(new, current_user)
    return _created(annotation)


@bp.post("/documents/<doc_id>/annotations/")
@login_required
def create_document_annotation(doc_id: str) -> Response:
    """Create an annotation or reply in one document's container (another target is 422)."""
    new = parse_new_annotation(json_body())
    with db.transaction():
        annotation = services().annotations.create(new, current_user)
        if annotation.document_id != doc_id:  # raising here rolls the creation back
            raise ValidationError("target", f"this container holds annotations on {doc_id!r}")
    return _created(annotation)


@bp.get("/annotations/<annotation_id>")
def get_annotation(annotation_id: str) -> Response:
    """One annotation, if the caller may see it (404 otherwise)."""
    annotation = services().annotations.get(annotation_id, _user())
    return ld_response(to_w3c(annotation, base_url()))


@bp.put("/annotations/<annotation_id>")
@login_required
def update_annotation(annotation_id: str) -> Response:
    """Replace body, tags, sources, audience (author, or admin with reason); honours If-Match."""
    edit = parse_annotation_edit(json_body())
    svc = services().annotations
    with db.transaction():
        require_match(to_w3c(svc.get(annotation_id, current_user), base_url()))
        annotation = svc.update(annotation_id, edit, current_user)
    return ld_response(to_w3c(annotation, base_url()))


@bp.delete("/annotations/<annotation_id>")
@login_required
def delete_annotation(annotation_id: str) -> Response:
    """Delete, leaving a tombstone (author, or admin with ?reason=...); If-Match honoured."""
    reason = request.args.get("reason")
    svc = services().annotations
    with db.transaction():
        require_match(to_w3c(svc.get(annotation_id, current_user), base_url()))
        svc.delete(annotation_id, current_user, reason)
    return Response(status=204)


@bp.post("/preview")
@login_required
def preview() -> Response:
    """Render Markdown exactly as a saved body would be rendered."""
    data = json_body()
    if not isinstance(data, dict):
        raise ValidationError("body", "send a JSON object with a 'markdown' member")
    body = parse_body(data.get("markdown", ""))
    return Response(json.dumps({"html": body.html}), mimetype="application/json")


@bp.get("/context.jsonld")
def json_ld_context() -> Response:
    """The project's JSON-LD context for its extension members."""
    return ld_response(reader_context(base_url()))
