"""Segmentation of the fixture articles: a second scraped txt, Markdown, HTML and Unicode text."""

from __future__ import annotations

import itertools
from pathlib import Path

import pytest

from corpus.blocks import Segmentation, segment_document

FIXTURES = Path(__file__).parents[2] / "fixtures"


def _load(name: str, fmt: str) -> tuple[str, Segmentation]:
    raw = (FIXTURES / name).read_text(encoding="utf-8")
    return raw, segment_document(raw, fmt)


def _texts(seg: Segmentation, kind: str) -> list[str]:
    return [seg.text[b.start : b.end] for b in seg.blocks if b.kind == kind]


def _check_layout(seg: Segmentation) -> None:
    """Body blocks tile the text in order; pull quotes sit inside their source block."""
    body = [b for b in seg.blocks if b.kind != "pullquote"]
    assert "\n\n".join(seg.text[b.start : b.end] for b in body) == seg.text
    assert all(a.end + 2 == b.start for a, b in itertools.pairwise(body))
    by_id = {b.id: b for b in seg.blocks}
    assert len(by_id) == len(seg.blocks)
    for quote in (b for b in seg.blocks if b.kind == "pullquote"):
        assert quote.source is not None
        source = by_id[quote.source]
        assert source.start <= quote.start < quote.end <= source.end


@pytest.fixture(scope="module")
def second() -> tuple[str, Segmentation]:
    return _load("scraped_second.txt", "txt")


def test_second_scrape_title_headings_and_chrome(second: tuple[str, Segmentation]) -> None:
    _, seg = second
    title = "Rivers Without Borders: Sharing Water Upstream and Down"
    assert _texts(seg, "title") == [title]
    assert seg.text.count("Rivers Without") == 1
    assert _texts(seg, "heading") == [
        "A ledger written in concrete",
        "Who owns a drought?",
        "Building institutions that outlast governments",
    ]
    for word in ["ISSN", "Subscribe", "Confluence", "Wikimedia", "Share on", "HOME", "PROGRAMMES",
                 "Delta Trust", "Riverine", "©", "|"]:  # fmt: skip
        assert word not in seg.text, word
    assert len(seg.chrome) == 15
    assert seg.chrome[0] == "The Confluence Review — Journal of Water Policy"
    _check_layout(seg)


def test_second_scrape_paragraphs_and_pullquotes(second: tuple[str, Segmentation]) -> None:
    raw, seg = second
    paragraphs = _texts(seg, "paragraph")
    assert len(paragraphs) == 11
    for line in (line.strip() for line in raw.split("\n")):
        if len(line.split()) >= 25:
            assert seg.text.count(line) == 1
    quotes = [b for b in seg.blocks if b.kind == "pullquote"]
    assert [seg.text[q.start : q.end] for q in quotes] == [
        "Treaties that share a fixed volume of water look generous in wet years and cruel in dry"
        " ones.",
        "Shared rivers are rarely the cause of war, but they are often the occasion for one",
    ]
    drought = seg.text.index("Who owns a drought?")
    assert quotes[0].start > drought  # repeats a paragraph of the next section
    assert seg.blocks.index(quotes[0]) < seg.blocks.index(
        next(b for b in seg.blocks if b.kind == "heading" and b.start == drought)
    )


@pytest.fixture(scope="module")
def markdown() -> tuple[str, Segmentation]:
    return _load("clean_article.md", "md")


def test_markdown_structure(markdown: tuple[str, Segmentation]) -> None:
    _, seg = markdown
    assert seg.title == "Reading a Watershed Map"
    assert _texts(seg, "title") == ["Reading a Watershed Map"]
    assert _texts(seg, "heading") == [
        "Boundaries and outlets",
        "What to look for",
        "Further reading",
    ]
    paragraphs = _texts(seg, "paragraph")
    assert len(paragraphs) == 9
    assert "the resolution of the elevation model behind it;" in paragraphs
    assert "A map of a river basin is an argument about where the water belongs." in paragraphs
    assert seg.chrome == ()
    _check_layout(seg)


