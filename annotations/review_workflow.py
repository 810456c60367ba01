"""The claim workflow: transitions between states, each checked, logged and indexed."""

from __future__ import annotations

from annotations.accounts import User
from annotations.claim_inputs import Move
from annotations.claims import TRANSITIONS, Claim, ClaimEvent
from annotations.errors import Conflict, PermissionDenied, ValidationError
from annotations.review_queries import ReviewQueries
from corpus.models import IndexJob


class ReviewWorkflow(ReviewQueries):
    """Moving claims between states; every change checks the reviewer and logs an event."""

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
