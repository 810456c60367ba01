"""The library: the corpus list, the reading view and the stored originals."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field, replace

from flask import Blueprint, Response, current_app, render_template, request
from flask_login import current_user

from annotations.accounts import User
from annotations.cards import CardThread
from annotations.claims import Claim
from annotations.errors import NotFound, ValidationError
from annotations.models import Group
from annotations.revisions import word_diff
from annotations.thread_windows import ThreadWindow, highlight_marks, window_around, window_at
from corpus.errors import DocumentNotFound
from corpus.presenters import ReadingView, reading_view
from reader.wiring import services

bp = Blueprint("library", __name__)


def requested_version(name: str = "version") -> int | None:
    """Return the version number in query parameter name (?version=N), or None when absent."""
    raw = request.args.get(name)
    if raw is None or raw == "":
        return None
    # At most 9 digits: int() stays cheap and the number fits the database's integer column.
    if not (raw.isascii() and raw.isdigit()) or len(raw) > 9 or int(raw) < 1:
        raise DocumentNotFound(f"{name} must be a positive whole number, not {raw!r}")
    return int(raw)


def requested_start(name: str) -> int:
    """The thread number in query parameter name (?threads=N), 0 when absent."""
    raw = request.args.get(name, "")
    if raw == "":
        return 0
    if not (raw.isascii() and raw.isdigit()) or len(raw) > 9:
        raise ValidationError(name, f"must be a whole number of threads, not {raw!r}")
    return int(raw)


@bp.get("/")
def index() -> str:
    """List the corpus."""
    return render_template("library/index.html", documents=services().documents.list_documents())


@dataclass
class Panel:
    """The annotation panel beside a document, for one viewer."""

    window: ThreadWindow  # the threads shown; the rest come a window at a time
    highlights: list[tuple[str, str, int, int, str]]  # every placed thread's, for the text
    count: int
    groups: list[Group]
    default_visibility: str
    claims: list[Claim] = field(default_factory=list)
    claims_by_block: dict[str, list[Claim]] = field(default_factory=dict)
    summary: dict[str, dict[str, int]] = field(default_factory=dict)
    orphans: list[CardThread] = field(default_factory=list)
    kept: list[CardThread] = field(default_factory=list)  # orphans left on an earlier version
    homes: dict[str, int] = field(default_factory=dict)  # orphan id -> version it sits on
    diffs: dict[str, str] = field(default_factory=dict)  # annotation id -> word diff HTML
    orphaned_claims: list[Claim] = field(default_factory=list)  # for reviewers, to re-attach


def build_panel(
    doc_id: str,
    view: ReadingView,
    viewer: User | None,
    version_id: int,
    is_latest: bool,
    threads_start: int = 0,
    around: str | None = None,
) -> Panel:
    """Gather the threads, claims, counts and editor choices the viewer may see."""
    svc = services()
    # Outlines of every thread (for the highlights); the details of those shown only.
    every = svc.annotations.cards(doc_id, viewer, None if is_latest else version_id, outline=True)
    placed = [t for t in every if not t.root.is_orphaned]
    # Only the newest version has orphans; an older one simply lacks what came later.
    orphaned = [t for t in every if t.root.is_orphaned] if is_latest else []
    orphaned = svc.annotations.with_details(orphaned)
    claims = svc.review.for_document(doc_id) if is_latest else []
    panel = Panel(
        detailed(
            (window_around(placed, around, panel_size()) if around else None)
            or window_at(placed, threads_start, panel_size())
        ),
        highlight_marks(placed),
        svc.annotations.count_for_document(doc_id, viewer),
        [],
        "private",
        claims,
        claims_by_block(view, claims),
        svc.review.summary(doc_id),
        orphans=[t for t in orphaned if not t.root.is_kept],
        kept=[t for t in orphaned if t.root.is_kept],
        homes=svc.revisions.anchored_versions([t.root.id for t in orphaned]),
        orphaned_claims=svc.review.orphans(doc_id, viewer) if is_latest else [],
    )
    panel.diffs = quote_diffs(panel.window.threads)
    if viewer is not None:
        visibility, group_id = svc.annotations.default_audience(viewer, "commenting")
        panel.default_visibility = f"group:{group_id}" if visibility == "group" else visibility
        panel.groups = svc.groups.for_user(viewer)
    return panel


def detailed(window: ThreadWindow) -> ThreadWindow:
    """The window with its cards' bodies, tags and sources (read for these threads only)."""
    return replace(window, threads=services().annotations.with_details(window.threads))


def panel_size() -> int:
    """Threads in one window of the panel (PANEL_THREADS)."""
    return int(current_app.config["PANEL_THREADS"])