def test_markdown_plain_inline_text(markdown: tuple[str, Segmentation]) -> None:
    _, seg = markdown
    for mark in ["*", "_", "`", "http", "](", "#", ">"]:
        assert mark not in seg.text, mark
    assert "a story about gravity. Water runs downhill" in seg.text
    assert "using the HydroSHEDS data set" in seg.text  # link text kept, soft break -> space
    assert "Tools such as pysheds trace" in seg.text


@pytest.fixture(scope="module")
def html() -> tuple[str, Segmentation]:
    return _load("article.html", "html")


def test_html_structure_and_entities(html: tuple[str, Segmentation]) -> None:
    _, seg = html
    assert _texts(seg, "title") == ["The Salt Wedge"]
    assert _texts(seg, "heading") == ["Why the wedge moves", "Living with salt"]
    paragraphs = _texts(seg, "paragraph")
    assert len(paragraphs) == 6
    assert paragraphs[0].endswith(
        "— the salt wedge — while the river’s own water slides seaward above it."
    )
    assert "inland & reach the intakes" in seg.text
    assert paragraphs[-2:] == [
        "Monitor conductivity at every intake.",
        "Publish the data the same day.",
    ]
    _check_layout(seg)


def test_html_drops_scripts_styles_comments_and_chrome(html: tuple[str, Segmentation]) -> None:
    _, seg = html
    for word in ["analytics", "font-family", "tracking", "site chrome", "Estuary Notes", "Archive",
                 "Salinity profile", "Privacy", "©", "&", "<", "  ", "\n\n\n"]:  # fmt: skip
        if word == "&":
            assert "&amp;" not in seg.text
            assert "&mdash;" not in seg.text
            continue
        assert word not in seg.text, word
    assert "Salinity profile, July. Photo: A. Marsh" in seg.chrome
    assert "Archive" in seg.chrome


def test_html_aside_is_a_pullquote(html: tuple[str, Segmentation]) -> None:
    _, seg = html
    (quote,) = (b for b in seg.blocks if b.kind == "pullquote")
    words = "In a dry summer, when the river runs low, it can push tens of kilometres inland"
    assert seg.text[quote.start : quote.end] == words
    source = next(b for b in seg.blocks if b.id == quote.source)
    assert seg.text[source.start : source.end].startswith("The wedge advances")
    assert seg.text.count("In a dry summer") == 1


@pytest.fixture(scope="module")
def unicode_doc() -> tuple[str, Segmentation]:
    return _load("unicode_article.txt", "txt")


def test_unicode_article_kept_code_point_exact(unicode_doc: tuple[str, Segmentation]) -> None:
    raw, seg = unicode_doc
    assert _texts(seg, "title") == ["Field Notes from the Lab 👩\u200d🔬"]
    assert _texts(seg, "heading") == ["Paris and Beyond 🇫🇷"]
    paragraphs = _texts(seg, "paragraph")
    assert len(paragraphs) == 3
    assert seg.chrome == ()
    assert seg.text == "\n\n".join(line for line in raw.split("\n") if line.strip())
    assert "e\u0301clairs" in seg.text  # combining mark not normalised away
    assert "שָׁלוֹם" in paragraphs[1]
    assert "مرحبا" in paragraphs[1]
    assert "🏳️\u200d🌈" in paragraphs[2]
    _check_layout(seg)


@pytest.mark.parametrize(
    ("name", "fmt"),
    [
        ("scraped_second.txt", "txt"),
        ("clean_article.md", "md"),
        ("article.html", "html"),
        ("unicode_article.txt", "txt"),
    ],
)
def test_fixtures_are_deterministic(name: str, fmt: str) -> None:
    raw, seg = _load(name, fmt)
    again = segment_document(raw, fmt)
    assert again == seg
    assert [b.id for b in again.blocks] == [b.id for b in seg.blocks]
