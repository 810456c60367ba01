"""Validated inputs the annotation services accept."""

from __future__ import annotations

from dataclasses import dataclass

from annotations.anchoring import PositionSelector, QuoteSelector
from annotations.bodies import Body
from annotations.citations import SourceInput


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
