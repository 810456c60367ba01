"""Annotation pages: permalinks, revision history and source exports."""

from __future__ import annotations

import json

from flask import Blueprint, Response, flash, redirect, render_template, request, url_for
from flask_login import current_user, login_required

from annotations.citations import to_bibtex, to_csl_json
from annotations.presenters import cited_source
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


@bp.post("/annotations/<annotation_id>/reattach")
@login_required
def reattach(annotation_id: str) -> Response:
    """Re-attach an orphaned annotation to words of the newest version."""
    svc = services()
    annotation = svc.annotations.get(annotation_id, current_viewer())
    exact = request.form.get("exact", "")
    with db.transaction():
        svc.revisions.reattach(annotation, exact, current_user)
    flash("Annotation re-attached.", "success")
    target = url_for("library.document", doc_id=annotation.document_id)
    return redirect(f"{target}#annotation-{annotation.id}")  # type: ignore[return-value]
