"""Re-anchoring: move annotation anchors from one version of a canonical text to the next.

Three steps, cheapest first. 1) The two texts are diffed once; an anchor whose span lies in an
unchanged region keeps its words and has its offsets shifted (`exact` or `moved`, score 1).
2) Otherwise the quote is searched with its full prefix and suffix (`moved`, score 1).
3) Otherwise candidate spans (the mapped position, exact occurrences of the quote, fuzzy
alignments near the mapped position and where the quote's rarest words occur) are snapped to
word and grapheme boundaries and scored on quote, prefix, suffix and position; the best one is
accepted at or above `min_score` (`moved` if its words are the quote, else `changed`) and
otherwise the anchor is `orphaned`, keeping that best score. Every anchor yields one result.
"""

from __future__ import annotations

import bisect
import math
from collections.abc import Iterable
from dataclasses import dataclass

import regex
from rapidfuzz import fuzz
from rapidfuzz.distance import Levenshtein

from annotations.anchoring import is_grapheme_boundary, quote_context
from annotations.offset_map import OffsetMap

EXACT, MOVED, CHANGED, ORPHANED = "exact", "moved", "changed", "orphaned"

# Chosen on the edits in tests/fixtures/reanchor_cases.json: no wrong acceptance there from 0.63
# to 0.66 and the fewest orphans; the sweep is in tests/unit/annotations/test_reanchor.py.
MIN_SCORE = 0.65

MAX_OCCURRENCES = 1000  # exact occurrences of one quote looked at
CONTEXT_FLOOR = 0.4  # fuzz.ratio of two unrelated 32-character snippets of prose: median 0.38
QUOTE_FLOOR = 0.2  # normalized Levenshtein similarity of unrelated prose: median 0.1-0.2
POSITION_SCALE = 2000  # code points (two long paragraphs) at which position stops counting
W_POSITION = 0.05
SEED_WORDS = 8  # the quote's rarest words that vote for where it went
SEED_WINDOWS = 3
SEED_MAX_HITS = 500  # words more common than this carry no information about a location
NEAR_OCCURRENCES = 5
CONFIDENT = 0.9  # a candidate where the diff puts the anchor that scores this needs no search
BOUNDARY_CHOICES = 3  # boundaries tried on each side of an aligned start or end

_WORD = regex.compile(r"[\w\p{M}]+(?:['’][\w\p{M}]+)*|[^\w\s]")
# Typographic variants compare as equal: a change of quotation marks is not a change of words.
_FOLD = str.maketrans("“”„«»‘’–—\u00a0", '"""""\'\'-- ')
_SEED = regex.compile(r"[\w\p{M}]+")
_SEED_BEFORE = regex.compile(r"([\w\p{M}]+(?:['’][\w\p{M}]+)*)\s+$")  # the word just before
_SEED_AFTER = regex.compile(r"\s+([\w\p{M}]+(?:['’][\w\p{M}]+)*)")  # the word just after


@dataclass(frozen=True)
class OldAnchor:
    """An anchor in the old text: the caller's key, [start, end) in code points and the quote."""

    key: str
    start: int
    end: int
    exact: str
    prefix: str
    suffix: str


@dataclass(frozen=True)
class NewAnchor:
    """Where an anchor went: its state, score and (unless orphaned) new span, words and context."""

    key: str
    state: str  # "exact" | "moved" | "changed" | "orphaned"
    score: float
    start: int | None
    end: int | None
    exact: str | None
    prefix: str | None
    suffix: str | None


