"""How text becomes index terms: one analyser for queries and snippets, weighted parts for indexing.

Each index document has one searchable text field made of parts (the passage or annotation body,
the title, the quoted words, the cited sources, the tags). A part's words carry its weight, so
the article's words outrank the same words in a tag, and parts are kept apart by a gap of
positions, so a phrase never matches across two of them. One field instead of one per part
means one posting list per word: a word costs one matcher at search time, not five.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator, Mapping
from functools import lru_cache
from html import escape
from typing import Any

from whoosh.analysis import Analyzer, CharsetFilter, StemmingAnalyzer, Token
from whoosh.support.charset import accent_map

from corpus.querylang import Phrase, Word

ANALYZER = StemmingAnalyzer() | CharsetFilter(accent_map)

# The parts of an index document and the weight of each of their words.
PART_WEIGHTS: dict[str, float] = {
    "content": 3.0,
    "title": 2.0,
    "quote": 1.5,
    "sourcetext": 1.0,
    "tagtext": 0.5,
}
PART_SEPARATOR = "\x1e"
WEIGHT_SEPARATOR = "\x1f"
# Positions left empty between parts: longer than any phrase the query language accepts.
POSITION_GAP = 100


def join_parts(parts: Mapping[str, str]) -> str:
    """The field value for parts named in PART_WEIGHTS (empty parts are left out)."""
    encoded = []
    for name, text in parts.items():
        if text and name in PART_WEIGHTS:
            clean = text.replace(PART_SEPARATOR, " ").replace(WEIGHT_SEPARATOR, " ")
            encoded.append(f"{name}{WEIGHT_SEPARATOR}{clean}")
    return PART_SEPARATOR.join(encoded)


# The words of a text: word characters, dots inside a word kept (U.S., 3.14). The same words
# as \w+(\.?\w+)*, Whoosh's tokenizer pattern without its '*', written without a capturing
# group so findall() gives whole words (a unit test compares the two on tricky text).
_WORD = re.compile(r"\w+(?:\.\w+)*")
_WORDS = _WORD.findall


def _weighted_parts(value: str) -> Iterator[tuple[float, str]]:
    """(weight of its words, text) of each part of a field value; plain text is one part of 1."""
    for part in value.split(PART_SEPARATOR):
        name, sep, text = part.partition(WEIGHT_SEPARATOR)
        if sep:
            yield PART_WEIGHTS.get(name, 1.0), text
        else:
            yield 1.0, part


@lru_cache(maxsize=100_000)
def _term_of(word: str) -> str | None:
    """The index term of one word (None for a stop word), remembered."""
    terms = analysed(word)
    return terms[0] if terms else None


class PartsAnalyzer(Analyzer):
    """ANALYZER applied to each part of a joined value, with the part's weight as token boost.

    Text without separators (a query) is one part of weight 1. The words are ANALYZER's (the
    same tokenizer pattern, each word's term remembered): running Whoosh's chain of filters
    for every word of every document was most of the cost of indexing.
    """

    def __call__(self, value: str, **kwargs: Any) -> Iterator[Any]:
        """Yield the tokens of every part, positions continuing across parts after a gap."""
        start = int(kwargs.pop("start_pos", 0))
        chars = bool(kwargs.get("chars"))
        token = Token(**kwargs)
        token.pos = start
        for token.boost, text in _weighted_parts(value):
            for match in _WORD.finditer(text):
                term = _term_of(match.group())
                if term is None:
                    continue
                token.text = term
                if chars:
                    token.startchar, token.endchar = match.span()
                yield token
                token.pos += 1
            token.pos += POSITION_GAP


PARTS_ANALYZER = PartsAnalyzer()


def part_terms(value: str) -> list[tuple[float, list[str]]]:
    """Each part of a field value: its words' weight and its terms in order, stop words left out.

    The tokens PARTS_ANALYZER gives, without a token object per word (the rebuild's way in,
    bulk.py): the first part's first term is at position 0, and each part starts POSITION_GAP
    positions after the previous part's last term. A unit test compares the two.
    """
    return [
        (boost, [t for t in map(_term_of, _WORDS(text)) if t is not None])
        for boost, text in _weighted_parts(value)
    ]


def clause_terms(clause: Word | Phrase) -> list[str]:
    """The index terms of a word or a phrase clause, in order (empty for stop words only)."""
    words = clause.words if isinstance(clause, Phrase) else (clause.text,)
    return [t for w in words for t in analysed(w)]


def analysed(text: str) -> list[str]:
    """The index terms of a query word or phrase."""
    return [t.text for t in ANALYZER(text, mode="query")]


def snippet(text: str, terms: Iterable[str], chars: int = 220) -> str:
    """Return safe HTML: the window of text with the most matched words, marked with <mark>."""
    wanted = frozenset(terms)
    spans = [m.span() for m in _WORD.finditer(text) if wanted and _term_of(m.group()) in wanted]
    if not spans:
        short = text if len(text) <= chars else text[:chars].rsplit(" ", 1)[0] + " …"
        return escape(short)
    best, most, last = 0, 0, 0
    for first, (start, _end) in enumerate(spans):  # the window starting at each match
        last = max(last, first)
        while last + 1 < len(spans) and spans[last + 1][1] - start <= chars - 60:
            last += 1
        if last - first + 1 > most:
            best, most = first, last - first + 1
    start = max(0, spans[best][0] - 60)
    if start:
        space = text.find(" ", start, spans[best][0])
        start = space + 1 if space != -1 else start
    end = min(len(text), start + chars)
    if end < len(text):
        space = text.rfind(" ", max(spans[best][1], start), end)
        end = space if space != -1 else end
    parts = ["… " if start else ""]
    at = start
    for span_start, span_end in spans:
        if span_start < start or span_end > end:
            continue
        parts.append(escape(text[at:span_start]))
        parts.append(f"<mark>{escape(text[span_start:span_end])}</mark>")
        at = span_end
    parts.append(escape(text[at:end]))
    parts.append(" …" if end < len(text) else "")
    return "".join(parts)
