"""Import files parsed into typed items: W3C collections, pages and lists, Hypothesis exports."""

from __future__ import annotations

import dataclasses
import json
import re
from dataclasses import dataclass
from typing import Any, TypeGuard
from urllib.parse import urlsplit

from annotations.anchoring import parse_selectors
from annotations.bodies import parse_body, parse_tags
from annotations.errors import AnnotationsError, ValidationError
from annotations.inputs import NewAnnotation, TargetInput
from annotations.w3c import parse_new_annotation

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
