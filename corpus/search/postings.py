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
from bisect import bisect_left, bisect_right
from collections import OrderedDict
from collections.abc import Iterator, Sequence
from itertools import accumulate, repeat
from typing import Any

from whoosh.matching.mcore import ListMatcher
from whoosh.matching.wrappers import FilterMatcher

# Decoded postings kept per process: 8 bytes each, 12 with their BM25 part: about 50 MB at most.
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
    if isinstance(matcher, ListMatcher):  # a rare term, its postings inline (codec.py): one block
        ids = matcher._ids
        if ids and (within is None or _overlaps(ids, within)):
            weights = matcher._weights
            values = matcher._values
            yield (
                list(ids),
                1.0 if weights is None else list(weights),
                list(values) if values is not None and len(values) == len(ids) else None,
            )
        return
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


def _overlaps(ids: Sequence[int], within: Sequence[int]) -> bool:
    """True when some wanted document number lies between the first and last of ids."""
    at = bisect_left(within, ids[0])
    return at < len(within) and within[at] <= ids[-1]


def posting_ids(reader: Any, fieldname: str, text: str | bytes) -> set[int]:
    """Document numbers (deleted ones included) in a term's posting list, uncached."""
    found: set[int] = set()
    for ids, _weights, _values in raw_blocks(reader, fieldname, text):
        found.update(ids)
    return found


class PostingList:
    """A term's postings in one segment: sorted document numbers and their weights."""

    __slots__ = ("_units", "ids", "weights")

    def __init__(self, ids: array[int], weights: array[float]) -> None:
        self.ids = ids
        self.weights = weights
        self._units: tuple[list[float], array[float]] | None = None

    def units(self, norms: list[float], k1: float) -> array[float]:
        """BM25's term-frequency part, w * (k1 + 1) / (w + norm), for every posting.

        Kept with the list, with the very norms it was computed from (they are replaced only
        when the index's average length moves enough to be recomputed)."""
        if self._units is None or self._units[0] is not norms:
            factor = k1 + 1
            values = array(
                "f",
                (w * factor / (w + norms[d]) for d, w in zip(self.ids, self.weights, strict=True)),
            )
            self._units = (norms, values)
        return self._units[1]

    def among(self, wanted: Sequence[int]) -> set[int]:
        """The wanted document numbers (sorted) that are in this list, by binary search."""
        ids = self.ids
        size = len(ids)
        found = set()
        for docnum in wanted:
            at = bisect_left(ids, docnum)
            if at < size and ids[at] == docnum:
                found.add(docnum)
        return found


class PostingCache:
    """Decoded posting lists by (segment, field, term), least recently used dropped first."""

    def __init__(self, max_postings: int = CACHED_POSTINGS) -> None:
        self.max_postings = max_postings
        self._lists: OrderedDict[tuple[Any, str, bytes], PostingList] = OrderedDict()
        self._size = 0

    def get(self, key: tuple[Any, str, bytes]) -> PostingList | None:
        """A cached list (now the most recently used), or None."""
        found = self._lists.get(key)
        if found is not None:
            self._lists.move_to_end(key)
        return found

    def put(self, key: tuple[Any, str, bytes], postings: PostingList) -> None:
        """Keep a decoded list, dropping the least recently used beyond the limit."""
        count = len(postings.ids)
        if count > self.max_postings // 4 or key in self._lists:
            return
        self._lists[key] = postings
        self._size += count
        while self._size > self.max_postings and self._lists:
            _, dropped = self._lists.popitem(last=False)
            self._size -= len(dropped.ids)

    def forget(self, segments: set[Any]) -> None:
        """Drop the lists of segments that no longer exist."""
        for key in [k for k in self._lists if k[0] not in segments]:
            self._size -= len(self._lists.pop(key).ids)


class Postings:
    """One segment's posting lists, through the cache."""

    def __init__(self, reader: Any, segment: Any, cache: PostingCache) -> None:
        self.reader = reader
        self.segment = segment
        self.cache = cache

    def list(self, fieldname: str, text: str | bytes) -> PostingList:
        """A term's whole posting list (empty if the segment lacks it)."""
        term = text.encode("utf-8") if isinstance(text, str) else text
        key = (self.segment, fieldname, term)
        found = self.cache.get(key)
        if found is None:
            ids: array[int] = array("I")
            weights: array[float] = array("f")
            for block_ids, block_weights, _values in raw_blocks(self.reader, fieldname, term):
                ids.extend(block_ids)
                if isinstance(block_weights, float):
                    weights.extend(repeat(block_weights, len(block_ids)))
                else:
                    weights.extend(block_weights)
            found = PostingList(ids, weights)
            self.cache.put(key, found)
        return found

    def ids(
        self, fieldname: str, text: str | bytes, within: Sequence[int] | None = None
    ) -> set[int]:
        """Document numbers of a term; with `within` (sorted), only those among them."""
        postings = self.list(fieldname, text)
        if within is not None and len(within) * 16 < len(postings.ids):
            return postings.among(within)
        return set(postings.ids)
