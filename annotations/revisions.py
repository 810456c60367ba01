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
from annotations.anchoring import AmbiguousQuote, Anchor, anchor_quote
from annotations.anchors import AnchorRecord
from annotations.claims import Claim, ClaimEvent
from annotations.errors import Conflict, PermissionDenied, ValidationError
from annotations.inputs import Reattachment
from annotations.models import Annotation
from annotations.reanchor import ORPHANED, NewAnchor, OldAnchor, reanchor
from corpus.models import DocumentVersion, IndexJob, utcnow
from corpus.store import DocumentStore

_TOKEN = re.compile(r"\s+|\w+|[^\w\s]", re.UNICODE)
REATTACHABLE = ("orphaned", "changed")  # anchor states a person may move to new words


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


def placement(item: Annotation | Claim, home: DocumentVersion | None) -> dict[str, object]:
    """Where an item sits, for JSON clients: offsets and words on home, its anchor's version."""
    return {
        "state": item.anchor_state,
        "kept": item.anchor_kept_at is not None,
        "document_version": home.number if home is not None else None,
        "start": item.start,
        "end": item.end,
        "exact": item.exact,
    }


class RevisionService:
    """Re-anchors a document's annotations and claims when a new version arrives."""

    def __init__(
        self,
        session: Session,
        documents: DocumentStore,
        clock: Callable[[], datetime] = utcnow,
        max_quote: int = 5000,
    ) -> None:
        self.session = session
        self.documents = documents
        self.clock = clock
        self.max_quote = max_quote

    def reanchor_document(self, document_id: str) -> ReanchorReport:
        """Move every annotation and claim of the document onto its newest version."""
        newest = self.documents.get_version(document_id)
        report = ReanchorReport(document_id, newest.number)
        # Orphans kept on their version stay there: only a person puts them back in play.
        notes = self.session.scalars(
            select(Annotation).where(
                Annotation.document_id == document_id,
                Annotation.parent_id.is_(None),
                Annotation.anchor_version_id != newest.id,
                Annotation.anchor_kept_at.is_(None),
            )
        ).all()
        claims = self.session.scalars(
            select(Claim).where(
                Claim.document_id == document_id,
                Claim.anchor_version_id != newest.id,
                Claim.anchor_kept_at.is_(None),
            )
        ).all()
        for items in (notes, claims):
            self._reanchor(list(items), newest, report)
        self.session.flush()
        return report

    def _reanchor(
        self, items: Sequence[Annotation | Claim], newest: DocumentVersion, report: ReanchorReport
    ) -> None:
        for item, moved in self._moves(items, newest):
            self._apply(item, moved, newest, report)

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
        item: Annotation | Claim,
        moved: NewAnchor,
        newest: DocumentVersion,
        report: ReanchorReport,
    ) -> None:
        tally = report.annotations if isinstance(item, Annotation) else report.claims
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

    # --- orphans ----------------------------------------------------------------------

    def reattach(self, annotation: Annotation, selection: Reattachment, actor: User) -> Annotation:
        """Anchor an orphaned (or changed) annotation to words of the newest version."""
        self._check_author(annotation, actor, "re-attach")
        self.place(annotation, selection)
        self.session.add(IndexJob(key=f"annotation:{annotation.id}"))
        self.session.flush()
        return annotation

    def keep(self, annotation: Annotation, actor: User) -> int:
        """Leave an orphaned annotation on its version; return that version's number."""
        self._check_author(annotation, actor, "keep")
        number = self.keep_item(annotation)
        self.session.flush()
        return number

    def retry(self, annotation: Annotation, actor: User) -> str:
        """Put a kept annotation back among the orphans; return its anchor state now."""
        self._check_author(annotation, actor, "re-attach")
        state = self.retry_item(annotation)  # queues an index update if it moved
        self.session.flush()
        return state

    def place(self, item: Annotation | Claim, selection: Reattachment) -> DocumentVersion:
        """Anchor an item on the selected words of the newest version (the caller checks who)."""
        if item.anchor_state not in REATTACHABLE:
            raise Conflict(
                f"this {_kind(item)} is in place on its words in the newest version; "
                "only an orphaned or changed one can be re-attached"
            )
        newest = self.documents.get_version(item.document_id)
        found = self._find(newest, selection)
        if isinstance(item, Claim):
            self._check_free(item, found, newest)
        record = self._record(item, newest.id)
        if record is None:
            record = AnchorRecord(version_id=newest.id)
            if isinstance(item, Annotation):
                record.annotation_id = item.id
            else:
                record.claim_id = item.id
            self.session.add(record)
        record.state, record.score = "exact", 1.0
        record.start, record.end, record.exact = found.start, found.end, found.exact
        record.prefix, record.suffix = found.prefix, found.suffix
        item.start, item.end, item.exact = found.start, found.end, found.exact
        item.prefix, item.suffix = found.prefix, found.suffix
        item.anchor_version_id, item.anchor_state, item.anchor_score = newest.id, "exact", 1.0
        item.anchor_kept_at = None
        return newest

    def keep_item(self, item: Annotation | Claim) -> int:
        """Mark an orphan as kept on the version it was last anchored on; return its number."""
        if item.anchor_state != ORPHANED:
            raise Conflict(f"only an orphaned {_kind(item)} can be kept on an earlier version")
        if item.anchor_kept_at is None:
            item.anchor_kept_at = self.clock()
        home = self.home_version(item)
        return home.number if home is not None else 0

    def retry_item(self, item: Annotation | Claim) -> str:
        """Clear the kept mark; re-anchor onto the newest version if imported since."""
        if item.anchor_kept_at is None:
            raise Conflict(f"this {_kind(item)} is not kept on an earlier version")
        item.anchor_kept_at = None
        newest = self.documents.get_version(item.document_id)
        if item.anchor_version_id != newest.id and self._record(item, newest.id) is None:
            self._reanchor([item], newest, ReanchorReport(item.document_id, newest.number))
        return item.anchor_state

    def home_version(self, item: Annotation | Claim) -> DocumentVersion | None:
        """The version the item is last anchored on (where an orphan is still highlighted)."""
        if item.anchor_version_id is None:
            return None
        return self.session.get(DocumentVersion, item.anchor_version_id)

    def anchored_versions(self, annotation_ids: Sequence[str]) -> dict[str, int]:
        """For annotations: the number of the version each is last anchored on."""
        if not annotation_ids:
            return {}
        query = (
            select(Annotation.id, DocumentVersion.number)
            .join(DocumentVersion, DocumentVersion.id == Annotation.anchor_version_id)
            .where(Annotation.id.in_(annotation_ids))
        )
        return {aid: int(number) for aid, number in self.session.execute(query)}

    def _check_author(self, annotation: Annotation, actor: User, verb: str) -> None:
        if annotation.author_id != actor.id and not actor.is_admin:
            raise PermissionDenied(f"only the author or an admin can {verb} this annotation")
        if annotation.parent_id is not None:
            raise Conflict("replies follow their thread; act on its first annotation")
        if annotation.is_deleted:
            raise Conflict("this annotation has been deleted")

    def _find(self, newest: DocumentVersion, selection: Reattachment) -> Anchor:
        try:
            return anchor_quote(newest.text, selection.quote, selection.position, self.max_quote)
        except AmbiguousQuote as exc:
            if not selection.is_typed:
                raise
            raise ValidationError(
                "exact",
                f"these words occur {exc.count} times in version {newest.number}; "
                "type more of the passage, so that they occur only once",
            ) from None

    def _check_free(self, claim: Claim, found: Anchor, newest: DocumentVersion) -> None:
        other = self.session.scalar(
            select(Claim.id).where(
                Claim.document_id == claim.document_id,
                Claim.anchor_version_id == newest.id,
                Claim.start == found.start,
                Claim.end == found.end,
                Claim.id != claim.id,
            )
        )
        if other is not None:
            raise Conflict(
                f"claim {other} already covers these words; reject this one as its duplicate"
            )

    def _record(self, item: Annotation | Claim, version_id: int) -> AnchorRecord | None:
        owner = (
            AnchorRecord.annotation_id == item.id
            if isinstance(item, Annotation)
            else AnchorRecord.claim_id == item.id
        )
        query = select(AnchorRecord).where(owner, AnchorRecord.version_id == version_id)
        return self.session.scalars(query).first()

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


def _kind(item: Annotation | Claim) -> str:
    return "annotation" if isinstance(item, Annotation) else "claim"
