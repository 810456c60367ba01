"""Reading claims for review: lookups, lists per document, the queue, summaries, suggestions."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session, selectinload

from annotations.accounts import AccountService, User
from annotations.checkworthy import Suggestion, suggest_claims
from annotations.claims import Claim
from annotations.errors import NotFound
from annotations.revisions import RevisionService
from annotations.service import AnnotationService
from corpus.models import utcnow
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


class ReviewQueries:
    """Claims as reviewers and readers see them; holds the collaborators of ReviewService."""

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
