"""Check-worthiness: rank a document's sentences by transparent, offline features.

Every score is a sum of named Reasons (feature, weight, evidence), so a reviewer sees why a
sentence was suggested. No model, no network: regular expressions and small word lists.
Weights follow the logic of fact-checking (specific, attributable, dated, counted claims are
checkable; hedges, opinions, predictions and questions are not), not a fit to any labels.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

import regex

from annotations.lexicon import MONTH, NOT_SUPERLATIVE, NUMBER_WORDS
from annotations.named_entities import find_entities, person_names
from annotations.sentences import split_sentences


@dataclass(frozen=True)
class Reason:
    """One feature's contribution to a sentence's score and the words that triggered it."""

    feature: str
    weight: float
    evidence: str


@dataclass(frozen=True)
class Suggestion:
    """A sentence [start, end) of the canonical text (code points), scored with its reasons."""

    start: int
    end: int
    text: str
    block_id: str
    score: float
    reasons: tuple[Reason, ...]


# --- Numbers, dates, wording ------------------------------------------------------------

# Digits with an optional unit, money or percentage; or a spelled-out count. "the two" and
# "these two" point back at things already named, so they are not counts.
_QUANTITY = regex.compile(
    rf"[$€£¥]\s?\d[\d,.]*(?:\s(?:million|billion|trillion))?"
    rf"|\b\d[\d,]*(?:\.\d+)?(?:\s?(?:%|percent|per cent)|\s(?:million|billion|trillion)\b)?"
    rf"(?:\s(?:dollars|euros|pounds|rubles|roubles|yuan|km|kilometres|miles|tonnes|tons"
    rf"|hours|days|weeks|months|years|people|troops|soldiers)\b)?"
    rf"|(?<!\b(?:the|these|those)\s)\b(?:{NUMBER_WORDS})\b(?:[\s-](?:{NUMBER_WORDS})\b)*"
    rf"(?:\s(?:dollars|euros|pounds|rubles|people|troops|percent)\b)?",
    regex.IGNORECASE,
)
_YEAR = r"\b(?:1[89]\d\d|20\d\d)\b(?![\d%,.]\d)"
_PREP = r"(?:(?:in|by|since|after|before|during|until|from|of|early|late|mid)[\s-]+)?"
_DATE = regex.compile(
    rf"{_PREP}(?:(?:the\s+)?(?:1[89]\d0|20\d0)s\b"  # decades: "the 1990s"
    rf"|(?:\d{{1,2}}\s+)?(?:{MONTH})(?:\s+\d{{1,2}}(?:st|nd|rd|th)?)?,?\s+{_YEAR}"
    rf"|(?:\d{{1,2}}\s+)?(?:{MONTH})\s+\d{{1,2}}(?:st|nd|rd|th)?\b"
    rf"|(?:January|February|March|April|June|July|August|September|October|November|December)\b"
    rf"|{_YEAR})"
)
_NAMED_NUMBER = regex.compile(r"\bWorld War (?:I{1,2}|[12])\b|\bNo\.\s?\d+")  # names, not counts
# "at least" and "at most" set bounds; they are not superlatives.
_SUPERLATIVE = regex.compile(
    r"(?<!\bat\s)\b(?:the\s+)?(?:most|least|first|last|only|never|all|every|none|no one)\b"
    r"(?:\s\w+)?|\b\w{2,}est\b|\brecord[-\s](?:high|low|level|number)s?\b",
    regex.IGNORECASE,
)
# "other than" and "rather than" contrast, they do not compare amounts.
_COMPARISON = regex.compile(
    r"\b(?!(?:other|rather)\s)(?:\w+er|more|less|fewer|(?:no|any)\s\w+er)\s+than\b"
    r"|\b(?:more|less|fewer)\s+\w+\s+than\b"
    r"|\bcompared\s(?:with|to)\b|\b(?:twice|half|three times)\sas\b|\bas\s(?:many|much)\sas\b"
    r"|\b(?:surpass|exceed|outnumber|outpac|doubl|tripl|halv)(?:e|es|ed|ing)?\b",
    regex.IGNORECASE,
)
_ATTRIBUTION = regex.compile(
    r"\baccording to\b|\b(?:in|on) the words of\b|\b(?:said|says|told|stated|announced|declared"
    r"|reported|claimed|claims|charged|observed|described|quoted|stressed|insisted|warned|denied"
    r"|admitted|wrote|tweeted|blamed|accused|promised|threatened|denounced|confirmed|testified"
    r"|estimated|revealed|recalls|speaks of)\b",
    regex.IGNORECASE,
)
# Four or more quoted words are a quotation someone can be held to; one to three are a scare
# quote or a coined term ("new thinking", "Reset"), which asserts nothing checkable.
_QUOTED = regex.compile(r"“([^”]+)”|\"([^\"]+)\"")
_MIN_QUOTED_WORDS = 4
_CAUSAL = regex.compile(
    r"\bbecause\b|\bas a (?:result|consequence)\b|\b(?:led|leads?|leading) to\b"
    r"|\b(?:caused?|causes|causing)\b|\bdue to\b|\bthanks to\b|\bowing to\b"
    r"|\bresult(?:ing|ed)? in\b|\bconsequently\b|\bcontribut(?:ed|es|ing) to\b"
    r"|\ba factor in\b|\b(?:sparked|triggered)\b",
    regex.IGNORECASE,
)
_HEDGE = regex.compile(
    r"\b(?:perhaps|maybe|presumably|arguably|possibly|probably|supposedly|apparently"
    r"|it seems|seems? to|seemed to|appears? to|I think|we think|I believe|we believe"
    r"|in my view|in our view)\b",
    regex.IGNORECASE,
)
# Speculative modals; "could not" and "could no longer" report a past inability instead.
_MODAL = regex.compile(r"\b(?:could|may|might)\b(?!\s+(?:not\b|no longer\b|\d))", regex.I)
_OPINION = regex.compile(
    r"\b(?:should|ought to|must|needless to say|of course|it is (?:important|hard|tempting|clear)"
    r"|important|significant|useful|interesting|tempting|surprising|remarkable|tremendous"
    r"|crucial|paramount|best understood|clearly|obviously|undoubtedly|understandably"
    r"|unthinkable|inevitable|improbable|desperately|skillfully)\b",
    regex.IGNORECASE,
)
_PREDICTION = regex.compile(
    r"\b(?:will|shall|is going to|are going to|remains to be seen)\b",
    regex.IGNORECASE,
)
_WORD = regex.compile(r"\w+(?:[-'’]\w+)*")
_SHORT_WORDS = 6

# --- Scoring ----------------------------------------------------------------------------------
# Why each weight: a fact-checker needs something concrete to check against a record.
# Numbers and dates are the most directly checkable (statistics, timelines): 1.5.
# A named person makes the claim attributable to someone who did or said something: 1.0;
# an organisation is a checkable actor, slightly less specific: 0.75; places set the scene
# and occur in analysis as much as in claims: 0.5. Attribution ("said", "according to") and
# real quotations are claims about what someone said, checkable against transcripts: 1.0.
# Superlatives and absolutes ("the first", "only", "never") are bold and often wrong: 0.75.
# Comparisons and cause-and-effect wording assert relations between facts: 0.5 each.
# Hedges and opinion words mark the author's judgement, not a fact: -1.0 (modals -0.5);
# predictions cannot be checked yet: -0.75; questions assert nothing: -1.5; a sentence under
# six words rarely holds a complete claim: -1.0.
ENTITY_WEIGHTS = {"person": 1.0, "organisation": 0.75, "place": 0.5}


def _evidence(matches: Iterable[str]) -> str:
    seen: dict[str, None] = {}
    for item in matches:
        seen.setdefault(" ".join(item.split()), None)
    return ", ".join(seen)


def _mask(text: str, pattern: regex.Pattern[str]) -> str:
    return pattern.sub(lambda m: " " * len(m.group()), text)


def _numbers(sentence: str) -> list[Reason]:
    dates = [m.group() for m in _DATE.finditer(sentence)]
    rest = _mask(_mask(sentence, _DATE), _NAMED_NUMBER)
    quantities = [m.group().strip() for m in _QUANTITY.finditer(rest) if m.group().strip()]
    reasons = []
    if quantities:
        strong = any(regex.search(r"\d|hundred|thousand|illion", q, regex.I) for q in quantities)
        reasons.append(Reason("quantity", 1.5 if strong else 1.0, _evidence(quantities)))
    if dates:
        reasons.append(Reason("date", 1.5, _evidence(dates)))
    return reasons


def _entities(sentence: str, known: frozenset[str]) -> list[Reason]:
    by_kind: dict[str, list[str]] = {}
    for kind, words in find_entities(sentence, known):
        by_kind.setdefault(kind, []).append(words)
    return [
        Reason(kind, weight, _evidence(by_kind[kind]))
        for kind, weight in ENTITY_WEIGHTS.items()
        if kind in by_kind
    ]


def _wording(sentence: str) -> list[Reason]:
    superlatives = [
        m.group()
        for m in _SUPERLATIVE.finditer(sentence)
        if m.group().lower() not in NOT_SUPERLATIVE
    ]
    quotes = [
        f"“{body}”"
        for m in _QUOTED.finditer(sentence)
        if len((body := m.group(1) or m.group(2)).split()) >= _MIN_QUOTED_WORDS
    ]
    found = [
        ("superlative", 0.75, superlatives),
        ("comparison", 0.5, [m.group() for m in _COMPARISON.finditer(sentence)]),
        ("attribution", 1.0, [m.group() for m in _ATTRIBUTION.finditer(sentence)]),
        ("quotation", 1.0, quotes),
        ("causal", 0.5, [m.group() for m in _CAUSAL.finditer(sentence)]),
    ]
    return [Reason(name, weight, _evidence(items)) for name, weight, items in found if items]


def _negatives(sentence: str) -> list[Reason]:
    hedges = [m.group() for m in _HEDGE.finditer(sentence)]
    modals = [m.group() for m in _MODAL.finditer(sentence)]
    found = [
        ("hedge", -1.0 if hedges else -0.5, hedges + modals),
        ("opinion", -1.0, [m.group() for m in _OPINION.finditer(sentence)]),
        ("prediction", -0.75, [m.group() for m in _PREDICTION.finditer(sentence)]),
    ]
    reasons = [Reason(name, weight, _evidence(items)) for name, weight, items in found if items]
    if sentence.rstrip("\"'”’)]» ").endswith("?"):
        reasons.append(Reason("question", -1.5, "?"))
    words = len(_WORD.findall(sentence))
    if words < _SHORT_WORDS:
        reasons.append(Reason("short", -1.0, f"{words} words"))
    return reasons


def score_sentence(
    sentence: str, known_names: frozenset[str] = frozenset()
) -> tuple[float, tuple[Reason, ...]]:
    """Score one sentence: the sum of its reasons' weights, and the reasons themselves.

    known_names are people's name words seen earlier in the document, so that a bare "Putin"
    after "Vladimir Putin" counts as a person.
    """
    reasons = (
        *_numbers(sentence),
        *_entities(sentence, known_names),
        *_wording(sentence),
        *_negatives(sentence),
    )
    return round(sum(reason.weight for reason in reasons), 2), reasons


def suggest_claims(
    text: str, blocks: Iterable[tuple[str, str, int, int]], limit: int | None = None
) -> list[Suggestion]:
    """Rank the sentences of paragraph blocks by check-worthiness (score desc, then position)."""
    sentences = [
        (start, end, block_id)
        for block_id, kind, block_start, block_end in blocks
        if kind == "paragraph"
        for start, end in split_sentences(text, block_start, block_end)
    ]
    sentences.sort()
    known: set[str] = set()
    suggestions = []
    for start, end, block_id in sentences:
        sentence = text[start:end]
        known |= person_names(sentence, frozenset(known))
        score, reasons = score_sentence(sentence, frozenset(known))
        suggestions.append(Suggestion(start, end, sentence, block_id, score, reasons))
    suggestions.sort(key=lambda s: (-s.score, s.start))
    return suggestions if limit is None else suggestions[:limit]
