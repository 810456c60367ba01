"""Parse W3C Web Annotation JSON(-LD) from untrusted clients into validated inputs."""

from __future__ import annotations

import re
from typing import Any
from urllib.parse import urlsplit

from annotations.anchoring import parse_selectors
from annotations.bodies import Body, parse_body, parse_tags
from annotations.citations import SourceInput, parse_sources
from annotations.errors import ValidationError
from annotations.inputs import AnnotationEdit, NewAnnotation, TargetInput
from annotations.models import MOTIVATIONS, VISIBILITIES

ANNO_CONTEXT = "http://www.w3.org/ns/anno.jsonld"
COMMENT_PURPOSES = (None, "commenting", "replying", "assessing", "questioning", "describing")
TEXT_FORMATS = (None, "text/markdown", "text/plain")
_DOCUMENT_PATH = re.compile(r"^/documents/([a-z0-9]+(?:-[a-z0-9]+)*)/?$")
_ANNOTATION_PATH = re.compile(r"^(?:/api)?/annotations/([0-9a-f]{16})/?$")
_GROUP_PATH = re.compile(r"/groups/(\d+)/?$")


def _object(data: object) -> dict[str, Any]:
    if not isinstance(data, dict):
        raise ValidationError("annotation", "the request body must be a JSON object")
    return data


def parse_motivation(raw: object) -> str:
    """Accept one motivation, or a list whose first known entry decides."""
    if raw is None:
        return "commenting"
    candidates = raw if isinstance(raw, list) else [raw]
    for candidate in candidates:
        if not isinstance(candidate, str):
            raise ValidationError("motivation", "must be a string or a list of strings")
        if candidate in MOTIVATIONS:
            return candidate
    raise ValidationError("motivation", f"must be one of {', '.join(MOTIVATIONS)}")


def _split_bodies(raw: object, body_value: object) -> tuple[Body, list[object], list[object]]:
    """Return the comment body, the raw tags and the raw sources of the body member."""
    items = [] if raw is None else raw if isinstance(raw, list) else [raw]
    texts: list[object] = [] if body_value is None else [body_value]
    tags: list[object] = []
    sources: list[object] = []
    for index, item in enumerate(items):
        where = f"body[{index}]"
        if not isinstance(item, dict):
            raise ValidationError(where, "each body must be a JSON object")
        kind, purpose = item.get("type"), item.get("purpose")
        if kind == "TextualBody" and purpose == "tagging":
            tags.append(item.get("value"))
        elif kind == "TextualBody" and purpose in COMMENT_PURPOSES:
            if item.get("format") not in TEXT_FORMATS:
                raise ValidationError(f"{where}.format", "use text/markdown or text/plain")
            texts.append(item.get("value"))
        elif kind == "SpecificResource" and purpose == "linking":
            sources.append(_source_fields(item, where))
        else:
            raise ValidationError(
                where,
                "expected a TextualBody (commenting or tagging) or a SpecificResource "
                "with purpose 'linking'",
            )
    if len(texts) > 1:
        raise ValidationError("body", "send at most one commenting text body")
    return parse_body(texts[0] if texts else ""), tags, sources


def _source_fields(item: dict[str, Any], where: str) -> dict[str, object]:
    source = item.get("source")
    if isinstance(source, str):
        source = {"id": source}
    if not isinstance(source, dict):
        raise ValidationError(f"{where}.source", "must be the cited URL or an object with an id")
    return {
        "url": source.get("id"),
        "title": source.get("title"),
        "authors": source.get("author", []),
        "publisher": source.get("publisher"),
        "published": source.get("published"),
        "accessed": item.get("accessed"),
        "excerpt": item.get("excerpt"),
        "locator": item.get("locator"),
        "stance": item.get("stance", "context"),
    }


def parse_audience(data: dict[str, Any]) -> tuple[str | None, int | None]:
    """Validate the visibility and group members of a request."""
    visibility = data.get("visibility")
    if visibility is not None and visibility not in VISIBILITIES:
        raise ValidationError("visibility", f"must be one of {', '.join(VISIBILITIES)}")
    raw_group = data.get("group")
    if visibility != "group" or raw_group is None:
        return visibility, None
    if isinstance(raw_group, int) and not isinstance(raw_group, bool) and 0 < raw_group < 2**31:
        return visibility, raw_group
    if isinstance(raw_group, str):
        match = _GROUP_PATH.search(raw_group) if "/" in raw_group else None
        digits = match.group(1) if match else raw_group
        if digits.isascii() and digits.isdigit() and len(digits) < 10:
            return visibility, int(digits)
    raise ValidationError("group", "must be a group id or the group's IRI")


def _path_of(iri: object, field: str) -> str:
    if not isinstance(iri, str) or not iri or len(iri) > 2000:
        raise ValidationError(field, "must be an IRI string")
    return urlsplit(iri).path


def _target(raw: object, motivation: str) -> tuple[TargetInput | None, str | None]:
    if isinstance(raw, list) and len(raw) == 1:
        raw = raw[0]
    if isinstance(raw, str) or (isinstance(raw, dict) and "selector" not in raw):
        iri = raw if isinstance(raw, str) else raw.get("id", raw.get("source"))
        match = _ANNOTATION_PATH.match(_path_of(iri, "target"))
        if match is None:
            raise ValidationError(
                "target", "must be a document passage (with selectors) or an annotation's IRI"
            )
        return None, match.group(1)
    if not isinstance(raw, dict):
        raise ValidationError("target", "must be an object with a source and selectors")
    match = _DOCUMENT_PATH.match(_path_of(raw.get("source"), "target.source"))
    if match is None:
        raise ValidationError("target.source", "must be a document IRI like <base>/documents/<id>")
    quote, position = parse_selectors(raw.get("selector"))
    return TargetInput(match.group(1), quote, position), None


def parse_new_annotation(data: object) -> NewAnnotation:
    """Validate a new annotation or reply; server-set fields (id, creator, dates) are ignored."""
    obj = _object(data)
    if "body" in obj and "bodyValue" in obj:
        raise ValidationError("body", "send either body or bodyValue, not both")
    motivation = parse_motivation(obj.get("motivation"))
    if "target" not in obj:
        raise ValidationError("target", "an annotation needs a target")
    target, parent_id = _target(obj["target"], motivation)
    body, tags, sources = _split_bodies(obj.get("body"), obj.get("bodyValue"))
    visibility, group_id = parse_audience(obj)
    return NewAnnotation(
        motivation=motivation,
        body=body,
        tags=parse_tags(tags),
        sources=_parse_sources(sources),
        visibility=visibility,
        group_id=group_id,
        target=target,
        parent_id=parent_id,
    )


def parse_annotation_edit(data: object) -> AnnotationEdit:
    """Validate a replacement (PUT): body, tags, sources, audience and an optional reason."""
    obj = _object(data)
    if "body" in obj and "bodyValue" in obj:
        raise ValidationError("body", "send either body or bodyValue, not both")
    body, tags, sources = _split_bodies(obj.get("body"), obj.get("bodyValue"))
    visibility, group_id = parse_audience(obj)
    reason = obj.get("reason")
    if reason is not None and not isinstance(reason, str):
        raise ValidationError("reason", "must be a string")
    return AnnotationEdit(
        body=body,
        tags=parse_tags(tags),
        sources=_parse_sources(sources),
        visibility=visibility,
        group_id=group_id,
        reason=reason,
    )


def _parse_sources(raw: list[object]) -> tuple[SourceInput, ...]:
    return parse_sources(raw)
