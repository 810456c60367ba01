"""Interchange: read annotations out in pages and exports; import W3C and Hypothesis files.

Import runs in three steps. Parsing turns a file into typed items (or per-item rejections)
without touching the database. Planning resolves each item's document, anchors its quote with
the server's own anchoring (the quote with its context decides) and looks for a duplicate.
Applying creates the item through AnnotationService.create, so every rule of the API (bodies,
tags, sources, audiences) holds for imported annotations too. The importer is the author.
"""

from __future__ import annotations

import dataclasses
import json
import re
from dataclasses import dataclass, field
from typing import Any, TypeGuard
from urllib.parse import urlsplit

from sqlalchemy import func, select

from annotations.accounts import User
from annotations.anchoring import (
    Anchor,
    AnchoringError,
    PositionSelector,
    anchor_quote,
    parse_selectors,
)
from annotations.bodies import parse_body, parse_tags
from annotations.errors import AnnotationsError, NotFound, ValidationError
from annotations.inputs import NewAnnotation, TargetInput
from annotations.models import Annotation
from annotations.service import BODY_REQUIRED, EAGER, AnnotationService
from annotations.w3c import parse_new_annotation
from corpus.errors import DocumentNotFound

MAX_ITEMS = 10_000
MAX_PAGES = 1_000
WORLD = "group:__world__"  # Hypothesis' "anyone can read" principal
_DOCUMENT_PATH = re.compile(r"^/documents/([a-z0-9]+(?:-[a-z0-9]+)*)/?$")
_PLACEHOLDER_PARENT = "/api/annotations/0000000000000000"  # replaced once the parent is known

IMPORTED, SKIPPED, REJECTED = "imported", "skipped", "rejected"


@dataclass(frozen=True)
class ImportItem:
    """One annotation of an import file, validated; document and parent not yet resolved."""

    index: int  # 1-based position in the file
    key: str  # its id in the file, or "#<index>"
    new: NewAnnotation  # a reply's parent_id is a placeholder until the parent is imported
    parent_key: str | None = None  # a reply's parent, as the file names it
    notes: tuple[str, ...] = ()


@dataclass(frozen=True)
class ItemOutcome:
    """What became of one item: imported, skipped (a duplicate) or rejected, and why."""

    index: int
    key: str
    status: str
    reason: str = ""
    annotation_id: str | None = None


@dataclass(frozen=True)
class ParsedImport:
    """A parsed file: its format and, in file order, items or early rejections."""

    format: str  # "w3c", "hypothesis" or "mixed"
    entries: tuple[ImportItem | ItemOutcome, ...]


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


# --- Parsing -----------------------------------------------------------------------------


def parse_import_bytes(raw: bytes, document_id: str | None = None) -> ParsedImport:
    """Decode and parse an import file; a file-level problem raises ValidationError."""
    try:
        data = json.loads(raw.decode("utf-8-sig"))
    except UnicodeDecodeError as exc:
        raise ValidationError("file", f"not UTF-8 (byte offset {exc.start})") from None
    except (ValueError, RecursionError) as exc:
        raise ValidationError("file", f"not valid JSON ({exc})") from None
    return parse_import(data, document_id)


def parse_import(data: object, document_id: str | None = None) -> ParsedImport:
    """Parse a W3C collection, page, annotation or list, or a Hypothesis export, into items.

    document_id, when given, is the document every root annotation targets, whatever IRI
    the file gives (for files made on another site).
    """
    rows = _rows(data)
    if len(rows) > MAX_ITEMS:
        raise ValidationError("file", f"{len(rows)} annotations; the limit is {MAX_ITEMS}")
    kinds = {"hypothesis" if _is_hypothesis(row) else "w3c" for row in rows}
    entries: list[ImportItem | ItemOutcome] = []
    for index, row in enumerate(rows, start=1):
        key = _key(row, index)
        try:
            if _is_hypothesis(row):
                entries.append(_hypothesis_item(index, key, row, document_id))
            else:
                entries.append(_w3c_item(index, key, row, document_id))
        except _Skip as skip:
            entries.append(ItemOutcome(index, key, SKIPPED, str(skip)))
        except AnnotationsError as exc:
            entries.append(ItemOutcome(index, key, REJECTED, f"invalid: {exc}"))
    fmt = kinds.pop() if len(kinds) == 1 else "mixed" if kinds else "w3c"
    return ParsedImport(fmt, tuple(entries))


class _Skip(Exception):
    """An item that is deliberately not imported (not an error)."""


def _types(obj: dict[str, Any]) -> set[str]:
    raw = obj.get("type")
    return set(raw) if isinstance(raw, list) else {raw} if isinstance(raw, str) else set()


