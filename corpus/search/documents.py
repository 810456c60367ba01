"""What the index holds: its schema, the documents written to it and the pages read from it."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from whoosh.fields import ID, KEYWORD, STORED, TEXT, Schema

from corpus.search.analysis import PARTS_ANALYZER, join_parts

# The searchable field: every part of a document, each word weighted by its part.
TEXT_FIELD = "text"
# Fields the query language filters on (query name -> field), all indexed as exact terms.
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


def schema_signature(schema: Schema) -> list[tuple[str, str]]:
    """Each field's name and kind: an index whose signature differs must be rebuilt."""
    return [(name, type(schema[name]).__name__) for name in sorted(schema.names())]


def build_schema() -> Schema:
    """The index schema (changing it needs `reader index rebuild`)."""
    return Schema(
        key=ID(unique=True, stored=True),
        type=ID(stored=True),
        doc=ID(stored=True),
        block=ID(stored=True),
        section=STORED(),
        text=TEXT(analyzer=PARTS_ANALYZER, phrase=True),
        tag=KEYWORD(lowercase=True, commas=True),
        user=ID(stored=True),
        kind=ID(stored=True),
        status=ID(stored=True),
        verdict=ID(stored=True),
        audience=KEYWORD(),
        created=STORED(),  # shown, never searched: indexing it cost 16 terms a document
        stamp=STORED(),
    )


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
        for name in ("doc", "block"):
            if getattr(self, name):
                values[name] = getattr(self, name)
        for name in ("user", "kind", "status", "verdict"):
            if getattr(self, name):
                values[name] = getattr(self, name).lower()
        parts = {
            "content": self.content,
            "title": self.title,
            "quote": self.quote,
            "sourcetext": self.sourcetext,
            "tagtext": " ".join(self.tags),
        }
        text = join_parts(parts)
        if text:
            values[TEXT_FIELD] = text
        if self.tags:
            values["tag"] = ",".join(t.lower().replace(",", " ") for t in self.tags)
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
