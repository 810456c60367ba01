"""Anchoring: selectors are validated and the quote, not the position, decides where a note sits."""

from __future__ import annotations

from pathlib import Path

import pytest

from annotations.anchoring import (
    Anchor,
    AnchoringError,
    PositionSelector,
    QuoteSelector,
    anchor_quote,
    is_grapheme_boundary,
    parse_selectors,
    quote_context,
)
from annotations.errors import ValidationError
from corpus.blocks import segment_document

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures"
TEXT = (
    "The cat sat on the mat.\n\n"
    "Later the cat sat on the sofa, and the dog sat on the mat.\n\n"
    "In the end the cat sat on the mat again."
)


@pytest.fixture(scope="module")
def article() -> str:
    raw = (FIXTURES / "unicode_article.txt").read_text(encoding="utf-8")
    return segment_document(raw, "txt").text


def quote(exact: str, prefix: str = "", suffix: str = "") -> dict[str, object]:
    return {"type": "TextQuoteSelector", "exact": exact, "prefix": prefix, "suffix": suffix}


def position(start: object, end: object) -> dict[str, object]:
    return {"type": "TextPositionSelector", "start": start, "end": end}


def anchor(text: str, selector: object) -> Anchor:
    parsed_quote, parsed_position = parse_selectors(selector)
    return anchor_quote(text, parsed_quote, parsed_position)


def occurrences(text: str, phrase: str) -> list[int]:
    found, starts = text.find(phrase), []
    while found != -1:
        starts.append(found)
        found = text.find(phrase, found + 1)
    return starts


# --- parsing -----------------------------------------------------------------------------


def test_parse_accepts_one_object_or_a_list_and_ignores_unknown_types() -> None:
    assert parse_selectors(quote("cat")) == (QuoteSelector("cat"), None)
    parsed = parse_selectors(
        [{"type": "RangeSelector", "startSelector": {}}, quote("cat", "The "), position(4, 7)]
    )
    assert parsed == (QuoteSelector("cat", "The ", ""), PositionSelector(4, 7))


def test_missing_prefix_and_suffix_or_null_mean_no_context() -> None:
    parsed, _ = parse_selectors({"type": "TextQuoteSelector", "exact": "cat", "prefix": None})
    assert (parsed.prefix, parsed.suffix) == ("", "")


def test_anchoring_error_is_a_validation_error_on_target() -> None:
    with pytest.raises(ValidationError) as caught:
        parse_selectors([])
    assert caught.value.field == "target"
    assert isinstance(caught.value, AnchoringError)


