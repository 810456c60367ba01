"""Segmentation of the first scraped seed: masthead, repeated title, pull quotes, footer."""

from __future__ import annotations

import itertools
import re
from pathlib import Path

import pytest

from corpus.blocks import Segmentation, segment_document

SEED = Path(__file__).parents[3].parent / "shared/seeds/000_a539bf95bb4d10b0.txt"
TITLE = "Russian Relations with North Korea"
HEADINGS = [
    "Significance of Trump meeting with Putin",
    "Putin’s North Korea policy",
    "Russia as an empire or a nation",
    "Is conflict with Russia inevitable?",
    "Russian initiatives in North Korea",
    "Conclusion",
]
# Opening words of the short lines that repeat words of a longer paragraph, in file order.
PULLQUOTES = [
    "As a result of President Trump’s North Korean initiative",
    "The Soviet conception of the state",
    "Russian anguish over its loss of empire",
    "At key points in history",
    "One important attribute of Russian policy",
    "The announcement of a Putin visit",
    "Putin’s North Korean overtures",
    "As the Trump Administration dramatically reversed",
]
CHROME_WORDS = ["ISSN", "PATRON", "Photo Credit", "WISEWIDEWEB", "Amfiteatru", "SUBSCRIPTION",
                "Founder Editor", "FIRST EDITION", "RAFPEC", "OEconomica"]  # fmt: skip


@pytest.fixture(scope="module")
def raw() -> str:
    if not SEED.exists():
        pytest.skip(f"seed article not found at {SEED}")
    return SEED.read_text(encoding="utf-8")


@pytest.fixture(scope="module")
def seg(raw: str) -> Segmentation:
    return segment_document(raw, "txt")


def _lines(raw: str) -> list[str]:
    return [line.strip() for line in raw.split("\n") if line.strip()]


def _pullquote_lines(raw: str) -> list[str]:
    lines = [line for line in _lines(raw) if len(line) < 400]
    return [next(line for line in lines if line.startswith(opening)) for opening in PULLQUOTES]


def _body_paragraphs(raw: str) -> list[str]:
    """Lines of 25+ words that are not pull quotes: the article's paragraphs, in file order."""
    quotes = set(_pullquote_lines(raw))
    return [line for line in _lines(raw) if len(line.split()) >= 25 and line not in quotes]


def _texts(seg: Segmentation, kind: str) -> list[str]:
    return [seg.text[b.start : b.end] for b in seg.blocks if b.kind == kind]


def test_one_title_block_from_the_repeated_title(seg: Segmentation) -> None:
    assert _texts(seg, "title") == [TITLE]
    assert seg.title == TITLE
    assert seg.blocks[0].kind == "title"
    assert seg.text.startswith(TITLE + "\n\n")
    assert seg.text.count(TITLE) == 1


def test_section_headings_in_order_without_trailing_nbsp(seg: Segmentation) -> None:
    assert _texts(seg, "heading") == HEADINGS


def test_every_body_paragraph_once_and_in_order(raw: str, seg: Segmentation) -> None:
    paragraphs = _body_paragraphs(raw)
    assert len(paragraphs) == 26
    assert _texts(seg, "paragraph") == paragraphs
    for paragraph in paragraphs:
        assert seg.text.count(paragraph) == 1, paragraph[:60]


def test_pullquotes_point_at_their_body_occurrence(raw: str, seg: Segmentation) -> None:
    quotes = [b for b in seg.blocks if b.kind == "pullquote"]
    expected = _pullquote_lines(raw)
    assert len(quotes) == len(expected) == 8
    ids = {b.id: b for b in seg.blocks}
    for block, line in zip(quotes, expected, strict=True):
        assert block.source is not None
        source = ids[block.source]
        assert source.kind == "paragraph"
        assert source.start <= block.start < block.end <= source.end
        assert seg.text[block.start : block.end] == line
        assert block.end - block.start < source.end - source.start


def test_pullquote_in_earlier_section_and_one_without_full_stop(seg: Segmentation) -> None:
    quotes = {seg.text[b.start : b.end][:30]: b for b in seg.blocks if b.kind == "pullquote"}
    soviet = quotes["The Soviet conception of the s"]
    assert soviet.start > seg.text.index("Russia as an empire or a nation")  # source is later
    anguish = quotes["Russian anguish over its loss "]
    assert seg.text[anguish.end - 1] == "”"  # no full stop in the quote, none taken from the body
    trump = quotes["As the Trump Administration dr"]
    assert trump.start < seg.text.index("\n\nConclusion\n\n")  # source is in an earlier section


def test_pullquotes_stand_where_they_appeared(seg: Segmentation) -> None:
    kinds = [b.kind for b in seg.blocks]
    first = kinds.index("pullquote")
    assert kinds[first - 2 : first + 2] == ["heading", "paragraph", "pullquote", "paragraph"]


def test_no_chrome_in_text(seg: Segmentation) -> None:
    for word in CHROME_WORDS:
        assert word not in seg.text, word
    assert "\u00a0" not in seg.text
    assert not seg.text.endswith(("\n", " "))


def test_chrome_units_are_reported(seg: Segmentation) -> None:
    assert len(seg.chrome) == 15
    assert seg.chrome[:5] == (
        "Founder Editor in Chief: Octavian-Dragomir Jora ISSN (print) 2537 - 2610",
        ",",
        "ISSN (online) 2558 - 8206",
        "Contact Editorial Team PATRON The Idea",
        TITLE,
    )
    assert "Photo Credit: en.kremlin.ru" in seg.chrome
    assert seg.chrome[-1] == "Amfiteatru Economic"


def test_offsets_bounded_ordered_and_joined(seg: Segmentation) -> None:
    body = [b for b in seg.blocks if b.kind != "pullquote"]
    for block in seg.blocks:
        assert 0 <= block.start < block.end <= len(seg.text)
    for before, after in itertools.pairwise(body):
        assert seg.text[before.end : after.start] == "\n\n"
    assert body[0].start == 0
    assert body[-1].end == len(seg.text)
    assert "\n\n".join(seg.text[b.start : b.end] for b in body) == seg.text


def test_ids_unique_well_formed_and_stable(raw: str, seg: Segmentation) -> None:
    ids = [b.id for b in seg.blocks]
    assert len(set(ids)) == len(ids)
    for block in seg.blocks:
        assert re.fullmatch(r"[thpq]-[0-9a-f]{8}(-\d+)?", block.id)
        assert (
            block.id[0]
            == {"title": "t", "heading": "h", "paragraph": "p", "pullquote": "q"}[block.kind]
        )
    assert segment_document(raw, "txt") == seg


def test_ids_survive_an_inserted_paragraph(raw: str, seg: Segmentation) -> None:
    anchor = "Historians have long debated"
    at = raw.index(anchor)
    new = (
        "A new paragraph written by an editor after publication, long enough to be prose here.\n\n"
    )
    edited = segment_document(raw[:at] + new + raw[at:], "txt")
    before = {b.id for b in seg.blocks}
    after = {b.id for b in edited.blocks}
    assert before < after
    assert len(after - before) == 1
    added = next(b for b in edited.blocks if b.id in after - before)
    assert edited.text[added.start : added.end] == new.strip()
