"""Suggested claims: sentence splitting, transparent features, ranking, and the seed evaluation."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from annotations.checkworthy import Suggestion, score_sentence, suggest_claims
from annotations.checkworthy_eval import base_rate, load_labels, precision_at, recall_at
from annotations.named_entities import find_entities
from annotations.sentences import split_sentences
from corpus.blocks import Segmentation, segment_document
from corpus.shipped import shipped_documents

FIXTURES = Path(__file__).parents[2] / "fixtures"
LABELS = FIXTURES / "checkworthy_seed.json"
# Regression floors, a little below the measured 1.00 and 0.95 (base rate 0.41).
PRECISION_AT_10_FLOOR = 0.9
PRECISION_AT_20_FLOOR = 0.85
NEUTRAL = "The committee looked at the plans and then went home."


def _split(text: str) -> list[str]:
    return [text[s:e] for s, e in split_sentences(text, 0, len(text))]


def _suggest(seg: Segmentation) -> list[Suggestion]:
    return suggest_claims(seg.text, [(b.id, b.kind, b.start, b.end) for b in seg.blocks])


def _features(sentence: str) -> dict[str, str]:
    return {reason.feature: reason.evidence for reason in score_sentence(sentence)[1]}


@pytest.fixture(scope="module")
def seed() -> Segmentation:
    document = next(d for d in shipped_documents() if d.document_id.startswith("russian-rel"))
    return segment_document(document.data.decode("utf-8-sig").replace("\r\n", "\n"), "txt")


@pytest.fixture(scope="module")
def labels() -> dict[str, bool]:
    return load_labels(LABELS)


# --- Splitting ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (
            "Dr. Smith met Mr. Jones and the U.S. Army in St. Louis. He left.",
            ["Dr. Smith met Mr. Jones and the U.S. Army in St. Louis.", "He left."],
        ),
        (
            "I moved to the U.S. The end came soon.",
            ["I moved to the U.S.", "The end came soon."],
        ),
        (
            "William J. Donovan led the OSS. It grew.",
            ["William J. Donovan led the OSS.", "It grew."],
        ),
        ("Growth was 3.5 percent. It fell to 2.1.", ["Growth was 3.5 percent.", "It fell to 2.1."]),
        (
            "See e.g. the list, i.e. this one. No. 5 came on Jan. 12 as planned.",
            ["See e.g. the list, i.e. this one.", "No. 5 came on Jan. 12 as planned."],
        ),
        (
            'He said "yes." Then he left! Did he? Yes.',
            ['He said "yes."', "Then he left!", "Did he?", "Yes."],
        ),
        (
            "She wrote “the war is over.” The war ended.",
            ["She wrote “the war is over.”", "The war ended."],
        ),
        ("“Why?” he asked. Nobody knew.", ["“Why?” he asked.", "Nobody knew."]),
        ("It ended… Then it began again.", ["It ended…", "Then it began again."]),
        ("a sentence without a full stop", ["a sentence without a full stop"]),
    ],
)
def test_split_sentences(text: str, expected: list[str]) -> None:
    assert _split(text) == expected


def test_split_offsets_are_exact_code_points_inside_the_block() -> None:
    text = "Tïtle 😀\n\n  First “one” here.   Second 😀 one? \n\nTail."
    start, end = text.index("  First"), text.index("\n\nTail")
    spans = split_sentences(text, start, end)
    assert [text[s:e] for s, e in spans] == ["First “one” here.", "Second 😀 one?"]
    assert all(start <= s < e <= end and not text[s].isspace() for s, e in spans)


# --- Features ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("feature", "sentence", "evidence"),
    [
        ("quantity", "Unemployment rose to 65% among workers in the valley.", "65%"),
        ("quantity", "The debt had grown to over ten billion dollars by then.", "ten billion"),
        ("date", "The treaty was signed in December 2017 after long talks.", "December 2017"),
        ("date", "A famine hit the region in the 1990s and after.", "the 1990s"),
        ("person", "The report was written by Michael Mandelbaum for the board.", "Mandelbaum"),
        ("person", "The plan was backed by President Smith and his staff.", "President Smith"),
        ("place", "The delegation travelled from Moscow to the coast last week.", "Moscow"),
        ("organisation", "The plan was rejected by the Ministry of Finance on Friday.", "Ministry"),
        ("organisation", "He served as an officer of the KGB for years.", "KGB"),
        ("superlative", "This is the largest dam ever built on the river.", "largest"),
        ("superlative", "The dam was the first of its kind in the valley.", "the first"),
        ("comparison", "The new plant uses less water than the old plant did.", "less water than"),
        ("attribution", "The minister said that the dam was safe for now.", "said"),
        ("attribution", "According to the engineers, the dam was safe for now.", "According to"),
        (
            "quotation",
            "The engineer wrote “the spillway cannot hold another flood” then.",
            "spillway",
        ),
        ("causal", "The harvest failed because the canals ran dry that summer.", "because"),
        ("causal", "The harvest failed due to the drought in the valley.", "due to"),
        ("hedge", "Perhaps the canals ran dry that summer in the valley.", "Perhaps"),
        ("hedge", "The canals might run dry that summer in the valley.", "might"),
        ("opinion", "The canals should be repaired before the summer begins again.", "should"),
        ("prediction", "The canals will run dry next summer in the valley.", "will"),
        ("question", "Did the canals run dry that summer in the valley?", "?"),
        ("short", "The canals ran dry.", "4 words"),
    ],
)
def test_feature_fires_on_a_crafted_sentence(feature: str, sentence: str, evidence: str) -> None:
    found = _features(sentence)
    assert feature in found
    assert evidence in found[feature]


def test_no_feature_fires_on_a_neutral_sentence() -> None:
    assert score_sentence(NEUTRAL) == (0.0, ())


@pytest.mark.parametrize(
    ("sentence", "absent"),
    [
        ("The two nations had shared a border for a long time.", "quantity"),  # anaphora
        ("During World War 2 the valley was occupied by troops.", "quantity"),  # a name
        ("Under his “new thinking” the valley was opened to trade.", "quotation"),  # scare quote
        ("The farmers may plant again when the canals are full.", "date"),  # the modal "May"
        ("It could not afford the repairs to the canals that year.", "hedge"),  # past inability
        ("Values other than profit shaped the policy of the board.", "comparison"),
    ],
)
def test_lookalikes_do_not_fire(sentence: str, absent: str) -> None:
    assert absent not in _features(sentence)


def test_negative_features_lower_the_score() -> None:
    claim = "The canals ran dry in 2018 because the Ministry of Water closed the dam."
    score, _ = score_sentence(claim)
    assert score > 0
    for worse in (
        "Perhaps the canals ran dry in 2018 because the Ministry of Water closed the dam.",
        "It is important that the canals ran dry in 2018 because the Ministry closed the dam.",
        "Did the canals run dry in 2018 because the Ministry of Water closed the dam?",
    ):
        assert score_sentence(worse)[0] < score


def test_score_is_the_sum_of_the_reasons() -> None:
    score, reasons = score_sentence("Putin said in 2017 that 65% of Russians backed the plan.")
    assert score == pytest.approx(sum(r.weight for r in reasons))
    assert {"date", "quantity", "attribution"} <= {r.feature for r in reasons}


def test_entities_use_names_seen_earlier_in_the_document() -> None:
    assert ("person", "Putin") not in find_entities("Later, Putin went to the coast.")
    known = frozenset({"Vladimir", "Putin"})
    assert ("person", "Putin") in find_entities("Later, Putin went to the coast.", known)
    assert find_entities("Igor Torbakov of the Swedish Institute of International Affairs.") == [
        ("person", "Igor Torbakov"),
        ("organisation", "Swedish Institute of International Affairs"),
    ]


# --- Suggestions -------------------------------------------------------------------------------


def test_suggestions_come_only_from_paragraphs_and_are_ranked() -> None:
    text = "A Title in 2019\n\nQuoted 65% pull quote.\n\nIt rained. Putin said 65% in 2017."
    blocks = [
        ("t-1", "title", 0, 15),
        ("q-1", "pullquote", 17, 39),
        ("p-1", "paragraph", 41, len(text)),
    ]
    suggestions = suggest_claims(text, blocks)
    assert [s.text for s in suggestions] == ["Putin said 65% in 2017.", "It rained."]
    assert {s.block_id for s in suggestions} == {"p-1"}
    assert suggest_claims(text, blocks, limit=1) == suggestions[:1]


def test_ties_are_ranked_by_position() -> None:
    text = "The farm is quiet here. The barn is quiet here."
    ranked = suggest_claims(text, [("p-1", "paragraph", 0, len(text))])
    assert ranked[0].score == ranked[1].score
    assert ranked[0].start < ranked[1].start


def test_seed_suggestions_have_exact_offsets(seed: Segmentation) -> None:
    suggestions = _suggest(seed)
    blocks = {b.id: b for b in seed.blocks}
    assert len(suggestions) > 100
    for s in suggestions:
        assert seed.text[s.start : s.end] == s.text == s.text.strip()
        assert blocks[s.block_id].kind == "paragraph"
        assert blocks[s.block_id].start <= s.start < s.end <= blocks[s.block_id].end


def test_second_document_yields_suggestions_with_valid_offsets() -> None:
    seg = segment_document((FIXTURES / "scraped_second.txt").read_text(encoding="utf-8"), "txt")
    suggestions = _suggest(seg)
    assert suggestions
    assert all(seg.text[s.start : s.end] == s.text for s in suggestions)
    assert [s.score for s in suggestions] == sorted((s.score for s in suggestions), reverse=True)


# --- Evaluation on the seed --------------------------------------------------------------------


def test_fixture_labels_every_seed_sentence_in_order(seed: Segmentation) -> None:
    rows = json.loads(LABELS.read_text(encoding="utf-8"))
    ranked = sorted(_suggest(seed), key=lambda s: s.start)
    assert [row["sentence"] for row in rows] == [s.text for s in ranked]
    assert all(isinstance(row["checkworthy"], bool) and row["why"].strip() for row in rows)


def test_precision_on_the_seed_beats_the_floors_and_the_base_rate(
    seed: Segmentation, labels: dict[str, bool]
) -> None:
    ranked = _suggest(seed)
    rate = base_rate(labels)
    assert 0.2 < rate < 0.6
    assert precision_at(ranked, labels, 10) >= PRECISION_AT_10_FLOOR
    assert precision_at(ranked, labels, 20) >= PRECISION_AT_20_FLOOR
    assert precision_at(ranked, labels, 20) >= rate + 0.3
    assert recall_at(ranked, labels, 20) >= 0.3


def test_precision_and_recall_arithmetic() -> None:
    ranked = suggest_claims("A one. B two. C three.", [("p", "paragraph", 0, 22)])
    labels = {"A one.": True, "B two.": False, "C three.": True}
    assert precision_at(ranked, labels, 2) == 0.5
    assert recall_at(ranked, labels, 3) == 1.0
    assert precision_at([], labels, 10) == 0.0
    with pytest.raises(KeyError):
        precision_at(ranked, {"A one.": True}, 3)
