"""Ranking the visible matches: BM25 over the weighted text field, computed block by block.

Whoosh's collector scores one posting at a time through several layers of Python (about 10 µs
a document here), and its block-skipping rarely skips at this size, so a common word cost
100-200 ms. The matches are already known as a set (segments.py); here each query word's
posting blocks are read whole, intersected with that set in C, and only the documents left are
scored, with document lengths decoded once per segment.
"""

from __future__ import annotations

import heapq
import math
from collections.abc import Sequence
from operator import itemgetter
from typing import Any

from whoosh.codec.whoosh3 import LENGTHS_COLUMN
from whoosh.util.numeric import byte_to_length

from corpus.querylang import ParsedQuery, Phrase, Prefix
from corpus.search.analysis import analysed
from corpus.search.documents import TEXT_FIELD
from corpus.search.postings import Postings, raw_blocks

K1 = 1.2
B = 0.75
_LENGTH_OF_BYTE = [byte_to_length(b) for b in range(256)]


def phrase_ids(reader: Any, tokens: Sequence[str], candidates: set[int]) -> set[int] | None:
    """The candidates in which the tokens occur at consecutive positions of the text field.

    None when the postings cannot be read a block at a time (the caller asks Whoosh instead).
    """
    decode = reader.schema[TEXT_FIELD].format.decode_positions
    where: list[dict[int, list[int]]] = []
    for token in tokens:
        found: dict[int, list[int]] = {}
        for ids, _weights, values in raw_blocks(reader, TEXT_FIELD, token, sorted(candidates)):
            hit = candidates.intersection(ids)
            if not hit:
                continue
            if values is None:
                return None
            for i, docnum in enumerate(ids):
                if docnum in hit:
                    found[docnum] = decode(values[i])
        where.append(found)
        candidates = set(found)
    first, rest = where[0], [{d: set(p) for d, p in w.items()} for w in where[1:]]
    return {
        d
        for d in candidates
        if any(all(p + i in later[d] for i, later in enumerate(rest, 1)) for p in first[d])
    }


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
                words = clause.words if isinstance(clause, Phrase) else (clause.text,)
                terms.extend(t for w in words for t in analysed(w))
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
        ordered = sorted(visible) if len(visible) < self.count // 8 else None
        for term in terms:
            idf = self.idf(term) * (K1 + 1)
            for ids, weights in postings.blocks(TEXT_FIELD, term, ordered):
                hit = visible.intersection(ids)
                if not hit:
                    continue
                per_doc = (
                    dict.fromkeys(ids, weights)
                    if isinstance(weights, float)
                    else dict(zip(ids, weights, strict=True))
                )
                for docnum in hit:
                    weight = per_doc[docnum]
                    key = start + docnum
                    scores[key] = scores.get(key, 0.0) + idf * weight / (weight + norms[docnum])


def top(scores: dict[int, float], visible: set[int], count: int) -> list[tuple[int, float]]:
    """The count best (docnum, score); unscored matches follow, newest (highest docnum) first."""
    best = heapq.nlargest(count, scores.items(), key=itemgetter(1))
    if len(best) < count:
        rest = heapq.nlargest(count - len(best), (d for d in visible if d not in scores))
        best.extend((d, 0.0) for d in rest)
    return best