class _TextIndex:
    """Per new text: token boundaries for snapping and a word index for finding moved quotes."""

    def __init__(self, text: str) -> None:
        self.folded = text.translate(_FOLD)  # one character for one: offsets stay the same
        self.starts: list[int] = []
        self.ends: list[int] = []
        for match in _WORD.finditer(text):
            self.starts.append(match.start())
            self.ends.append(match.end())
        self.words: dict[str, list[int]] = {}
        for match in _SEED.finditer(text):
            self.words.setdefault(match.group().casefold(), []).append(match.start())
        self.total = max(1, len(self.starts))

    def seed_windows(self, quote: str) -> list[tuple[int, int]]:
        """Windows of the text where the quote's rarest words occur in the quote's order."""
        seeds: dict[str, int] = {}
        for match in _SEED.finditer(quote):
            word = match.group().casefold()
            hits = len(self.words.get(word, ()))
            if word not in seeds and 0 < hits <= SEED_MAX_HITS:
                seeds[word] = match.start()
        rarest = sorted(seeds, key=lambda word: (len(self.words[word]), seeds[word]))
        width = max(64, len(quote))
        votes: dict[int, float] = {}
        for word in rarest[:SEED_WORDS]:
            weight = math.log(1 + self.total / len(self.words[word]))
            for position in self.words[word]:
                bucket = (position - seeds[word]) // width
                votes[bucket] = votes.get(bucket, 0.0) + weight
        best = sorted(votes, key=lambda bucket: (-votes[bucket], bucket))[:SEED_WINDOWS]
        return [(bucket * width - width, (bucket + 2) * width + width) for bucket in best]

    def near(self, positions: list[int], offset: int, radius: int) -> list[int]:
        """Up to BOUNDARY_CHOICES positions each side of offset, within radius."""
        index = bisect.bisect_left(positions, offset)
        low = positions[max(0, index - BOUNDARY_CHOICES) : index]
        high = positions[index : index + BOUNDARY_CHOICES]
        return [p for p in (*low, *high) if abs(p - offset) <= radius]


def reanchor(
    old_text: str, new_text: str, anchors: Iterable[OldAnchor], min_score: float = MIN_SCORE
) -> list[NewAnchor]:
    """Move anchors from old_text to new_text: one result per anchor, in the order given."""
    mapping = OffsetMap(old_text, new_text)
    index: _TextIndex | None = None
    results: list[NewAnchor] = []
    for anchor in anchors:
        result = _reanchor_cheaply(anchor, old_text, new_text, mapping)
        if result is None:
            index = index or _TextIndex(new_text)
            result = _reanchor_fuzzily(anchor, new_text, mapping, index, min_score)
        results.append(result)
    return results


def _reanchor_cheaply(
    anchor: OldAnchor, old: str, new: str, mapping: OffsetMap
) -> NewAnchor | None:
    """Steps 1 and 2: an untouched span through the diff, or the quote found with its context."""
    if not anchor.exact:
        return _orphan(anchor, 0.0)
    if anchor.start >= 0 and old[anchor.start : anchor.end] == anchor.exact:
        span = mapping.equal_span(anchor.start, anchor.end)
        if span is not None:
            return _accept(anchor, new, span, 1.0)
    hint = _hint(anchor, mapping)
    found = [
        start
        for start in _occurrences(new, anchor.exact)
        if new.endswith(anchor.prefix, 0, start)
        and new.startswith(anchor.suffix, start + len(anchor.exact))
    ]
    if found:
        start = min(found, key=lambda s: (abs(s - hint), s))
        return _accept(anchor, new, (start, start + len(anchor.exact)), 1.0)
    return None


def _reanchor_fuzzily(
    anchor: OldAnchor, new: str, mapping: OffsetMap, index: _TextIndex, min_score: float
) -> NewAnchor:
    """Step 3: score snapped candidate spans; accept the best at or above min_score."""
    hint = _hint(anchor, mapping)
    # Typographic variants fold to one form; one character for one, so offsets are unchanged.
    quote = (
        anchor.exact.translate(_FOLD),
        anchor.prefix.translate(_FOLD),
        anchor.suffix.translate(_FOLD),
    )
    best: tuple[float, int, int, int] | None = None  # (score, -distance, -start, end)
    for candidates in (_near_candidates, _far_candidates):
        for start, end in _snapped(anchor, candidates(anchor, new, mapping, index), index):
            key = (_score(quote, index.folded, start, end, hint), -abs(start - hint), -start, end)
            if best is None or key > best:
                best = key
        if best is not None and best[0] >= CONFIDENT:
            break  # an edit in place: a near span this good is not beaten elsewhere in practice
    if best is None:
        return _orphan(anchor, 0.0)
    score, _, negative_start, chosen_end = best
    chosen = (-negative_start, chosen_end)
    start, end = _replaced_edge_words(anchor, new, *chosen)
    if (start, end) != chosen:
        score = _score(quote, index.folded, start, end, hint)
    if score < min_score:
        return _orphan(anchor, score)
    return _accept(anchor, new, _grapheme_span(new, start, end), score)


