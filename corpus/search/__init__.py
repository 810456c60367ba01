"""The full-text index: the only package that imports Whoosh.

One index holds passages, annotations and sources (`documents`); `analysis` turns text into
terms; `segments` evaluates queries as sets of documents per segment; `index` opens, writes,
rebuilds and searches the index on disk.
"""

from __future__ import annotations

from corpus.search.analysis import snippet
from corpus.search.documents import IndexDoc, SearchHit, SearchPage, build_schema
from corpus.search.index import IndexUnavailable, SearchIndex
from corpus.search.writer import BatchWriter

__all__ = [
    "BatchWriter",
    "IndexDoc",
    "IndexUnavailable",
    "SearchHit",
    "SearchIndex",
    "SearchPage",
    "build_schema",
    "snippet",
]
