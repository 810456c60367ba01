"""The annotation API in the W3C Web Annotation model."""

from __future__ import annotations

import json
from typing import Any

from flask import Response, request, url_for
from flask_login import current_user, login_required

from annotations.bodies import parse_body
from annotations.errors import ValidationError
from annotations.presenters import MEDIA_TYPE, reader_context, to_collection, to_w3c
from annotations.w3c import parse_annotation_edit, parse_new_annotation
from reader.api import bp
from reader.extensions import db
from reader.wiring import services

JSON_TYPES = ("application/json", "application/ld+json")
MAX_PAGE = 1000


def base_url() -> str:
    """The site's base URL, without a trailing slash."""
    return request.host_url.rstrip("/")


def ld_response(data: Any, status: int = 200, **headers: str) -> Response:
    """Answer JSON-LD with the W3C annotation profile."""
    response = Response(json.dumps(data, ensure_ascii=False), status=status, mimetype=None)
    response.headers["Content-Type"] = MEDIA_TYPE
    response.headers.update(headers)
    return response


def json_body() -> object:
    """Return the parsed JSON request body, or raise ValidationError saying what is wrong."""
    if request.mimetype not in JSON_TYPES:
        raise ValidationError("Content-Type", "send application/ld+json or application/json")
    try:
        return json.loads(request.get_data(as_text=True))
    except (ValueError, RecursionError) as exc:
        raise ValidationError("body", f"the request body is not valid JSON ({exc})") from None


def _user() -> Any:
    return current_user if current_user.is_authenticated else None


@bp.get("/annotations/")
def list_annotations() -> Response:
    """The annotations the caller may see, optionally of one document (?document=ID)."""
    document_id = request.args.get("document") or None
    rows, total = services().annotations.list_visible(_user(), document_id, MAX_PAGE)
    iri = url_for("api.list_annotations", document=document_id, _external=True)
    return ld_response(to_collection(rows, base_url(), iri, total))


@bp.post("/annotations/")
@login_required
def create_annotation() -> Response:
    """Create an annotation or reply; 201 with Location."""
    new = parse_new_annotation(json_body())
    with db.transaction():
        annotation = services().annotations.create(new, current_user)
    data = to_w3c(annotation, base_url())
    return ld_response(data, 201, Location=data["id"])


@bp.get("/annotations/<annotation_id>")
def get_annotation(annotation_id: str) -> Response:
    """One annotation, if the caller may see it (404 otherwise)."""
    annotation = services().annotations.get(annotation_id, _user())
    return ld_response(to_w3c(annotation, base_url()))


@bp.put("/annotations/<annotation_id>")
@login_required
def update_annotation(annotation_id: str) -> Response:
    """Replace an annotation's body, tags, sources and audience (author, or admin with reason)."""
    edit = parse_annotation_edit(json_body())
    with db.transaction():
        annotation = services().annotations.update(annotation_id, edit, current_user)
    return ld_response(to_w3c(annotation, base_url()))


@bp.delete("/annotations/<annotation_id>")
@login_required
def delete_annotation(annotation_id: str) -> Response:
    """Delete, leaving a tombstone (author, or admin with ?reason=...)."""
    reason = request.args.get("reason")
    with db.transaction():
        services().annotations.delete(annotation_id, current_user, reason)
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