def _replaced_edge_words(anchor: OldAnchor, new: str, start: int, end: int) -> tuple[int, int]:
    """Take in a word that replaced the quote's first or last word.

    Similarity alone prefers dropping a replaced edge word ("Its support" -> "support", not
    "Russia's support"): when the span lacks the quote's first word but starts with its second,
    and the word before the span is not the word that preceded the quote, that word replaced it.
    """
    quote = [m.group().casefold() for m in _SEED.finditer(anchor.exact)]
    span = [m.group().casefold() for m in _SEED.finditer(new, start, end)]
    if len(quote) < 2 or not span:
        return start, end
    if span[0] == quote[1] != quote[0]:
        before = _SEED_BEFORE.search(new, max(0, start - 40), start)
        if before and _is_new_word(before, _SEED_BEFORE.search(anchor.prefix)):
            start = before.start(1)
    if span[-1] == quote[-2] != quote[-1]:
        after = _SEED_AFTER.match(new, end, end + 40)
        if after and _is_new_word(after, _SEED_AFTER.match(anchor.suffix)):
            end = after.end(1)
    return start, end


def _is_new_word(found: regex.Match[str], old: regex.Match[str] | None) -> bool:
    """Tell whether the word next to the span differs from the word next to the old quote."""
    return old is None or found.group(1).casefold() != old.group(1).casefold()


def _hint(anchor: OldAnchor, mapping: OffsetMap) -> int:
    """The anchor's old start mapped into the new text: where it would be if nothing moved."""
    return mapping.map_offset(max(0, anchor.start))


def _occurrences(text: str, quote: str) -> list[int]:
    """Starts of the quote in text, at most MAX_OCCURRENCES of them."""
    starts: list[int] = []
    found = text.find(quote)
    while found != -1 and len(starts) < MAX_OCCURRENCES:
        starts.append(found)
        found = text.find(quote, found + 1)
    return starts


def _near_candidates(
    anchor: OldAnchor, new: str, mapping: OffsetMap, index: _TextIndex
) -> list[tuple[int, int]]:
    """Raw candidate spans where the diff puts the anchor: the mapped span, a fuzzy alignment."""
    start, end = _hint(anchor, mapping), mapping.map_offset(max(0, anchor.end))
    pad = max(len(anchor.exact), 64)
    spans = [(start, end)] if start < end else []
    high = max(end, start + len(anchor.exact)) + pad
    return spans + _aligned(anchor.exact, new, start - pad, high)


def _far_candidates(
    anchor: OldAnchor, new: str, mapping: OffsetMap, index: _TextIndex
) -> list[tuple[int, int]]:
    """Raw candidate spans elsewhere: exact occurrences, fuzzy alignments at the rarest words."""
    hint, size = _hint(anchor, mapping), len(anchor.exact)
    nearest = sorted(_occurrences(new, anchor.exact), key=lambda s: (abs(s - hint), s))
    spans = [(s, s + size) for s in nearest[:NEAR_OCCURRENCES]]
    for low, high in index.seed_windows(anchor.exact):
        spans.extend(_aligned(anchor.exact, new, low, high))
    return spans


