"""Windows of the panel's threads and the highlights drawn for all of them."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime

import pytest

from annotations.cards import Card, CardThread
from annotations.thread_windows import highlight_marks, window_around, window_at

BASE = Card(
    id="a0",
    kind="comment",
    author="alice",
    author_id=1,
    created=datetime(2026, 1, 1, tzinfo=UTC),
    visibility="public",
    audience_label="Public",
    start=0,
    end=5,
    parent_id=None,
    quote="words",
    body_html="<p>x</p>",
    tags=(),
    sources=(),
    is_edited=False,
    is_deleted=False,
    tombstone="",
)


def _threads(n: int) -> list[CardThread]:
    return [CardThread(replace(BASE, id=f"a{i}", start=i * 10, end=i * 10 + 5)) for i in range(n)]


def test_windows_are_clamped_and_know_their_neighbours() -> None:
    threads = _threads(7)
    first = window_at(threads, 0, 3)
    assert [t.root.id for t in first.threads] == ["a0", "a1", "a2"]
    assert (first.earlier_start, first.later_start, first.end) == (None, 3, 3)
    last = window_at(threads, 50, 3)
    assert [t.root.id for t in last.threads] == ["a6"]
    assert (last.start, last.earlier_start, last.later_start) == (6, 3, None)
    odd = window_at(threads, 1, 3)  # a window may start anywhere before the last
    assert (odd.start, odd.earlier_start, odd.later_start) == (1, 0, 4)
    empty = window_at([], 4, 3)
    assert (empty.start, empty.total, list(empty.threads)) == (0, 0, [])
    with pytest.raises(ValueError, match="at least one"):
        window_at(threads, 0, 0)


def test_the_window_around_a_root_or_a_reply() -> None:
    threads = _threads(7)
    reply = replace(BASE, id="r1", parent_id="a4", start=None, end=None)
    threads[4].replies.append((1, reply))
    assert window_around(threads, "a5", 3).start == 3
    assert window_around(threads, "r1", 3).start == 3
    assert window_around(threads, "a6", 3).start == 6
    assert window_around(threads, "missing", 3) is None


def test_highlights_cover_placed_live_roots_only() -> None:
    threads = _threads(4)
    threads[1] = CardThread(replace(threads[1].root, is_deleted=True, tombstone="gone"))
    threads[2] = CardThread(replace(threads[2].root, anchor_state="orphaned"))
    threads[3] = CardThread(replace(threads[3].root, kind="question", author="bob"))
    assert highlight_marks(threads) == [
        ("a0", "comment", 0, 5, "Comment by alice"),
        ("a3", "question", 30, 35, "Question by bob"),
    ]
