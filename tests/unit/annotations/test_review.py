"""The fact-check workflow: every transition, permissions, the audit log, ClaimReview output."""

from __future__ import annotations

from itertools import product

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from annotations.accounts import AccountService, User
from annotations.anchoring import QuoteSelector
from annotations.bodies import parse_body
from annotations.claim_inputs import Move, NewFlag, parse_evidence, parse_flag, parse_move
from annotations.claimreview import claim_review, report_markdown
from annotations.claims import STATES, TRANSITIONS, Claim, ClaimEvent
from annotations.errors import Conflict, NotFound, PermissionDenied, ValidationError
from annotations.inputs import NewAnnotation, Reattachment, TargetInput
from annotations.review import ReviewService
from annotations.review_queries import QueueFilter
from annotations.service import AnnotationService
from corpus.store import DocumentStore
from tests.factories import FAST_HASHER, SAMPLE_TEXT, import_text, make_user

PHRASE = "says something else entirely"
EVIDENCE = {
    "url": "https://example.org/report",
    "title": "A report",
    "stance": "refutes",
    "excerpt": "The report says otherwise.",
}


@pytest.fixture
def review(session: Session) -> ReviewService:
    import_text(session, SAMPLE_TEXT, doc_id="sample")
    documents = DocumentStore(session)
    return ReviewService(
        session,
        documents,
        AnnotationService(session, documents),
        AccountService(session, FAST_HASHER),
    )


@pytest.fixture
def people(session: Session) -> dict[str, User]:
    return {
        "member": make_user(session, "mo"),
        "ann": make_user(session, "ann", role="reviewer"),
        "ben": make_user(session, "ben", role="reviewer"),
        "admin": make_user(session, "ada", role="admin"),
    }


def flag(review: ReviewService, user: User, exact: str = PHRASE) -> Claim:
    claim, _ = review.flag(NewFlag("quantity", "Looks wrong", "sample", QuoteSelector(exact)), user)
    return claim


def to_in_review(review: ReviewService, claim: Claim, ann: User) -> None:
    review.move(claim.id, Move("accepted"), ann)
    review.move(claim.id, Move("researching"), ann)
    review.add_evidence(claim.id, parse_evidence(EVIDENCE), ann, None)
    review.save_draft(claim.id, "false", parse_body("It is **false**."), ann, None)
    review.move(claim.id, Move("in_review"), ann)


def test_flagging_the_same_passage_joins_the_claim(review: ReviewService, people: dict) -> None:
    first = flag(review, people["member"])
    second, created = review.flag(
        NewFlag("other", "Me too", "sample", QuoteSelector(PHRASE)), people["ann"]
    )
    assert second.id == first.id
    assert not created
    assert [f.user.username for f in first.flags] == ["mo", "ann"]
    again, _ = review.flag(NewFlag("other", "x", "sample", QuoteSelector(PHRASE)), people["ann"])
    assert len(again.flags) == 2


def test_flag_on_an_annotation_takes_only_its_passage(
    review: ReviewService, people: dict, session: Session
) -> None:
    target = TargetInput("sample", QuoteSelector(PHRASE), None)
    secret = review.annotations.create(
        NewAnnotation(
            "commenting", parse_body("PRIVATE THOUGHT"), target=target, visibility="private"
        ),
        people["member"],
    )
    with pytest.raises(NotFound):
        review.flag(NewFlag("other", "r", annotation_id=secret.id), people["ann"])
    claim, _ = review.flag(NewFlag("other", "r", annotation_id=secret.id), people["member"])
    assert (claim.exact, claim.start) == (PHRASE, secret.start)
    assert "PRIVATE" not in repr(vars(claim))


