"""The general rules behind segmentation: titles, wrapping, chrome, pull quotes, ids, errors."""

from __future__ import annotations

import hashlib

import pytest

from corpus.blocks import SegmentationError, segment_document
from corpus.chrome import is_chrome_line
from corpus.errors import CorpusError
from corpus.markdown import render_markdown
from corpus.pullquotes import locate

LONG = (
    "The committee met on a grey morning and spent three hours on the budget, the staffing plan "
    "and the question of whether the old archive should be scanned before the move."
)


def _texts(text: str, fmt: str = "txt", kind: str = "paragraph") -> list[str]:
    seg = segment_document(text, fmt)
    return [seg.text[b.start : b.end] for b in seg.blocks if b.kind == kind]


def test_hard_wrapped_prose_becomes_one_paragraph() -> None:
    wrapped = (
        "Minutes of the Meeting\n\n"
        "The committee met on a grey morning and spent three hours\n"
        "on the budget, the staffing plan and the question of whether\n"
        "the old archive should be scanned before the move.\n\n"
        "It adjourned at noon, having decided nothing at all about the scanning.\n"
    )
    assert _texts(wrapped) == [
        LONG,
        "It adjourned at noon, having decided nothing at all about the scanning.",
    ]


def test_short_lines_in_one_run_stay_separate_units() -> None:
    text = f"Notes\n\n{LONG}\nHOME\nABOUT US\nDONATE\n"
    seg = segment_document(text, "txt")
    assert seg.text == f"Notes\n\n{LONG}"
    assert seg.chrome == ("HOME", "ABOUT US", "DONATE")


def test_title_repeated_with_case_and_space_differences() -> None:
    seg = segment_document(f"Weekly Digest\nThe  River Report\n\nTHE RIVER REPORT\n\n{LONG}", "txt")
    assert seg.title == "The  River Report"
    assert seg.chrome == ("Weekly Digest", "THE RIVER REPORT")
    assert seg.text == f"The  River Report\n\n{LONG}"


def test_title_argument_only_used_as_block_when_document_has_none() -> None:
    own = segment_document(f"A Title\n\n{LONG}", "txt", title="Given")
    assert own.title == "Given"
    assert own.text.startswith("A Title\n\n")
    none = segment_document(LONG, "txt", title="  Given  ")
    assert none.title == "Given"
    assert none.text == f"Given\n\n{LONG}"
    assert [b.kind for b in none.blocks] == ["title", "paragraph"]


def test_title_falls_back_to_first_words() -> None:
    seg = segment_document(LONG, "txt")
    assert seg.title == "The committee met on a grey morning and spent three…"
    assert [b.kind for b in seg.blocks] == ["paragraph"]


def test_html_page_title_used_only_without_h1() -> None:
    page = "<html><head><title>Tides | Site</title></head><body><p>{}</p></body></html>"
    seg = segment_document(page.format(LONG), "html")
    assert seg.title == "Tides"
    assert seg.text == f"Tides\n\n{LONG}"
    with_h1 = segment_document(page.replace("<p>", "<h1>Real</h1><p>").format(LONG), "html")
    assert with_h1.text == f"Real\n\n{LONG}"


def test_heading_needs_a_following_paragraph_and_no_closing_stop() -> None:
    text = f"Title\n\n{LONG}\n\nWhat next?\n\n{LONG[4:]}\n\nNot a heading.\n\n{LONG[:-1]}!"
    seg = segment_document(text, "txt")
    kinds = [(b.kind, seg.text[b.start : b.end][:14]) for b in seg.blocks]
    assert ("heading", "What next?") in kinds
    assert ("paragraph", "Not a heading.") in kinds


@pytest.mark.parametrize(
    "line",
    [
        "ISSN 1234-5678",
        "Subscribe | Donate",
        "|",
        ", \u00a0",
        "Photo Credit: someone.example",
        "Image: Reuters",
        "Source: Getty Images",
        "John Doe/Getty Images",
        "Copyright 2024 The Publisher",
        "All rights reserved.",
        "We use cookies to improve your experience. Accept all cookies?",
        "Share this article",
        "Founding Editor: Jane Roe",
    ],
)
def test_chrome_lines(line: str) -> None:
    assert is_chrome_line(line)


@pytest.mark.parametrize(
    "line",
    [
        "Who owns a drought?",
        "Conclusion",
        "Sharing the Nile basin",
        LONG,
        "Contacts between the two states",
    ],
)
def test_not_chrome_lines(line: str) -> None:
    assert not is_chrome_line(line)


def test_footer_kept_when_nothing_reads_as_prose() -> None:
    seg = segment_document("Haiku\n\nold pond\nfrog leaps in\nsound of water", "txt")
    assert seg.text == "Haiku\n\nold pond\n\nfrog leaps in\n\nsound of water"


@pytest.mark.parametrize(
    ("quote", "body", "expected"),
    [
        ("the old  archive\nshould be scanned.", LONG, "the old archive should be scanned"),
        (
            "Whether the old archive should be scanned",
            LONG,
            "whether the old archive should be scanned",
        ),
        ('he said "no" twice.', "Then he said “no” twice. Nobody laughed.", "he said “no” twice."),
        ("“spent three hours”", LONG, "spent three hours"),
        ("a passage that is not there", LONG, None),
    ],
)
def test_locate_tolerates_space_case_quotes_and_final_stop(
    quote: str, body: str, expected: str | None
) -> None:
    span = locate(quote, body)
    assert (None if span is None else body[span[0] : span[1]]) == expected


def test_markdown_blockquote_repeating_body_is_a_pullquote() -> None:
    source = f"# T\n\n> *Spent three hours on the budget*, the staffing plan.\n\n{LONG}\n"
    seg = segment_document(source, "md")
    quote = next(b for b in seg.blocks if b.kind == "pullquote")
    assert seg.text[quote.start : quote.end] == "spent three hours on the budget, the staffing plan"
    assert seg.text == f"T\n\n{LONG}"


def test_short_heading_like_line_in_body_is_not_a_pullquote() -> None:
    text = f"Title\n\nthe old archive\n\n{LONG}"
    assert _texts(text, kind="heading") == ["the old archive"]


def test_ids_hash_the_text_and_number_repeats() -> None:
    seg = segment_document(
        f"Title\n\n{LONG}\n\nMiddle words here and nothing more.\n\n{LONG}", "txt"
    )
    digest = hashlib.sha256(LONG.encode("utf-8")).hexdigest()[:8]
    ids = [b.id for b in seg.blocks if b.kind == "paragraph"]
    assert ids[0] == f"p-{digest}"
    assert ids[2] == f"p-{digest}-2"
    assert seg.blocks[0].id == "t-" + hashlib.sha256(b"Title").hexdigest()[:8]


@pytest.mark.parametrize(
    ("text", "fmt"), [("", "txt"), (" \u00a0\n,\n|\n", "txt"), ("<script>x</script>", "html")]
)
def test_no_readable_text_is_an_error(text: str, fmt: str) -> None:
    with pytest.raises(SegmentationError, match="no readable text"):
        segment_document(text, fmt, title="Ignored")


def test_unknown_format_is_an_error() -> None:
    with pytest.raises(SegmentationError, match="unknown format") as caught:
        segment_document(LONG, "pdf")
    assert isinstance(caught.value, CorpusError)
    assert isinstance(caught.value, ValueError)


def test_render_markdown_escapes_html_and_does_not_linkify() -> None:
    html = render_markdown("Hi <script>alert(1)</script> *there* https://example.org")
    assert "<script>" not in html
    assert "&lt;script&gt;" in html
    assert "<em>there</em>" in html
    assert "<a " not in html
