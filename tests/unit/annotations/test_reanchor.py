"""Re-anchoring: anchors follow their words to the next version, or are orphaned, never lost.

The threshold MIN_SCORE is chosen on tests/fixtures/reanchor_cases.json: 11 edited versions of
the seed article (typo fixes, an inserted paragraph, reordered sections, rewritten sentences, a
deleted paragraph, quotation marks, replaced words, whitespace, moved sentences) with 83
annotations whose outcome was written down beforehand (11 should be orphaned). Scoring each
annotation's best candidate and sweeping the threshold (the sweep test prints it with -s):

    threshold   wrong accepts   orphans   of which should have been kept
    0.50-0.57         3             8         0
    0.58-0.59         2             9         0
    0.60-0.62         1            10         0
    0.63-0.66         0            11         0
    0.67              0            12         1
    0.70              0            15         4
    0.75              0            16         5
    0.80              0            19         8
    0.90              0            23        12

The wrong acceptances are short quotes whose paragraph was deleted but whose words occur
elsewhere ("World War 2" 0.576, "Cold War" 0.625) and "utilized" -> "used" (0.594). The lowest
right acceptances are "Its support of ..." -> "Russia's support of ..." (0.662), a 70-character
quote moved to another paragraph (0.676) and a rewritten clause (0.684). MIN_SCORE = 0.65 sits
in the middle of the zero-wrong plateau: the margin is thin (0.625 / 0.662), so the pipeline
should show `changed` anchors for review rather than treat them as certain.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from annotations.anchoring import is_grapheme_boundary, quote_context
from annotations.offset_map import OffsetMap
from annotations.reanchor import MIN_SCORE, NewAnchor, OldAnchor, reanchor
from corpus.blocks import segment_document

ROOT = Path(__file__).resolve().parents[3]
FIXTURES = ROOT / "tests" / "fixtures"
SEED = ROOT / "corpus" / "shipped" / "russian-relations-with-north-korea.txt"


@dataclass(frozen=True)
class Expected:
    """One annotation of a case: its old anchor and what a careful reader expects."""

    case: str
    anchor: OldAnchor
    state: str
    new_span: tuple[int, int] | None  # None when orphaned


@dataclass(frozen=True)
class Case:
    """An edited version of the seed article with its annotations."""

    name: str
    old: str
    new: str
    expected: tuple[Expected, ...]


def canonical(raw: str) -> str:
    return segment_document(raw, "txt").text


def seed_raw() -> str:
    return SEED.read_bytes().decode("utf-8-sig").replace("\r\n", "\n")


def find_once(text: str, needle: str) -> int:
    assert text.count(needle) == 1, f"{needle!r} occurs {text.count(needle)} times"
    return text.index(needle)


def apply_edit(raw: str, edit: dict[str, list[str]]) -> str:
    (op, args), *_ = edit.items()
    if op == "replace":  # every occurrence: the scraped source repeats one paragraph
        assert args[0] in raw, f"{args[0]!r} does not occur"
        return raw.replace(args[0], args[1])
    start, end = find_once(raw, args[0]), find_once(raw, args[1])
    if op == "delete":
        return raw[:start] + raw[end + len(args[1]) :]
    block, rest = raw[start:end], raw[:start] + raw[end:]
    assert op == "move"
    before = find_once(rest, args[2])
    return rest[:before] + block + rest[before:]


def locate(text: str, exact: str, within: str | None) -> tuple[int, int]:
    start = find_once(text, within or exact) + (within or exact).index(exact)
    return start, start + len(exact)


def build_case(index: int, spec: dict[str, Any], raw: str) -> Case:
    edited = raw
    for edit in spec["edits"]:
        edited = apply_edit(edited, edit)
    old, new = canonical(raw), canonical(edited)
    expected = []
    for number, item in enumerate(spec["annotations"]):
        start, end = locate(old, item["exact"], item.get("within"))
        prefix, suffix = quote_context(old, start, end)
        anchor = OldAnchor(f"{index}.{number}", start, end, item["exact"], prefix, suffix)
        span = None
        if item["expect"] != "orphaned":
            span = locate(new, item.get("new_exact", item["exact"]), item.get("new_within"))
        expected.append(Expected(spec["name"], anchor, item["expect"], span))
    return Case(spec["name"], old, new, tuple(expected))


@pytest.fixture(scope="module")
def cases() -> list[Case]:
    specs = json.loads((FIXTURES / "reanchor_cases.json").read_text(encoding="utf-8"))["cases"]
    raw = seed_raw()
    return [build_case(index, spec, raw) for index, spec in enumerate(specs)]


@pytest.fixture(scope="module")
def unscreened(cases: list[Case]) -> list[tuple[Expected, NewAnchor]]:
    """Every annotation's best candidate, accepted whatever its score (min_score=0)."""
    pairs = []
    for case in cases:
        results = reanchor(case.old, case.new, [e.anchor for e in case.expected], min_score=0.0)
        pairs.extend(zip(case.expected, results, strict=True))
    return pairs