def _rows(data: object) -> list[object]:
    if isinstance(data, list):
        return list(data)
    if not isinstance(data, dict):
        raise ValidationError("file", "expected a JSON object or list")
    types = _types(data)
    if "AnnotationCollection" in types:
        return _collection_items(data)
    if "AnnotationPage" in types:
        return _page_items(data)
    if "Annotation" in types:
        return [data]
    for member in ("rows", "annotations"):  # Hypothesis search API / client export
        if isinstance(data.get(member), list):
            return list(data[member])
    raise ValidationError(
        "file",
        "expected a W3C AnnotationCollection, AnnotationPage, annotation or list of "
        "annotations, or a Hypothesis export (rows or annotations)",
    )


def _page_items(page: dict[str, Any]) -> list[object]:
    items = page.get("items", [])
    if not isinstance(items, list):
        raise ValidationError("file", "an AnnotationPage's items must be a list")
    return list(items)


def _collection_items(collection: dict[str, Any]) -> list[object]:
    page = collection.get("first")
    if collection.get("total") and not isinstance(page, dict):
        raise ValidationError(
            "file", "the collection does not embed its pages; export it with its items"
        )
    rows: list[object] = []
    for _ in range(MAX_PAGES):
        if not isinstance(page, dict):
            break
        rows += _page_items(page)
        page = page.get("next")
    return rows


def _is_hypothesis(row: object) -> TypeGuard[dict[str, Any]]:
    if not isinstance(row, dict) or _types(row):
        return False
    user = row.get("user")
    return "uri" in row or (isinstance(user, str) and user.startswith("acct:"))


def _key(row: object, index: int) -> str:
    raw = row.get("id") if isinstance(row, dict) else None
    return raw if isinstance(raw, str) and raw else f"#{index}"


def document_of(iri: object, override: str | None) -> str:
    """The id of the document an IRI names (<base>/documents/<id>), or the override."""
    if override is not None:
        return override
    path = urlsplit(iri).path if isinstance(iri, str) else ""
    match = _DOCUMENT_PATH.match(path)
    if match is None:
        raise ValidationError(
            "target", f"{iri!r} is not a document of this site; name one with --document"
        )
    return match.group(1)


def _w3c_item(index: int, key: str, row: object, document_id: str | None) -> ImportItem:
    if not isinstance(row, dict):
        raise ValidationError("annotation", "only full annotations can be imported, not IRIs")
    if row.get("deleted"):
        raise _Skip("a deleted annotation (tombstone)")
    obj = dict(row)
    target = obj.get("target")
    if isinstance(target, list) and len(target) == 1:
        target = target[0]
    parent_key: str | None = None
    if isinstance(target, str) or (isinstance(target, dict) and "selector" not in target):
        raw_parent = target if isinstance(target, str) else target.get("id", target.get("source"))
        parent_key = raw_parent if isinstance(raw_parent, str) else None
        obj["target"], obj["motivation"] = _PLACEHOLDER_PARENT, "replying"
    elif isinstance(target, dict):
        source = target.get("source")
        iri = source.get("id") if isinstance(source, dict) else source
        obj["target"] = {**target, "source": f"/documents/{document_of(iri, document_id)}"}
    new = parse_new_annotation(obj)
    if parent_key is None and new.visibility is None:
        new = dataclasses.replace(new, visibility="private")  # imported notes stay private
    return ImportItem(index, key, new, parent_key)


def _hypothesis_item(
    index: int, key: str, row: dict[str, Any], document_id: str | None
) -> ImportItem:
    text = row.get("text") or ""
    body = parse_body(text)
    tags = parse_tags(row.get("tags") or [])
    references = row.get("references") or []
    if not isinstance(references, list) or not all(isinstance(r, str) for r in references):
        raise ValidationError("references", "must be a list of annotation ids")
    if references:
        new = NewAnnotation("replying", body, tags, parent_id=_PLACEHOLDER_PARENT)
        return ImportItem(index, key, new, parent_key=references[-1])
    target = _hypothesis_target(row)
    quote, position = parse_selectors(
        [s for s in target.get("selector", []) if isinstance(s, dict)]
    )
    doc = document_of(target.get("source") or row.get("uri"), document_id)
    permissions = row.get("permissions")
    readers = permissions.get("read") if isinstance(permissions, dict) else None
    public = isinstance(readers, list) and WORLD in readers
    notes = (
        ()
        if public or row.get("group") in (None, "__world__")
        else (f"shared with Hypothesis group {row.get('group')!r}: imported as private",)
    )
    new = NewAnnotation(
        motivation="commenting" if body.markdown.strip() else "highlighting",
        body=body,
        tags=tags,
        visibility="public" if public else "private",
        target=TargetInput(doc, quote, position),
    )
    return ImportItem(index, key, new, notes=notes)


def _hypothesis_target(row: dict[str, Any]) -> dict[str, Any]:
    targets = row.get("target") or []
    if not isinstance(targets, list):
        raise ValidationError("target", "must be a list")
    for target in targets:
        if isinstance(target, dict) and target.get("selector"):
            return target
    raise ValidationError("target", "no selectors: a page note has no passage to anchor")


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
