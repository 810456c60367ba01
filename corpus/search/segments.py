"""Document sets, segment by segment: what a query matches, what a viewer may see, facet counts.

Whoosh's matchers walk postings one Python call at a time; counting every match that way (for
totals and facets) cost most of a search at 100,000 annotations. Here a query is evaluated as
set algebra over whole decoded posting lists (postings.py), so totals and facets cost set
operations, and only the visible matches are ranked (ranking.py).

Tables decoded from a segment (audience sets, facet columns) are kept per segment: segments never
change after they are written except for deletions, which are subtracted at query time. A write
adds a small segment and leaves the big ones, and their tables, as they were.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from functools import partial
from itertools import chain
from typing import Any

from whoosh import query

from corpus.querylang import ParsedQuery, Phrase, Prefix, Word
from corpus.search.analysis import clause_terms
from corpus.search.documents import FILTER_FIELDS, TEXT_FIELD
from corpus.search.postings import Postings, posting_ids
from corpus.search.ranking import Scorer, field_lengths, phrase_ids

# The most index terms one prefix expands to (the query language's two-character minimum
# already keeps expansions small).
MAX_PREFIX_TERMS = 5000


def searches_for_anything(parsed: ParsedQuery) -> bool:
    """False when every word analyses to nothing and there is no filter (the query "the"):
    such a query finds nothing, rather than everything."""
    clauses = [*chain.from_iterable(parsed.must), *parsed.must_not]
    return (
        any(isinstance(c, Prefix) or clause_terms(c) for c in clauses)
        or any(name in FILTER_FIELDS and values for name, values in parsed.filters.items())
        or any(name in FILTER_FIELDS and values for name, values in parsed.exclude_filters.items())
    )


class SegmentTables:
    """What one segment's postings say about audiences and facets, decoded once."""

    def __init__(self, reader: Any) -> None:
        self.size = int(reader.doc_count_all())
        self._audience: dict[str, frozenset[int]] = {}
        self._columns: dict[str, list[str | None]] = {}
        self._tags: dict[str, frozenset[int]] | None = None
        self._joint: dict[tuple[str, ...], tuple[list[int], list[tuple[str | None, ...]]]] = {}
        self._lengths: list[int] | None = None
        self._norms: tuple[float, list[float]] | None = None

    def norms(self, reader: Any, scorer: Scorer) -> list[float]:
        """Each document's BM25 length normalisation (kept while the average length holds)."""
        average = round(scorer.average, 1)
        if self._norms is None or self._norms[0] != average:
            if self._lengths is None:
                self._lengths = field_lengths(reader, self.size)
            self._norms = (average, scorer.norms(self._lengths))
        return self._norms[1]

    def audience(self, reader: Any, token: str) -> frozenset[int]:
        """Documents of this segment carrying one audience token."""
        found = self._audience.get(token)
        if found is None:
            found = frozenset(posting_ids(reader, "audience", token))
            if len(self._audience) > 4096:
                self._audience.clear()
            self._audience[token] = found
        return found

    def column(self, reader: Any, fieldname: str) -> list[str | None]:
        """Each document's value of a single-valued field (None where it has none)."""
        found = self._columns.get(fieldname)
        if found is None:
            found = [None] * self.size
            if fieldname in reader.indexed_field_names():
                for term in reader.lexicon(fieldname):
                    value = term.decode("utf-8")
                    for docnum in posting_ids(reader, fieldname, term):
                        found[docnum] = value
            self._columns[fieldname] = found
        return found

    def tags(self, reader: Any) -> dict[str, frozenset[int]]:
        """The documents of each tag."""
        if self._tags is None:
            self._tags = {}
            if "tag" in reader.indexed_field_names():
                for term in reader.lexicon("tag"):
                    self._tags[term.decode("utf-8")] = frozenset(posting_ids(reader, "tag", term))
        return self._tags

    def joint(
        self, reader: Any, names: tuple[str, ...]
    ) -> tuple[list[int], list[tuple[str | None, ...]]]:
        """Single-valued fields taken together: each document's code, and each code's values.

        Counting codes once costs a third of counting three fields one by one.
        """
        found = self._joint.get(names)
        if found is None:
            columns = [self.column(reader, name) for name in names]
            combinations: dict[tuple[str | None, ...], int] = {}
            codes = [
                combinations.setdefault(v, len(combinations)) for v in zip(*columns, strict=True)
            ]
            found = self._joint[names] = (codes, list(combinations))
        return found


