"""Claims in JSON: flagging, workflow moves, drafts, evidence, and published ClaimReviews."""

from __future__ import annotations

from typing import Any

from flask import Response, jsonify, url_for
from flask_login import current_user, login_required

from annotations.claim_inputs import parse_evidence, parse_flag, parse_move, parse_verdict
from annotations.claimreview import claim_review
from annotations.claims import Claim
from annotations.errors import ValidationError
from annotations.presenters import iso
from reader.api import bp
from reader.api.annotation import base_url, json_body
from reader.extensions import db
from reader.wiring import services


def _object() -> dict[str, Any]:
    data = json_body()
    if not isinstance(data, dict):
        raise ValidationError("body", "send a JSON object")
    return data


def claim_state(claim: Claim) -> dict[str, Any]:
    """The workflow view of a claim (for reviewers and API clients)."""
    verdict = claim.published_verdict
    return {
        "id": claim.id,
        "url": url_for("review.claim", claim_id=claim.id, _external=True),
        "document": claim.document_id,
        "start": claim.start,
        "end": claim.end,
        "exact": claim.exact,
        "claim_type": claim.claim_type,
        "state": claim.state,
        "version": claim.lock_version,
        "assignee": claim.assignee.username if claim.assignee else None,
        "flags": len(claim.flags),
        "evidence": len(claim.evidence),
        "verdict": verdict.rating if verdict else None,
        "updated": iso(claim.updated_at),
    }


@bp.post("/claims")
@login_required
def flag_claim() -> tuple[Response, int]:
    """Flag a passage (or an annotation's passage); 201 for a new claim, 200 when joined."""
    new = parse_flag(_object())
    with db.transaction():
        claim, created = services().review.flag(new, current_user)
    data = claim_state(claim)
    mine = next((f for f in claim.flags if f.user_id == current_user.id), None)
    data["annotation"] = mine.annotation_id if mine else None
    return jsonify(data), 201 if created else 200


@bp.post("/claims/<int:claim_id>/transitions")
@login_required
def move_claim(claim_id: int) -> Response:
    """Move a claim: {"to", "note", "version", "reject_reason", "duplicate_of", "assignee"}."""
    step = parse_move(_object())
    with db.transaction():
        claim = services().review.move(claim_id, step, current_user)
    return jsonify(claim_state(claim))


@bp.put("/claims/<int:claim_id>/verdict")
@login_required
def draft_verdict(claim_id: int) -> Response:
    """Save the draft verdict: {"rating", "summary", "version"}."""
    rating, summary, expected = parse_verdict(_object())
    with db.transaction():
        services().review.save_draft(claim_id, rating, summary, current_user, expected)
        claim = services().review.get(claim_id)
    return jsonify(claim_state(claim))


@bp.post("/claims/<int:claim_id>/evidence")
@login_required
def add_evidence(claim_id: int) -> tuple[Response, int]:
    """Attach evidence: {"url", "title", ..., "stance", "excerpt", "version"}."""
    data = _object()
    expected = parse_move({"to": "flagged", "version": data.pop("version", None)}).expected_version
    item = parse_evidence(data)
    with db.transaction():
        services().review.add_evidence(claim_id, item, current_user, expected)
        claim = services().review.get(claim_id)
    return jsonify(claim_state(claim)), 201


@bp.get("/claims/<int:claim_id>")
def get_claim(claim_id: int) -> Response:
    """The published claim as schema.org ClaimReview JSON-LD (404 until published)."""
    claim = services().review.get_published(claim_id)
    title = services().documents.get_version(claim.document_id).title
    response = jsonify(claim_review(claim, base_url(), title))
    response.headers["Content-Type"] = "application/ld+json"
    return response


@bp.get("/documents/<doc_id>/claimreviews")
def document_claimreviews(doc_id: str) -> Response:
    """Every published ClaimReview of a document."""
    version = services().documents.get_version(doc_id)
    claims = services().review.published_for_document(doc_id)
    response = jsonify([claim_review(c, base_url(), version.title) for c in claims])
    response.headers["Content-Type"] = "application/ld+json"
    return response
