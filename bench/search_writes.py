"""The search benchmark's writes: create, edit and delete through the W3C API, as one member.

Each timing includes what the app does for a write: the request (validation, the database commit
with its index job), then, once the response is out, applying the index job under the Whoosh
write lock (reader/indexer.py). The client waits only for the first part; the target counts
both. Merging small segments, which also runs after a response but only once every few writes,
is timed apart.
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from annotations.indexing import IndexSync
from annotations.models import Membership
from bench import corpus_gen
from bench.search_data import PASSWORD, Span, paragraph_spans, quote_in
from corpus.search import SearchIndex
from reader import indexer
from reader.extensions import db

WRITER = "user000"


def timed(action: Callable[[], Any]) -> tuple[float, Any]:
    """(milliseconds, result) of one call."""
    started = time.perf_counter()
    result = action()
    return (time.perf_counter() - started) * 1000, result


def signed_in(app: Flask, username: str | None) -> FlaskClient:
    """A test client, signed in with the session cookie unless username is None."""
    client = app.test_client()
    if username is not None:
        response = client.post("/login", data={"username": username, "password": PASSWORD})
        if response.status_code != 302:
            raise RuntimeError(f"could not sign in as {username}: {response.status_code}")
    return client


# --- writes --------------------------------------------------------------------------------


def _annotation_payload(
    rng: random.Random, vocab: corpus_gen.Vocabulary, spans: list[Span], groups: list[int]
) -> dict[str, Any]:
    span = rng.choice(spans)
    start, end = quote_in(rng, span)
    bodies: list[dict[str, Any]] = [
        {
            "type": "TextualBody",
            "value": corpus_gen.prose(rng, vocab, 20, 200),
            "format": "text/markdown",
            "purpose": "commenting",
        }
    ]
    for tag in rng.sample(["bench", "check", "context", "numbers", "quote"], rng.randint(0, 3)):
        bodies.append({"type": "TextualBody", "value": tag, "purpose": "tagging"})
    if rng.random() < 0.2:
        bodies.append(
            {
                "type": "SpecificResource",
                "purpose": "linking",
                "source": {
                    "id": f"https://bench.example.org/source/{rng.randint(1, 500)}",
                    "title": " ".join(vocab.draw(rng, 5)).capitalize(),
                    "author": [corpus_gen.person(rng)],
                },
                "stance": rng.choice(["supports", "refutes", "context"]),
            }
        )
    visibility = rng.choices(["public", "group", "private"], weights=[70, 15, 15])[0]
    data: dict[str, Any] = {
        "@context": "http://www.w3.org/ns/anno.jsonld",
        "type": "Annotation",
        "motivation": "commenting",
        "body": bodies,
        "target": {
            "source": f"http://localhost/documents/{span.document_id}",
            "selector": [
                {"type": "TextQuoteSelector", "exact": span.text[start:end]},
                {"type": "TextPositionSelector", "start": start, "end": end},
            ],
        },
        "visibility": visibility,
    }
    if visibility == "group":
        data["group"] = rng.choice(groups)
    return data


class _IndexTimer:
    """Times the app's own after-write index update (reader.indexer.sync_pending) per request."""

    def __init__(self) -> None:
        self.original = indexer.sync_pending
        self.calls: list[float] = []

    def __enter__(self) -> _IndexTimer:
        def sync_pending(check_first: bool = True) -> int:
            ms, applied = timed(lambda: self.original(check_first))
            self.calls.append(ms)
            return int(applied)

        indexer.sync_pending = sync_pending
        return self

    def __exit__(self, *exc: object) -> None:
        indexer.sync_pending = self.original

    def take(self) -> float:
        """Milliseconds spent updating the index since the last take()."""
        spent, self.calls = sum(self.calls), []
        return spent


def measure_writes(app: Flask, seed: int, creates: int, edits: int) -> dict[str, Any]:
    """Create, edit and delete annotations through the API; each includes the index update."""
    rng = random.Random(seed * 31 + 5)
    vocab = corpus_gen.build_vocabulary(seed)
    client = signed_in(app, WRITER)
    with app.app_context():
        spans = paragraph_spans(db.session)
        user_id = int(WRITER.removeprefix("user")) + 1
        groups = list(
            db.session.scalars(select(Membership.group_id).where(Membership.user_id == user_id))
        )
    created: list[str] = []
    times: dict[str, list[float]] = {
        name: []
        for name in (
            "create",
            "create: response",
            "create: index",
            "edit",
            "delete",
            "search after",
            "after response",
        )
    }
    with _IndexTimer() as index_time:
        for n in range(creates):
            payload = _annotation_payload(rng, vocab, spans, groups)
            ms, response = timed(lambda p=payload: client.post("/api/annotations/", json=p))
            if response.status_code != 201:
                raise RuntimeError(f"create failed: {response.status_code} {response.get_data()!r}")
            after, _ = timed(response.close)  # what a server does once the response is sent
            indexing = index_time.take()
            times["create"].append(ms + indexing)
            times["create: response"].append(ms)
            times["create: index"].append(indexing)
            times["after response"].append(after - indexing)
            created.append(response.get_json()["id"].rsplit("/", 1)[1])
            if n % 10 == 9:  # the first search after a write sees a changed index
                ms, _ = timed(lambda: client.get("/api/search", query_string={"q": "policy"}))
                times["search after"].append(ms)
                index_time.take()
        for aid in created[:edits]:
            text = corpus_gen.prose(rng, vocab, 20, 120)
            edit = {"body": [{"type": "TextualBody", "value": text, "purpose": "commenting"}]}
            ms, response = timed(lambda a=aid, e=edit: client.put(f"/api/annotations/{a}", json=e))
            if response.status_code != 200:
                raise RuntimeError(f"edit failed: {response.status_code}")
            after, _ = timed(response.close)
            indexing = index_time.take()
            times["edit"].append(ms + indexing)
            times["after response"].append(after - indexing)
        for aid in created[edits : 2 * edits]:
            ms, response = timed(lambda a=aid: client.delete(f"/api/annotations/{a}"))
            if response.status_code != 204:
                raise RuntimeError(f"delete failed: {response.status_code}")
            after, _ = timed(response.close)
            indexing = index_time.take()
            times["delete"].append(ms + indexing)
            times["after response"].append(after - indexing)
    with app.app_context():
        pending = IndexSync(db.session, SearchIndex(Path(app.config["SEARCH_INDEX_DIR"])))
        times["left queued"] = [float(pending.pending())]
    return times