def test_the_happy_path_publishes_with_a_second_reviewer(
    review: ReviewService, people: dict
) -> None:
    claim = flag(review, people["member"])
    to_in_review(review, claim, people["ann"])
    with pytest.raises(PermissionDenied, match="other than the one who researched"):
        review.move(claim.id, Move("approved"), people["ann"])
    review.move(claim.id, Move("approved"), people["ben"])
    review.move(claim.id, Move("published"), people["ben"])
    assert claim.state == "published"
    assert claim.published_verdict is not None
    assert claim.published_verdict.approved_by is people["ben"]
    assert claim.published_verdict.scale_version == "2026-11"
    states = [(e.from_state, e.to_state, e.actor.username) for e in claim.events]
    assert states == [
        (None, "flagged", "mo"),
        ("flagged", "accepted", "ann"),
        ("accepted", "researching", "ann"),
        ("researching", "in_review", "ann"),
        ("in_review", "approved", "ben"),
        ("approved", "published", "ben"),
    ]


def test_every_forbidden_transition_is_refused_and_changes_nothing(
    review: ReviewService, people: dict, session: Session
) -> None:
    claim = flag(review, people["member"])
    for target in STATES:
        if (claim.state, target) in TRANSITIONS:
            continue
        before = (claim.state, claim.lock_version)
        with pytest.raises(Conflict, match="cannot go from"):
            review.move(claim.id, Move(target), people["ann"])
        assert (claim.state, claim.lock_version) == before


def test_transition_table_is_exactly_the_documented_workflow() -> None:
    allowed = {(a, b) for a, b in product(STATES, STATES) if (a, b) in TRANSITIONS}
    assert ("flagged", "published") not in allowed
    assert ("approved", "published") in allowed
    assert ("published", "correction") in allowed
    assert ("retracted", "published") not in allowed
    assert {b for a, b in allowed if a == "flagged"} == {"accepted", "rejected"}


def test_members_cannot_move_claims(review: ReviewService, people: dict) -> None:
    claim = flag(review, people["member"])
    with pytest.raises(PermissionDenied, match="only reviewers"):
        review.move(claim.id, Move("accepted"), people["member"])
    with pytest.raises(PermissionDenied):
        review.save_draft(claim.id, "true", parse_body("x"), people["member"], None)
    assert claim.state == "flagged"


def test_rejection_needs_a_reason_and_duplicates_a_claim(
    review: ReviewService, people: dict
) -> None:
    claim = flag(review, people["member"])
    other = flag(review, people["member"], exact="The first paragraph")
    with pytest.raises(ValidationError, match="say why"):
        review.move(claim.id, Move("rejected"), people["ann"])
    with pytest.raises(ValidationError, match="name the other claim"):
        review.move(claim.id, Move("rejected", reject_reason="duplicate"), people["ann"])
    review.move(
        claim.id, Move("rejected", reject_reason="duplicate", duplicate_of=other.id), people["ann"]
    )
    assert (claim.state, claim.duplicate_of_id) == ("rejected", other.id)
    review.move(claim.id, Move("flagged", note="reopened"), people["ann"])
    assert claim.reject_reason is None


def test_publishing_needs_summary_and_evidence(review: ReviewService, people: dict) -> None:
    claim = flag(review, people["member"])
    review.move(claim.id, Move("accepted"), people["ann"])
    review.move(claim.id, Move("researching"), people["ann"])
    with pytest.raises(ValidationError, match="draft verdict"):
        review.move(claim.id, Move("in_review"), people["ann"])
    review.save_draft(claim.id, "true", parse_body(""), people["ann"], None)
    review.move(claim.id, Move("in_review"), people["ann"])
    with pytest.raises(ValidationError, match="summary"):
        review.move(claim.id, Move("approved"), people["ben"])
    review.move(claim.id, Move("researching"), people["ben"])
    review.save_draft(claim.id, "true", parse_body("Fine."), people["ann"], None)
    review.move(claim.id, Move("in_review"), people["ann"])
    with pytest.raises(ValidationError, match="at least one evidence"):
        review.move(claim.id, Move("approved"), people["ben"])
    assert claim.state == "in_review"


def test_stale_updates_get_409(review: ReviewService, people: dict) -> None:
    claim = flag(review, people["member"])
    seen = claim.lock_version
    review.move(claim.id, Move("accepted", expected_version=seen), people["ann"])
    with pytest.raises(Conflict, match="changed by someone else"):
        review.move(
            claim.id,
            Move("rejected", reject_reason="opinion", expected_version=seen),
            people["ben"],
        )
    assert claim.state == "accepted"


