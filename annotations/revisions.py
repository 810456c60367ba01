"""Moving annotations and claims onto a new version of their document, and showing what changed."""

from __future__ import annotations

import difflib
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from html import escape

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from annotations.accounts import User
from annotations.anchoring import QuoteSelector, anchor_quote
from annotations.anchors import AnchorRecord
from annotations.claims import Claim, ClaimEvent
from annotations.errors import Conflict, PermissionDenied
from annotations.models import Annotation
from annotations.reanchor import NewAnchor, OldAnchor, reanchor
from corpus.models import DocumentVersion, IndexJob, utcnow
from corpus.store import DocumentStore

_TOKEN = re.compile(r"\s+|\w+|[^\w\s]", re.UNICODE)


@dataclass
class ReanchorReport:
    """What re-anchoring onto a new version did."""

    document_id: str
    version: int
    annotations: dict[str, int] = field(default_factory=dict)  # state -> count
    claims: dict[str, int] = field(default_factory=dict)
    sent_back: list[int] = field(default_factory=list)  # published claims back in review

    def line(self) -> str:
        """One line for the CLI."""
        parts = ", ".join(f"{n} {s}" for s, n in sorted(self.annotations.items())) or "none"
        text = f"re-anchored annotations onto version {self.version}: {parts}"
        if self.claims:
            text += "; claims: " + ", ".join(f"{n} {s}" for s, n in sorted(self.claims.items()))
        if self.sent_back:
            text += f"; published verdicts back in review: {len(self.sent_back)}"
        return text


def word_diff(before: str, after: str) -> str:
    """Safe HTML of a word-level diff: removed words in <del>, added ones in <ins>."""
    old, new = _TOKEN.findall(before), _TOKEN.findall(after)
    out: list[str] = []
    matcher = difflib.SequenceMatcher(a=old, b=new, autojunk=False)
    for op, a1, a2, b1, b2 in matcher.get_opcodes():
        if op == "equal":
            out.append(escape("".join(old[a1:a2])))
            continue
        if a2 > a1:
            out.append(f"<del>{escape(''.join(old[a1:a2]))}</del>")
        if b2 > b1:
            out.append(f"<ins>{escape(''.join(new[b1:b2]))}</ins>")
    return "".join(out)


