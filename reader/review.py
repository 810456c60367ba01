"""Fact-check review in the browser: queue, claim pages, workflow forms, methodology, reports."""

from __future__ import annotations

import json

from flask import (
    Blueprint,
    Response,
    abort,
    flash,
    jsonify,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_login import current_user, login_required

from annotations.claim_inputs import (
    parse_claim_type,
    parse_evidence,
    parse_move,
    parse_verdict,
    parse_version,
)
from annotations.claimreview import claim_review, evidence_by_stance, report_markdown
from annotations.claims import CLAIM_TYPES, RATINGS, REJECT_REASONS, STATES, TRANSITIONS, Claim
from annotations.errors import ValidationError
from annotations.inputs import parse_reattachment
from annotations.review_queries import QueueFilter
from annotations.revisions import placement
from reader.api.claims import claim_state
from reader.errors import wants_json
from reader.extensions import db
from reader.library import current_viewer
from reader.notes import submitted
from reader.wiring import services

bp = Blueprint("review", __name__)


def _reviewer_only() -> None:
    if not current_user.is_authenticated or not current_user.is_reviewer:
        abort(403, "Only reviewers can see the review queue.")


def _base() -> str:
    return request.host_url.rstrip("/")


def _days(raw: str | None) -> int | None:
    if raw is None or raw == "":
        return None
    if not (raw.isascii() and raw.isdigit()) or len(raw) > 5 or int(raw) > 36500:
        raise ValidationError("age", "must be a number of days")
    return int(raw)


@bp.get("/review")
@login_required
def queue() -> str:
    """The review queue, filterable and sortable, with counts by state."""
    _reviewer_only()
    args = request.args
    wanted = QueueFilter(
        state=args.get("state") if args.get("state") in STATES else None,
        document_id=args.get("document") or None,
        claim_type=args.get("type") if args.get("type") in CLAIM_TYPES else None,
        assignee=args.get("assignee") or None,
        older_than_days=_days(args.get("age")),
        sort=args.get("sort", "newest"),
    )
    claims, counts = services().review.queue(wanted)
    return render_template(
        "review/queue.html",
        claims=claims,
        counts=counts,
        wanted=wanted,
        documents=services().documents.list_documents(),
        claim_types=CLAIM_TYPES,
        states=STATES,
        reviewers=services().review.reviewers(),
    )


def embeddable_json(data: object) -> str:
    """JSON safe inside a <script> element (no way to close it early)."""
    text = json.dumps(data, ensure_ascii=False)
    return text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")


@bp.get("/claims/<int:claim_id>")
def claim(claim_id: int) -> str:
    """A claim's page: public once published, otherwise for reviewers only."""
    svc, viewer = services(), current_viewer()
    is_reviewer = viewer is not None and viewer.is_reviewer
    found = svc.review.get(claim_id) if is_reviewer else svc.review.get_published(claim_id)
    version = svc.documents.get_version(found.document_id)
    home = svc.revisions.home_version(found) or version  # an orphan's passage is in its home
    threads = [
        t
        for t in svc.annotations.cards(found.document_id, viewer)
        if (t.root.start or 0) < found.end and (t.root.end or 0) > found.start
    ]
    has_review = any(v.published_at for v in found.verdicts)
    jsonld = claim_review(found, _base(), version.title) if has_review else None
    return render_template(
        "review/claim.html",
        claim=found,
        document=version,
        threads=threads,
        jsonld=embeddable_json(jsonld) if jsonld else None,
        evidence=evidence_by_stance(found),
        ratings=RATINGS,
        reject_reasons=REJECT_REASONS,
        next_states=sorted(to for frm, to in TRANSITIONS if frm == found.state),
        is_reviewer=is_reviewer,
        home=home,
        context_before=home.text[max(0, found.start - 300) : found.start],
        context_after=home.text[found.end : found.end + 300],
        reviewers=svc.review.reviewers() if is_reviewer else [],
    )


def _done(claim_id: int, message: str) -> Response:
    flash(message, "success")
    return redirect(url_for("review.claim", claim_id=claim_id))  # type: ignore[return-value]


@bp.post("/claims/<int:claim_id>/move")
@login_required
def move(claim_id: int) -> Response:
    """Apply a workflow transition from the claim page's form."""
    step = parse_move(request.form.to_dict())
    with db.transaction():
        moved = services().review.move(claim_id, step, current_user)
    return _done(claim_id, f"Claim {claim_id} is now {moved.state.replace('_', ' ')}.")


@bp.post("/claims/<int:claim_id>/assign")
@login_required
def assign(claim_id: int) -> Response:
    """Assign the claim to a reviewer."""
    form = request.form
    expected = parse_move({"to": "flagged", "version": form.get("version")}).expected_version
    with db.transaction():
        done = services().review.assign(claim_id, form.get("assignee", ""), current_user, expected)
    return _done(claim_id, f"Assigned to {done.assignee.username if done.assignee else 'nobody'}.")


@bp.post("/claims/<int:claim_id>/verdict")
@login_required
def verdict(claim_id: int) -> Response:
    """Save the draft verdict."""
    rating, summary, expected = parse_verdict(request.form.to_dict())
    with db.transaction():
        services().review.save_draft(claim_id, rating, summary, current_user, expected)
    return _done(claim_id, "Draft verdict saved.")


@bp.post("/claims/<int:claim_id>/evidence")
@login_required
def evidence(claim_id: int) -> Response:
    """Attach an evidence source."""
    form = request.form.to_dict()
    form.pop("csrf_token", None)
    expected = parse_move({"to": "flagged", "version": form.pop("version", None)}).expected_version
    if form.get("authors"):
        form["authors"] = [a.strip() for a in form["authors"].split(";") if a.strip()]
    form = {k: v for k, v in form.items() if v not in ("", [])}
    item = parse_evidence(form)
    with db.transaction():
        services().review.add_evidence(claim_id, item, current_user, expected)
    return _done(claim_id, "Evidence added.")


def _anchored(claim: Claim, message: str) -> Response:
    if wants_json():
        home = services().revisions.home_version(claim)
        return jsonify(claim_state(claim) | {"anchor": placement(claim, home)})
    return _done(claim.id, message)


@bp.post("/claims/<int:claim_id>/reattach")
@login_required
def reattach(claim_id: int) -> Response:
    """Re-attach an orphaned or changed claim to words of the newest version (reviewers)."""
    data = submitted()
    selection, expected = parse_reattachment(data), parse_version(data.get("version"))
    with db.transaction():
        claim = services().review.reattach(claim_id, selection, current_user, expected)
    return _anchored(claim, f"Claim {claim_id} re-attached to the newest version.")


@bp.post("/claims/<int:claim_id>/keep")
@login_required
def keep(claim_id: int) -> Response:
    """Leave an orphaned claim on the version it was last anchored on (reviewers)."""
    expected = parse_version(submitted().get("version"))
    with db.transaction():
        claim = services().review.keep(claim_id, current_user, expected)
    return _anchored(claim, f"Claim {claim_id} is kept on the version its passage is in.")


@bp.post("/claims/<int:claim_id>/retry")
@login_required
def retry(claim_id: int) -> Response:
    """Put a kept claim back among the orphans, to re-attach it (reviewers)."""
    expected = parse_version(submitted().get("version"))
    with db.transaction():
        claim = services().review.retry(claim_id, current_user, expected)
    return _anchored(claim, f"Claim {claim_id} is no longer kept on an earlier version.")


@bp.get("/methodology")
def methodology() -> str:
    """The public definitions of every verdict on the scale."""
    return render_template("review/methodology.html", ratings=RATINGS.values())


@bp.get("/documents/<doc_id>/factcheck")
def report(doc_id: str) -> str:
    """The printable fact-check report of a document."""
    version = services().documents.get_version(doc_id)
    claims = services().review.published_for_document(doc_id)
    return render_template("review/report.html", document=version, claims=claims)


@bp.get("/documents/<doc_id>/factcheck.md")
def report_md(doc_id: str) -> Response:
    """The same report as Markdown."""
    version = services().documents.get_version(doc_id)
    claims = services().review.published_for_document(doc_id)
    url = url_for("library.document", doc_id=doc_id, _external=True)
    text = report_markdown(version.title, url, claims, _base())
    response = Response(text, mimetype="text/markdown")
    response.headers["Content-Disposition"] = f'attachment; filename="{doc_id}-factcheck.md"'
    return response


@bp.get("/documents/<doc_id>/suggestions")
@login_required
def suggestions(doc_id: str) -> str:
    """Sentences ranked by check-worthiness, with reasons, for reviewers to flag in one click."""
    _reviewer_only()
    version = services().documents.get_version(doc_id)
    ranked = services().review.suggestions(doc_id, limit=40)
    return render_template("review/suggestions.html", document=version, suggestions=ranked)


@bp.post("/documents/<doc_id>/suggestions/flag")
@login_required
def flag_suggestion(doc_id: str) -> Response:
    """Flag one suggested sentence as a claim."""
    _reviewer_only()
    form = request.form
    raw_start, raw_end = form.get("start", ""), form.get("end", "")
    digits = (raw_start + raw_end).isascii() and raw_start.isdigit() and raw_end.isdigit()
    if not digits or max(len(raw_start), len(raw_end)) > 9:
        raise ValidationError("start", "the suggestion's offsets are missing")
    with db.transaction():
        found, created = services().review.flag_span(
            doc_id,
            int(raw_start),
            int(raw_end),
            parse_claim_type(form.get("claim_type", "other")),
            form.get("reason", "Suggested as check-worthy")[:1000],
            current_user,
        )
    flash(
        "Claim flagged." if created else "That passage was already a claim; your flag joined it.",
        "success",
    )
    return redirect(url_for("review.claim", claim_id=found.id))  # type: ignore[return-value]
