"""Bodies and tags: validate what a person writes, and render the Markdown body once, on write."""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass

from annotations.errors import ValidationError
from annotations.sanitize import clean_html
from corpus.markdown import render_markdown

MAX_BODY = 10_000
MAX_TAGS = 20
MAX_TAG_LENGTH = 50
# embeddings, overrides and isolates would reorder the text around a tag on display
_BIDI_CONTROLS = frozenset("\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069")


@dataclass(frozen=True)
class Body:
    """A note's body: the Markdown as written and the sanitized HTML rendered from it."""

    markdown: str
    html: str


def render_body(markdown_source: str) -> str:
    """Render Markdown (raw HTML off) and reduce the result to the one HTML allow-list."""
    return clean_html(render_markdown(markdown_source))


def _check_unicode(field: str, label: str, value: str) -> None:
    if "\x00" in value:
        raise ValidationError(field, f"{label} must not contain NUL characters")
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        raise ValidationError(
            field, f"{label} is not valid Unicode (it contains a lone surrogate)"
        ) from None


def parse_body(value: object, max_length: int = MAX_BODY) -> Body:
    """Validate an untrusted Markdown body and render it; an empty body is allowed."""
    if not isinstance(value, str):
        raise ValidationError("body", "the body must be a string")
    if len(value) > max_length:
        raise ValidationError(
            "body", f"the body is {len(value)} characters long; the limit is {max_length}"
        )
    _check_unicode("body", "the body", value)
    return Body(value, render_body(value) if value.strip() else "")


def parse_tags(
    value: object, max_tags: int = MAX_TAGS, max_length: int = MAX_TAG_LENGTH
) -> tuple[str, ...]:
    """Validate untrusted tags: trimmed, inner space collapsed, no case-insensitive repeats.

    '<' and '>' are ordinary characters here; templates escape them on output.
    """
    if not isinstance(value, list):
        raise ValidationError("tags", "tags must be a list of strings")
    tags: list[str] = []
    seen: set[str] = set()
    for index, item in enumerate(value):
        tag = _parse_tag(index, item, max_length)
        if not tag or tag.casefold() in seen:
            continue
        if len(tags) == max_tags:
            raise ValidationError("tags", f"at most {max_tags} different tags are allowed")
        seen.add(tag.casefold())
        tags.append(tag)
    return tuple(tags)


def _is_control(char: str) -> bool:
    """Controls other than tab/newline (which collapse to a space), and bidi overrides."""
    if char in "\t\n\r":
        return False
    return unicodedata.category(char) == "Cc" or char in _BIDI_CONTROLS


def _parse_tag(index: int, item: object, max_length: int) -> str:
    label = f"tags[{index}]"
    if not isinstance(item, str):
        raise ValidationError("tags", f"{label} must be a string")
    _check_unicode("tags", label, item)
    if any(_is_control(char) for char in item):
        raise ValidationError("tags", f"{label} must not contain control characters")
    tag = " ".join(item.split())
    if len(tag) > max_length:
        raise ValidationError(
            "tags", f"{label} is {len(tag)} characters long; the limit is {max_length}"
        )
    return tag
