"""The full-text index: the only module that imports Whoosh.

One index holds passages, annotations and sources. Visibility is part of every query: each
document carries `audience` tokens ("public", "u<user id>", "g<group id>") and every search is
restricted, inside the index, to the asker's tokens, so totals, facets and pages are computed
only over what the asker may see. The database stays the source of truth; this index is derived.
"""

from __future__ import annotations

import gc
import logging
import os
import shutil
import threading
import warnings
from bisect import bisect_right
from collections import Counter
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from html import escape
from itertools import chain, islice
from pathlib import Path
from typing import Any

from whoosh import highlight, index, query
from whoosh.analysis import CharsetFilter, StandardAnalyzer, StemmingAnalyzer
from whoosh.fields import ID, KEYWORD, NUMERIC, STORED, TEXT, Schema
from whoosh.filedb.filestore import FileStorage
from whoosh.index import LockError
from whoosh.searching import Searcher
from whoosh.sorting import Count, FieldFacet
from whoosh.support.charset import accent_map

from corpus.querylang import ParsedQuery, Phrase, Prefix, Word

log = logging.getLogger(__name__)

ANALYZER = StemmingAnalyzer() | CharsetFilter(accent_map)
# Unstemmed words, only for "did you mean" suggestions (which are checked against the asker's view).
SPELL_ANALYZER = StandardAnalyzer(stoplist=None) | CharsetFilter(accent_map)
# Where words are looked for, with boosts: the article's words outrank the same words in a tag.
TEXT_FIELDS: dict[str, float] = {
    "content": 3.0,
    "title": 2.0,
    "quote": 1.5,
    "sourcetext": 1.0,
    "tagtext": 0.5,
}
FILTER_FIELDS = {
    "tag": "tag",
    "user": "user",
    "doc": "doc",
    "type": "type",
    "kind": "kind",
    "status": "status",
    "verdict": "verdict",
}
FACETS = ("type", "kind", "tag", "user", "doc", "status")
# A rebuild of at least this many documents is shared between two writer processes.
PARALLEL_REBUILD_FROM = 5000


def build_schema() -> Schema:
    """The index schema (changing it needs `reader index rebuild`)."""
    return Schema(
        key=ID(unique=True, stored=True),
        type=ID(stored=True, sortable=True),
        doc=ID(stored=True, sortable=True),
        block=ID(stored=True),
        section=STORED(),
        title=TEXT(analyzer=ANALYZER, phrase=True),
        content=TEXT(analyzer=ANALYZER, phrase=True),
        quote=TEXT(analyzer=ANALYZER, phrase=True),
        sourcetext=TEXT(analyzer=ANALYZER, phrase=True),
        tagtext=TEXT(analyzer=ANALYZER, phrase=True),
        spell=TEXT(analyzer=SPELL_ANALYZER, phrase=False),
        tag=KEYWORD(lowercase=True, commas=True),
        user=ID(stored=True, sortable=True),
        kind=ID(stored=True, sortable=True),
        status=ID(stored=True, sortable=True),
        verdict=ID(stored=True, sortable=True),
        audience=KEYWORD(),
        created=NUMERIC(stored=True, sortable=True, bits=64),
        stamp=STORED(),
    )


class IndexUnavailable(Exception):
    """The index could not be opened or written (for example, the lock was held too long)."""


@dataclass(frozen=True)
class IndexDoc:
    """One document for the index; `stamp` says which database state it reflects."""

    key: str
    type: str
    stamp: str
    audience: tuple[str, ...]
    doc: str = ""
    block: str = ""
    section: str = ""
    title: str = ""
    content: str = ""
    quote: str = ""
    sourcetext: str = ""
    tags: tuple[str, ...] = ()
    user: str = ""
    kind: str = ""
    status: str = ""
    verdict: str = ""
    created: int = 0

    def fields(self) -> dict[str, Any]:
        """The Whoosh field values."""
        values: dict[str, Any] = {
            "key": self.key,
            "type": self.type,
            "stamp": self.stamp,
            "audience": " ".join(self.audience),
            "created": self.created,
            "section": self.section,
        }
        for name in ("doc", "block", "title", "content", "quote", "sourcetext"):
            if getattr(self, name):
                values[name] = getattr(self, name)
        for name in ("user", "kind", "status", "verdict"):
            if getattr(self, name):
                values[name] = getattr(self, name).lower()
        if self.tags:
            values["tag"] = ",".join(t.lower().replace(",", " ") for t in self.tags)
            values["tagtext"] = " ".join(self.tags)
        words = " ".join(filter(None, [self.title, self.content, self.quote, *self.tags]))
        if words:
            values["spell"] = words
        return values


@dataclass(frozen=True)
class SearchHit:
    """One ranked hit: what it is and where it points."""

    key: str
    type: str
    doc: str
    block: str
    section: str
    score: float