@pytest.mark.parametrize(
    ("selector", "message"),
    [
        ("TextQuoteSelector", "selector must be an object or a list of objects"),
        (None, "selector must be an object or a list of objects"),
        ([], "a TextQuoteSelector is required"),
        ([{"type": "RangeSelector"}], "a TextQuoteSelector is required"),
        ([position(0, 3)], "a TextQuoteSelector is required"),
        (["cat"], "selector[0] must be an object"),
        ([quote("cat"), {"exact": "cat"}], "selector[1].type must be a string"),
        ({"type": 7, "exact": "cat"}, "selector.type must be a string"),
        ([quote("cat"), quote("sat")], "only one TextQuoteSelector is allowed, got 2"),
        (
            [quote("cat"), position(4, 7), position(4, 7)],
            "at most one TextPositionSelector is allowed, got 2",
        ),
        ({"type": "TextQuoteSelector"}, "TextQuoteSelector.exact must be a string"),
        (quote(""), "TextQuoteSelector.exact must not be empty"),
        ({"type": "TextQuoteSelector", "exact": 5}, "TextQuoteSelector.exact must be a string"),
        ({**quote("cat"), "prefix": 1}, "TextQuoteSelector.prefix must be a string"),
        ({**quote("cat"), "suffix": ["x"]}, "TextQuoteSelector.suffix must be a string"),
        (quote("c\x00at"), "TextQuoteSelector.exact must not contain NUL characters"),
        (quote("cat", prefix="\x00"), "TextQuoteSelector.prefix must not contain NUL characters"),
        (quote("cat", suffix="a\x00"), "TextQuoteSelector.suffix must not contain NUL characters"),
        (
            quote("cat\ud800"),
            "TextQuoteSelector.exact is not valid Unicode (it contains a lone surrogate)",
        ),
        (
            quote("cat", prefix="\udfff"),
            "TextQuoteSelector.prefix is not valid Unicode (it contains a lone surrogate)",
        ),
        (
            quote("cat", suffix="x" * 1001),
            "TextQuoteSelector.suffix is longer than the limit of 1000 characters",
        ),
        ([quote("cat"), position("4", 7)], "TextPositionSelector.start must be an integer"),
        ([quote("cat"), position(4, "7")], "TextPositionSelector.end must be an integer"),
        ([quote("cat"), position(4.0, 7)], "TextPositionSelector.start must be an integer"),
        ([quote("cat"), position(4, 7.5)], "TextPositionSelector.end must be an integer"),
        ([quote("cat"), position(True, 7)], "TextPositionSelector.start must be an integer"),
        ([quote("cat"), position(0, False)], "TextPositionSelector.end must be an integer"),
        ([quote("cat"), position(None, 7)], "TextPositionSelector.start must be an integer"),
        ([quote("cat"), {"type": "TextPositionSelector", "start": 4}], "end must be an integer"),
        ([quote("cat"), position(-1, 7)], "TextPositionSelector.start must not be negative"),
        ([quote("cat"), position(-9, -3)], "TextPositionSelector.start must not be negative"),
        (
            [quote("cat"), position(7, 4)],
            "TextPositionSelector.start (7) must be less than end (4)",
        ),
        ([quote("cat"), position(4, 4)], "TextPositionSelector selects nothing: start equals end"),
    ],
)
def test_malformed_selectors_are_refused_with_a_precise_message(
    selector: object, message: str
) -> None:
    with pytest.raises(AnchoringError) as caught:
        parse_selectors(selector)
    assert message in caught.value.message


def test_position_beyond_the_text_is_refused() -> None:
    with pytest.raises(AnchoringError) as caught:
        anchor("a cat", [quote("cat"), position(2, 6)])
    assert caught.value.message == (
        "TextPositionSelector.end (6) is beyond the end of the text (5 characters)"
    )


def test_quote_longer_than_the_limit_is_refused_and_the_limit_named() -> None:
    text = "x" * 5000 + ". " + "y" * 1000
    assert anchor_quote(text, QuoteSelector("x" * 5000), None, 5000).start == 0
    with pytest.raises(AnchoringError) as caught:
        anchor_quote(text, QuoteSelector("x" * 5001), None, 5000)
    assert caught.value.message == "the quote is 5001 characters long; the limit is 5000"
    with pytest.raises(AnchoringError, match="the limit is 10"):
        anchor_quote(text, QuoteSelector("x" * 11), None, max_quote=10)


# --- locating ----------------------------------------------------------------------------


def test_correct_position_is_accepted_as_sent() -> None:
    start = TEXT.index("dog")
    result = anchor(TEXT, [quote("dog", "and the ", " sat"), position(start, start + 3)])
    assert result == Anchor(start, start + 3, "dog", *quote_context(TEXT, start, start + 3), False)
    assert TEXT[result.start : result.end] == "dog"


def test_wrong_position_is_corrected_by_the_quote() -> None:
    start = TEXT.index("dog")
    result = anchor(TEXT, [quote("dog"), position(0, 3)])
    assert (result.start, result.end, result.corrected) == (start, start + 3, True)


def test_position_of_the_right_length_on_other_words_is_corrected() -> None:
    start = TEXT.index("sofa")
    result = anchor(TEXT, [quote("sofa"), position(start + 1, start + 5)])
    assert (result.start, result.corrected) == (start, True)


def test_missing_position_is_located_and_marked_corrected() -> None:
    result = anchor(TEXT, quote("sofa"))
    assert TEXT[result.start : result.end] == "sofa"
    assert result.corrected is True


def test_duplicates_are_disambiguated_by_context() -> None:
    starts = occurrences(TEXT, "the cat sat on the")
    assert len(starts) == 2
    second = anchor(TEXT, quote("the cat sat on the", "In the end ", " mat again"))
    first = anchor(TEXT, quote("the cat sat on the", "Later ", " sofa"))
    assert (first.start, second.start) == (starts[0], starts[1])


