"""The reference engine: the same documents and queries on SQLite FTS5 (a C engine).

One FTS5 table holds the same index documents the app's Whoosh index is built from (so the same
passages, annotations and sources, stemmed with the porter tokenizer), with the same field
boosts as bm25 column weights. Visibility is expressed the way the app does it: an `audience`
column of tokens and a MATCH on the asker's tokens inside the same query, so ranks and counts
only ever cover what the asker may see. Filter values (tags, users, types, audience tokens) are
stored as one opaque token each, so `tag:cold-war` cannot match a tag "war".
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterable, Sequence
from pathlib import Path

from corpus.querylang import Clause, ParsedQuery, Phrase, Prefix
from corpus.search import IndexDoc
from corpus.search.analysis import PART_WEIGHTS

TEXT_COLUMNS = ("title", "content", "quote", "sourcetext", "tagtext")
# The app's part weights (corpus.search.analysis.PART_WEIGHTS) as bm25 weights, column by column.
WEIGHTS = dict(PART_WEIGHTS)
FILTER_COLUMNS = {"type": "type", "tag": "tag", "user": "user", "kind": "kind"}
COLUMNS = ("key", "type", *TEXT_COLUMNS, "tag", "user", "kind", "audience")


def token(value: str) -> str:
    """One opaque token for a whole filter value: letters and digits only, never stemmed."""
    return "k" + "".join(f"{byte:03d}" for byte in value.lower().encode("utf-8"))


def _row(doc: IndexDoc) -> tuple[str, ...]:
    tags = [t.lower() for t in doc.tags]
    texts = {
        "title": doc.title,
        "content": doc.content,
        "quote": doc.quote,
        "sourcetext": doc.sourcetext,
        "tagtext": " ".join(doc.tags),
    }
    return (
        doc.key,
        token(doc.type),
        *(texts[name] for name in TEXT_COLUMNS),
        " ".join(token(t) for t in tags),
        token(doc.user) if doc.user else "",
        token(doc.kind) if doc.kind else "",
        " ".join(token(a) for a in doc.audience),
    )


def build(path: Path, docs: Iterable[IndexDoc]) -> sqlite3.Connection:
    """Create the FTS5 table at path and load docs into it."""
    path.unlink(missing_ok=True)
    conn = sqlite3.connect(path)
    columns = ", ".join(["key UNINDEXED", *COLUMNS[1:]])
    conn.execute(f"CREATE VIRTUAL TABLE docs USING fts5({columns}, tokenize='porter unicode61')")
    weights = ", ".join(str(WEIGHTS.get(name, 0.0)) for name in COLUMNS)
    conn.execute("INSERT INTO docs(docs, rank) VALUES('rank', ?)", (f"bm25({weights})",))
    placeholders = ", ".join("?" for _ in COLUMNS)
    conn.executemany(f"INSERT INTO docs VALUES ({placeholders})", (_row(d) for d in docs))
    conn.execute("INSERT INTO docs(docs) VALUES('optimize')")
    conn.commit()
    return conn


def _quoted(text: str) -> str:
    return '"' + text.replace('"', '""') + '"'


def _clause(clause: Clause) -> str:
    target = "{" + " ".join(TEXT_COLUMNS) + "} : "
    if isinstance(clause, Prefix):
        return target + _quoted(clause.text.lower()) + " *"
    if isinstance(clause, Phrase):
        return target + _quoted(" ".join(clause.words))
    return target + _quoted(clause.text)


def _filter(name: str, values: Sequence[str]) -> str:
    column = FILTER_COLUMNS.get(name)
    if column is None:
        raise ValueError(f"the FTS5 reference does not model the {name}: filter")
    return "(" + " OR ".join(f"{column} : {token(v)}" for v in values) + ")"


def translate(parsed: ParsedQuery, audience: Sequence[str]) -> str | None:
    """The FTS5 MATCH expression for a parsed query as seen by these audience tokens."""
    musts = ["(" + " OR ".join(_clause(c) for c in group) + ")" for group in parsed.must]
    musts += [_filter(name, values) for name, values in parsed.filters.items() if values]
    nots = [_clause(c) for c in parsed.must_not]
    nots += [_filter(name, values) for name, values in parsed.exclude_filters.items() if values]
    if not musts:
        return None  # a query of exclusions only is not part of the mix
    seen = "audience : (" + " OR ".join(token(a) for a in audience) + ")"
    expression = "(" + " AND ".join([*musts, seen]) + ")"
    if nots:
        expression += " NOT (" + " OR ".join(nots) + ")"
    return expression


def search(conn: sqlite3.Connection, expression: str, limit: int = 20) -> tuple[list[str], int]:
    """The top keys by rank and the total count of matches."""
    keys = [
        key
        for (key,) in conn.execute(
            "SELECT key FROM docs WHERE docs MATCH ? ORDER BY rank LIMIT ?", (expression, limit)
        )
    ]
    total = conn.execute("SELECT count(*) FROM docs WHERE docs MATCH ?", (expression,)).fetchone()
    return keys, int(total[0])
