"""The margin panel in windows of threads, so a busy document's reading view stays small.

A document with two thousand notes rendered every card: megabytes of HTML, most of the page's
time. The panel now shows one window of threads (in document order); the highlights in the text
still cover every note the viewer may see, from a compact list, and a window is fetched when the
reader asks for more or goes to a note outside the one shown.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from annotations.cards import CardThread


@dataclass(frozen=True)
class ThreadWindow:
    """Threads [start, start + len(threads)) of total, in windows of size."""

    threads: Sequence[CardThread]
    start: int
    total: int
    size: int

    @property
    def end(self) -> int:
        """One past the last thread shown."""
        return self.start + len(self.threads)

    @property
    def earlier_start(self) -> int | None:
        """Where the window before this one starts (None for the first)."""
        return max(0, self.start - self.size) if self.start > 0 else None

    @property
    def later_start(self) -> int | None:
        """Where the window after this one starts (None for the last)."""
        return self.end if self.end < self.total else None


def window_at(threads: Sequence[CardThread], start: int, size: int) -> ThreadWindow:
    """The window beginning at thread `start` (clamped to the last window)."""
    if size < 1:
        raise ValueError("a window holds at least one thread")
    last = max(0, (len(threads) - 1) // size * size)
    start = min(max(0, start), last)
    return ThreadWindow(threads[start : start + size], start, len(threads), size)


def window_around(
    threads: Sequence[CardThread], annotation_id: str, size: int
) -> ThreadWindow | None:
    """The window holding the thread of an annotation (root or reply), or None if none does."""
    for number, item in enumerate(threads):
        if item.root.id == annotation_id or any(r.id == annotation_id for _, r in item.replies):
            return window_at(threads, number // size * size, size)
    return None


def highlight_marks(threads: Sequence[CardThread]) -> list[tuple[str, str, int, int, str]]:
    """(id, kind, start, end, label) of each root the text highlights, in panel order.

    What the reading view's script draws highlights from, for every thread, shown or not:
    placed, live roots (replies, orphans and tombstones have no words in this version).
    """
    return [
        (
            t.root.id,
            t.root.kind,
            t.root.start,
            t.root.end,
            f"{t.root.kind_label} by {t.root.author}",
        )
        for t in threads
        if t.root.start is not None
        and t.root.end is not None
        and not t.root.is_deleted
        and not t.root.is_orphaned
    ]
