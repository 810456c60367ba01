"""Import and export pages: upload a W3C or Hypothesis file; export a document's or your notes."""

from __future__ import annotations

from collections.abc import Sequence

from flask import Blueprint, Response, abort, render_template, request, url_for
from flask_login import current_user, login_required

from annotations.errors import ValidationError
from annotations.interchange_parsing import parse_import_bytes
from annotations.models import Annotation
from annotations.presenters import digest_entries, to_collection, to_csv, to_markdown
from reader.api.annotation import base_url, ld_response
from reader.api.protocol import interchange
from reader.extensions import db
from reader.library import current_viewer
from reader.wiring import services

bp = Blueprint("interchange", __name__)
FORMATS = {
    "jsonld": 'application/ld+json; profile="http://www.w3.org/ns/anno.jsonld"',
    "csv": "text/csv; charset=utf-8",
    "md": "text/markdown; charset=utf-8",
    "html": "text/html; charset=utf-8",
}


@bp.get("/import")
@login_required
def import_form() -> str:
    """The upload form for a W3C or Hypothesis annotation file."""
    return render_template("interchange/import.html", report=None, error=None)


@bp.post("/import")
@login_required
def import_upload() -> tuple[str, int]:
    """Import an uploaded file as the signed-in user's annotations and show the report."""
    upload = request.files.get("file")
    document_id = request.form.get("document", "").strip() or None
    try:
        if upload is None or not upload.filename:
            raise ValidationError("file", "choose a file to import")
        parsed = parse_import_bytes(upload.read(), document_id)
        with db.transaction():
            report = interchange().import_file(parsed, current_user)
    except ValidationError as exc:
        return render_template("interchange/import.html", report=None, error=str(exc)), 422
    return render_template("interchange/import.html", report=report, error=None), 200


def _export(rows: Sequence[Annotation], fmt: str, title: str, name: str) -> Response:
    """Render rows in one export format, as a download (HTML is shown inline)."""
    if fmt == "jsonld":
        iri = request.base_url
        response = ld_response(to_collection(rows, base_url(), iri, len(rows), len(rows) or 1))
    elif fmt == "csv":
        response = Response(to_csv(rows))
    elif fmt == "md":
        response = Response(to_markdown(title, digest_entries(rows)))
    else:
        html = render_template(
            "interchange/digest.html", title=title, entries=digest_entries(rows), count=len(rows)
        )
        return Response(html, mimetype="text/html")
    response.headers["Content-Type"] = FORMATS[fmt]
    response.headers["Content-Disposition"] = f'attachment; filename="{name}.{fmt}"'
    return response


@bp.get("/documents/<doc_id>/export.<fmt>")
def export_document(doc_id: str, fmt: str) -> Response:
    """A document's annotations that the asker may see, as JSON-LD, CSV, Markdown or HTML."""
    if fmt not in FORMATS:
        abort(404)
    title = services().documents.get_version(doc_id).title
    rows = interchange().for_document(doc_id, current_viewer())
    return _export(rows, fmt, f"Annotations on {title}", f"{doc_id}-annotations")


@bp.get("/me/export.<fmt>")
@login_required
def export_mine(fmt: str) -> Response:
    """Every annotation the signed-in user wrote, in one of the export formats."""
    if fmt not in FORMATS:
        abort(404)
    rows = interchange().by_author(current_user)
    name = current_user.username
    return _export(rows, fmt, f"Annotations by {name}", f"{name}-annotations")


def export_links(doc_id: str | None = None) -> dict[str, str]:
    """The export URLs of a document (or of the user's own notes), by format."""
    if doc_id is None:
        return {fmt: url_for("interchange.export_mine", fmt=fmt) for fmt in FORMATS}
    return {fmt: url_for("interchange.export_document", doc_id=doc_id, fmt=fmt) for fmt in FORMATS}
