"""Writes to the index: deletions marked in the current segments, additions in one new segment.

Whoosh's SegmentWriter, for a write of one annotation, made temporary folders, a posting pool
and the files of a segment before knowing what it would hold, then sorted and wrote the pool
posting by posting: most of an annotation's index update. A write here takes the same lock file
(Whoosh's merges and other processes still exclude each other with it), reads the table of
contents, finds the documents to delete with the caller's warm searcher, builds the new segment
with the rebuild's SegmentBuilder (bulk.py) and writes the next generation of the table of
contents, which is what makes the write visible, atomically, to every reader.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

from whoosh.index import _DEF_INDEX_NAME, TOC
from whoosh.searching import Searcher

from corpus.search.bulk import SegmentBuilder, write_index
from corpus.search.documents import IndexDoc

LOCK_NAME = f"{_DEF_INDEX_NAME}_WRITELOCK"  # the lock Whoosh's own writers take


class LockTimeout(Exception):
    """The write lock was not acquired in time."""


@contextmanager
def write_lock(storage: Any, timeout: float, delay: float = 0.05) -> Iterator[None]:
    """Hold the index's write lock, waiting up to timeout seconds for it."""
    lock = storage.lock(LOCK_NAME)
    deadline = time.monotonic() + timeout
    while not lock.acquire(blocking=False):
        if time.monotonic() >= deadline:
            raise LockTimeout(f"the index write lock was not free within {timeout:g} s")
        time.sleep(delay)
    try:
        yield
    finally:
        lock.release()


class BatchWriter:
    """The operations allowed while holding the write lock; commit() makes them visible.

    `searching` runs a function with a searcher showing the generation this batch started from
    (the caller's warm searcher: under the lock nobody else can have moved on).
    """

    def __init__(
        self,
        storage: Any,
        toc: TOC,
        searching: Callable[[int, Callable[[Searcher], None]], None],
    ) -> None:
        self._storage = storage
        self._toc = toc
        self._searching = searching
        self._segments = {segment.segment_id(): segment for segment in toc.segments}
        self._builder: SegmentBuilder | None = None
        self._deleted = 0

    def update(self, doc: IndexDoc) -> None:
        """Add or replace the document with doc.key."""
        self.delete(doc.key)
        self.add(doc)

    def add(self, doc: IndexDoc) -> None:
        """Add a document known not to be in the index yet (cheaper than update)."""
        if self._builder is None:
            self._builder = SegmentBuilder(self._storage, self._toc.schema)
        self._builder.add(doc.fields())

    def delete(self, key: str) -> None:
        """Remove the document with this key, if any."""
        self._delete(lambda reader: [key])

    def delete_prefix(self, prefix: str) -> None:
        """Remove every document whose key starts with prefix."""
        self._delete(lambda reader: list(reader.expand_prefix("key", prefix)))

    def _delete(self, keys: Callable[[Any], list[Any]]) -> None:
        if not self._segments:  # an empty index
            return

        def mark(searcher: Searcher) -> None:
            for leaf, _offset in searcher.leaf_searchers():
                reader = leaf.reader()
                if reader.segment() is None:  # an empty reader: nothing to delete
                    continue
                segment = self._segments[reader.segment().segment_id()]
                for term in keys(reader):
                    if ("key", term) not in reader:
                        continue
                    for docnum in reader.postings("key", term).all_ids():
                        if not segment.is_deleted(docnum):
                            segment.delete_document(docnum)
                            self._deleted += 1

        self._searching(self._toc.generation, mark)

    def commit(self) -> None:
        """Write the new segment, if any, and the next table of contents (nothing if no change)."""
        segments = list(self._toc.segments)
        if self._builder is not None:
            segments.append(self._builder.finish())
        elif not self._deleted:
            return
        generation = self._toc.generation + 1
        write_index(self._storage, self._toc.schema, segments, generation, keep_scratch=True)

    def cancel(self) -> None:
        """Forget the batch (the new segment's files go at the next commit's clean-up)."""
        if self._builder is not None:
            self._builder.discard()
            self._builder = None