def test_duplicates_without_context_are_ambiguous() -> None:
    with pytest.raises(AnchoringError) as caught:
        anchor(TEXT, quote("cat sat on the"))
    assert caught.value.message == (
        "ambiguous: the quote occurs 3 times with this context; "
        "send a longer prefix/suffix or a position"
    )


def test_short_context_still_ambiguous_counts_matching_occurrences_only() -> None:
    with pytest.raises(AnchoringError, match="occurs 2 times"):
        anchor(TEXT, quote("cat sat on the", suffix=" mat"))


def test_position_hint_picks_one_of_several_occurrences() -> None:
    starts = occurrences(TEXT, "sat on the mat")
    assert len(starts) == 3
    for start in starts:
        result = anchor(TEXT, [quote("sat on the mat"), position(start, start + 14)])
        assert (result.start, result.corrected) == (start, False)


def test_hint_with_the_wrong_length_does_not_disambiguate() -> None:
    start = TEXT.index("sat on the mat")
    with pytest.raises(AnchoringError, match="ambiguous"):
        anchor(TEXT, [quote("sat on the mat"), position(start, start + 13)])


def test_context_mismatch_is_reported_as_such() -> None:
    with pytest.raises(AnchoringError) as caught:
        anchor(TEXT, quote("dog", prefix="and the big "))
    assert caught.value.message == (
        "the quoted text was found, but its prefix/suffix do not match the text around it"
    )
    with pytest.raises(AnchoringError, match="prefix/suffix do not match"):
        anchor(TEXT, quote("dog", suffix=" ran"))


def test_position_with_the_right_words_but_wrong_context_is_not_accepted() -> None:
    start = TEXT.index("dog")
    with pytest.raises(AnchoringError, match="prefix/suffix do not match"):
        anchor(TEXT, [quote("dog", suffix=" ran"), position(start, start + 3)])


def test_quote_missing_from_this_version() -> None:
    with pytest.raises(AnchoringError) as caught:
        anchor(TEXT, [quote("the hamster"), position(0, 11)])
    assert caught.value.message == "the quoted text does not occur in this version of the document"


def test_server_recomputes_context_32_code_points_each_side() -> None:
    result = anchor(TEXT, quote("sofa", prefix="on the "))
    assert result.prefix == TEXT[result.start - 32 : result.start]
    assert result.suffix == TEXT[result.end : result.end + 32]
    at_start = anchor(TEXT, quote("The cat"))
    assert (at_start.prefix, at_start.suffix) == ("", TEXT[7:39])
    assert quote_context("abcdef", 2, 4, width=5) == ("ab", "ef")


def test_quote_spanning_two_blocks() -> None:
    exact = "on the mat.\n\nLater the cat"
    start = TEXT.index(exact)
    result = anchor(TEXT, [quote(exact), position(start, start + len(exact))])
    assert (result.start, result.corrected) == (start, False)
    assert TEXT[result.start : result.end] == exact


# --- Unicode -----------------------------------------------------------------------------


def test_offsets_are_code_points_past_astral_characters(article: str) -> None:
    exact = "gathers around the bench"
    start = article.index(exact)
    # UTF-16 would count every astral emoji twice: the server does not
    assert start != article.encode("utf-16-le").index(exact.encode("utf-16-le")) // 2
    result = anchor(article, [quote(exact), position(start, start + len(exact))])
    assert (result.start, result.corrected) == (start, False)
    assert article[result.start : result.end] == exact


def test_utf16_offsets_are_corrected_by_the_quote(article: str) -> None:
    exact = "the whole team"
    start = article.index(exact)
    utf16 = article.encode("utf-16-le").index(exact.encode("utf-16-le")) // 2
    result = anchor(article, [quote(exact), position(utf16, utf16 + len(exact))])
    assert (result.start, result.corrected) == (start, True)


@pytest.mark.parametrize("emoji", ["👨‍👩‍👧‍👦", "🇨🇦", "🏳️‍🌈", "🫙"])
def test_whole_emoji_sequences_can_be_quoted(article: str, emoji: str) -> None:
    result = anchor(article, quote(emoji))
    assert article[result.start : result.end] == emoji
    assert result.end - result.start == len(emoji)


