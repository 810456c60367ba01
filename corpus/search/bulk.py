"""Rebuilding: documents written straight into new segments, two worker processes at a time.

Whoosh's own writer sends every posting through a pool that it sorts (spilling to disk) before
writing the segment, and hands every posting, then every block, to a Python call of its own: at
100,000 annotations that was three minutes of CPU. A segment built here keeps each term's
postings together as documents arrive, so the terms alone are sorted, and writes a term's blocks
whole through the codec's own postings writer (codec.py); the files are the codec's, read by
Whoosh's readers. The unit tests build the same documents both ways and compare every term's
postings, stored field and length.
"""

from __future__ import annotations

import logging
import multiprocessing
import queue
from array import array
from collections import Counter
from collections.abc import Callable, Iterable, Iterator
from itertools import islice
from typing import Any

from whoosh.fields import Schema
from whoosh.filedb.filestore import FileStorage
from whoosh.index import _DEF_INDEX_NAME, TOC, clean_files

from corpus.search.analysis import POSITION_GAP, part_terms
from corpus.search.codec import CODEC
from corpus.search.documents import TEXT_FIELD, IndexDoc, build_schema

log = logging.getLogger(__name__)

# Documents sent to a worker at a time, and chunks waiting per worker (bounds the memory used).
CHUNK = 2000
WAITING_CHUNKS = 4
# How long to wait for a worker's answer before checking that it is still alive (seconds).
POLL = 1.0


class SegmentBuilder:
    """One new segment of an index folder, written when finish() is called."""

    def __init__(self, storage: FileStorage, schema: Schema) -> None:
        self.storage = storage
        self.schema = schema
        self.segment = CODEC.new_segment(storage, _DEF_INDEX_NAME)
        self._perdoc: Any = None  # opened by the first document (it creates a temporary file)
        self._text_format = schema[TEXT_FIELD].format
        # field name -> term bytes -> flat [docnum, weight, value, docnum, weight, value, ...]
        self._postings: dict[str, dict[bytes, list[Any]]] = {}
        # The text field's, by term (UTF-8 keeps the order of code points: sorted the same)
        self._text: dict[str, list[Any]] = {}
        self._index_cache: dict[tuple[str, Any], list[tuple[bytes, int, float, bytes]]] = {}
        self._single_position: dict[int, bytes] = {}
        self.count = 0

    def add(self, fields: dict[str, Any]) -> None:
        """Add one document's field values (as IndexDoc.fields() gives them)."""
        docnum = self.count
        if self._perdoc is None:
            self._perdoc = CODEC.per_document_writer(self.storage, self.segment)
        perdoc = self._perdoc
        perdoc.start_doc(docnum)
        for name in sorted(fields):
            value = fields[name]
            if value is None:
                continue
            field = self.schema[name]
            length = 0
            if name == TEXT_FIELD:
                length = self._add_text(docnum, value)
            elif field.indexed:
                terms = self._postings.setdefault(name, {})
                for tbytes, freq, weight, vbytes in self._indexed(name, field, value):
                    length += freq
                    found = terms.get(tbytes)
                    if found is None:
                        terms[tbytes] = [docnum, weight, vbytes]
                    else:
                        found += (docnum, weight, vbytes)
                if not field.scorable:
                    length = 0
            perdoc.add_field(name, field, value if field.stored else None, length)
            column = field.column_type
            if column is not None:
                perdoc.add_column_value(name, column, field.to_column_value(value))
        perdoc.finish_doc()
        self.count += 1

    def _indexed(self, name: str, field: Any, value: Any) -> list[tuple[bytes, int, float, bytes]]:
        """Whoosh's own (term, frequency, weight, value) of a field value, remembered.

        Filter fields repeat a few values (a type, a user, an audience) across many documents;
        only the unique key is worked out every time.
        """
        if name == "key":
            return list(field.index(value))
        found = self._index_cache.get((name, value))
        if found is None:
            found = self._index_cache[(name, value)] = list(field.index(value))
        return found

    def _add_text(self, docnum: int, value: str) -> int:
        """Gather the text field's postings: its terms stay str until written (same order).

        As Whoosh's Positions format: a term's weight is the sum of its words' part weights,
        its value its encoded positions. Most words occur once in a document, and the encoded
        value of a single position is remembered.
        """
        parts = part_terms(value)
        terms = self._text
        single = self._single_position
        encode = self._text_format.encode
        every = [term for _, words in parts for term in words]
        counts = Counter(every)
        repeated: dict[str, list[Any]] = {}  # term -> [positions, weight]
        start = 0
        for boost, words in parts:
            for pos, term in enumerate(words, start):
                if counts[term] > 1:
                    entry = repeated.get(term)
                    if entry is None:
                        repeated[term] = [[pos], boost]
                    else:
                        entry[0].append(pos)
                        entry[1] += boost
                    continue
                encoded = single.get(pos)
                if encoded is None:
                    encoded = single[pos] = encode([pos])
                found = terms.get(term)
                if found is None:
                    terms[term] = [docnum, boost, encoded]
                else:
                    found += (docnum, boost, encoded)
            start += len(words) + POSITION_GAP
        for term, (positions, weight) in repeated.items():
            found = terms.get(term)
            if found is None:
                terms[term] = [docnum, weight, encode(positions)]
            else:
                found += (docnum, weight, encode(positions))
        return len(every)

    def discard(self) -> None:
        """Give up the segment: close its files (the next commit's clean-up removes them)."""
        if self._perdoc is not None and not self._perdoc.is_closed:
            self._perdoc.close()
        self._postings.clear()
        self._text.clear()

    def finish(self) -> Any:
        """Write the term table and postings; return the segment (for the index's TOC)."""
        if self._perdoc is None:
            raise ValueError("a segment needs at least one document")
        self._perdoc.close()
        writer = CODEC.field_writer(self.storage, self.segment)
        if self._text:
            text = {term.encode("utf-8"): flat for term, flat in self._text.items()}
            self._postings[TEXT_FIELD] = text
            self._text = {}
        for name in sorted(self._postings):
            terms = self._postings.pop(name)
            writer.start_field(name, self.schema[name])
            for tbytes in sorted(terms):
                writer.start_term(tbytes)
                _write_postings(writer._postwriter, terms[tbytes])
                writer.finish_term()
            writer.finish_field()
        writer.close()
        self.segment.set_doc_count(self.count)
        return self.segment


