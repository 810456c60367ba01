"""Blocks: split a decoded document into a canonical reading text and typed blocks."""

from __future__ import annotations

import hashlib
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass

from corpus import htmltext, markdown, plaintext
from corpus.chrome import mark_footer, mark_pattern_chrome
from corpus.errors import CorpusError
from corpus.pullquotes import locate, mark_pullquotes
from corpus.units import CHROME, HEADING, PARAGRAPH, PULLQUOTE, TITLE, Unit, collapse_space

SEPARATOR = "\n\n"
PREFIXES = {TITLE: "t", HEADING: "h", PARAGRAPH: "p", PULLQUOTE: "q"}
FALLBACK_TITLE_WORDS = 10


@dataclass(frozen=True)
class Block:
    """A typed span [start, end) of code points in the canonical text."""

    id: str
    kind: str  # "title" | "heading" | "paragraph" | "pullquote"
    start: int
    end: int
    source: str | None = None  # a pull quote's body block id


@dataclass(frozen=True)
class Segmentation:
    """The canonical reading text, its title, its blocks in reading order and the dropped chrome."""

    text: str
    title: str
    blocks: tuple[Block, ...]
    chrome: tuple[str, ...]


class SegmentationError(CorpusError, ValueError):
    """A document cannot be segmented (unknown format, or no readable text at all)."""


def segment_document(text: str, fmt: str, title: str | None = None) -> Segmentation:
    """Split decoded text of format "txt" | "md" | "html" into a canonical reading text and blocks.

    A given `title` replaces Segmentation.title; it becomes a title block only when the
    document has no title of its own, so the canonical text never holds two titles.
    """
    units = _units(text, fmt)
    mark_pattern_chrome(units)
    if fmt != "md":  # Markdown is authored, not scraped: a closing list is content
        mark_footer(units)
    mark_pullquotes(units)
    if fmt == "txt":
        plaintext.mark_headings(units)
    return _assemble(units, (title or "").strip() or None)


def _units(text: str, fmt: str) -> list[Unit]:
    if fmt == "txt":
        units = plaintext.split_lines(text)
        plaintext.mark_title(units)
        return units
    if fmt == "md":
        return markdown.markdown_units(text)
    if fmt == "html":
        return htmltext.html_units(text)
    raise SegmentationError(f"unknown format {fmt!r}: expected 'txt', 'md' or 'html'")


def _spans(units: Sequence[Unit]) -> dict[int, tuple[int, int]]:
    """Place pull quotes on their body occurrence, relative to the body unit's text."""
    spans: dict[int, tuple[int, int]] = {}
    for index, unit in enumerate(units):
        if unit.kind == PULLQUOTE and unit.source is not None:
            span = locate(unit.text, units[unit.source].text)
            if span is not None:
                spans[index] = span
                continue
        if unit.kind == PULLQUOTE:
            unit.kind = PARAGRAPH
    return spans


def _assemble(units: list[Unit], override: str | None) -> Segmentation:
    for unit in units:
        unit.text = unit.text.strip()
    spans = _spans(units)
    if not any(unit.text and unit.kind in (TITLE, HEADING, PARAGRAPH) for unit in units):
        raise SegmentationError("no readable text: the document is empty or only page chrome")
    if override is not None and not any(unit.kind == TITLE for unit in units):
        units = [Unit(override, TITLE), *units]
        spans = {index + 1: span for index, span in spans.items()}
        for unit in units:
            unit.source = None if unit.source is None else unit.source + 1
    readable = [i for i, u in enumerate(units) if u.text and u.kind in (TITLE, HEADING, PARAGRAPH)]
    starts: dict[int, int] = {}
    position = 0
    for index in readable:
        starts[index] = position
        position += len(units[index].text) + len(SEPARATOR)
    text = SEPARATOR.join(units[i].text for i in readable)
    blocks = _blocks(units, starts, spans, text)
    chrome = tuple(unit.text for unit in units if unit.kind == CHROME)
    return Segmentation(text, _title(units, override), blocks, chrome)


def _blocks(
    units: Sequence[Unit], starts: dict[int, int], spans: dict[int, tuple[int, int]], text: str
) -> tuple[Block, ...]:
    seen: dict[str, int] = {}
    made: dict[int, Block] = {}
    for index, start in starts.items():  # body blocks first: a pull quote may precede its source
        end = start + len(units[index].text)
        made[index] = Block(
            block_id(units[index].kind, text[start:end], seen), units[index].kind, start, end
        )
    for index, (left, right) in spans.items():
        source = units[index].source
        assert source is not None  # spans only holds pull quotes with a located source
        start, end = starts[source] + left, starts[source] + right
        made[index] = Block(
            block_id(PULLQUOTE, text[start:end], seen), PULLQUOTE, start, end, made[source].id
        )
    return tuple(made[index] for index in sorted(made))


def block_id(kind: str, text: str, seen: dict[str, int]) -> str:
    """Return kind prefix + 8 hex digits of the text's hash, numbered on a repeat."""
    folded = collapse_space(unicodedata.normalize("NFC", text))
    base = f"{PREFIXES[kind]}-{hashlib.sha256(folded.encode('utf-8')).hexdigest()[:8]}"
    seen[base] = seen.get(base, 0) + 1
    return base if seen[base] == 1 else f"{base}-{seen[base]}"


def _title(units: Sequence[Unit], override: str | None) -> str:
    if override is not None:
        return override
    for unit in units:
        if unit.kind == TITLE:
            return unit.text
    words = next(unit.text for unit in units if unit.kind in (HEADING, PARAGRAPH)).split()
    head = " ".join(words[:FALLBACK_TITLE_WORDS])
    return head + "…" if len(words) > FALLBACK_TITLE_WORDS else head