def test_start_inside_a_zwj_sequence_is_refused(article: str) -> None:
    family = article.index("👨‍👩‍👧‍👦")
    exact = "👧‍👦 gathers"
    assert article[family + 4 : family + 4 + len(exact)] == exact
    with pytest.raises(AnchoringError) as caught:
        anchor(article, [quote(exact), position(family + 4, family + 4 + len(exact))])
    assert caught.value.message == (
        "the selection starts inside a combined character "
        "(e.g. an emoji sequence or a letter with an accent)"
    )


def test_end_inside_a_zwj_sequence_is_refused(article: str) -> None:
    with pytest.raises(AnchoringError, match="ends inside a combined character"):
        anchor(article, quote("whole team 👨\u200d"))


def test_start_inside_a_flag_pair_is_refused(article: str) -> None:
    flag = article.index("🇫🇷")
    with pytest.raises(AnchoringError, match="starts inside a combined character"):
        anchor(article, [quote("🇷"), position(flag + 1, flag + 2)])


def test_flag_pairs_are_counted_in_pairs_along_a_run() -> None:
    text = "Flags: 🇮🇱🇪🇬🇨🇦 end"
    assert anchor(text, quote("🇪🇬")).start == 9
    with pytest.raises(AnchoringError, match="combined character"):
        anchor(text, quote("🇱🇪"))


def test_end_between_a_base_letter_and_its_combining_mark_is_refused(article: str) -> None:
    decomposed = "e\u0301clairs"
    assert decomposed in article
    with pytest.raises(AnchoringError, match="ends inside a combined character"):
        anchor(article, quote("serves e"))
    with pytest.raises(AnchoringError, match="starts inside a combined character"):
        anchor(article, quote("\u0301clairs"))
    result = anchor(article, quote(decomposed))
    assert article[result.start : result.end] == decomposed


def test_rtl_text_is_anchored_in_logical_order(article: str) -> None:
    for exact in ("שָׁלוֹם", "مرحبا underneath"):
        start = article.index(exact)
        result = anchor(article, [quote(exact), position(start, start + len(exact))])
        assert (result.start, result.corrected) == (start, False)
        assert article[result.start : result.end] == exact


def test_splitting_hebrew_points_from_their_letter_is_refused(article: str) -> None:
    with pytest.raises(AnchoringError, match="combined character"):
        anchor(article, quote("ש", suffix="\u05b8"))


def test_grapheme_boundaries_at_newlines_and_crlf() -> None:
    text = "ab\r\ncd\n\u0301x"
    assert is_grapheme_boundary(text, 0)
    assert is_grapheme_boundary(text, 2)
    assert not is_grapheme_boundary(text, 3)
    assert is_grapheme_boundary(text, 4)
    assert is_grapheme_boundary(text, 7)  # a combining mark after a newline starts a cluster
    assert is_grapheme_boundary(text, 8)
    assert is_grapheme_boundary(text, len(text))


# --- size --------------------------------------------------------------------------------


def test_one_megabyte_text_anchors_with_duplicates_everywhere() -> None:
    paragraph = "The committee met again on Tuesday and agreed on nothing at all. 🇫🇷 e\u0301 "
    text = "\n\n".join(paragraph * 20 for _ in range(750))
    assert len(text) > 1_000_000
    target = "a unique sentence appears once"
    middle = len(text) // 2
    text = text[:middle] + target + text[middle:]
    result = anchor(text, quote(target))
    assert text[result.start : result.end] == target
    last = text.rindex("agreed on nothing")
    hinted = anchor(text, [quote("agreed on nothing"), position(last, last + 17)])
    assert (hinted.start, hinted.corrected) == (last, False)
    with pytest.raises(AnchoringError, match="occurs at least 1000 times"):
        anchor(text, quote("agreed on nothing"))


def test_one_megabyte_single_line_checks_boundaries_over_the_line() -> None:
    text = "word " * 210_000 + "needle" + " word" * 10
    result = anchor(text, quote("needle"))
    assert result.start == 1_050_000