def test_correction_keeps_the_old_verdict_dated(review: ReviewService, people: dict) -> None:
    claim = flag(review, people["member"])
    to_in_review(review, claim, people["ann"])
    review.move(claim.id, Move("approved"), people["ben"])
    review.move(claim.id, Move("published"), people["ben"])
    with pytest.raises(ValidationError, match="what needs correcting"):
        review.move(claim.id, Move("correction"), people["ben"])
    review.move(claim.id, Move("correction", note="new figures"), people["ben"])
    review.save_draft(claim.id, "mostly_false", parse_body("Revised."), people["ben"], None)
    review.move(claim.id, Move("in_review"), people["ben"])
    review.move(claim.id, Move("approved"), people["ann"])
    review.move(claim.id, Move("published"), people["ann"])
    statuses = [(v.rating, v.status) for v in claim.verdicts]
    assert statuses == [("false", "superseded"), ("mostly_false", "published")]
    assert claim.verdicts[0].superseded_at is not None
    review_json = claim_review(claim, "https://r.example", "Doc")
    assert review_json["reviewRating"]["ratingValue"] == 2
    assert "dateModified" in review_json


def test_claimreview_has_required_and_recommended_fields(
    review: ReviewService, people: dict
) -> None:
    claim = flag(review, people["member"])
    to_in_review(review, claim, people["ann"])
    review.move(claim.id, Move("approved"), people["ben"])
    review.move(claim.id, Move("published"), people["ben"])
    data = claim_review(claim, "https://r.example", "Sample")
    assert data["@context"] == "https://schema.org"
    assert data["@type"] == "ClaimReview"
    assert data["claimReviewed"] == PHRASE
    assert data["url"] == f"https://r.example/claims/{claim.id}"
    assert data["reviewRating"] == {
        "@type": "Rating",
        "alternateName": "False",
        "ratingValue": 1,
        "bestRating": 5,
        "worstRating": 1,
    }
    assert data["author"]["@type"] == "Organization"
    assert data["datePublished"].endswith("Z")
    assert "dateModified" not in data
    appearance = data["itemReviewed"]["appearance"]
    assert data["itemReviewed"]["@type"] == "Claim"
    assert appearance["url"] == f"https://r.example/documents/sample#claim-{claim.id}"
    report = report_markdown(
        "Sample", "https://r.example/documents/sample", [claim], "https://r.example"
    )
    assert "## 1. False" in report
    assert "1. [A report](https://example.org/report) (refutes)" in report


def test_non_ordinal_outcomes_carry_only_their_name(review: ReviewService, people: dict) -> None:
    claim = flag(review, people["member"])
    review.move(claim.id, Move("accepted"), people["ann"])
    review.move(claim.id, Move("researching"), people["ann"])
    review.add_evidence(claim.id, parse_evidence(EVIDENCE), people["ann"], None)
    review.save_draft(claim.id, "misleading", parse_body("Framed to mislead."), people["ann"], None)
    review.move(claim.id, Move("in_review"), people["ann"])
    review.move(claim.id, Move("approved"), people["ben"])
    review.move(claim.id, Move("published"), people["ben"])
    assert claim_review(claim, "https://r", "D")["reviewRating"] == {
        "@type": "Rating",
        "alternateName": "Misleading",
    }


def test_queue_filters_sorts_and_counts(
    review: ReviewService, people: dict, session: Session
) -> None:
    first = flag(review, people["member"])
    second = flag(review, people["member"], exact="The first paragraph")
    review.move(first.id, Move("accepted"), people["ann"])
    review.assign(first.id, "ben", people["ann"], None)
    claims, counts = review.queue(QueueFilter(state="flagged"))
    assert [c.id for c in claims] == [second.id]
    assert counts == {"flagged": 1, "accepted": 1}
    mine, _ = review.queue(QueueFilter(assignee="ben"))
    assert [c.id for c in mine] == [first.id]
    unassigned, _ = review.queue(QueueFilter(assignee="none"))
    assert [c.id for c in unassigned] == [second.id]
    oldest, _ = review.queue(QueueFilter(sort="oldest"))
    assert [c.id for c in oldest] == [first.id, second.id]
    with pytest.raises(ValidationError, match="not a reviewer"):
        review.assign(first.id, "mo", people["ann"], None)


