"""Interchange: read annotations out in pages and exports; import W3C and Hypothesis files.

Import runs in three steps. Parsing turns a file into typed items (or per-item rejections)
without touching the database. Planning resolves each item's document, anchors its quote with
the server's own anchoring (the quote with its context decides) and looks for a duplicate.
Applying creates the item through AnnotationService.create, so every rule of the API (bodies,
tags, sources, audiences) holds for imported annotations too. The importer is the author.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import func, select

from annotations.accounts import User
from annotations.anchoring import Anchor, AnchoringError, PositionSelector, anchor_quote
from annotations.errors import AnnotationsError, NotFound, ValidationError
from annotations.inputs import NewAnnotation, TargetInput
from annotations.interchange_parsing import (
    IMPORTED,
    REJECTED,
    SKIPPED,
    ImportItem,
    ItemOutcome,
    ParsedImport,
)
from annotations.models import Annotation
from annotations.service import BODY_REQUIRED, EAGER, AnnotationService
from corpus.errors import DocumentNotFound


@dataclass
class ImportReport:
    """The outcome of an import, item by item."""

    format: str
    outcomes: list[ItemOutcome] = field(default_factory=list)

    def count(self, status: str) -> int:
        """How many items ended with this status."""
        return sum(1 for o in self.outcomes if o.status == status)

    def summary(self) -> str:
        """One line: how many were imported, skipped and rejected."""
        return (
            f"{self.format}: {len(self.outcomes)} items, {self.count(IMPORTED)} imported, "
            f"{self.count(SKIPPED)} skipped, {self.count(REJECTED)} rejected"
        )

    def lines(self) -> list[str]:
        """The summary, then one line per item that was not simply imported."""
        out = [self.summary()]
        for o in self.outcomes:
            if o.status != IMPORTED or o.reason:
                out.append(f"  #{o.index} {o.status}: {o.reason} [{o.key}]")
        return out


# --- Reading out, planning and applying ---------------------------------------------------


class InterchangeService:
    """Pages of the annotation container, export sets, and imports; the caller commits."""

    def __init__(self, annotations: AnnotationService) -> None:
        self.annotations = annotations
        self.session = annotations.session

    def page(
        self, viewer: User | None, document_id: str | None, offset: int, limit: int
    ) -> tuple[list[Annotation], int]:
        """One page of the annotations the viewer may see (oldest first) and the visible total."""
        query = self.annotations.visible(viewer)
        if document_id is not None:
            self.annotations.documents.get_version(document_id)
            query = query.where(Annotation.document_id == document_id)
        total = self.session.scalar(select(func.count()).select_from(query.subquery()))
        rows = self.session.scalars(
            query.order_by(Annotation.created_at, Annotation.id)
            .offset(offset)
            .limit(limit)
            .options(*EAGER)
        )
        return list(rows), int(total or 0)

    def for_document(self, document_id: str, viewer: User | None) -> list[Annotation]:
        """Every live annotation of a document the viewer may see, parents before replies."""
        self.annotations.documents.get_version(document_id)
        query = self.annotations.visible(viewer).where(
            Annotation.document_id == document_id, Annotation.deleted_at.is_(None)
        )
        return self._ordered(query)

    def by_author(self, user: User) -> list[Annotation]:
        """Every live annotation the user wrote, on any document."""
        query = self.annotations.visible(user).where(
            Annotation.author_id == user.id, Annotation.deleted_at.is_(None)
        )
        return self._ordered(query)

    def _ordered(self, query: Any) -> list[Annotation]:
        ordered = query.order_by(Annotation.created_at, Annotation.id).options(*EAGER)
        return list(self.session.scalars(ordered))

    def importer(self, username: str | None) -> User:
        """The named account, or the only one there is when none is named."""
        query = select(User).limit(2)
        if username is not None:
            query = select(User).where(User.username == username)
        found = list(self.session.scalars(query))
        if username is not None and not found:
            raise NotFound(f"no user {username!r}")
        if len(found) != 1:
            raise ValidationError("user", "name the account that imports (--user NAME)")
        return found[0]

    def import_file(self, parsed: ParsedImport, importer: User) -> ImportReport:
        """Import the parsed items as the importer's; replies wait for their parents."""
        report = ImportReport(parsed.format)
        done: dict[int, ItemOutcome] = {}
        early = [e for e in parsed.entries if isinstance(e, ItemOutcome)]
        # file key -> local id (None: not imported), so replies find their parents
        id_map: dict[str, str | None] = {o.key: None for o in early}
        waiting = [e for e in parsed.entries if isinstance(e, ImportItem)]
        in_file = {item.key for item in waiting}
        while waiting:
            ready = [i for i in waiting if i.parent_key not in in_file or i.parent_key in id_map]
            for item in ready or waiting:  # nothing ready: a cycle, reject what is left
                outcome = self._import_one(item, importer, id_map) if ready else _cycle(item)
                done[item.index] = outcome
                if outcome.status != REJECTED or item.key not in id_map:
                    id_map[item.key] = outcome.annotation_id
            waiting = [i for i in waiting if i.index not in done]
        report.outcomes = sorted([*early, *done.values()], key=lambda o: o.index)
        return report

    def _import_one(
        self, item: ImportItem, importer: User, id_map: dict[str, str | None]
    ) -> ItemOutcome:
        try:
            new, notes = self._plan(item, importer, id_map)
            duplicate = self._duplicate(new, importer)
            if duplicate is not None:
                return ItemOutcome(item.index, item.key, SKIPPED, "duplicate", duplicate)
            annotation = self.annotations.create(new, importer)
        except AnchoringError as exc:
            return ItemOutcome(item.index, item.key, REJECTED, f"cannot anchor: {exc.message}")
        except (AnnotationsError, DocumentNotFound) as exc:
            return ItemOutcome(item.index, item.key, REJECTED, str(exc))
        return ItemOutcome(item.index, item.key, IMPORTED, "; ".join(notes), annotation.id)

    def _plan(
        self, item: ImportItem, importer: User, id_map: dict[str, str | None]
    ) -> tuple[NewAnnotation, tuple[str, ...]]:
        """Resolve the parent or anchor the quote, and settle the audience."""
        new, notes = item.new, item.notes
        if new.motivation in BODY_REQUIRED and not new.body.markdown.strip():
            raise ValidationError("body", f"a {new.motivation} annotation needs some text")
        if item.parent_key is not None:
            return dataclasses.replace(new, parent_id=self._parent(item, importer, id_map)), notes
        if new.target is None:
            raise ValidationError("target", "an annotation needs a target passage")
        anchor = self._anchor(new.target)
        position = PositionSelector(anchor.start, anchor.end)
        new = dataclasses.replace(new, target=dataclasses.replace(new.target, position=position))
        if new.visibility == "group" and new.group_id not in self.annotations.group_ids(importer):
            notes += (f"not a member of group {new.group_id}: imported as private",)
            new = dataclasses.replace(new, visibility="private", group_id=None)
        return new, notes

    def _anchor(self, target: TargetInput) -> Anchor:
        text = self.annotations.documents.get_version(target.document_id).text
        position = target.position
        if position is not None and position.end > len(text):
            position = None  # offsets counted on another copy of the text: only a hint
        return anchor_quote(text, target.quote, position, self.annotations.max_quote)

    def _parent(self, item: ImportItem, importer: User, id_map: dict[str, str | None]) -> str:
        key = item.parent_key or ""
        if key in id_map:
            local = id_map[key]
            if local is None:
                raise ValidationError("target", "its parent was not imported")
            return local
        local_id = key.rstrip("/").rsplit("/", 1)[-1]
        try:  # a reply to an annotation already on this site
            return self.annotations.get(local_id, importer).id
        except AnnotationsError:
            raise ValidationError(
                "target", "a reply to an annotation that is neither in this file nor here"
            ) from None

    def _duplicate(self, new: NewAnnotation, author: User) -> str | None:
        """The id of the author's live annotation with the same passage (or parent) and body."""
        query = select(Annotation.id).where(
            Annotation.author_id == author.id,
            Annotation.deleted_at.is_(None),
            Annotation.body_markdown == new.body.markdown,
        )
        if new.parent_id is not None:
            query = query.where(Annotation.parent_id == new.parent_id)
        elif new.target is not None and new.target.position is not None:
            query = query.where(
                Annotation.parent_id.is_(None),
                Annotation.document_id == new.target.document_id,
                Annotation.start == new.target.position.start,
                Annotation.end == new.target.position.end,
            )
        return self.session.scalars(query.limit(1)).first()


def _cycle(item: ImportItem) -> ItemOutcome:
    return ItemOutcome(item.index, item.key, REJECTED, "its parent was not imported")
