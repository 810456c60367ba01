"""How text becomes index terms: one analyser for queries and snippets, weighted parts for indexing.

Each index document has one searchable text field made of parts (the passage or annotation body,
the title, the quoted words, the cited sources, the tags). A part's words carry its weight, so
the article's words outrank the same words in a tag, and parts are kept apart by a gap of
positions, so a phrase never matches across two of them. One field instead of one per part
means one posting list per word: a word costs one matcher at search time, not five.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from html import escape
from typing import Any

from whoosh import highlight
from whoosh.analysis import Analyzer, CharsetFilter, StandardAnalyzer, StemmingAnalyzer
from whoosh.support.charset import accent_map

ANALYZER = StemmingAnalyzer() | CharsetFilter(accent_map)
# Unstemmed words, only for "did you mean" suggestions (which are checked against the asker's view).
SPELL_ANALYZER = StandardAnalyzer(stoplist=None) | CharsetFilter(accent_map)

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


class PartsAnalyzer(Analyzer):
    """ANALYZER applied to each part of a joined value, with the part's weight as token boost.

    Text without separators (a query) is one part of weight 1, analysed exactly like ANALYZER.
    """

    def __call__(self, value: str, **kwargs: Any) -> Iterator[Any]:
        """Yield the tokens of every part, positions continuing across parts after a gap."""
        start = int(kwargs.pop("start_pos", 0))
        for part in value.split(PART_SEPARATOR):
            name, sep, text = part.partition(WEIGHT_SEPARATOR)
            weight = PART_WEIGHTS.get(name, 1.0) if sep else 1.0
            last = start - 1
            for token in ANALYZER(text if sep else part, start_pos=start, **kwargs):
                if kwargs.get("boosts"):
                    token.boost = weight
                if kwargs.get("positions"):
                    last = token.pos
                yield token
            start = last + 1 + POSITION_GAP


PARTS_ANALYZER = PartsAnalyzer()


def analysed(text: str) -> list[str]:
    """The index terms of a query word or phrase."""
    return [t.text for t in ANALYZER(text, mode="query")]


class MarkFormatter(highlight.Formatter):
    """Wraps matched words in <mark>, escaping everything else."""

    between = " … "

    def format_token(self, text: str, token: Any, replace: bool = False) -> str:
        """Return one matched token, escaped and marked."""
        return f"<mark>{escape(highlight.get_text(text, token, replace))}</mark>"

    def _text(self, text: str) -> str:
        return escape(text)


def snippet(text: str, terms: Iterable[str], chars: int = 220) -> str:
    """Return safe HTML: the best fragment of text with the matched terms in <mark>."""
    wanted = frozenset(terms)
    if wanted:
        fragmenter = highlight.ContextFragmenter(maxchars=chars, surround=60)
        marked = highlight.highlight(text, wanted, ANALYZER, fragmenter, MarkFormatter(), top=2)
        if marked:
            return str(marked)
    short = text if len(text) <= chars else text[:chars].rsplit(" ", 1)[0] + " …"
    return escape(short)
