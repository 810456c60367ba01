"""Output shapes for annotations: W3C Web Annotation JSON-LD and source exports."""

from __future__ import annotations

import csv
import io
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlencode

from annotations.citations import CitedSource, citation_key
from annotations.models import Annotation, Citation, Source
from annotations.w3c import ANNO_CONTEXT

MEDIA_TYPE = 'application/ld+json; profile="http://www.w3.org/ns/anno.jsonld"'
CONTEXT_PATH = "/api/context.jsonld"


def iso(moment: datetime) -> str:
    """Format a time as UTC xsd:dateTime with a Z (SQLite hands back naive UTC times)."""
    aware = moment if moment.tzinfo else moment.replace(tzinfo=UTC)
    return aware.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def annotation_iri(base: str, annotation_id: str) -> str:
    """Return the IRI of an annotation."""
    return f"{base}/api/annotations/{annotation_id}"


def context(base: str) -> list[str]:
    """The W3C context plus the project's own, for the extension members."""
    return [ANNO_CONTEXT, base + CONTEXT_PATH]


def reader_context(base: str) -> dict[str, Any]:
    """The project's JSON-LD context document for its extension terms."""
    ns = base + CONTEXT_PATH + "#"
    return {
        "@context": {
            "ar": ns,
            "dcterms": "http://purl.org/dc/terms/",
            "visibility": "ar:visibility",
            "group": {"@id": "ar:group", "@type": "@id"},
            "stance": "ar:stance",
            "excerpt": "ar:excerpt",
            "locator": "ar:locator",
            "accessed": "ar:accessed",
            "published": "dcterms:issued",
            "publisher": "dcterms:publisher",
            "author": "ar:authorName",
            "title": "dcterms:title",
            "deleted": {"@id": "ar:deleted", "@type": "xsd:dateTime"},
            "revision": "ar:revision",
            "kind": "ar:kind",
        }
    }


def _source_body(citation: Citation) -> dict[str, Any]:
    src = citation.source
    resource: dict[str, Any] = {"id": src.url, "type": "Text", "title": src.title}
    if src.authors:
        resource["author"] = list(src.authors)
    if src.publisher:
        resource["publisher"] = src.publisher
    if src.published:
        resource["published"] = src.published
    body: dict[str, Any] = {
        "type": "SpecificResource",
        "purpose": "linking",
        "source": resource,
        "stance": citation.stance,
    }
    for key in ("excerpt", "locator", "accessed"):
        value = getattr(citation, key)
        if value:
            body[key] = value
    return body


def _bodies(annotation: Annotation) -> list[dict[str, Any]]:
    bodies: list[dict[str, Any]] = []
    if annotation.body_markdown:
        purpose = "replying" if annotation.parent_id else "commenting"
        bodies.append(
            {
                "type": "TextualBody",
                "value": annotation.body_markdown,
                "format": "text/markdown",
                "purpose": purpose,
            }
        )
    bodies.extend(
        {"type": "TextualBody", "value": t.name, "purpose": "tagging"} for t in annotation.tags
    )
    bodies.extend(_source_body(c) for c in annotation.citations)
    return bodies


def _target(annotation: Annotation, base: str) -> dict[str, Any] | str:
    if annotation.parent_id is not None:
        return annotation_iri(base, annotation.parent_id)
    return {
        "type": "SpecificResource",
        "source": f"{base}/documents/{annotation.document_id}",
        "selector": [
            {
                "type": "TextQuoteSelector",
                "exact": annotation.exact,
                "prefix": annotation.prefix or "",
                "suffix": annotation.suffix or "",
            },
            {"type": "TextPositionSelector", "start": annotation.start, "end": annotation.end},
        ],
    }


def to_w3c(annotation: Annotation, base: str, embedded: bool = False) -> dict[str, Any]:
    """Return an annotation as W3C Web Annotation JSON-LD."""
    data: dict[str, Any] = {} if embedded else {"@context": context(base)}
    data |= {
        "id": annotation_iri(base, annotation.id),
        "type": "Annotation",
        "motivation": annotation.motivation,
        "created": iso(annotation.created_at),
        "modified": iso(annotation.modified_at),
        "creator": {
            "id": f"{base}/users/{annotation.author.username}",
            "type": "Person",
            "nickname": annotation.author.username,
        },
        "target": _target(annotation, base),
        "visibility": annotation.visibility,
        "revision": annotation.revision,
    }
    if annotation.group_id is not None:
        data["group"] = f"{base}/groups/{annotation.group_id}"
    bodies = _bodies(annotation)
    if bodies:
        data["body"] = bodies
    if annotation.deleted_at is not None:
        data["deleted"] = iso(annotation.deleted_at)
    return data


