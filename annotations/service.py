"""Creating, reading, editing and deleting annotations, with visibility enforced in every query."""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import Select, func, select
from sqlalchemy.orm import Session, selectinload

from annotations.accounts import User
from annotations.anchoring import anchor_quote
from annotations.anchors import AnchorRecord
from annotations.cards import Card, CardThread, card_threads, flat_cards, thread, with_details
from annotations.citations import SourceInput
from annotations.errors import Conflict, NotFound, PermissionDenied, ValidationError
from annotations.inputs import AnnotationEdit, NewAnnotation
from annotations.models import Annotation, Citation, Revision, Source, Tag
from annotations.visibility import can_see, group_ids_of, visible_condition
from corpus.models import IndexJob, utcnow
from corpus.store import DocumentStore

MAX_REASON = 500
# What rendering an annotation touches, loaded up front instead of one query per row.
EAGER = (
    selectinload(Annotation.author),
    selectinload(Annotation.group),
    selectinload(Annotation.deleted_by),
)
BODY_REQUIRED = ("commenting", "questioning", "replying")


@dataclass
class Thread:
    """A root annotation and its replies in reading order, each with its depth."""

    root: Annotation
    replies: list[tuple[int, Annotation]] = field(default_factory=list)


class AnnotationService:
    """Annotations for one request; the caller commits."""

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
        self._groups: dict[int, list[int]] = {}

    def group_ids(self, user: User | None) -> list[int]:
        """Return (and cache for this request) the groups a user belongs to."""
        if user is None:
            return []
        if user.id not in self._groups:
            self._groups[user.id] = group_ids_of(self.session, user)
        return self._groups[user.id]

    def visible(self, user: User | None) -> Select[Annotation]:
        """Return a query over the annotations this user may see."""
        return select(Annotation).where(visible_condition(user, self.group_ids(user)))

    def list_visible(
        self, viewer: User | None, document_id: str | None = None, limit: int = 1000
    ) -> tuple[list[Annotation], int]:
        """Return up to limit visible annotations (oldest first) and how many there are."""
        condition = visible_condition(viewer, self.group_ids(viewer))
        if document_id is not None:
            self.documents.get_version(document_id)
            condition = condition & (Annotation.document_id == document_id)
        total = self.session.scalar(select(func.count()).select_from(Annotation).where(condition))
        rows = self.session.scalars(
            select(Annotation)
            .where(condition)
            .order_by(Annotation.created_at, Annotation.id)
            .limit(limit)
            .options(*EAGER)
        )
        return list(rows), int(total or 0)

    def get(self, annotation_id: str, viewer: User | None) -> Annotation:
        """Return an annotation the viewer may see, else NotFound (the same for missing ones)."""
        annotation = self.session.get(Annotation, annotation_id)
        if annotation is None or not can_see(annotation, viewer, self.group_ids(viewer)):
            raise NotFound(f"no annotation {annotation_id!r}")
        return annotation

    def threads_for_document(self, document_id: str, viewer: User | None) -> list[Thread]:
        """Return the visible threads of a document in document order (as ORM objects)."""
        rows = self.session.scalars(
            self.visible(viewer)
            .where(Annotation.document_id == document_id)
            .order_by(Annotation.created_at, Annotation.id)
            .options(*EAGER)
        ).all()
        grouped = thread(
            rows,
            key=lambda a: a.id,
            parent=lambda a: a.parent_id,
            root_order=lambda a: (a.start or 0, -(a.end or 0), a.created_at),
        )
        return [Thread(root, replies) for root, replies in grouped]

    def cards(
        self,
        document_id: str,
        viewer: User | None,
        version_id: int | None = None,
        outline: bool = False,
    ) -> list[CardThread]:
        """A document's visible threads as plain cards (on version_id; outline: see cards.py)."""
        condition = visible_condition(viewer, self.group_ids(viewer))
        document = condition & (Annotation.document_id == document_id)
        return card_threads(self.session, document, version_id, outline)

    def with_details(self, threads: Sequence[CardThread]) -> list[CardThread]:
        """Outline threads (from cards(outline=True)) with their bodies, tags and sources."""
        return with_details(self.session, threads)

    def card(self, annotation_id: str, viewer: User | None) -> Card:
        """One visible annotation as a card (NotFound otherwise)."""
        condition = visible_condition(viewer, self.group_ids(viewer))
        found = flat_cards(self.session, condition & (Annotation.id == annotation_id))
        if not found:
            raise NotFound(f"no annotation {annotation_id!r}")
        return found[0]

    def on_passage(
        self, document_id: str, start: int, end: int, viewer: User | None
    ) -> list[Annotation]:
        """Visible, undeleted annotations whose passage overlaps [start, end)."""
        query = (
            self.visible(viewer)
            .where(
                Annotation.document_id == document_id,
                Annotation.parent_id.is_(None),
                Annotation.deleted_at.is_(None),
                Annotation.start < end,
                Annotation.end > start,
            )
            .order_by(Annotation.start, Annotation.created_at)
            .options(*EAGER)
        )
        return list(self.session.scalars(query))

    def count_for_document(self, document_id: str, viewer: User | None) -> int:
        """Count the visible, undeleted annotations and replies on a document."""
        query = (
            select(func.count())
            .select_from(Annotation)
            .where(visible_condition(viewer, self.group_ids(viewer)))
            .where(Annotation.document_id == document_id, Annotation.deleted_at.is_(None))
        )
        return int(self.session.scalar(query) or 0)

    def cited_sources(self, document_id: str, viewer: User | None) -> list[Citation]:
        """Return the first citation of each distinct source on the visible annotations."""
        query = (
            select(Citation)
            .join(Annotation, Citation.annotation_id == Annotation.id)
            .where(visible_condition(viewer, self.group_ids(viewer)))
            .where(Annotation.document_id == document_id, Annotation.deleted_at.is_(None))
            .order_by(Annotation.start, Annotation.created_at, Citation.number)
        )
        seen: dict[int, Citation] = {}
        for citation in self.session.scalars(query):
            seen.setdefault(citation.source_id, citation)
        return list(seen.values())

    def default_audience(self, user: User, motivation: str) -> tuple[str, int | None]:
        """Highlights default to private; others to the audience the user chose last."""
        if motivation == "highlighting" or user.last_visibility is None:
            return "private", None
        if user.last_visibility == "group":
            if user.last_group_id in self.group_ids(user):
                return "group", user.last_group_id
            return "private", None
        return user.last_visibility, None

    def create(self, new: NewAnnotation, author: User) -> Annotation:
        """Anchor and store a new annotation, or a reply inheriting its root's audience."""
        if new.motivation in BODY_REQUIRED and not new.body.markdown.strip():
            raise ValidationError("body", f"a {new.motivation} annotation needs some text")
        now = self.clock()
        annotation = Annotation(
            id=secrets.token_hex(8),
            author=author,
            motivation=new.motivation,
            body_markdown=new.body.markdown,
            body_html=new.body.html,
            created_at=now,
            modified_at=now,
        )
        if new.parent_id is not None:
            self._attach_reply(annotation, new.parent_id, author)
        else:
            self._attach_target(annotation, new)
            visibility, group_id = self._audience(
                new.visibility, new.group_id, author, new.motivation
            )
            annotation.visibility, annotation.group_id = visibility, group_id
            if new.motivation != "highlighting":
                author.last_visibility, author.last_group_id = visibility, group_id
        self._set_tags(annotation, new.tags)
        self._set_citations(annotation, new.sources)
        self.session.add(annotation)
        self.session.flush()
        if annotation.parent_id is None:
            self.session.add(
                AnchorRecord(
                    annotation_id=annotation.id,
                    version_id=annotation.version_id,
                    state="exact",
                    score=1.0,
                    start=annotation.start,
                    end=annotation.end,
                    exact=annotation.exact,
                    prefix=annotation.prefix,
                    suffix=annotation.suffix,
                )
            )
        self._enqueue(annotation)
        return annotation

    def _attach_target(self, annotation: Annotation, new: NewAnnotation) -> None:
        if new.target is None:
            raise ValidationError("target", "an annotation needs a target passage")
        if new.motivation == "replying":
            raise ValidationError("motivation", "a reply must target the annotation it answers")
        version = self.documents.get_version(new.target.document_id, blocks=False)
        found = anchor_quote(version.text, new.target.quote, new.target.position, self.max_quote)
        annotation.document_id = version.document_id
        annotation.version_id = version.id
        annotation.exact, annotation.prefix, annotation.suffix = (
            found.exact,
            found.prefix,
            found.suffix,
        )
        annotation.start, annotation.end = found.start, found.end
        annotation.anchor_version_id = version.id

    def _attach_reply(self, annotation: Annotation, parent_id: str, author: User) -> None:
        parent = self.get(parent_id, author)
        if parent.is_deleted:
            raise Conflict("cannot reply to a deleted annotation")
        if annotation.motivation != "replying":
            raise ValidationError("motivation", "a reply's motivation must be 'replying'")
        annotation.parent_id = parent.id
        annotation.root_id = parent.root_id or parent.id
        annotation.document_id = parent.document_id
        annotation.version_id = parent.version_id
        annotation.visibility, annotation.group_id = parent.visibility, parent.group_id

    def _audience(
        self, visibility: str | None, group_id: int | None, user: User, motivation: str
    ) -> tuple[str, int | None]:
        if visibility is None:
            return self.default_audience(user, motivation)
        if visibility != "group":
            return visibility, None
        if group_id is None:
            raise ValidationError("group", "choose the group that may see this annotation")
        if group_id not in self.group_ids(user):
            raise ValidationError("group", f"you are not a member of group {group_id}")
        return "group", group_id

    def update(self, annotation_id: str, edit: AnnotationEdit, actor: User) -> Annotation:
        """Replace body, tags, sources and audience, keeping the earlier state as a revision."""
        annotation = self._editable(annotation_id, actor, edit.reason, "edit")
        if annotation.motivation in BODY_REQUIRED and not edit.body.markdown.strip():
            raise ValidationError("body", f"a {annotation.motivation} annotation needs some text")
        self._enqueue(annotation)  # the sources it cited before the edit
        self.session.add(snapshot(annotation, actor, edit.reason, self.clock()))
        annotation.body_markdown, annotation.body_html = edit.body.markdown, edit.body.html
        self._set_tags(annotation, edit.tags)
        self._set_citations(annotation, edit.sources)
        if annotation.parent_id is None and edit.visibility is not None:
            audience = self._audience(edit.visibility, edit.group_id, annotation.author, "")
            self._set_thread_audience(annotation, *audience)
        annotation.revision += 1
        annotation.modified_at = self.clock()
        self.session.flush()
        self._enqueue(annotation)
        return annotation

    def delete(self, annotation_id: str, actor: User, reason: str | None = None) -> Annotation:
        """Leave a tombstone: content, tags, sources and revisions go; replies keep their place."""
        annotation = self._editable(annotation_id, actor, reason, "delete")
        self._enqueue(annotation)
        annotation.deleted_at = self.clock()
        annotation.deleted_by = actor
        annotation.delete_reason = reason
        annotation.body_markdown = annotation.body_html = ""
        annotation.tags = []
        annotation.citations = []
        for old in self.session.scalars(
            select(Revision).where(Revision.annotation_id == annotation.id)
        ):
            self.session.delete(old)
        self.session.flush()
        return annotation

    def revisions(self, annotation_id: str, viewer: User | None) -> list[Revision]:
        """Return the earlier states of an annotation the viewer may see, oldest first."""
        annotation = self.get(annotation_id, viewer)
        query = (
            select(Revision)
            .where(Revision.annotation_id == annotation.id)
            .order_by(Revision.number)
        )
        return list(self.session.scalars(query))

    def _editable(
        self, annotation_id: str, actor: User, reason: str | None, action: str
    ) -> Annotation:
        annotation = self.get(annotation_id, actor)
        if annotation.is_deleted:
            raise Conflict(f"annotation {annotation_id!r} is deleted")
        if annotation.author_id == actor.id:
            return annotation
        if not actor.is_admin:
            raise PermissionDenied(f"only the author or an admin can {action} this annotation")
        if not reason or not reason.strip():
            raise ValidationError("reason", f"say why you {action} someone else's annotation")
        if len(reason) > MAX_REASON:
            raise ValidationError("reason", f"at most {MAX_REASON} characters")
        return annotation

    def _set_thread_audience(self, root: Annotation, visibility: str, group_id: int | None) -> None:
        root.visibility, root.group_id = visibility, group_id
        replies = self.session.scalars(select(Annotation).where(Annotation.root_id == root.id))
        for reply in replies:
            reply.visibility, reply.group_id = visibility, group_id
            self._enqueue(reply)

    def _enqueue(self, annotation: Annotation) -> None:
        """Record that the index must catch up with this annotation and the sources it cites."""
        keys = [f"annotation:{annotation.id}"]
        keys += [f"source:{c.source_id or c.source.id}" for c in annotation.citations]
        self.session.add_all(IndexJob(key=key) for key in keys)

    def _set_tags(self, annotation: Annotation, tags: tuple[str, ...]) -> None:
        annotation.tags = [Tag(position=i, name=name) for i, name in enumerate(tags)]

    def _set_citations(self, annotation: Annotation, sources: tuple[SourceInput, ...]) -> None:
        annotation.citations = [
            Citation(
                number=number,
                source=self.source_record(src),
                stance=src.stance,
                excerpt=src.excerpt,
                locator=src.locator,
                accessed=src.accessed,
            )
            for number, src in enumerate(sources, start=1)
        ]

    def source_record(self, src: SourceInput) -> Source:
        """The one source record for a normalised URL, created on first citation."""
        key = hashlib.sha256(src.normalized_url.encode("utf-8")).hexdigest()
        record = self.session.scalars(select(Source).where(Source.url_key == key)).first()
        if record is None:
            record = Source(
                url_key=key,
                normalized_url=src.normalized_url,
                url=src.url,
                title=src.title,
                authors=list(src.authors),
                publisher=src.publisher,
                published=src.published,
            )
            self.session.add(record)
            self.session.flush()
        return record


def snapshot(annotation: Annotation, actor: User, reason: str | None, now: datetime) -> Revision:
    """Return the annotation's current state as a revision record."""
    return Revision(
        annotation_id=annotation.id,
        number=annotation.revision,
        body_markdown=annotation.body_markdown,
        body_html=annotation.body_html,
        tags=[t.name for t in annotation.tags],
        sources=[
            {"number": c.number, "url": c.source.url, "title": c.source.title, "stance": c.stance}
            for c in annotation.citations
        ],
        visibility=annotation.visibility,
        saved_at=annotation.modified_at,
        replaced_at=now,
        replaced_by=actor,
        reason=reason,
    )