class RevisionService:
    """Re-anchors a document's annotations and claims when a new version arrives."""

    def __init__(
        self, session: Session, documents: DocumentStore, clock: Callable[[], datetime] = utcnow
    ) -> None:
        self.session = session
        self.documents = documents
        self.clock = clock

    def reanchor_document(self, document_id: str) -> ReanchorReport:
        """Move every annotation and claim of the document onto its newest version."""
        newest = self.documents.get_version(document_id)
        report = ReanchorReport(document_id, newest.number)
        notes = self.session.scalars(
            select(Annotation).where(
                Annotation.document_id == document_id,
                Annotation.parent_id.is_(None),
                Annotation.anchor_version_id != newest.id,
            )
        ).all()
        claims = self.session.scalars(
            select(Claim).where(
                Claim.document_id == document_id, Claim.anchor_version_id != newest.id
            )
        ).all()
        for kind, items in (("annotation", notes), ("claim", claims)):
            for item, moved in self._moves(list(items), newest):
                self._apply(kind, item, moved, newest, report)
        self.session.flush()
        return report

    def _moves(
        self, items: Sequence[Annotation | Claim], newest: DocumentVersion
    ) -> list[tuple[Annotation | Claim, NewAnchor]]:
        # Each item moves from the last version it was anchored on (orphans get another chance).
        by_version: dict[int, list[Annotation | Claim]] = {}
        for item in items:
            if item.anchor_version_id is not None:
                by_version.setdefault(item.anchor_version_id, []).append(item)
        pairs: list[tuple[Annotation | Claim, NewAnchor]] = []
        for version_id, group in by_version.items():
            old = self.session.get(DocumentVersion, version_id)
            if old is None:
                continue
            anchors = [
                OldAnchor(
                    str(i),
                    it.start or 0,
                    it.end or 0,
                    it.exact or "",
                    it.prefix or "",
                    it.suffix or "",
                )
                for i, it in enumerate(group)
            ]
            for moved in reanchor(old.text, newest.text, anchors):
                pairs.append((group[int(moved.key)], moved))
        return pairs

    def _apply(
        self,
        kind: str,
        item: Annotation | Claim,
        moved: NewAnchor,
        newest: DocumentVersion,
        report: ReanchorReport,
    ) -> None:
        tally = report.annotations if kind == "annotation" else report.claims
        tally[moved.state] = tally.get(moved.state, 0) + 1
        record = AnchorRecord(
            version_id=newest.id,
            state=moved.state,
            score=moved.score,
            start=moved.start,
            end=moved.end,
            exact=moved.exact,
            prefix=moved.prefix,
            suffix=moved.suffix,
        )
        if isinstance(item, Annotation):
            record.annotation_id = item.id
            self.session.add(IndexJob(key=f"annotation:{item.id}"))
        else:
            record.claim_id = item.id
        self.session.add(record)
        item.anchor_state, item.anchor_score = moved.state, moved.score
        if moved.state != "orphaned" and moved.start is not None and moved.end is not None:
            item.start, item.end = moved.start, moved.end
            item.exact, item.prefix, item.suffix = (
                moved.exact or "",
                moved.prefix or "",
                moved.suffix or "",
            )
            item.anchor_version_id = newest.id
        if isinstance(item, Claim) and moved.state in ("changed", "orphaned"):
            self._send_back(item, moved, report)

    def _send_back(self, claim: Claim, moved: NewAnchor, report: ReanchorReport) -> None:
        if claim.state != "published":
            return
        now_reads = (
            f"the passage now reads “{moved.exact}”" if moved.exact else "the passage is gone"
        )
        self.session.add(
            ClaimEvent(
                claim_id=claim.id,
                actor=None,
                at=self.clock(),
                from_state="published",
                to_state="correction",
                note=f"The article changed in a new version: {now_reads}.",
            )
        )
        claim.state = "correction"
        claim.assignee = None
        claim.researcher = None
        claim.updated_at = self.clock()
        report.sent_back.append(claim.id)

    # --- orphans -----------------------------------------------------------------------

    def reattach(self, annotation: Annotation, exact: str, actor: User) -> Annotation:
        """Anchor an orphaned annotation to new words in the newest version (author or admin)."""
        if annotation.author_id != actor.id and not actor.is_admin:
            raise PermissionDenied("only the author or an admin can re-attach this annotation")
        if annotation.parent_id is not None:
            raise Conflict("replies follow their thread; re-attach its first annotation")
        newest = self.documents.get_version(annotation.document_id)
        found = anchor_quote(newest.text, QuoteSelector(exact), None)
        existing = self.session.scalars(
            select(AnchorRecord).where(
                AnchorRecord.annotation_id == annotation.id, AnchorRecord.version_id == newest.id
            )
        ).first()
        record = existing or AnchorRecord(annotation_id=annotation.id, version_id=newest.id)
        record.state, record.score = "moved", 1.0
        record.start, record.end, record.exact = found.start, found.end, found.exact
        record.prefix, record.suffix = found.prefix, found.suffix
        self.session.add(record)
        annotation.start, annotation.end, annotation.exact = found.start, found.end, found.exact
        annotation.prefix, annotation.suffix = found.prefix, found.suffix
        annotation.anchor_version_id, annotation.anchor_state, annotation.anchor_score = (
            newest.id,
            "moved",
            1.0,
        )
        self.session.add(IndexJob(key=f"annotation:{annotation.id}"))
        self.session.flush()
        return annotation

    # --- history -----------------------------------------------------------------------

    def version_counts(self, document_id: str) -> dict[int, dict[str, int]]:
        """For each version id of the document: annotation anchors by state."""
        query = (
            select(AnchorRecord.version_id, AnchorRecord.state, func.count())
            .join(DocumentVersion, DocumentVersion.id == AnchorRecord.version_id)
            .where(
                DocumentVersion.document_id == document_id, AnchorRecord.annotation_id.is_not(None)
            )
            .group_by(AnchorRecord.version_id, AnchorRecord.state)
        )
        counts: dict[int, dict[str, int]] = {}
        for version_id, state, n in self.session.execute(query):
            counts.setdefault(version_id, {})[state] = int(n)
        return counts

    def original_quotes(self, annotation_ids: Sequence[str]) -> dict[str, str]:
        """The words each annotation quoted on the version it was made on."""
        if not annotation_ids:
            return {}
        query = (
            select(AnchorRecord.annotation_id, AnchorRecord.exact)
            .join(Annotation, Annotation.id == AnchorRecord.annotation_id)
            .where(
                AnchorRecord.annotation_id.in_(annotation_ids),
                AnchorRecord.version_id == Annotation.version_id,
            )
        )
        return {aid: exact or "" for aid, exact in self.session.execute(query) if aid is not None}