CONTAINED_DESCRIPTIONS = "descriptions"  # embed the first page with full annotations
CONTAINED_IRIS = "iris"  # embed the first page with annotation IRIs only
MINIMAL_CONTAINER = "minimal"  # no embedded page: first and last as IRIs


def page_iri(collection_iri: str, number: int, iris: bool = False) -> str:
    """Return the IRI of page `number` (0-based) of a collection, IRIs-only when `iris`."""
    query = urlencode({"iris": 1, "page": number} if iris else {"page": number})
    return collection_iri + ("&" if "?" in collection_iri else "?") + query


def last_page(total: int, size: int) -> int:
    """Return the number of the last page (0 for an empty collection)."""
    return max(0, (total - 1) // size)


def to_page(
    annotations: Sequence[Annotation],
    base: str,
    collection_iri: str,
    window: tuple[int, int, int],
    iris: bool = False,
    embedded: bool = False,
) -> dict[str, Any]:
    """Return one AnnotationPage; window is (page number, page size, total)."""
    number, size, total = window
    data: dict[str, Any] = {} if embedded else {"@context": context(base)}
    data |= {
        "id": page_iri(collection_iri, number, iris),
        "type": "AnnotationPage",
        # an object, not a bare IRI: the WPT page tests expect partOf to be described
        "partOf": {"id": collection_iri, "total": total},
        "startIndex": number * size,
        "items": [
            annotation_iri(base, a.id) if iris else to_w3c(a, base, embedded=True)
            for a in annotations
        ],
    }
    if number > 0:
        data["prev"] = page_iri(collection_iri, number - 1, iris)
    if number < last_page(total, size):
        data["next"] = page_iri(collection_iri, number + 1, iris)
    return data


def to_collection(
    annotations: Sequence[Annotation],
    base: str,
    collection_iri: str,
    total: int,
    size: int = 100,
    contained: str = CONTAINED_DESCRIPTIONS,
) -> dict[str, Any]:
    """Return an AnnotationCollection; `annotations` are its first page's items."""
    data: dict[str, Any] = {
        "@context": context(base),
        "id": collection_iri,
        "type": "AnnotationCollection",
        "total": total,
    }
    if not total:
        return data
    iris = contained == CONTAINED_IRIS
    if contained == MINIMAL_CONTAINER:
        data["first"] = page_iri(collection_iri, 0, iris)
    else:
        window = (0, size, total)
        data["first"] = to_page(annotations, base, collection_iri, window, iris, embedded=True)
    data["last"] = page_iri(collection_iri, last_page(total, size), iris)
    return data


def cited_source(source: Source, accessed: str | None) -> CitedSource:
    """Return a source record in export form."""
    return CitedSource(
        key=citation_key(tuple(source.authors), source.published, source.normalized_url),
        url=source.url,
        title=source.title,
        authors=tuple(source.authors),
        publisher=source.publisher,
        published=source.published,
        accessed=accessed,
    )


# --- Exports: CSV rows and digests -------------------------------------------------------

CSV_COLUMNS = (
    "id",
    "document",
    "author",
    "created",
    "motivation",
    "visibility",
    "quote",
    "start",
    "end",
    "body",
    "tags",
    "sources",
)
# A spreadsheet runs a cell starting with one of these as a formula (CSV injection).
_FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
_MD_SPECIAL = str.maketrans(
    {"&": "&amp;", "<": "&lt;", ">": "&gt;"} | {char: "\\" + char for char in "\\`*_[]#|!"}
)
_MD_HTML = str.maketrans({"&": "&amp;", "<": "&lt;", ">": "&gt;"})
_URL_UNSAFE = str.maketrans({"(": "%28", ")": "%29", "<": "%3C", ">": "%3E", " ": "%20"})


@dataclass(frozen=True)
class DigestSource:
    """A numbered citation as a digest shows it."""

    number: int
    title: str
    url: str
    stance: str
    excerpt: str | None
    locator: str | None


@dataclass(frozen=True)
class DigestEntry:
    """An annotation as a digest shows it: its passage, its text, its sources, its replies."""

    id: str
    document_id: str
    author: str
    created: str
    kind: str
    visibility: str
    quote: str | None  # None for a reply shown without its thread
    body_markdown: str
    body_html: str  # sanitized on write; the only field a template may mark safe
    tags: tuple[str, ...]
    sources: tuple[DigestSource, ...]
    replies: tuple[DigestEntry, ...] = ()


def _entry(annotation: Annotation, replies: tuple[DigestEntry, ...] = ()) -> DigestEntry:
    return DigestEntry(
        id=annotation.id,
        document_id=annotation.document_id,
        author=annotation.author.username,
        created=iso(annotation.created_at),
        kind=annotation.kind,
        visibility=annotation.visibility,
        quote=annotation.exact,
        body_markdown=annotation.body_markdown,
        body_html=annotation.body_html,
        tags=tuple(t.name for t in annotation.tags),
        sources=tuple(
            DigestSource(c.number, c.source.title, c.source.url, c.stance, c.excerpt, c.locator)
            for c in annotation.citations
        ),
        replies=replies,
    )


def digest_entries(annotations: Sequence[Annotation]) -> list[DigestEntry]:
    """Group annotations into threads in document order; a reply without its root stands alone."""
    present = {a.id for a in annotations}
    replies: dict[str, list[Annotation]] = {}
    for a in annotations:
        if a.parent_id is not None and a.root_id in present:
            replies.setdefault(a.root_id or "", []).append(a)
    tops = [a for a in annotations if a.parent_id is None or a.root_id not in present]
    tops.sort(key=lambda a: (a.document_id, a.start or 0, a.created_at, a.id))
    return [
        _entry(a, tuple(_entry(r) for r in sorted(replies.get(a.id, []), key=_created)))
        for a in tops
    ]


def _created(annotation: Annotation) -> tuple[datetime, str]:
    return annotation.created_at, annotation.id


def _csv_cell(value: object) -> str:
    text = "" if value is None else str(value)
    return "'" + text if text.startswith(_FORMULA_STARTS) else text


def to_csv(annotations: Sequence[Annotation]) -> str:
    """One row per annotation; cells that a spreadsheet would run as formulas are defused."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(CSV_COLUMNS)
    for a in annotations:
        row = (
            a.id,
            a.document_id,
            a.author.username,
            iso(a.created_at),
            a.motivation,
            a.visibility,
            a.exact,
            a.start,
            a.end,
            a.body_markdown,
            "; ".join(t.name for t in a.tags),
            " ".join(c.source.url for c in a.citations),
        )
        writer.writerow([_csv_cell(value) for value in row])
    return out.getvalue()


def md_text(value: str) -> str:
    """Escape plain text for Markdown: no markup, no raw HTML, one line."""
    return " ".join(value.split()).translate(_MD_SPECIAL)


def _md_body(markdown: str) -> list[str]:
    # The author's Markdown keeps its formatting; raw HTML is shown as text, never run.
    return [line.translate(_MD_HTML) for line in markdown.strip().splitlines()]


def _md_entry(entry: DigestEntry) -> list[str]:
    lines = [f"> {md_text(entry.quote)}", ""] if entry.quote else ["*(a reply)*", ""]
    lines.append(
        f"**{md_text(entry.author)}** · {entry.kind} · {entry.visibility} · {entry.created}"
    )
    lines.append("")
    if entry.body_markdown.strip():
        lines += [*_md_body(entry.body_markdown), ""]
    if entry.tags:
        lines += ["Tags: " + ", ".join(md_text(t) for t in entry.tags), ""]
    for src in entry.sources:
        detail = f" — “{md_text(src.excerpt)}”" if src.excerpt else ""
        detail += f", {md_text(src.locator)}" if src.locator else ""
        url = src.url.translate(_URL_UNSAFE)
        lines.append(f"{src.number}. [{md_text(src.title)}]({url}) ({src.stance}){detail}")
    if entry.sources:
        lines.append("")
    for reply in entry.replies:
        lines.append(f"- **{md_text(reply.author)}** ({reply.created}):")
        lines += ["  " + line for line in _md_body(reply.body_markdown)]
    if entry.replies:
        lines.append("")
    return lines


def to_markdown(title: str, entries: Sequence[DigestEntry]) -> str:
    """A readable Markdown digest: per annotation its passage, text, tags and numbered sources."""
    count = sum(1 + len(e.replies) for e in entries)
    lines = [f"# {md_text(title)}", "", f"{count} annotation{'' if count == 1 else 's'}.", ""]
    for number, entry in enumerate(entries, start=1):
        lines += [f"## {number}. {md_text(entry.document_id)}", "", *_md_entry(entry)]
    return "\n".join(lines).rstrip() + "\n"
