"""The index on disk: opening, writing, rebuilding, and searching it within an audience.

Visibility is part of every query: each document carries `audience` tokens ("public",
"u<user id>", "g<group id>") and every search is restricted, inside the index, to the asker's
tokens, so totals, facets and pages are computed only over what the asker may see. The database
stays the source of truth; this index is derived.
"""

from __future__ import annotations

import gc
import logging
import os
import shutil
import threading
import warnings
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from itertools import chain, islice
from pathlib import Path
from typing import Any, TypeVar

from whoosh import index
from whoosh.filedb.filestore import FileStorage
from whoosh.index import _DEF_INDEX_NAME, TOC, LockError
from whoosh.searching import Searcher

from corpus.querylang import ParsedQuery
from corpus.search import bulk
from corpus.search.analysis import analysed
from corpus.search.codec import CODEC
from corpus.search.documents import (
    FACETS,
    TEXT_FIELD,
    IndexDoc,
    SearchHit,
    SearchPage,
    build_schema,
    schema_signature,
)
from corpus.search.postings import PostingCache, Postings
from corpus.search.ranking import Scorer, scoring_terms, top
from corpus.search.segments import (
    MAX_PREFIX_TERMS,
    SegmentQuery,
    SegmentTables,
    count_facets,
    searches_for_anything,
)
from corpus.search.writer import BatchWriter, LockTimeout, write_lock

log = logging.getLogger(__name__)
_T = TypeVar("_T")

# Writes leave one small segment each; past this many, merge_small() merges the small ones.
MERGE_ABOVE_SEGMENTS = 8
# A rebuild of at least this many documents is shared between two writer processes.
PARALLEL_REBUILD_FROM = 5000


class IndexUnavailable(Exception):
    """The index could not be opened or written (for example, the lock was held too long)."""