def _aligned(quote: str, new: str, low: int, high: int) -> list[tuple[int, int]]:
    """The best fuzzy alignment of the quote inside new[low:high], if any."""
    low, high = max(0, low), min(len(new), high)
    if high <= low:
        return []
    aligned = fuzz.partial_ratio_alignment(quote, new[low:high])
    if aligned is None or aligned.dest_end <= aligned.dest_start:
        return []
    return [(low + aligned.dest_start, low + aligned.dest_end)]


def _snapped(
    anchor: OldAnchor, spans: list[tuple[int, int]], index: _TextIndex
) -> list[tuple[int, int]]:
    """Candidate spans moved to nearby word boundaries (kept raw where the quote split a word)."""
    quote = anchor.exact
    radius = max(8, len(quote) // 4)
    raw_start = quote[:1].isspace() or _is_joined(anchor.prefix[-1:], quote[:1])
    raw_end = quote[-1:].isspace() or _is_joined(quote[-1:], anchor.suffix[:1])
    out: set[tuple[int, int]] = set()
    for start, end in spans:
        starts = index.near(index.starts, start, radius) + ([start] if raw_start else [])
        ends = index.near(index.ends, end, radius) + ([end] if raw_end else [])
        out.update((s, e) for s in starts or [start] for e in ends or [end] if s < e)
    return sorted(out)


def _is_joined(left: str, right: str) -> bool:
    """Tell whether two adjacent characters belong to one word."""
    return bool(left and right and _SEED.fullmatch(left + right))


def _score(quote: tuple[str, str, str], folded: str, start: int, end: int, hint: int) -> float:
    """Score folded[start:end] for the folded (exact, prefix, suffix): quote, context, position."""
    exact, prefix, suffix = quote
    similarity = Levenshtein.normalized_similarity(exact, folded[start:end])
    before = fuzz.ratio(prefix, folded[max(0, start - len(prefix)) : start]) / 100
    after = fuzz.ratio(suffix, folded[end : end + len(suffix)]) / 100
    position = max(0.0, 1 - abs(start - hint) / POSITION_SCALE)
    # A long quote identifies its passage by itself; a short one needs its context to.
    quote_weight = 0.5 + 0.2 * min(1.0, len(exact) / 80)
    context_weight = (1 - quote_weight - W_POSITION) / 2
    combined = (
        quote_weight * _rescale(similarity, QUOTE_FLOOR)
        + context_weight * (_rescale(before, CONTEXT_FLOOR) + _rescale(after, CONTEXT_FLOOR))
        + W_POSITION * position
    )
    return round(combined, 4)


def _rescale(similarity: float, floor: float) -> float:
    """Map a similarity so that the level of unrelated text becomes 0 and identity stays 1."""
    return max(0.0, (similarity - floor) / (1 - floor))


def _grapheme_span(text: str, start: int, end: int) -> tuple[int, int]:
    """Widen [start, end) until neither end splits a user-perceived character."""
    while start > 0 and not _is_boundary(text, start):
        start -= 1
    while end < len(text) and not _is_boundary(text, end):
        end += 1
    return start, end


def _is_boundary(text: str, index: int) -> bool:
    """is_grapheme_boundary, with a shortcut between two ASCII characters other than CR LF."""
    pair = text[index - 1 : index + 1]
    if pair.isascii() and pair != "\r\n":
        return True
    return is_grapheme_boundary(text, index)


def _accept(anchor: OldAnchor, new: str, span: tuple[int, int], score: float) -> NewAnchor:
    """An accepted anchor: exact, moved or changed according to its words and offsets."""
    start, end = span
    words = new[start:end]
    if words != anchor.exact:
        state = CHANGED
    elif (start, end) == (anchor.start, anchor.end):
        state = EXACT
    else:
        state = MOVED
    prefix, suffix = quote_context(new, start, end)
    return NewAnchor(anchor.key, state, score, start, end, words, prefix, suffix)


def _orphan(anchor: OldAnchor, score: float) -> NewAnchor:
    """An anchor with no acceptable place in the new text; the caller keeps the annotation."""
    return NewAnchor(anchor.key, ORPHANED, score, None, None, None, None, None)
