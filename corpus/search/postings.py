"""Posting lists read a block at a time, and a cache of the decoded ones.

Whoosh's matchers hand out one posting per Python call; a block is 128 postings, unpickled
together, so reading blocks whole and handing their ids to C set operations is what makes
counting every match affordable. Unpickling still costs about 0.1 ms a block (the text field's
blocks carry word positions), so decoded (ids, weights) of recently used terms are kept, up to a
number of postings: segments never change once written (deletions are subtracted at query
time), so a cached list never goes stale, and a merged segment has a new key.
"""

from __future__ import annotations

from array import array
from bisect import bisect_right
from collections import OrderedDict
from collections.abc import Iterator, Sequence
from itertools import accumulate
from typing import Any

from whoosh.matching.wrappers import FilterMatcher

# (highest docnum, ids, weights: a sequence, or one float for the whole block)
Block = tuple[int, Sequence[int], Any]
# Decoded postings kept per process: 8 bytes each, so the default is about 32 MB.
CACHED_POSTINGS = 4_000_000


def raw_blocks(
    reader: Any, fieldname: str, text: str | bytes, within: Sequence[int] | None = None
) -> Iterator[tuple[Sequence[int], Any, Sequence[bytes] | None]]:
    """(document numbers, weights, values) of a term's postings, a block at a time.

    Deleted documents are included. Weights are a sequence, or one float for the whole block;
    values (encoded positions) are None where the matcher cannot give them a block at a time.
    With `within` (sorted document numbers), blocks holding none of them are not even read.
    """
    try:
        matcher = reader.postings(fieldname, text)
    except Exception:  # TermNotFound, or a field this segment never saw
        return
    if isinstance(matcher, FilterMatcher):  # the deletion filter: deletions are handled apart
        matcher = matcher.child
    if not hasattr(matcher, "_next_block"):  # not the Whoosh 3 codec's on-disk matcher
        while matcher.is_active():
            yield (matcher.id(),), matcher.weight(), None
            matcher.next()
        return
    # The Whoosh 3 codec stores a block as (delta-encoded ids, weights, values); read them whole
    # (pinned version; the unit tests compare every figure with Whoosh's own matcher).
    last = -1  # the highest document number of the blocks already passed
    while matcher.is_active():
        highest = matcher._maxid
        if within is not None:
            at = bisect_right(within, last)
            if at == len(within):
                return
            if within[at] > highest:  # nothing wanted in this block: skip it unread
                last = highest
                matcher._next_block()
                continue
        last = highest
        if matcher._data is None:
            matcher._read_data()
        ids, weights, values = matcher._data
        yield (
            ids if matcher._byteids else list(accumulate(ids)),
            1.0 if weights is None else weights,
            values if isinstance(values, list | tuple) else None,
        )
        matcher._next_block()


def posting_ids(
    reader: Any, fieldname: str, text: str | bytes, within: Sequence[int] | None = None
) -> set[int]:
    """Document numbers (deleted ones included) in a term's posting list (or its blocks that
    may hold some of `within`, sorted: the result then still needs intersecting with it)."""
    found: set[int] = set()
    for ids, _weights, _values in raw_blocks(reader, fieldname, text, within):
        found.update(ids)
    return found


class PostingCache:
    """Decoded posting lists by (segment, field, term), least recently used dropped first."""

    def __init__(self, max_postings: int = CACHED_POSTINGS) -> None:
        self.max_postings = max_postings
        self._lists: OrderedDict[tuple[Any, str, bytes], tuple[list[Block], int]] = OrderedDict()
        self._size = 0

    def get(self, key: tuple[Any, str, bytes]) -> list[Block] | None:
        """The blocks of a cached list (now the most recently used), or None."""
        found = self._lists.get(key)
        if found is None:
            return None
        self._lists.move_to_end(key)
        return found[0]

    def put(self, key: tuple[Any, str, bytes], blocks: list[Block], count: int) -> None:
        """Keep a decoded list, dropping the least recently used beyond the limit."""
        if count > self.max_postings // 4 or key in self._lists:
            return
        self._lists[key] = (blocks, count)
        self._size += count
        while self._size > self.max_postings and self._lists:
            _, (_, dropped) = self._lists.popitem(last=False)
            self._size -= dropped

    def forget(self, segments: set[Any]) -> None:
        """Drop the lists of segments that no longer exist."""
        for key in [k for k in self._lists if k[0] not in segments]:
            self._size -= self._lists.pop(key)[1]


class Postings:
    """One segment's posting lists, through the cache."""

    def __init__(self, reader: Any, segment: Any, cache: PostingCache) -> None:
        self.reader = reader
        self.segment = segment
        self.cache = cache

    def blocks(
        self, fieldname: str, text: str | bytes, within: Sequence[int] | None = None
    ) -> Iterator[tuple[Sequence[int], Any]]:
        """(ids, weights) a block at a time; with `within`, only blocks that may hold one."""
        term = text.encode("utf-8") if isinstance(text, str) else text
        key = (self.segment, fieldname, term)
        cached = self.cache.get(key)
        if cached is None:
            cached = []
            count = 0
            for ids, weights, _values in raw_blocks(self.reader, fieldname, term):
                ids = array("I", ids)
                cached.append(
                    (ids[-1], ids, weights if isinstance(weights, float) else array("f", weights))
                )
                count += len(ids)
            self.cache.put(key, cached, count)
        last = -1
        for highest, ids, weights in cached:
            if within is not None:
                at = bisect_right(within, last)
                if at == len(within):
                    return
                last = highest
                if within[at] > highest:
                    continue
            yield ids, weights

    def ids(
        self, fieldname: str, text: str | bytes, within: Sequence[int] | None = None
    ) -> set[int]:
        """Document numbers of a term (with `within`: from the blocks that may hold one of
        those only; intersect the result with them)."""
        found: set[int] = set()
        for ids, _weights in self.blocks(fieldname, text, within):
            found.update(ids)
        return found