class SearchIndex:
    """A Whoosh index in a folder, with one warm searcher per process and cached filters."""

    def __init__(self, path: Path, writer_timeout: float = 15.0) -> None:
        self.path = Path(path)
        self.writer_timeout = writer_timeout
        self._ix: index.Index | None = None
        self._searcher: Searcher | None = None
        self._lock = threading.RLock()
        self._tables: dict[Any, SegmentTables] = {}
        self._postings = PostingCache()

    # --- opening -------------------------------------------------------------------------

    def storage(self) -> FileStorage:
        """File storage without copying segments into memory (mmap where possible)."""
        return FileStorage(str(self.path))

    def exists(self) -> bool:
        """True when the folder holds a readable index."""
        if not self.path.is_dir():
            return False
        # Whoosh leaves a corrupt TOC file open when reading it fails; collect it here, where
        # its ResourceWarning is expected, rather than at some later unrelated moment.
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", ResourceWarning)
            try:
                return bool(index.exists_in(str(self.path)))
            except Exception:  # a corrupt TOC makes exists_in raise anything
                return False
            finally:
                gc.collect()

    def create(self) -> None:
        """Create an empty index, replacing whatever is in the folder."""
        with self._lock:
            self.close()
            if self.path.exists():
                shutil.rmtree(self.path)
            self.path.mkdir(parents=True)
            self._ix = self.storage().create_index(build_schema())

    def open(self) -> index.Index:
        """Open the index (once per process) or raise IndexUnavailable."""
        with self._lock:
            if self._ix is None:
                try:
                    opened = self.storage().open_index()
                except Exception as exc:
                    message = f"cannot open the search index at {self.path}: {exc}"
                    raise IndexUnavailable(message) from exc
                if schema_signature(opened.schema) != schema_signature(build_schema()):
                    opened.close()
                    message = f"the search index at {self.path} was built by an older version"
                    raise IndexUnavailable(message)
                self._ix = opened
            return self._ix

    def close(self) -> None:
        """Close the searcher and forget the index handle."""
        with self._lock:
            if self._searcher is not None:
                self._searcher.close()
            self._searcher = None
            self._ix = None
            self._tables.clear()
            self._postings = PostingCache()

    def searcher(self) -> Searcher:
        """The warm searcher, reopened when the index has a newer generation (lock held).

        Whoosh's own Searcher.refresh() re-uses segment readers and in this version can keep a
        segment's pre-deletion reader alongside the new one, so a deleted document would still
        be found; opening a fresh searcher over non-compound segments costs under a millisecond.
        """
        ix = self.open()
        current = self._searcher
        if current is None or ix.latest_generation() != current.reader().generation():
            if current is not None:
                current.close()
            self._searcher = ix.searcher()
            self._forget_gone_segments(self._searcher)
        return self._searcher

    # --- writing -------------------------------------------------------------------------

    @contextmanager
    def writing(self) -> Iterator[BatchWriter]:
        """Hold the index's write lock (waiting up to the timeout); commit on success.

        The commit adds a segment and merges none: merging is what made a write now and then
        take half a second, so it is left to merge_small(), called when nobody is waiting.
        """
        storage = self.open().storage
        try:
            with write_lock(storage, self.writer_timeout):
                batch = BatchWriter(storage, TOC.read(storage, _DEF_INDEX_NAME), self._at)
                try:
                    yield batch
                except BaseException:
                    batch.cancel()
                    raise
                batch.commit()
        except LockTimeout:
            raise IndexUnavailable("the search index is busy (lock not acquired in time)") from None

    def _at(self, generation: int, action: Callable[[Searcher], None]) -> None:
        """Run action with the warm searcher, which must show this generation (lock held)."""
        with self._lock:
            searcher = self.searcher()
            if searcher.reader().generation() != generation:  # not expected under the lock
                self.close()
                searcher = self.searcher()
                if searcher.reader().generation() != generation:
                    raise IndexUnavailable("the search index changed while it was locked")
            action(searcher)

    def merge_small(self, most: int = MERGE_ABOVE_SEGMENTS) -> bool:
        """Merge small segments when there are more than `most` (skipped if the lock is busy)."""
        with self._lock:
            if len(self.searcher().leaf_searchers()) <= most:
                return False
        try:
            writer = self.open().writer(timeout=0.5, delay=0.05, compound=False, codec=CODEC)
        except LockError:
            return False
        writer.commit()  # nothing added: Whoosh's small-segment merge policy runs alone
        with self._lock:
            self.searcher()  # reopened now, while nobody waits, rather than by the next write
        return True

    def apply(self, updates: Iterable[IndexDoc], deletes: Iterable[str] = ()) -> None:
        """Write documents and delete keys in one commit."""
        with self.writing() as batch:
            for key in deletes:
                batch.delete(key)
            for doc in updates:
                batch.update(doc)

    def rebuild(
        self, docs: Iterable[IndexDoc], progress: Callable[[int], None] | None = None
    ) -> int:
        """Build a fresh index from docs in a side folder, then swap it in."""
        side = self.path.with_name(self.path.name + ".rebuild")
        if side.exists():
            shutil.rmtree(side)
        side.mkdir(parents=True)
        storage = FileStorage(str(side))
        storage.create_index(build_schema())
        pending = iter(docs)
        head = list(islice(pending, PARALLEL_REBUILD_FROM))
        # Indexing is CPU-bound Python: with two cores, two worker processes each build a
        # segment (kept apart: merging them would cost what the second process saved). Small
        # indexes, and most tests, are built in this process.
        workers = 2 if len(head) == PARALLEL_REBUILD_FROM and (os.cpu_count() or 1) > 1 else 1
        count = bulk.build(storage, chain(head, pending), workers, progress)
        with self._lock:
            self.close()
            old = self.path.with_name(self.path.name + ".old")
            if self.path.exists():
                self.path.rename(old)
            side.rename(self.path)
            if old.exists():
                shutil.rmtree(old)
        return count

    # --- reading -------------------------------------------------------------------------

    def stamps(self) -> dict[str, str]:
        """Every key in the index with its stamp (for drift checks)."""
        return self._reading(
            lambda searcher: {f["key"]: f.get("stamp", "") for f in searcher.all_stored_fields()}
        )

    def doc_count(self) -> int:
        """How many documents the index holds."""
        return self._reading(lambda searcher: int(searcher.doc_count()))

    def _reading(self, read: Callable[[Searcher], _T]) -> _T:
        """Run read with the warm searcher; once more with a fresh one if a file has gone.

        Another process's merge deletes the files of the segments it merged; a searcher opened
        just before may still name them, and Whoosh opens some files only when first read.
        """
        with self._lock:
            try:
                return read(self.searcher())
            except (FileNotFoundError, index.EmptyIndexError):
                log.info("a search index segment was merged away while in use: reopening")
                self.close()
                return read(self.searcher())

    def search(
        self,
        parsed: ParsedQuery,
        audience: Sequence[str],
        offset: int = 0,
        limit: int = 20,
        facets: bool = True,
    ) -> SearchPage:
        """Run a parsed query restricted to the audience tokens; hits ranked by score.

        The matches are found as sets, segment by segment (totals and facets come from them);
        then only those documents are ranked (ranking.py).
        """
        return self._reading(
            lambda searcher: self._search(searcher, parsed, audience, offset, limit, facets)
        )

    def _search(
        self,
        searcher: Searcher,
        parsed: ParsedQuery,
        audience: Sequence[str],
        offset: int,
        limit: int,
        facets: bool,
    ) -> SearchPage:
        if not searches_for_anything(parsed):
            return SearchPage([], 0, offset)
        parts = []
        starts = []
        allowed: set[int] = set()
        for leaf, start in searcher.leaf_searchers():
            reader = leaf.reader()
            tables = self._segment_tables(reader)
            postings = Postings(reader, _segment_key(reader), self._postings)
            segment = SegmentQuery(leaf, tables, postings, audience)
            visible = segment.allowed(segment.match(parsed), audience)
            parts.append((reader, tables, visible, postings))
            starts.append(start)
            allowed.update(visible if start == 0 else (start + d for d in visible))
        terms = scoring_terms(parsed, lambda text: _expand(searcher, text))
        hits: list[SearchHit] = []
        if allowed and offset < len(allowed):
            scorer = Scorer(searcher)
            scores: dict[int, float] = {}
            for (reader, tables, visible, postings), start in zip(parts, starts, strict=True):
                if not visible or not terms:
                    continue
                norms = tables.norms(reader, scorer)
                if len(terms) == 1:  # one word: only the page's worth from each segment
                    found = scorer.best(postings, terms[0], visible, norms, offset + limit, start)
                    scores.update(found)
                else:
                    scorer.add(postings, terms, visible, norms, scores, start)
            best = top(scores, allowed, offset + limit)[offset:]
            hits = [_hit(searcher.stored_fields(d), score) for d, score in best]
        counts = count_facets([p[:3] for p in parts], FACETS) if facets else {}
        shown = frozenset((TEXT_FIELD, _text(t)) for t in terms) if hits else frozenset()
        return SearchPage(hits, len(allowed), offset, counts, shown)

    def _segment_tables(self, reader: Any) -> SegmentTables:
        key = _segment_key(reader)
        tables = self._tables.get(key)
        if tables is None:
            tables = self._tables[key] = SegmentTables(reader)
        return tables

    def _forget_gone_segments(self, searcher: Searcher) -> None:
        """Drop the tables of segments merged away since the last searcher."""
        live = {_segment_key(leaf.reader()) for leaf, _ in searcher.leaf_searchers()}
        for key in [k for k in self._tables if k not in live]:
            del self._tables[key]
        self._postings.forget(live)

    def suggest_terms(self, word: str, limit: int = 5) -> list[str]:
        """Index terms (stems) spelt close to a word's own term, closest first.

        Terms, not words: the index keeps no unstemmed vocabulary (a second copy of every word
        cost as much as the text itself at indexing time); the caller turns a term back into a
        word from the text of a document that has it.
        """
        terms = analysed(word)
        if len(terms) != 1:
            return []
        # Stemming can move a word one edit further from its misspelling ("privatx" ->
        # "privatx", "private" -> "privat"): one more edit here, checked on the word later.
        found = self._reading(
            lambda searcher: searcher.suggest(
                TEXT_FIELD, terms[0], limit=limit + 1, maxdist=3, prefix=1
            )
        )
        return [t for t in found if t != terms[0]][:limit]


def _hit(fields: dict[str, Any], score: float) -> SearchHit:
    return SearchHit(
        key=fields["key"],
        type=fields.get("type", ""),
        doc=fields.get("doc", ""),
        block=fields.get("block", ""),
        section=fields.get("section", "") or "",
        score=score,
    )


def _expand(searcher: Searcher, prefix: str) -> list[bytes]:
    """The index's words starting with prefix (as many as a segment query takes)."""
    words = searcher.reader().expand_prefix(TEXT_FIELD, prefix)
    return list(islice(words, MAX_PREFIX_TERMS))


def _text(term: str | bytes) -> str:
    return term.decode("utf-8") if isinstance(term, bytes) else term


def _segment_key(reader: Any) -> Any:
    segment = reader.segment()
    return segment.segment_id() if segment is not None else id(reader)