def test_audit_log_is_append_only_in_practice(
    review: ReviewService, people: dict, session: Session
) -> None:
    claim = flag(review, people["member"])
    review.move(claim.id, Move("accepted", note="worth checking"), people["ann"])
    count = session.scalar(select(func.count()).select_from(ClaimEvent))
    with pytest.raises(Conflict):
        review.move(claim.id, Move("published"), people["ann"])
    assert session.scalar(select(func.count()).select_from(ClaimEvent)) == count
    assert claim.events[-1].note == "worth checking"


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"to": "flying"}, "unknown state"),
        ({"to": "rejected", "reject_reason": "boring"}, "reject_reason"),
        ({"to": "accepted", "version": "x"}, "whole number"),
        ({"to": "accepted", "note": "n" * 2001}, "limit is 2000"),
    ],
)
def test_bad_moves_are_refused(data: dict, message: str) -> None:
    with pytest.raises(ValidationError, match=message):
        parse_move(data)


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"claim_type": "vibes", "document": "sample"}, "claim_type"),
        ({"claim_type": "quantity"}, "say which document"),
        ({"claim_type": "quantity", "document": "sample", "selector": []}, "TextQuoteSelector"),
        ({"claim_type": "quantity", "annotation": 5}, "annotation id"),
        (
            {
                "claim_type": "quantity",
                "document": "sample",
                "selector": {"type": "TextQuoteSelector", "exact": "x"},
                "evidence": [{"url": "https://e.org", "title": "t", "stance": "supports"}],
            },
            "excerpt",
        ),
    ],
)
def test_bad_flags_are_refused(data: dict, message: str) -> None:
    with pytest.raises(ValidationError, match=message):
        parse_flag(data)


# --- claims on a new version -------------------------------------------------------------

NEW_TEXT = SAMPLE_TEXT.replace(
    "says something else entirely, at some length too.",
    "was rewritten by an editor, at some length too, and twice: at some length.",
)


def log_of(review: ReviewService, claim: Claim) -> list[ClaimEvent]:
    """The claim's audit log as stored (the loaded collection may predate new entries)."""
    query = select(ClaimEvent).where(ClaimEvent.claim_id == claim.id).order_by(ClaimEvent.id)
    return list(review.session.scalars(query))


def orphaned_claim(review: ReviewService, people: dict) -> Claim:
    """A claim on PHRASE, orphaned by a version that rewrote its sentence."""
    claim = flag(review, people["member"])
    import_text(review.session, NEW_TEXT, doc_id="sample")
    review.revisions.reanchor_document("sample")
    assert claim.anchor_state == "orphaned"
    return claim


def test_reviewers_reattach_an_orphaned_claim_and_the_log_says_so(
    review: ReviewService, people: dict
) -> None:
    claim = orphaned_claim(review, people)
    seen = claim.lock_version
    words = Reattachment(QuoteSelector("was rewritten by an editor"))
    review.reattach(claim.id, words, people["ann"], seen)
    newest = review.documents.get_version("sample")
    assert (claim.anchor_state, claim.anchor_version_id) == ("exact", newest.id)
    assert newest.text[claim.start : claim.end] == claim.exact == "was rewritten by an editor"
    assert claim.lock_version > seen
    last = log_of(review, claim)[-1]
    assert last.actor is people["ann"]
    assert (last.from_state, last.to_state) == ("flagged", "flagged")
    assert "Re-attached to “was rewritten by an editor” in version 2" in last.note
    assert PHRASE in last.note
    # Flagging the same words again joins the re-attached claim.
    again, created = review.flag(
        NewFlag("other", "x", "sample", QuoteSelector("was rewritten by an editor")), people["ben"]
    )
    assert (again.id, created) == (claim.id, False)


