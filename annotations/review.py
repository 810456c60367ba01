"""The fact-check workflow: flagging, triage, research, second-reviewer approval, publishing."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session, selectinload

from annotations.accounts import AccountService, User
from annotations.anchoring import PositionSelector, QuoteSelector, anchor_quote
from annotations.anchors import AnchorRecord
from annotations.bodies import Body, parse_body
from annotations.checkworthy import Suggestion, suggest_claims
from annotations.claim_inputs import Move, NewEvidence, NewFlag
from annotations.claims import (
    OPEN_STATES,
    TRANSITIONS,
    Claim,
    ClaimEvent,
    ClaimFlag,
    Evidence,
    Verdict,
)
from annotations.errors import Conflict, NotFound, PermissionDenied, ValidationError
from annotations.inputs import NewAnnotation, Reattachment, TargetInput
from annotations.models import Annotation
from annotations.revisions import RevisionService
from annotations.service import AnnotationService
from corpus.models import IndexJob, utcnow
from corpus.store import DocumentStore

SORTS: dict[str, Any] = {
    "newest": Claim.created_at.desc(),
    "oldest": Claim.created_at.asc(),
    "updated": Claim.updated_at.desc(),
    "document": Claim.document_id.asc(),
}


@dataclass(frozen=True)
class QueueFilter:
    """What the review queue shows."""

    state: str | None = None
    document_id: str | None = None
    claim_type: str | None = None
    assignee: str | None = None  # a username, or "none" for unassigned
    older_than_days: int | None = None
    sort: str = "newest"


class ReviewService:
    """Claims and their workflow; the caller commits. Only reviewers move claims."""

    def __init__(
        self,
        session: Session,
        documents: DocumentStore,
        annotations: AnnotationService,
        accounts: AccountService,
        clock: Callable[[], datetime] = utcnow,
        max_quote: int = 5000,
        revisions: RevisionService | None = None,
    ) -> None:
        self.session = session
        self.documents = documents
        self.annotations = annotations
        self.accounts = accounts
        self.clock = clock
        self.max_quote = max_quote
        self.revisions = revisions or RevisionService(session, documents, clock, max_quote)

    # --- reading -------------------------------------------------------------------------

    def get(self, claim_id: int) -> Claim:
        """Return a claim or raise NotFound."""
        claim = self.session.get(
            Claim, claim_id, options=[selectinload(Claim.verdicts), selectinload(Claim.events)]
        )
        if claim is None:
            raise NotFound(f"no claim {claim_id}")
        return claim

    def get_published(self, claim_id: int) -> Claim:
        """Return a claim that has a published (or retracted) verdict, else NotFound."""
        claim = self.get(claim_id)
        if claim.state not in ("published", "correction", "retracted") or not any(
            v.published_at for v in claim.verdicts
        ):
            raise NotFound(f"claim {claim_id} has no published verdict")
        return claim

    def for_document(self, document_id: str) -> list[Claim]:
        """The document's claims (not rejected), in passage order."""
        query = (
            select(Claim)
            .where(Claim.document_id == document_id, Claim.state != "rejected")
            .order_by(Claim.start, Claim.id)
            .options(selectinload(Claim.verdicts))
        )
        return list(self.session.scalars(query))

    def published_for_document(self, document_id: str) -> list[Claim]:
        """Claims of a document with a verdict in force, in passage order."""
        return [c for c in self.for_document(document_id) if c.state in ("published", "correction")]

    def queue(self, wanted: QueueFilter) -> tuple[list[Claim], dict[str, int]]:
        """Claims matching the filter, sorted, and counts by state over the other filters."""
        query = select(Claim).options(selectinload(Claim.assignee), selectinload(Claim.flags))
        conditions = []
        if wanted.document_id:
            conditions.append(Claim.document_id == wanted.document_id)
        if wanted.claim_type:
            conditions.append(Claim.claim_type == wanted.claim_type)
        if wanted.assignee == "none":
            conditions.append(Claim.assignee_id.is_(None))
        elif wanted.assignee:
            user = self.accounts.find(wanted.assignee)
            conditions.append(Claim.assignee_id == (user.id if user else -1))
        if wanted.older_than_days is not None:
            cutoff = self.clock() - timedelta(days=wanted.older_than_days)
            conditions.append(Claim.created_at <= cutoff)
        counts_query = select(Claim.state, func.count()).where(*conditions).group_by(Claim.state)
        counts = {state: int(n) for state, n in self.session.execute(counts_query)}
        if wanted.state:
            conditions.append(Claim.state == wanted.state)
        order = SORTS.get(wanted.sort, SORTS["newest"])
        claims = list(self.session.scalars(query.where(*conditions).order_by(order, Claim.id)))
        return claims, counts

    def summary(self, document_id: str) -> dict[str, dict[str, int]]:
        """Counts of a document's claims by state and by verdict in force."""
        by_state: dict[str, int] = {}
        by_verdict: dict[str, int] = {}
        for claim in self.for_document(document_id):
            by_state[claim.state] = by_state.get(claim.state, 0) + 1
            verdict = claim.published_verdict
            if verdict is not None:
                label = verdict.scale.label
                by_verdict[label] = by_verdict.get(label, 0) + 1
        return {"state": by_state, "verdict": by_verdict}

    def reviewers(self) -> list[User]:
        """Everyone who may review, by name."""
        query = select(User).where(User.role.in_(("reviewer", "admin"))).order_by(User.username)
        return list(self.session.scalars(query))

    def suggestions(self, document_id: str, limit: int = 40) -> list[Suggestion]:
        """Sentences of the newest version ranked by check-worthiness, with their reasons."""
        version = self.documents.get_version(document_id)
        blocks = [(b.block_id, b.kind, b.start, b.end) for b in version.blocks]
        return suggest_claims(version.text, blocks, limit=limit)

    # --- flagging ------------------------------------------------------------------------

    def flag_span(
        self, document_id: str, start: int, end: int, claim_type: str, reason: str, user: User
    ) -> tuple[Claim, bool]:
        """Flag a passage given by offsets (a suggestion), checked against the text."""
        version = self.documents.get_version(document_id)
        if not 0 <= start < end <= len(version.text):
            raise ValidationError("start", "the offsets are outside the document")
        quote = QuoteSelector(version.text[start:end])
        return self.flag(
            NewFlag(claim_type, reason, document_id, quote, PositionSelector(start, end)), user
        )

    def flag(self, new: NewFlag, user: User) -> tuple[Claim, bool]:
        """Flag a passage; the same passage again joins its claim. Returns (claim, created)."""
        document_id, span = self._passage(new, user)
        start, end, exact, prefix, suffix, version_id = span
        claim = self.session.scalars(
            select(Claim).where(
                Claim.document_id == document_id, Claim.start == start, Claim.end == end
            )
        ).first()
        created = claim is None
        if claim is None:
            claim = Claim(
                document_id=document_id,
                version_id=version_id,
                start=start,
                end=end,
                exact=exact,
                prefix=prefix,
                suffix=suffix,
                claim_type=new.claim_type,
                state="flagged",
                created_at=self.clock(),
                updated_at=self.clock(),
            )
            claim.anchor_version_id = version_id
            self.session.add(claim)
            self.session.flush()
            self.session.add(
                AnchorRecord(
                    claim_id=claim.id,
                    version_id=version_id,
                    state="exact",
                    start=start,
                    end=end,
                    exact=exact,
                    prefix=prefix,
                    suffix=suffix,
                )
            )
            self._log(claim, user, None, "flagged", new.reason)
        annotation_id = new.annotation_id
        if new.note_visibility is not None:
            annotation_id = self._flag_note(new, claim, user).id
        if not any(f.user_id == user.id for f in claim.flags):
            claim.flags.append(
                ClaimFlag(
                    user=user,
                    claim_type=new.claim_type,
                    reason=new.reason,
                    annotation_id=annotation_id,
                    created_at=self.clock(),
                )
            )
        for item in new.evidence:
            self._add_evidence(claim, item, user)
        self.session.flush()
        return claim, created

    def _flag_note(self, new: NewFlag, claim: Claim, user: User) -> Annotation:
        """The flagger's own "assessing" annotation on the claim's exact passage."""
        target = TargetInput(
            claim.document_id,
            QuoteSelector(claim.exact, claim.prefix, claim.suffix),
            PositionSelector(claim.start, claim.end),
        )
        note = NewAnnotation(
            motivation="assessing",
            body=parse_body(new.reason),
            visibility=new.note_visibility,
            group_id=new.note_group,
            target=target,
        )
        return self.annotations.create(note, user)

    def _passage(self, new: NewFlag, user: User) -> tuple[str, tuple[int, int, str, str, str, int]]:
        if new.annotation_id is not None:
            # Only the passage is taken: nothing of a private annotation reaches reviewers.
            note = self.annotations.get(new.annotation_id, user)
            if note.parent_id is not None or note.start is None or note.end is None:
                raise ValidationError("annotation", "flag an annotation that points at a passage")
            return note.document_id, (
                note.start,
                note.end,
                note.exact or "",
                note.prefix or "",
                note.suffix or "",
                note.version_id,
            )
        if new.document_id is None or new.quote is None:
            raise ValidationError("document", "say which passage to flag")
        version = self.documents.get_version(new.document_id)
        found = anchor_quote(version.text, new.quote, new.position, self.max_quote)
        return version.document_id, (
            found.start,
            found.end,
            found.exact,
            found.prefix,
            found.suffix,
            version.id,
        )

    # --- the workflow --------------------------------------------------------------------

    def move(self, claim_id: int, move: Move, actor: User) -> Claim:
        """Apply one transition after checking role, version, order and its conditions."""
        claim = self._for_reviewer(claim_id, actor, move.expected_version)
        if (claim.state, move.to_state) not in TRANSITIONS:
            allowed = sorted(to for frm, to in TRANSITIONS if frm == claim.state) or ["none"]
            raise Conflict(
                f"a claim cannot go from {claim.state!r} to {move.to_state!r}; "
                f"from {claim.state!r} it can go to: {', '.join(allowed)}"
            )
        getattr(self, f"_to_{move.to_state}")(claim, move, actor)
        self._log(claim, actor, claim.state, move.to_state, move.note)
        claim.state = move.to_state
        self._touch(claim)
        return claim

    def _to_accepted(self, claim: Claim, move: Move, actor: User) -> None:
        claim.reject_reason = None
        claim.duplicate_of_id = None

    def _to_rejected(self, claim: Claim, move: Move, actor: User) -> None:
        if move.reject_reason is None:
            raise ValidationError("reject_reason", "say why the claim is rejected")
        if move.reject_reason == "duplicate":
            if move.duplicate_of is None or move.duplicate_of == claim.id:
                raise ValidationError("duplicate_of", "name the other claim this one duplicates")
            self.get(move.duplicate_of)
        claim.reject_reason = move.reject_reason
        claim.duplicate_of_id = move.duplicate_of if move.reject_reason == "duplicate" else None

    def _to_flagged(self, claim: Claim, move: Move, actor: User) -> None:
        claim.reject_reason = None
        claim.duplicate_of_id = None

    def _to_researching(self, claim: Claim, move: Move, actor: User) -> None:
        assignee = self._reviewer(move.assignee) if move.assignee else (claim.assignee or actor)
        claim.assignee = assignee

    def _to_in_review(self, claim: Claim, move: Move, actor: User) -> None:
        draft = claim.draft
        if draft is None:
            raise ValidationError("verdict", "save a draft verdict before sending it for review")
        if claim.assignee_id not in (None, actor.id) and not actor.is_admin:
            raise PermissionDenied("only the assigned reviewer sends their research for review")
        claim.researcher = actor

    def _to_approved(self, claim: Claim, move: Move, actor: User) -> None:
        draft = claim.draft
        if actor.id in (claim.researcher_id, draft.author_id if draft else None):
            raise PermissionDenied("approval needs a reviewer other than the one who researched it")
        self._check_publishable(claim)
        assert draft is not None
        draft.approved_by = actor

    def _to_published(self, claim: Claim, move: Move, actor: User) -> None:
        self._check_publishable(claim)
        draft = claim.draft
        assert draft is not None
        now = self.clock()
        for verdict in claim.verdicts:
            if verdict.status == "published":
                verdict.status, verdict.superseded_at = "superseded", now
        draft.status, draft.published_at = "published", now

    def _to_correction(self, claim: Claim, move: Move, actor: User) -> None:
        if not move.note:
            raise ValidationError("note", "say what needs correcting")
        claim.assignee = actor
        claim.researcher = None

    def _to_retracted(self, claim: Claim, move: Move, actor: User) -> None:
        if not move.note:
            raise ValidationError("note", "say why the verdict is retracted")

    def _check_publishable(self, claim: Claim) -> None:
        draft = claim.draft
        if draft is None or not draft.summary_markdown.strip():
            raise ValidationError("verdict", "the verdict needs a summary")
        if not claim.evidence:
            raise ValidationError("evidence", "the verdict needs at least one evidence source")

    # --- research ------------------------------------------------------------------------

    def assign(self, claim_id: int, username: str, actor: User, expected: int | None) -> Claim:
        """Assign a claim to a reviewer (self or another)."""
        claim = self._for_reviewer(claim_id, actor, expected)
        if claim.state not in OPEN_STATES:
            raise Conflict(f"a {claim.state} claim cannot be assigned")
        claim.assignee = self._reviewer(username)
        self._log(claim, actor, claim.state, claim.state, f"assigned to {claim.assignee.username}")
        self._touch(claim)
        return claim

    def save_draft(
        self, claim_id: int, rating: str, summary: Body, actor: User, expected: int | None
    ) -> Verdict:
        """Create or replace the draft verdict (while researching or correcting)."""
        claim = self._for_reviewer(claim_id, actor, expected)
        if claim.state not in ("researching", "correction"):
            raise Conflict(f"a verdict is drafted while researching, not while {claim.state}")
        draft = claim.draft
        if draft is None:
            draft = Verdict(claim_id=claim.id, author=actor, created_at=self.clock())
            claim.verdicts.append(draft)
        draft.rating, draft.author = rating, actor
        draft.summary_markdown, draft.summary_html = summary.markdown, summary.html
        self._touch(claim)
        return draft

    def add_evidence(
        self, claim_id: int, item: NewEvidence, actor: User, expected: int | None
    ) -> Evidence:
        """Attach a source with its stance and excerpt to a claim under research."""
        claim = self._for_reviewer(claim_id, actor, expected)
        if claim.state not in ("accepted", "researching", "correction", "flagged"):
            raise Conflict(f"evidence is added before approval, not while {claim.state}")
        evidence = self._add_evidence(claim, item, actor)
        self._touch(claim)
        return evidence

    def _add_evidence(self, claim: Claim, item: NewEvidence, actor: User) -> Evidence:
        source = self.annotations.source_record(item.source)
        evidence = Evidence(
            source=source,
            stance=item.stance,
            excerpt=item.excerpt,
            locator=item.source.locator,
            added_by=actor,
            created_at=self.clock(),
        )
        claim.evidence.append(evidence)
        return evidence

    # --- claims on a new version -----------------------------------------------------------

    def orphans(self, document_id: str, viewer: User | None) -> list[Claim]:
        """Orphaned claims of the newest version not kept on an earlier one: reviewers only."""
        if viewer is None or not viewer.is_reviewer:
            return []  # only reviewers can act on them, so only they are shown them
        query = (
            select(Claim)
            .where(
                Claim.document_id == document_id,
                Claim.anchor_state == "orphaned",
                Claim.anchor_kept_at.is_(None),
                Claim.state != "rejected",
            )
            .order_by(Claim.id)
        )
        return list(self.session.scalars(query))

    def reattach(
        self, claim_id: int, selection: Reattachment, actor: User, expected: int | None
    ) -> Claim:
        """Re-attach an orphaned (or changed) claim to words of the newest version."""
        claim = self._for_reviewer(claim_id, actor, expected)
        before = claim.exact
        newest = self.revisions.place(claim, selection)
        note = f"Re-attached to “{claim.exact}” in version {newest.number} (was “{before}”)."
        self._log(claim, actor, claim.state, claim.state, note)
        self._touch(claim)
        return claim

    def keep(self, claim_id: int, actor: User, expected: int | None) -> Claim:
        """Leave an orphaned claim on the version it was last anchored on."""
        claim = self._for_reviewer(claim_id, actor, expected)
        if claim.anchor_kept_at is None:
            number = self.revisions.keep_item(claim)
            note = f"Kept on version {number}: its passage is not in the newest version."
            self._log(claim, actor, claim.state, claim.state, note)
            self._touch(claim)
        return claim

    def retry(self, claim_id: int, actor: User, expected: int | None) -> Claim:
        """Put a kept claim back among the orphans (re-anchored onto a newer version if any)."""
        claim = self._for_reviewer(claim_id, actor, expected)
        # Logged first: a verdict this sends back to review is a system move that follows.
        event = self._log(claim, actor, claim.state, claim.state, "")
        anchor_state = self.revisions.retry_item(claim)
        outcome = (
            "back among the orphans, to re-attach"
            if anchor_state == "orphaned"
            else f"re-anchored onto the newest version ({anchor_state})"
        )
        event.note = f"No longer kept on an earlier version: {outcome}."
        self._touch(claim)
        return claim

    # --- helpers -------------------------------------------------------------------------

    def _for_reviewer(self, claim_id: int, actor: User, expected: int | None) -> Claim:
        if not actor.is_reviewer:
            raise PermissionDenied("only reviewers can change claims")
        claim = self.get(claim_id)
        if expected is not None and expected != claim.lock_version:
            raise Conflict(
                f"claim {claim_id} was changed by someone else since you loaded it "
                f"(version {expected}, now {claim.lock_version}); reload and try again"
            )
        return claim

    def _reviewer(self, username: str) -> User:
        user = self.accounts.find(username)
        if user is None or not user.is_reviewer:
            raise ValidationError("assignee", f"{username!r} is not a reviewer")
        return user

    def _touch(self, claim: Claim) -> None:
        claim.updated_at = self.clock()
        self.session.flush()
        # the flagging annotations carry the claim's state and verdict in the search index
        for flag in claim.flags:
            if flag.annotation_id is not None:
                self.session.add(IndexJob(key=f"annotation:{flag.annotation_id}"))

    def _log(self, claim: Claim, actor: User, frm: str | None, to: str, note: str) -> ClaimEvent:
        event = ClaimEvent(
            claim_id=claim.id,
            actor=actor,
            at=self.clock(),
            from_state=frm,
            to_state=to,
            note=note,
        )
        self.session.add(event)
        return event
