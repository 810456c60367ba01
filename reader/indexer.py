"""The search index of an app: opened once per process, kept in step after each write."""

from __future__ import annotations

import logging
from collections.abc import Callable
from pathlib import Path

from flask import Flask, Response, current_app, request

from annotations.indexing import IndexSync
from corpus.search import SearchIndex
from reader.extensions import db

log = logging.getLogger(__name__)
WRITES = ("POST", "PUT", "PATCH", "DELETE")
SEARCH_ENDPOINTS = ("search.results", "api.search")


def index_path(app: Flask) -> Path:
    """Where the app's index lives (SEARCH_INDEX_DIR, default instance/index)."""
    configured = app.config.get("SEARCH_INDEX_DIR")
    return Path(configured) if configured else Path(app.instance_path) / "index"


def search_index(rebuild_missing: bool = True) -> SearchIndex:
    """The current app's index, rebuilt from the database first if it is missing or unreadable.

    rebuild_missing=False: as it is (for `reader index rebuild`, which rebuilds it anyway).
    """
    app = current_app
    index: SearchIndex | None = app.extensions.get("reader.index")
    if index is None:
        index = SearchIndex(index_path(app), app.config["SEARCH_WRITE_TIMEOUT"])
        app.extensions["reader.index"] = index
    if rebuild_missing and not app.extensions.get("reader.index_ready"):
        if not index.exists():
            log.warning("search index missing or unreadable at %s: rebuilding", index.path)
            count = IndexSync(db.session, index).rebuild()
            log.warning("search index rebuilt with %d documents", count)
        app.extensions["reader.index_ready"] = True
    return index


def sync_pending(check_first: bool = True) -> int:
    """Apply queued index jobs now (after the database commit); failures stay queued.

    check_first: look for jobs before taking the index's write lock (searches do: most find
    none). After a write its own job is all but certainly there, and the look costs a query.
    """
    sync = IndexSync(db.session, search_index())
    return sync.run_pending() if not check_first or sync.pending() else 0


def _after_write(response: Response) -> Response:
    if request.method in WRITES and response.status_code < 400:
        app = current_app._get_current_object()  # type: ignore[attr-defined]
        response.call_on_close(_after_response(app, f"{request.method} {request.path}"))
    return response


def _after_response(app: Flask, what: str) -> Callable[[], None]:
    """Apply the write's index jobs once the response has gone to the client.

    The database commit came first, so the client's answer never waits for Whoosh. The job is
    in the database: if this process dies first, the next write or search of any process applies
    it, and a search always applies waiting jobs before it runs (so people find what they just
    wrote). Then merge the small segments writes leave, when there are many.
    """

    def run() -> None:
        with app.app_context():
            try:
                sync_pending(check_first=False)
            except Exception:  # the write is committed; its index jobs stay queued for a retry
                db.session.rollback()
                log.exception("search index update failed after %s", what)
            try:
                search_index().merge_small()
            except Exception:  # merging is housekeeping: the next write tries again
                log.exception("merging the search index's small segments failed")

    return run


def _before_search() -> None:
    # Searches catch up with anything a failed index write left queued.
    if request.endpoint in SEARCH_ENDPOINTS:
        sync_pending()


def init_app(app: Flask) -> None:
    """Update the index after every successful write request, and before searches."""
    app.before_request(_before_search)
    app.after_request(_after_write)