def _write_postings(postwriter: Any, flat: list[Any]) -> None:
    """Give the codec's postings writer a term's postings a block at a time.

    What W3PostingsWriter.add_posting() does one posting at a time (pinned Whoosh version): the
    block's ids, weights, values and largest weight; no lengths (the codec keeps no length
    statistics). The last block is left buffered for finish_postings(), which inlines it when
    it is the only one and small.
    """
    limit = postwriter._blocklimit
    size = len(flat) // 3
    for start in range(0, size, limit):
        if start:
            postwriter._write_block()  # and starts the next one
        at, end = start * 3, min(size, start + limit) * 3
        weights = flat[at + 1 : end : 3]
        postwriter._ids = array("I", flat[at:end:3])
        postwriter._weights = array("f", weights)
        postwriter._values = [v for v in flat[at + 2 : end : 3] if v]
        postwriter._maxweight = max(weights)


def write_index(
    storage: FileStorage,
    schema: Schema,
    segments: list[Any],
    generation: int,
    keep_scratch: bool = False,
) -> None:
    """Make the segments the whole index in storage, as its TOC's given (next) generation.

    Writing the TOC file is what makes them visible to readers; then the files of segments no
    longer listed are removed, and the per-document writers' scratch folder unless kept (each
    write makes it again otherwise: frequent writes keep it).
    """
    TOC(schema, segments, generation).write(storage, _DEF_INDEX_NAME)
    clean_files(storage, _DEF_INDEX_NAME, generation, segments)
    if not keep_scratch:
        storage.temp_storage(f"{_DEF_INDEX_NAME}.tmp").destroy()