@dataclass
class SearchPage:
    """A page of hits with the total and facet counts over everything the asker may see."""

    hits: list[SearchHit]
    total: int
    offset: int
    facets: dict[str, dict[str, int]] = field(default_factory=dict)
    terms: frozenset[tuple[str, str]] = frozenset()


class BatchWriter:
    """The operations allowed while holding the write lock."""

    def __init__(self, writer: Any) -> None:
        self._writer = writer

    def update(self, doc: IndexDoc) -> None:
        """Add or replace the document with doc.key."""
        self._writer.update_document(**doc.fields())

    def add(self, doc: IndexDoc) -> None:
        """Add a document known not to be in the index yet (cheaper than update)."""
        self._writer.add_document(**doc.fields())

    def delete(self, key: str) -> None:
        """Remove the document with this key, if any."""
        self._writer.delete_by_term("key", key)

    def delete_prefix(self, prefix: str) -> None:
        """Remove every document whose key starts with prefix."""
        self._writer.delete_by_query(query.Prefix("key", prefix))


class SearchIndex:
    """A Whoosh index in a folder, with one warm searcher per process and cached filters."""

    def __init__(self, path: Path, writer_timeout: float = 15.0) -> None:
        self.path = Path(path)
        self.writer_timeout = writer_timeout
        self._ix: index.Index | None = None
        self._searcher: Searcher | None = None
        self._lock = threading.RLock()
        self._filters: dict[frozenset[str], set[int]] = {}
        self._tags: dict[Any, dict[int, list[str]]] = {}

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
                    self._ix = self.storage().open_index()
                except Exception as exc:
                    message = f"cannot open the search index at {self.path}: {exc}"
                    raise IndexUnavailable(message) from exc
            return self._ix

    def close(self) -> None:
        """Close the searcher and forget the index handle."""
        with self._lock:
            if self._searcher is not None:
                self._searcher.close()
            self._searcher = None
            self._ix = None
            self._filters.clear()

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
            self._filters.clear()
        return self._searcher

    # --- writing -------------------------------------------------------------------------

    @contextmanager
    def writing(self) -> Iterator[BatchWriter]:
        """Hold the index's write lock (waiting up to the timeout); commit on success."""
        try:
            writer = self.open().writer(timeout=self.writer_timeout, delay=0.05, compound=False)
        except LockError:
            raise IndexUnavailable("the search index is busy (lock not acquired in time)") from None
        batch = BatchWriter(writer)
        try:
            yield batch
        except BaseException:
            writer.cancel()
            raise
        writer.commit()

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
        ix = FileStorage(str(side)).create_index(build_schema())
        pending = iter(docs)
        head = list(islice(pending, PARALLEL_REBUILD_FROM))
        # Indexing is CPU-bound Python: with two cores, two worker processes each build a
        # segment (kept apart: merging them would cost what the second process saved). Small
        # indexes, and the tests, keep one writer and start no processes.
        if len(head) == PARALLEL_REBUILD_FROM and (os.cpu_count() or 1) > 1:
            writer = ix.writer(procs=2, multisegment=True, limitmb=256, compound=False)
        else:
            writer = ix.writer(procs=1, limitmb=256, compound=False)
        count = 0
        for doc in chain(head, pending):
            writer.add_document(**doc.fields())
            count += 1
            if progress is not None and count % 500 == 0:
                progress(500)
        writer.commit(optimize=True)
        if progress is not None:
            progress(count % 500)
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
        with self._lock:
            searcher = self.searcher()
            return {f["key"]: f.get("stamp", "") for f in searcher.all_stored_fields()}

    def doc_count(self) -> int:
        """How many documents the index holds."""
        with self._lock:
            return int(self.searcher().doc_count())

    def search(
        self,
        parsed: ParsedQuery,
        audience: Sequence[str],
        offset: int = 0,
        limit: int = 20,
        facets: bool = True,
    ) -> SearchPage:
        """Run a parsed query restricted to the audience tokens; hits ranked by score."""
        q = to_whoosh(parsed)
        if q is None:
            return SearchPage([], 0, offset)
        with self._lock:
            searcher = self.searcher()
            allowed = self._allowed(searcher, audience)
            # single-valued facets come from sortable columns; tags are counted separately
            groupedby = {name: FieldFacet(name) for name in FACETS if name != "tag"}
            results = searcher.search(
                q,
                limit=offset + limit,
                filter=allowed,
                groupedby=groupedby if facets else None,
                maptype=Count,
            )
            hits = [_hit(h) for h in results[offset : offset + limit]]
            counts: dict[str, dict[str, int]] = {}
            if facets:
                counts = {name: _counts(results, name) for name in groupedby}
                matched = set(searcher.docs_for_query(q)) & allowed
                counts["tag"] = self._tag_counts(searcher, matched)
            terms = frozenset(_terms(q, searcher))
            return SearchPage(hits, len(results), offset, counts, terms)

    def _tag_counts(self, searcher: Searcher, matched: set[int]) -> dict[str, int]:
        """Count tags over the matched documents, with each segment's tags cached once."""
        leaves = searcher.leaf_searchers()
        starts = [offset for _, offset in leaves]
        tables = [self._segment_tags(leaf) for leaf, _ in leaves]
        counts: Counter[str] = Counter()
        for docnum in matched:
            at = bisect_right(starts, docnum) - 1
            counts.update(tables[at].get(docnum - starts[at], ()))
        return dict(counts)

    def _segment_tags(self, leaf: Searcher) -> dict[int, list[str]]:
        reader = leaf.reader()
        segment = reader.segment()
        segment_id = segment.segment_id() if segment is not None else id(reader)
        table = self._tags.get(segment_id)
        if table is None:
            table = {}
            if "tag" in reader.indexed_field_names():
                for term in reader.lexicon("tag"):
                    name = term.decode("utf-8")
                    for docnum in reader.postings("tag", term).all_ids():
                        table.setdefault(docnum, []).append(name)
            if len(self._tags) > 64:
                self._tags.clear()
            self._tags[segment_id] = table
        return table

    def _allowed(self, searcher: Searcher, audience: Sequence[str]) -> set[int]:
        key = frozenset(audience)
        cached = self._filters.get(key)
        if cached is None:
            restriction = query.Or([query.Term("audience", token) for token in sorted(key)])
            cached = set(searcher.docs_for_query(restriction))
            if len(self._filters) > 256:
                self._filters.clear()
            self._filters[key] = cached
        return cached

    def suggest_words(self, word: str, limit: int = 3) -> list[str]:
        """Close spellings of a word from the passages' and annotations' vocabulary."""
        with self._lock:
            searcher = self.searcher()
            found: list[str] = []
            for candidate in searcher.suggest("spell", word.lower(), limit=limit, maxdist=2):
                if candidate != word.lower() and candidate not in found:
                    found.append(candidate)
            return found[:limit]


