"""Markdown: the one module that imports markdown_it (rendering and Markdown -> units)."""

from __future__ import annotations

from collections.abc import Sequence

from markdown_it import MarkdownIt
from markdown_it.token import Token

from corpus.units import HEADING, PARAGRAPH, TITLE, Unit

_CODE_BLOCKS = ("fence", "code_block")


def _parser() -> MarkdownIt:
    return MarkdownIt("commonmark", {"html": False, "linkify": False})


def render_markdown(source: str) -> str:
    """Render Markdown to HTML with raw HTML disabled and no autolinking of bare URLs."""
    html: str = _parser().render(source)
    return html


def inline_text(children: Sequence[Token]) -> str:
    """Return the plain text of inline tokens: no markup, no link targets, images left out."""
    parts: list[str] = []
    for token in children:
        if token.type in ("text", "code_inline", "html_inline"):
            parts.append(token.content)
        elif token.type == "softbreak":
            parts.append(" ")
        elif token.type == "hardbreak":
            parts.append("\n")
    return "".join(parts).strip()


def markdown_units(source: str) -> list[Unit]:
    """Split Markdown into units: first h1 the title, h2-h6 headings, text blocks paragraphs."""
    units: list[Unit] = []
    heading: str | None = None
    for token in _parser().parse(source):
        if token.type == "heading_open":
            heading = token.tag
        elif token.type == "heading_close":
            heading = None
        elif token.type in _CODE_BLOCKS and token.content.strip():
            units.append(Unit(token.content.strip("\n"), PARAGRAPH, structural=True))
        elif token.type == "inline":
            text = inline_text(token.children or [])
            if text:
                units.append(Unit(text, _kind(heading, units), structural=True))
    return units


def _kind(heading: str | None, units: Sequence[Unit]) -> str:
    if heading is None:
        return PARAGRAPH
    if heading == "h1" and not any(unit.kind == TITLE for unit in units):
        return TITLE
    return HEADING
