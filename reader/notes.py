"""Annotation pages: permalinks, revision history and source exports."""

from __future__ import annotations

import json

from flask import Blueprint, Response, flash, jsonify, redirect, render_template, request, url_for
from flask_login import current_user, login_required

from annotations.citations import to_bibtex, to_csl_json
from annotations.errors import ValidationError
from annotations.inputs import parse_reattachment
from annotations.models import Annotation
from annotations.presenters import cited_source
from annotations.revisions import placement
from reader.api.annotation import json_body
from reader.errors import wants_json
from reader.extensions import db
from reader.library import current_viewer
from reader.wiring import services

bp = Blueprint("notes", __name__)


@bp.get("/annotations/<annotation_id>")
def permalink(annotation_id: str) -> Response:
    """Open the reader at an annotation."""
    annotation = services().annotations.get(annotation_id, current_viewer())
    target = url_for("library.document", doc_id=annotation.document_id)
    return redirect(f"{target}#annotation-{annotation.id}")  # type: ignore[return-value]


@bp.get("/annotations/<annotation_id>/revisions")
def revisions(annotation_id: str) -> str:
    """Show an annotation's current state and its earlier revisions."""
    svc = services().annotations
    viewer = current_viewer()
    current = svc.card(annotation_id, viewer)
    history = svc.revisions(annotation_id, viewer)
    return render_template("notes/revisions.html", annotation=current, history=history)


def _cited(doc_id: str) -> list:  # type: ignore[type-arg]
    services().documents.get_version(doc_id)
    citations = services().annotations.cited_sources(doc_id, current_viewer())
    return [cited_source(c.source, c.accessed) for c in citations]


@bp.get("/documents/<doc_id>/sources.bib")
def sources_bibtex(doc_id: str) -> Response:
    """The sources cited on a document (in annotations the viewer may see), as BibTeX."""
    response = Response(to_bibtex(_cited(doc_id)), mimetype="application/x-bibtex")
    response.headers["Content-Disposition"] = f'attachment; filename="{doc_id}-sources.bib"'
    return response


@bp.get("/documents/<doc_id>/sources.json")
def sources_csl(doc_id: str) -> Response:
    """The same sources as CSL-JSON."""
    body = json.dumps(to_csl_json(_cited(doc_id)), ensure_ascii=False, indent=2)
    response = Response(body, mimetype="application/vnd.citationstyles.csl+json")
    response.headers["Content-Disposition"] = f'attachment; filename="{doc_id}-sources.json"'
    return response


def submitted() -> dict[str, object]:
    """The request's fields: its JSON object, or its form."""
    if not request.is_json:
        return dict(request.form.to_dict())
    data = json_body()
    if not isinstance(data, dict):
        raise ValidationError("body", "send a JSON object")
    return data


def _placed(annotation: Annotation, message: str) -> Response:
    if wants_json():
        home = services().revisions.home_version(annotation)
        anchor = placement(annotation, home)
        return jsonify({"id": annotation.id, "document": annotation.document_id, "anchor": anchor})
    flash(message, "success")
    target = url_for("library.document", doc_id=annotation.document_id)
    return redirect(f"{target}#annotation-{annotation.id}")  # type: ignore[return-value]


@bp.post("/annotations/<annotation_id>/reattach")
@login_required
def reattach(annotation_id: str) -> Response:
    """Re-attach an orphan to words of the newest version: typed, or a selector (JSON)."""
    svc = services()
    annotation = svc.annotations.get(annotation_id, current_viewer())
    selection = parse_reattachment(submitted())
    with db.transaction():
        svc.revisions.reattach(annotation, selection, current_user)
    return _placed(annotation, "Annotation re-attached.")


@bp.post("/annotations/<annotation_id>/keep")
@login_required
def keep(annotation_id: str) -> Response:
    """Leave an orphan on the version it was last anchored on."""
    svc = services()
    annotation = svc.annotations.get(annotation_id, current_viewer())
    with db.transaction():
        number = svc.revisions.keep(annotation, current_user)
    return _placed(annotation, f"Kept on version {number}, where it is still highlighted.")


@bp.post("/annotations/<annotation_id>/retry")
@login_required
def retry(annotation_id: str) -> Response:
    """Put a kept annotation back among the orphans (re-anchored, if a newer version has it)."""
    svc = services()
    annotation = svc.annotations.get(annotation_id, current_viewer())
    with db.transaction():
        state = svc.revisions.retry(annotation, current_user)
    message = {
        "orphaned": "Back among the orphans: re-attach it to words of this version.",
        "changed": "Its passage was found in the newest version, with changed words.",
    }.get(state, "Its words were found in the newest version: it is back in place.")
    return _placed(annotation, message)