def test_only_reviewers_reattach_keep_or_retry_claims(review: ReviewService, people: dict) -> None:
    claim = orphaned_claim(review, people)
    words = Reattachment(QuoteSelector("was rewritten by an editor"))
    for act in (
        lambda: review.reattach(claim.id, words, people["member"], None),
        lambda: review.keep(claim.id, people["member"], None),
        lambda: review.retry(claim.id, people["member"], None),
    ):
        with pytest.raises(PermissionDenied):
            act()
    review.keep(claim.id, people["admin"], None)  # admins review too
    assert claim.anchor_kept_at is not None


def test_claim_reattachment_is_refused_on_a_stale_version_or_unclear_words(
    review: ReviewService, people: dict
) -> None:
    claim = orphaned_claim(review, people)
    stale = claim.lock_version
    review.assign(claim.id, "ann", people["ann"], stale)
    words = Reattachment(QuoteSelector("was rewritten by an editor"))
    with pytest.raises(Conflict, match="changed by someone else"):
        review.reattach(claim.id, words, people["ben"], stale)
    with pytest.raises(ValidationError, match="occur 2 times in version 2"):
        review.reattach(
            claim.id, Reattachment(QuoteSelector("at some length")), people["ben"], None
        )
    with pytest.raises(ValidationError, match="does not occur"):
        review.reattach(claim.id, Reattachment(QuoteSelector(PHRASE)), people["ben"], None)
    assert claim.anchor_state == "orphaned"


def test_a_claim_is_not_reattached_onto_another_claims_words(
    review: ReviewService, people: dict
) -> None:
    claim = orphaned_claim(review, people)
    other = flag(review, people["member"], "was rewritten by an editor")
    words = Reattachment(QuoteSelector("was rewritten by an editor"))
    with pytest.raises(Conflict, match=f"claim {other.id} already covers these words"):
        review.reattach(claim.id, words, people["ann"], None)
    placed = Reattachment(QuoteSelector("A Section Heading"))
    with pytest.raises(Conflict, match="only an orphaned or changed one"):
        review.reattach(other.id, placed, people["ann"], None)


def test_a_kept_claim_stays_on_its_version_until_a_reviewer_retries(
    review: ReviewService, people: dict
) -> None:
    claim = orphaned_claim(review, people)
    home = claim.anchor_version_id
    review.keep(claim.id, people["ann"], claim.lock_version)
    assert "Kept on version 1" in log_of(review, claim)[-1].note
    events = len(log_of(review, claim))
    review.keep(claim.id, people["ann"], None)
    assert len(log_of(review, claim)) == events  # keeping twice logs once
    # Version 3 brings the passage back; a kept claim is not moved by the import ...
    import_text(review.session, SAMPLE_TEXT, doc_id="sample")
    review.revisions.reanchor_document("sample")
    assert (claim.anchor_state, claim.anchor_version_id) == ("orphaned", home)
    # ... but retrying re-anchors it onto that version.
    review.retry(claim.id, people["ben"], None)
    third = review.documents.get_version("sample")
    assert claim.anchor_kept_at is None
    assert claim.anchor_version_id == third.id
    last = log_of(review, claim)[-1]
    assert last.actor is people["ben"]
    assert "re-anchored onto the newest version" in last.note
    with pytest.raises(Conflict, match="only an orphaned claim can be kept"):
        review.keep(claim.id, people["ann"], None)


def test_orphaned_claims_are_listed_for_reviewers_until_placed_or_kept(
    review: ReviewService, people: dict
) -> None:
    claim = orphaned_claim(review, people)
    placed = flag(review, people["member"], "A Section Heading")
    assert review.orphans("sample", people["member"]) == []
    assert review.orphans("sample", None) == []
    assert review.orphans("sample", people["ann"]) == [claim]
    assert review.orphans("sample", people["admin"]) == [claim]
    assert placed not in review.orphans("sample", people["ann"])
    review.keep(claim.id, people["ann"], None)
    assert review.orphans("sample", people["ann"]) == []
    review.retry(claim.id, people["ann"], None)
    assert review.orphans("sample", people["ann"]) == [claim]
    review.reattach(claim.id, Reattachment(QuoteSelector("was rewritten")), people["ann"], None)
    assert review.orphans("sample", people["ann"]) == []