def is_right_place(expected: Expected, result: NewAnchor) -> bool:
    return expected.new_span is not None and (result.start, result.end) == expected.new_span


def sweep(pairs: list[tuple[Expected, NewAnchor]], threshold: float) -> tuple[int, int, int]:
    """(wrong acceptances, orphans, orphans that should have been kept) at a threshold."""
    wrong = orphans = lost = 0
    for expected, result in pairs:
        if result.state != "orphaned" and result.score >= threshold:
            wrong += not is_right_place(expected, result)
        else:
            orphans += 1
            lost += expected.state != "orphaned"
    return wrong, orphans, lost


THRESHOLDS = [round(0.50 + 0.01 * step, 2) for step in range(46)]  # 0.50 ... 0.95


def test_each_annotation_lands_where_a_reader_expects(cases: list[Case]) -> None:
    failures = []
    for case in cases:
        results = reanchor(case.old, case.new, [e.anchor for e in case.expected])
        for expected, result in zip(case.expected, results, strict=True):
            span = None if result.start is None else (result.start, result.end)
            if (result.state, span) != (expected.state, expected.new_span):
                failures.append(
                    f"{case.name}: {expected.anchor.exact[:50]!r} expected {expected.state} "
                    f"{expected.new_span}, got {result.state} {span} {result.exact!r} "
                    f"score {result.score}"
                )
    assert failures == []


def test_the_set_covers_every_state_with_enough_annotations(cases: list[Case]) -> None:
    states = [e.state for case in cases for e in case.expected]
    assert len(states) >= 60
    assert {state: states.count(state) >= 8 for state in set(states)} == {
        "exact": True,
        "moved": True,
        "changed": True,
        "orphaned": True,
    }


def test_threshold_sweep_min_score_has_no_wrong_acceptance_and_fewest_orphans(
    unscreened: list[tuple[Expected, NewAnchor]],
) -> None:
    table = {threshold: sweep(unscreened, threshold) for threshold in THRESHOLDS}
    print("\nthreshold  wrong  orphans  of which should have been kept")
    for threshold, (wrong, orphans, lost) in table.items():
        print(f"{threshold:9.2f}  {wrong:5}  {orphans:7}  {lost:5}")
    safe = [orphans for wrong, orphans, _ in table.values() if wrong == 0]
    wrong, orphans, lost = sweep(unscreened, MIN_SCORE)
    assert (wrong, orphans) == (0, min(safe))
    assert lost == 0
    # Below the chosen value something is accepted in the wrong place; the margin is recorded.
    wrong_scores = [r.score for e, r in unscreened if not is_right_place(e, r)]
    right_scores = [r.score for e, r in unscreened if is_right_place(e, r)]
    assert max(wrong_scores) < MIN_SCORE <= min(right_scores)


def test_exact_and_moved_need_no_fuzzy_evidence(cases: list[Case]) -> None:
    for case in cases:
        results = reanchor(case.old, case.new, [e.anchor for e in case.expected], min_score=1.01)
        for expected, result in zip(case.expected, results, strict=True):
            assert result.state in ("exact", "moved", "orphaned")
            if result.state != "orphaned":
                assert (result.exact, result.score) == (expected.anchor.exact, 1.0)


def test_accepted_anchors_carry_their_new_words_and_context(cases: list[Case]) -> None:
    for case in cases:
        for result in reanchor(case.old, case.new, [e.anchor for e in case.expected]):
            if result.state == "orphaned":
                assert (result.start, result.end, result.exact) == (None, None, None)
                assert (result.prefix, result.suffix) == (None, None)
                assert 0.0 <= result.score < MIN_SCORE
                continue
            assert result.start is not None
            assert result.end is not None
            assert case.new[result.start : result.end] == result.exact
            assert (result.prefix, result.suffix) == quote_context(
                case.new, result.start, result.end
            )
            assert 0.0 < result.score <= 1.0


