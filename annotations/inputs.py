"""Validated inputs the annotation services accept."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from annotations.anchoring import PositionSelector, QuoteSelector, parse_selectors
from annotations.bodies import Body
from annotations.citations import SourceInput
from annotations.errors import ValidationError


@dataclass(frozen=True)
class TargetInput:
    """Where a new root annotation points: a document and its selectors."""

    document_id: str
    quote: QuoteSelector
    position: PositionSelector | None


@dataclass(frozen=True)
class NewAnnotation:
    """A validated new annotation (with a target) or reply (with a parent)."""

    motivation: str
    body: Body
    tags: tuple[str, ...] = ()
    sources: tuple[SourceInput, ...] = ()
    visibility: str | None = None  # None: the author's default for this motivation
    group_id: int | None = None
    target: TargetInput | None = None
    parent_id: str | None = None


@dataclass(frozen=True)
class AnnotationEdit:
    """A validated replacement of an annotation's body, tags, sources and audience."""

    body: Body
    tags: tuple[str, ...] = ()
    sources: tuple[SourceInput, ...] = ()
    visibility: str | None = None  # None: unchanged
    group_id: int | None = None
    reason: str | None = None  # required when an admin edits someone else's annotation


@dataclass(frozen=True)
class Reattachment:
    """Words of the newest version to re-attach an orphan to: a quote, its context, a position."""

    quote: QuoteSelector
    position: PositionSelector | None = None

    @property
    def is_typed(self) -> bool:
        """True for bare words (typed by a person), without context or position."""
        return not (self.quote.prefix or self.quote.suffix or self.position)


def parse_reattachment(data: Mapping[str, object]) -> Reattachment:
    """Validate a `selector` (W3C), or `exact` words with optional context and offsets."""
    if data.get("selector") is not None:
        quote, position = parse_selectors(data["selector"])
        return Reattachment(quote, position)
    texts: dict[str, str] = {}
    for name in ("exact", "prefix", "suffix"):
        value = data.get(name)
        if value is None:
            value = ""
        if not isinstance(value, str):
            raise ValidationError(name, "must be text")
        texts[name] = value
    start, end = (_offset(data.get(name), name) for name in ("start", "end"))
    position = PositionSelector(start, end) if start is not None and end is not None else None
    exact, prefix, suffix = texts["exact"], texts["prefix"], texts["suffix"]
    if not (prefix or suffix or position):
        exact = exact.strip()  # typed or pasted words often carry a stray space
    if not exact.strip():
        raise ValidationError("exact", "type the words of this version to re-attach it to")
    return Reattachment(QuoteSelector(exact, prefix, suffix), position)


def _offset(value: object, name: str) -> int | None:
    """An optional offset in code points, from JSON (an integer) or a form (digits)."""
    if value is None or value == "":
        return None
    if isinstance(value, str) and value.isascii() and value.isdigit() and len(value) <= 9:
        return int(value)
    if type(value) is int:
        return value
    raise ValidationError(name, "must be a whole number")
