"""Output shapes for annotations: W3C Web Annotation JSON-LD and source exports."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

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


def to_collection(
    annotations: list[Annotation], base: str, collection_iri: str, total: int
) -> dict[str, Any]:
    """Return a collection whose first page embeds the given annotations."""
    data: dict[str, Any] = {
        "@context": context(base),
        "id": collection_iri,
        "type": "AnnotationCollection",
        "total": total,
    }
    if total:
        data["first"] = {
            "id": collection_iri + ("&" if "?" in collection_iri else "?") + "page=0",
            "type": "AnnotationPage",
            "startIndex": 0,
            "partOf": {"id": collection_iri},
            "items": [to_w3c(a, base, embedded=True) for a in annotations],
        }
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
