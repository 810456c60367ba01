"""Ranking the visible matches: BM25 over the weighted text field, and checking phrases.

Whoosh's collector scores one posting at a time through several layers of Python (about 10 µs
a document here), and its block-skipping rarely skips at this size, so a common word cost
100-200 ms. The matches are already known as a set (segments.py); here each query word's
decoded posting list (postings.py) is filtered by that set with C iterators, and only the
documents left are scored, with document lengths decoded once per segment.
"""

from __future__ import annotations

import heapq
import math
from collections.abc import Iterator, Sequence
from itertools import accumulate, compress
from operator import itemgetter
from pickle import loads
from typing import Any

from whoosh.codec.whoosh3 import LENGTHS_COLUMN
from whoosh.formats import Positions
from whoosh.util.numeric import byte_to_length

from corpus.querylang import ParsedQuery, Prefix
from corpus.search.analysis import clause_terms
from corpus.search.documents import TEXT_FIELD
from corpus.search.postings import Postings, raw_blocks

K1 = 1.2
B = 0.75
_LENGTH_OF_BYTE = [byte_to_length(b) for b in range(256)]


def _decode_positions(value: bytes) -> Iterator[int]:
    """Positions from Whoosh's Positions format: a count, then pickled deltas (STOP dropped)."""
    return accumulate(loads(value[4:] if value.endswith(b".") else value[4:] + b"."))


def phrase_ids(reader: Any, tokens: Sequence[str], candidates: set[int]) -> set[int] | None:
    """The candidates in which the tokens occur at consecutive positions of the text field.

    None when the postings cannot be read a block at a time (the caller asks Whoosh instead).
    """
    field_format = reader.schema[TEXT_FIELD].format
    decode = _decode_positions if type(field_format) is Positions else field_format.decode_positions
    # starts[d]: where the phrase could begin in document d, narrowed token by token
    starts: dict[int, set[int]] = {}
    for offset, token in enumerate(tokens):
        narrowed: dict[int, set[int]] = {}
        for ids, _weights, values in raw_blocks(reader, TEXT_FIELD, token, sorted(candidates)):
            hit = candidates.intersection(ids)
            if not hit:
                continue
            if values is None:
                return None
            for i, docnum in enumerate(ids):
                if docnum not in hit:
                    continue
                begins = {p - offset for p in decode(values[i])}
                if offset:
                    begins &= starts[docnum]
                if begins:
                    narrowed[docnum] = begins
        starts = narrowed
        candidates = set(narrowed)
        if not candidates:
            break
    return candidates


def field_lengths(reader: Any, size: int) -> list[int]:
    """Each document's length in the text field (in words), decoded once for a segment."""
    perdoc = getattr(reader, "_perdoc", None)
    column = None
    if perdoc is not None and perdoc.has_column(f"_{TEXT_FIELD}_len"):
        column = perdoc.column_reader(f"_{TEXT_FIELD}_len", LENGTHS_COLUMN)
    if column is not None and hasattr(column, "_dbfile"):
        raw = bytes(column._dbfile.get(column._basepos, column._count))
        lengths = [_LENGTH_OF_BYTE[b] for b in raw]
        return lengths + [0] * (size - len(lengths))
    return [reader.doc_field_length(d, TEXT_FIELD, 0) or 0 for d in range(size)]


def scoring_terms(parsed: ParsedQuery, expand: Any) -> list[bytes | str]:
    """The terms whose weights rank a match: the wanted words, phrases' words, expansions."""
    terms: list[bytes | str] = []
    for group in parsed.must:
        for clause in group:
            if isinstance(clause, Prefix):
                terms.extend(expand(clause.text.lower()))
            else:
                terms.extend(clause_terms(clause))
    return list(dict.fromkeys(terms))


class Scorer:
    """BM25 over one searcher's segments; `idf` and the average length are index-wide."""

    def __init__(self, searcher: Any) -> None:
        self.searcher = searcher
        self.count = max(1, int(searcher.doc_count_all()))
        self.average = max(1.0, searcher.field_length(TEXT_FIELD) / self.count)

    def idf(self, term: str | bytes) -> float:
        """Inverse document frequency of a term, index-wide."""
        frequency = self.searcher.doc_frequency(TEXT_FIELD, term)
        return math.log(1 + (self.count - frequency + 0.5) / (frequency + 0.5))

    def norms(self, lengths: list[int]) -> list[float]:
        """K1 * (1 - B + B * length / average) for each document of a segment."""
        scale = K1 * B / self.average
        base = K1 * (1 - B)
        return [base + scale * n for n in lengths]

    def add(
        self,
        postings: Postings,
        terms: Sequence[str | bytes],
        visible: set[int],
        norms: list[float],
        scores: dict[int, float],
        start: int,
    ) -> None:
        """Add each term's BM25 contribution to the scores of the visible documents."""
        for term in terms:
            idf = self.idf(term)
            found = postings.list(TEXT_FIELD, term)
            units = found.units(norms, K1)
            wanted = map(visible.__contains__, found.ids)
            for docnum, unit in compress(zip(found.ids, units, strict=True), wanted):
                key = start + docnum
                scores[key] = scores.get(key, 0.0) + idf * unit

    def best(
        self,
        postings: Postings,
        term: str | bytes,
        visible: set[int],
        norms: list[float],
        count: int,
        start: int,
    ) -> list[tuple[int, float]]:
        """The count best visible documents for one term, without scoring into a dict."""
        idf = self.idf(term)
        found = postings.list(TEXT_FIELD, term)
        units = found.units(norms, K1)
        pairs = compress(zip(units, found.ids, strict=True), map(visible.__contains__, found.ids))
        return [(start + d, idf * u) for u, d in heapq.nlargest(count, pairs)]


def top(scores: dict[int, float], visible: set[int], count: int) -> list[tuple[int, float]]:
    """The count best (docnum, score); unscored matches follow, newest (highest docnum) first."""
    best = heapq.nlargest(count, scores.items(), key=itemgetter(1))
    if len(best) < count:
        rest = heapq.nlargest(count - len(best), (d for d in visible if d not in scores))
        best.extend((d, 0.0) for d in rest)
    return best