def quote_diffs(threads: Sequence[CardThread]) -> dict[str, str]:
    """Word diffs of the roots whose quoted words changed since they were made."""
    changed = [t.root for t in threads if t.root.anchor_state == "changed"]
    originals = services().revisions.original_quotes([c.id for c in changed])
    return {c.id: word_diff(originals.get(c.id, ""), c.exact) for c in changed}


def claims_by_block(view: ReadingView, claims: list[Claim]) -> dict[str, list[Claim]]:
    """Each claim under the body passage where its words begin (pull quotes excluded)."""
    placed: dict[str, list[Claim]] = {}
    body = [p for p in view.passages if p.kind != "pullquote"]
    if view.title_passage is not None:
        body.insert(0, view.title_passage)
    for claim in claims:
        if claim.anchor_state == "orphaned":
            continue  # its offsets are those of an earlier version
        home = next((p for p in body if p.start <= claim.start < p.end), None)
        if home is not None:
            placed.setdefault(home.id, []).append(claim)
    return placed


def current_viewer() -> User | None:
    """The signed-in user, or None for anonymous visitors."""
    if not current_user.is_authenticated:
        return None
    # the object itself, not the proxy: templates touch it once per annotation card
    user: User = current_user._get_current_object()  # type: ignore[attr-defined]
    return user


@bp.get("/documents/<doc_id>")
def document(doc_id: str) -> str:
    """Show a document's reading view with the annotations the viewer may see."""
    store = services().documents
    version = store.get_version(doc_id, requested_version())
    view = reading_view(version, store.count_versions(doc_id))
    viewer = current_viewer()
    is_latest = view.version == view.versions
    start = requested_start("threads")
    # ?around=<annotation id>: the window holding it (links from search work without script)
    around = request.args.get("around")
    panel = build_panel(doc_id, view, viewer, version.id, is_latest, start, around)
    return render_template(
        "library/document.html", view=view, panel=panel, viewer=viewer, search_within=doc_id
    )


@bp.get("/documents/<doc_id>/threads")
def threads(doc_id: str) -> str:
    """One window of the panel's threads (?threads=N, or ?around=<annotation id>), as HTML."""
    store = services().documents
    version = store.get_version(doc_id, requested_version())
    older = version.number != store.count_versions(doc_id)  # an older version: its own anchors
    start, around = requested_start("threads"), request.args.get("around")
    window = thread_window(doc_id, version.id if older else None, start, around)
    return render_template(
        "notes/_threads.html",
        window=window,
        diffs=quote_diffs(window.threads),
        viewer=current_viewer(),
        doc_id=doc_id,
        version=version.number if older else None,
    )


def thread_window(
    doc_id: str, version_id: int | None, start: int, around: str | None
) -> ThreadWindow:
    """The window of placed threads at start, or the one holding annotation `around`."""
    every = services().annotations.cards(doc_id, current_viewer(), version_id, outline=True)
    placed = [t for t in every if not t.root.is_orphaned]
    if around is None:
        return detailed(window_at(placed, start, panel_size()))
    found = window_around(placed, around, panel_size())
    if found is None:
        raise NotFound(f"no annotation {around!r} among this document's placed threads")
    return detailed(found)


@bp.get("/documents/<doc_id>/original")
def original(doc_id: str) -> Response:
    """Return the stored original bytes unchanged."""
    version = services().documents.get_version(doc_id, requested_version())
    response = Response(version.original)
    if version.fmt == "html":
        response.headers["Content-Type"] = "text/html; charset=utf-8"
        # Imported HTML is untrusted: show it, but never let it run or load anything.
        response.headers["Content-Security-Policy"] = "sandbox; default-src 'none'"
    else:
        response.headers["Content-Type"] = "text/plain; charset=utf-8"
    response.headers["Content-Disposition"] = f'inline; filename="{version.filename}"'
    response.headers["X-Content-SHA256"] = version.sha256
    return response


@bp.get("/documents/<doc_id>/versions")
def versions(doc_id: str) -> str:
    """The document's versions, with annotation anchors by state for each."""
    store = services().documents
    latest = store.get_version(doc_id)
    history = [store.get_version(doc_id, n) for n in range(latest.number, 0, -1)]
    counts = services().revisions.version_counts(doc_id)
    return render_template("library/versions.html", latest=latest, history=history, counts=counts)


@bp.get("/documents/<doc_id>/diff")
def diff(doc_id: str) -> str:
    """A word-level diff between two versions (?from=N&to=M)."""
    store = services().documents
    latest = store.get_version(doc_id)
    # A version number is never 0, so `or` only ever replaces an absent parameter.
    first = requested_version("from") or max(1, latest.number - 1)
    second = requested_version("to") or latest.number
    old, new = store.get_version(doc_id, first), store.get_version(doc_id, second)
    return render_template(
        "library/diff.html", old=old, new=new, latest=latest, diff=word_diff(old.text, new.text)
    )
