"""The fact-check workflow: flagging, triage, research, second-reviewer approval, publishing."""

from __future__ import annotations

from sqlalchemy import select

from annotations.accounts import User
from annotations.anchoring import PositionSelector, QuoteSelector, anchor_quote
from annotations.anchors import AnchorRecord
from annotations.bodies import Body, parse_body
from annotations.claim_inputs import NewEvidence, NewFlag
from annotations.claims import OPEN_STATES, Claim, ClaimFlag, Evidence, Verdict
from annotations.errors import Conflict, ValidationError
from annotations.inputs import NewAnnotation, Reattachment, TargetInput
from annotations.models import Annotation
from annotations.review_workflow import ReviewWorkflow


class ReviewService(ReviewWorkflow):
    """Claims and their workflow; the caller commits. Only reviewers move claims."""

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