def _hit(hit: Any) -> SearchHit:
    fields = hit.fields()
    return SearchHit(
        key=fields["key"],
        type=fields.get("type", ""),
        doc=fields.get("doc", ""),
        block=fields.get("block", ""),
        section=fields.get("section", "") or "",
        score=float(hit.score or 0.0),
    )


def _counts(results: Any, name: str) -> dict[str, int]:
    groups: Mapping[Any, int] = results.groups(name)
    return {str(k): int(v) for k, v in groups.items() if k not in (None, "", b"")}


def _terms(q: query.Query, searcher: Searcher) -> Iterator[tuple[str, str]]:
    """The words the query matched (prefixes expanded), for highlighting snippets."""
    for fieldname, text in q.existing_terms(searcher.reader(), phrases=True, expand=True):
        if fieldname in TEXT_FIELDS:
            yield fieldname, text.decode("utf-8") if isinstance(text, bytes) else str(text)


# --- query translation -----------------------------------------------------------------


def _analysed(text: str) -> list[str]:
    return [t.text for t in ANALYZER(text, mode="query")]


def _word(clause: Word | Phrase | Prefix) -> query.Query | None:
    if isinstance(clause, Prefix):
        stem = clause.text.lower()
        return query.Or([query.Prefix(f, stem, boost=b) for f, b in TEXT_FIELDS.items()])
    words = list(clause.words) if isinstance(clause, Phrase) else [clause.text]
    tokens = [t for w in words for t in _analysed(w)]
    if not tokens:
        return None
    per_field: list[query.Query] = []
    for fieldname, boost in TEXT_FIELDS.items():
        if len(tokens) == 1:
            per_field.append(query.Term(fieldname, tokens[0], boost=boost))
        elif isinstance(clause, Phrase):
            per_field.append(query.Phrase(fieldname, tokens, boost=boost))
        else:  # a hyphenated word: its parts in order
            per_field.append(query.Phrase(fieldname, tokens, boost=boost))
    return query.Or(per_field)


def _filters(values: Mapping[str, tuple[str, ...]]) -> list[query.Query]:
    built = []
    for name, options in values.items():
        fieldname = FILTER_FIELDS.get(name)
        if fieldname and options:
            built.append(query.Or([query.Term(fieldname, v.lower()) for v in options]))
    return built


def to_whoosh(parsed: ParsedQuery) -> query.Query | None:
    """Translate the query language's AST into a Whoosh query (None when it is empty)."""
    musts: list[query.Query] = []
    for group in parsed.must:
        alternatives = [q for q in (_word(c) for c in group) if q is not None]
        if alternatives:
            musts.append(alternatives[0] if len(alternatives) == 1 else query.Or(alternatives))
    musts.extend(_filters(parsed.filters))
    nots = [q for q in (_word(c) for c in parsed.must_not) if q is not None]
    nots.extend(_filters(parsed.exclude_filters))
    if not musts:
        if not nots:
            return None
        musts.append(query.Every())
    positive = musts[0] if len(musts) == 1 else query.And(musts)
    return query.AndNot(positive, query.Or(nots)) if nots else positive


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
