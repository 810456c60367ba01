"""Validated inputs of the fact-check workflow, parsed from forms or JSON."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from annotations.anchoring import PositionSelector, QuoteSelector, parse_selectors
from annotations.bodies import Body, parse_body
from annotations.citations import STANCES, SourceInput, parse_source
from annotations.claims import CLAIM_TYPES, RATINGS, REJECT_REASONS, STATES
from annotations.errors import ValidationError
from annotations.w3c import parse_audience

MAX_REASON = 1000
MAX_NOTE = 2000
MAX_EXCERPT = 2000


@dataclass(frozen=True)
class NewFlag:
    """A flag on a passage (by selectors) or on an existing annotation's passage."""

    claim_type: str
    reason: str
    document_id: str | None = None
    quote: QuoteSelector | None = None
    position: PositionSelector | None = None
    annotation_id: str | None = None
    evidence: tuple[NewEvidence, ...] = ()
    # When set, the flagger's reason is also kept as their own "assessing" annotation
    # on the passage, seen by this audience (private, group or public).
    note_visibility: str | None = None
    note_group: int | None = None


@dataclass(frozen=True)
class NewEvidence:
    """A source bearing on a claim, with the exact excerpt that matters."""

    source: SourceInput
    stance: str
    excerpt: str


@dataclass(frozen=True)
class Move:
    """A requested workflow transition."""

    to_state: str
    note: str = ""
    expected_version: int | None = None
    reject_reason: str | None = None
    duplicate_of: int | None = None
    assignee: str | None = None


def _text(value: object, field: str, limit: int, required: bool = False) -> str:
    if value is None:
        value = ""
    if not isinstance(value, str):
        raise ValidationError(field, "must be text")
    value = value.strip()
    if required and not value:
        raise ValidationError(field, "is required")
    if len(value) > limit:
        raise ValidationError(field, f"is {len(value)} characters long; the limit is {limit}")
    if "\x00" in value:
        raise ValidationError(field, "must not contain NUL characters")
    return value


def _whole_number(value: object, field: str) -> int | None:
    if value is None or value == "":
        return None
    if isinstance(value, bool):
        raise ValidationError(field, "must be a whole number")
    if isinstance(value, int):
        number = value
    elif isinstance(value, str) and value.strip().isascii() and value.strip().isdigit():
        number = int(value.strip()[:12])  # longer is out of range anyway
    else:
        raise ValidationError(field, "must be a whole number")
    if not 0 < number < 2**31:
        raise ValidationError(field, "is out of range")
    return number


def parse_version(value: object) -> int | None:
    """The claim version a client last read (a stale one is refused with a conflict), if sent."""
    return _whole_number(value, "version")


def parse_claim_type(value: object) -> str:
    """Accept a claim type key (or its label, case-insensitive)."""
    if isinstance(value, str):
        key = value.strip().lower().replace(" ", "_")
        if key in CLAIM_TYPES:
            return key
    raise ValidationError("claim_type", f"must be one of {', '.join(CLAIM_TYPES)}")


def parse_evidence(raw: object, index: int = 0) -> NewEvidence:
    """Validate one evidence item: a source record plus stance and excerpt."""
    where = f"evidence[{index}]"
    if not isinstance(raw, dict):
        raise ValidationError(where, "must be an object")
    fields = {k: v for k, v in raw.items() if k not in ("stance", "excerpt")}
    stance = raw.get("stance")
    if stance not in STANCES:
        raise ValidationError(f"{where}.stance", f"must be one of {', '.join(STANCES)}")
    excerpt = _text(raw.get("excerpt"), f"{where}.excerpt", MAX_EXCERPT, required=True)
    return NewEvidence(parse_source(fields | {"stance": stance}, index=index), stance, excerpt)


def parse_flag(data: object) -> NewFlag:
    """Validate a flag: a claim type, a short reason, and a passage or an annotation."""
    if not isinstance(data, dict):
        raise ValidationError("flag", "send a JSON object")
    evidence_raw = data.get("evidence") or []
    if not isinstance(evidence_raw, list) or len(evidence_raw) > 10:
        raise ValidationError("evidence", "must be a list of at most 10 items")
    common: dict[str, Any] = {
        "claim_type": parse_claim_type(data.get("claim_type")),
        "reason": _text(data.get("reason"), "reason", MAX_REASON),
        "evidence": tuple(parse_evidence(item, i) for i, item in enumerate(evidence_raw)),
    }
    if data.get("annotation"):
        annotation = data["annotation"]
        if not isinstance(annotation, str) or len(annotation) > 64:
            raise ValidationError("annotation", "must be an annotation id")
        return NewFlag(annotation_id=annotation.rsplit("/", 1)[-1], **common)
    document = data.get("document")
    if not isinstance(document, str) or not document:
        raise ValidationError("document", "say which document (or which annotation) to flag")
    quote, position = parse_selectors(data.get("selector"))
    visibility, group = parse_audience(data) if "visibility" in data else (None, None)
    return NewFlag(
        document_id=document,
        quote=quote,
        position=position,
        note_visibility=visibility,
        note_group=group,
        **common,
    )


def parse_move(data: dict[str, Any]) -> Move:
    """Validate a transition request."""
    to_state = data.get("to")
    if not isinstance(to_state, str) or to_state not in STATES:
        raise ValidationError("to", f"unknown state {to_state!r}; states: {', '.join(STATES)}")
    reason = data.get("reject_reason") or None
    if reason is not None and (not isinstance(reason, str) or reason not in REJECT_REASONS):
        raise ValidationError("reject_reason", f"must be one of {', '.join(REJECT_REASONS)}")
    assignee = data.get("assignee") or None
    if assignee is not None and not isinstance(assignee, str):
        raise ValidationError("assignee", "must be a username")
    return Move(
        to_state=to_state,
        note=_text(data.get("note"), "note", MAX_NOTE),
        expected_version=_whole_number(data.get("version"), "version"),
        reject_reason=reason,
        duplicate_of=_whole_number(data.get("duplicate_of"), "duplicate_of"),
        assignee=assignee,
    )


def parse_verdict(data: dict[str, Any]) -> tuple[str, Body, int | None]:
    """Validate a draft verdict: a rating key and a Markdown summary."""
    rating = data.get("rating")
    if not isinstance(rating, str) or rating not in RATINGS:
        raise ValidationError("rating", f"must be one of {', '.join(RATINGS)}")
    summary = parse_body(data.get("summary", ""))
    return str(rating), summary, _whole_number(data.get("version"), "version")