def build(
    storage: FileStorage,
    docs: Iterable[IndexDoc],
    workers: int,
    progress: Callable[[int], None] | None = None,
) -> int:
    """Write docs into storage's (empty) index as one segment per worker; return the count."""
    schema = build_schema()
    if workers <= 1:
        segment = _segment_of(storage, schema, _chunks(docs), progress)
        segments = [segment] if segment is not None else []
        write_index(storage, schema, segments, _next_generation(storage))
        return int(segment.doc_count_all()) if segment is not None else 0
    return _build_in_workers(storage, schema, docs, workers, progress)


def _segment_of(
    storage: FileStorage,
    schema: Schema,
    chunks: Iterable[list[IndexDoc]],
    progress: Callable[[int], None] | None = None,
) -> Any:
    """One segment of the documents of chunks (None if there are none)."""
    builder = SegmentBuilder(storage, schema)
    for chunk in chunks:
        for doc in chunk:
            builder.add(doc.fields())
        if progress is not None:
            progress(len(chunk))
    return builder.finish() if builder.count else None


def _next_generation(storage: FileStorage) -> int:
    return int(TOC.read(storage, _DEF_INDEX_NAME).generation) + 1


def _chunks(docs: Iterable[IndexDoc]) -> Iterator[list[IndexDoc]]:
    pending = iter(docs)
    while chunk := list(islice(pending, CHUNK)):
        yield chunk


def _build_in_workers(
    storage: FileStorage,
    schema: Schema,
    docs: Iterable[IndexDoc],
    workers: int,
    progress: Callable[[int], None] | None,
) -> int:
    # Spawned, not forked: a forked child would inherit the parent's database connections.
    context = multiprocessing.get_context("spawn")
    procs: list[Any] = []
    try:
        results: Any = context.Queue()
        inboxes: list[Any] = [context.Queue(WAITING_CHUNKS) for _ in range(workers)]
        for inbox in inboxes:
            procs.append(
                context.Process(target=_work, args=(storage.folder, inbox, results), daemon=True)
            )
            procs[-1].start()
    except (OSError, ImportError) as exc:  # no processes or semaphores here: one is enough
        for proc in procs:
            proc.kill()
        log.warning("index rebuild in one process: cannot start workers (%s)", exc)
        return build(storage, docs, 1, progress)
    try:
        count = 0
        for n, chunk in enumerate(_chunks(docs)):
            _put(inboxes[n % workers], chunk, procs)
            count += len(chunk)
            if progress is not None:
                progress(len(chunk))
        for inbox in inboxes:
            _put(inbox, None, procs)
        segments = [segment for segment in (_result(results, procs) for _ in procs) if segment]
        for proc in procs:
            proc.join()
    finally:
        for proc in procs:
            if proc.is_alive():
                proc.kill()
    write_index(storage, schema, segments, _next_generation(storage))
    return count


def _put(inbox: Any, chunk: list[IndexDoc] | None, procs: list[Any]) -> None:
    while True:
        try:
            inbox.put(chunk, timeout=POLL)
            return
        except queue.Full:
            _check_alive(procs)


def _result(results: Any, procs: list[Any]) -> Any:
    while True:
        try:
            kind, value = results.get(timeout=POLL)
        except queue.Empty:
            _check_alive(procs)
            continue
        if kind == "error":
            raise RuntimeError(f"an index rebuild worker failed: {value}")
        return value


def _check_alive(procs: list[Any]) -> None:
    for proc in procs:
        if not proc.is_alive() and proc.exitcode != 0:
            raise RuntimeError(f"an index rebuild worker died (exit code {proc.exitcode})")


def _work(folder: str, inbox: Any, results: Any) -> None:
    """A worker process: build one segment from the chunks it is sent, until None."""
    try:
        segment = _segment_of(FileStorage(folder), build_schema(), iter(inbox.get, None))
        results.put(("segment", segment))
    except Exception as exc:  # reported to the parent, which raises it
        results.put(("error", f"{type(exc).__name__}: {exc}"))