class SegmentQuery:
    """A parsed query evaluated on one segment as a set of document numbers."""

    def __init__(
        self,
        leaf: Any,
        tables: SegmentTables,
        postings: Postings,
        audience: Sequence[str] | None = None,
    ) -> None:
        self.leaf = leaf
        self.reader = leaf.reader()
        self.tables = tables
        self.postings = postings
        self.audience = audience

    def allowed(self, matched: set[int], audience: Iterable[str]) -> set[int]:
        """The matched documents the audience may see, deletions removed."""
        visible: set[int] = set()
        for token in audience:
            visible |= matched & self.tables.audience(self.reader, token)
        deleted = self.reader.deleted_docs_set if self.reader.has_deletions() else ()
        visible.difference_update(deleted)
        return visible

    def match(self, parsed: ParsedQuery) -> set[int]:
        """Documents matching every group, every filter, and none of the exclusions.

        The most selective part is evaluated first; the others then read only the posting
        blocks that can hold one of the documents still in the running.
        """
        steps: list[tuple[int, Callable[[Sequence[int] | None], set[int] | None]]] = []
        for group in parsed.must:
            steps.append((self.estimate(group), partial(self.group, group)))
        for name, values in parsed.filters.items():
            fieldname = FILTER_FIELDS.get(name, "")
            size = sum(self.reader.doc_frequency(fieldname, v.lower()) for v in values)
            steps.append((size, partial(self.filter, name, values)))
        matched: set[int] | None = None
        for _size, step in sorted(steps, key=lambda s: s[0]):
            found = step(self.narrowing(matched))
            if found is None:  # a group of words that analyse to nothing restricts nothing
                continue
            matched = found if matched is None else matched & found
            if not matched:
                return set()
        if matched is None:
            matched = set(range(self.tables.size))
        for clause in parsed.must_not:
            excluded = self.clause(clause, self.narrowing(matched))
            if excluded:
                matched -= excluded
        for name, values in parsed.exclude_filters.items():
            matched -= self.filter(name, values, self.narrowing(matched))
        return matched

    def narrowing(self, matched: set[int] | None) -> list[int] | None:
        """Sorted candidates worth skipping blocks for (a small share of the segment)."""
        if matched is None or len(matched) * 8 > self.tables.size:
            return None
        return sorted(matched)

    def estimate(self, group: Sequence[Word | Phrase | Prefix]) -> int:
        """An upper bound of a group's matches, from document frequencies."""
        total = 0
        for clause in group:
            if isinstance(clause, Prefix):
                return self.tables.size
            tokens = clause_terms(clause)
            if tokens:
                total += min(self.reader.doc_frequency(TEXT_FIELD, t) for t in tokens)
        return total

    def group(
        self, group: Sequence[Word | Phrase | Prefix], within: Sequence[int] | None
    ) -> set[int] | None:
        """Documents with any clause of a group (None when every clause analyses to nothing)."""
        found = [s for s in (self.clause(c, within) for c in group) if s is not None]
        return set().union(*found) if found else None

    def filter(
        self, name: str, values: Sequence[str], within: Sequence[int] | None = None
    ) -> set[int]:
        """Documents whose filter field has one of the values."""
        fieldname = FILTER_FIELDS.get(name)
        if fieldname is None:
            return set()
        return set().union(*(self.postings.ids(fieldname, v.lower(), within) for v in values))

    def clause(
        self, clause: Word | Phrase | Prefix, within: Sequence[int] | None = None
    ) -> set[int] | None:
        """Documents with a word, phrase or prefix (None when it analyses to nothing)."""
        if isinstance(clause, Prefix):
            terms = list(self.reader.expand_prefix(TEXT_FIELD, clause.text.lower()))
            expanded = (self.term(t, within) for t in terms[:MAX_PREFIX_TERMS])
            return set(chain.from_iterable(expanded))
        tokens = clause_terms(clause)
        if not tokens:
            return None
        if len(tokens) == 1:
            return self.term(tokens[0], within)
        # the rarest word first; the others only where it occurs
        order = sorted(tokens, key=lambda t: self.reader.doc_frequency(TEXT_FIELD, t))
        candidates = self.term(order[0], within)
        if within is not None:
            candidates.intersection_update(within)
        for token in order[1:]:
            if not candidates:
                return set()
            candidates &= self.term(token, self.narrowing(candidates))
        if self.audience is not None:  # positions are read only where the asker may look
            candidates = self.allowed(candidates, self.audience)
        if not candidates:
            return set()
        found = phrase_ids(self.reader, tokens, candidates)
        if found is None:
            phrase = query.Phrase(TEXT_FIELD, tokens)
            found = set(phrase.matcher(self.leaf).all_ids()) & candidates
        return found

    def term(self, text: str | bytes, within: Sequence[int] | None = None) -> set[int]:
        """Documents with one analysed term (with `within`: only from blocks that may hold
        one of those; intersect the result with them)."""
        return self.postings.ids(TEXT_FIELD, text, within)


# Facets with few values, counted together (see SegmentTables.joint); the others one by one.
FACET_GROUPS = (("type", "kind", "status"), ("user",), ("doc",))


def count_facets(
    parts: Sequence[tuple[Any, SegmentTables, set[int]]], names: Sequence[str]
) -> dict[str, dict[str, int]]:
    """Facet counts over the visible matches of every segment (reader, tables, docnums)."""
    counts: dict[str, Counter[str]] = {name: Counter() for name in names}
    groups = [tuple(n for n in group if n in counts) for group in FACET_GROUPS]
    for reader, tables, visible in parts:
        if not visible:
            continue
        for group in filter(None, groups):
            codes, combinations = tables.joint(reader, group)
            for code, count in Counter(map(codes.__getitem__, visible)).items():
                for name, value in zip(group, combinations[code], strict=True):
                    if value:
                        counts[name][value] += count
        if "tag" in counts:
            for tag, tagged in tables.tags(reader).items():
                count = len(visible.intersection(tagged))  # walks the smaller of the two
                if count:
                    counts["tag"][tag] += count
    return {name: dict(found) for name, found in counts.items()}