def test_nothing_is_dropped_and_keys_keep_their_order(cases: list[Case]) -> None:
    case = cases[0]
    good = [e.anchor for e in case.expected]
    odd = [
        OldAnchor("empty", 0, 0, "", "", ""),
        OldAnchor("beyond", 10**6, 10**6 + 5, "Putin", "", ""),
        OldAnchor("stale", 0, 5, "Kremlin", "", " had six summit"),  # wrong offsets
        OldAnchor("absent", 3, 9, "zzzzzz", "", ""),
    ]
    anchors = [*odd[:2], *good, *odd[2:], good[0]]  # a repeated key too
    results = reanchor(case.old, case.new, anchors)
    assert [r.key for r in results] == [a.key for a in anchors]
    by_key = {r.key: r for r in results}
    assert by_key["empty"].state == "orphaned"
    assert by_key["absent"].state == "orphaned"
    assert by_key["stale"].exact == "Kremlin"
    assert by_key["stale"].state == "moved"


def test_results_are_deterministic_and_independent_of_order(cases: list[Case]) -> None:
    case = cases[3]
    anchors = [e.anchor for e in case.expected]
    first = reanchor(case.old, case.new, anchors, min_score=0.0)
    again = reanchor(case.old, case.new, list(reversed(anchors)), min_score=0.0)
    assert first == reanchor(case.old, case.new, anchors, min_score=0.0)
    assert first == list(reversed(again))


def test_identical_texts_leave_every_anchor_exact(cases: list[Case]) -> None:
    case = cases[0]
    results = reanchor(case.old, case.old, [e.anchor for e in case.expected])
    assert {(r.state, r.score) for r in results} == {("exact", 1.0)}


def test_offset_map_shifts_offsets_and_tells_unchanged_spans() -> None:
    old = "One sentence here. Two sentence there.\n\nThird block of text stays the same."
    new = (
        "One sentence here. A new one. Two sentences there.\n\nThird block of text stays the same."
    )
    mapping = OffsetMap(old, new)
    third = old.index("Third block")
    shift = new.index("Third block") - third
    assert mapping.equal_span(third, third + 11) == (third + shift, third + 11 + shift)
    assert mapping.map_offset(third) == third + shift
    assert mapping.equal_span(0, 3) == (0, 3)
    two = old.index("sentence there")
    assert mapping.equal_span(two, two + 14) is None  # "sentence" became "sentences"
    assert 0 <= mapping.map_offset(len(old)) <= len(new)


def unicode_texts() -> tuple[str, str]:
    raw = (FIXTURES / "unicode_article.txt").read_text(encoding="utf-8")
    edited = raw.replace("Paris and Beyond 🇫🇷", "Paris, Haifa and Beyond 🇫🇷🎉").replace(
        "lab manager, Zoë, rates", "lab manager, Zoë 👩‍🔬, rates"
    )
    return canonical(raw), canonical(edited)


def test_offsets_are_code_points_and_never_split_a_character() -> None:
    old, new = unicode_texts()
    quotes = ["whole team 👨‍👩‍👧‍👦 gathers", "Zoë, rates above", "🏳️‍🌈 flag", "🇮🇱 🇪🇬"]
    anchors = []
    for key, exact in enumerate(quotes):
        start, end = locate(old, exact, None)
        prefix, suffix = quote_context(old, start, end)
        anchors.append(OldAnchor(str(key), start, end, exact, prefix, suffix))
    results = reanchor(old, new, anchors)
    assert [r.state for r in results] == ["moved", "changed", "moved", "moved"]
    for result in results:
        assert result.start is not None
        assert result.end is not None
        assert new[result.start : result.end] == result.exact
        assert is_grapheme_boundary(new, result.start)
        assert is_grapheme_boundary(new, result.end)
    # ", Haifa", "🎉" and " 👩‍🔬" add 12 code points before the team (15 UTF-16 code units).
    assert results[0].start == anchors[0].start + 12
    assert results[1].exact == "Zoë 👩‍🔬, rates above"
