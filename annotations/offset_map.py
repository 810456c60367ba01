"""Offset mapping for re-anchoring: where old offsets of a text fall in its new version."""

from __future__ import annotations

import bisect
import difflib
import itertools
import re

from rapidfuzz.distance import Indel

MIN_EQUAL = 24  # an unchanged region shorter than this ...
MIN_MARGIN = 8  # ... vouches for a span only with this much unchanged text around it
REFINE_BUDGET = 50_000_000  # token pairs: a larger changed run is left unmapped (search instead)

_UNIT_END = re.compile(r"[.!?…][\"'”’)\]]*[ \t]+|\n+")
_TOKEN = re.compile(r"\w+|\s+|[^\w\s]")


class OffsetMap:
    """Old offsets mapped to new ones through a diff of sentence-like units, then of tokens."""

    def __init__(self, old_text: str, new_text: str) -> None:
        self.new_length = len(new_text)
        self._regions = _equal_regions(old_text, new_text)  # (old_start, old_end, new_start)
        self._old_starts = [region[0] for region in self._regions]

    def equal_span(self, start: int, end: int) -> tuple[int, int] | None:
        """Return the new [start, end) if old [start, end) lies inside one unchanged region."""
        index = bisect.bisect_right(self._old_starts, start) - 1
        if index < 0:
            return None
        old_start, old_end, new_start = self._regions[index]
        length = old_end - old_start
        if end > old_end or (length < MIN_EQUAL and length < end - start + MIN_MARGIN):
            return None
        return new_start + start - old_start, new_start + end - old_start

    def map_offset(self, offset: int) -> int:
        """Map an old offset: exactly in unchanged regions, clamped and shifted in changed ones."""
        index = bisect.bisect_right(self._old_starts, offset) - 1
        old_end = new_end = 0
        if index >= 0:
            old_start, old_end, new_start = self._regions[index]
            new_end = new_start + old_end - old_start
            if offset <= old_end:
                return new_start + offset - old_start
        following = index + 1
        limit = self._regions[following][2] if following < len(self._regions) else self.new_length
        return min(new_end + offset - old_end, limit)


def _unit_starts(text: str) -> list[int]:
    """Start offsets of sentence-like units (ending at sentence ends or line breaks) and the end."""
    starts = [0] + [m.end() for m in _UNIT_END.finditer(text) if m.end() < len(text)]
    return [*starts, len(text)]


def _equal_regions(old: str, new: str) -> list[tuple[int, int, int]]:
    """Unchanged regions as (old_start, old_end, new_start), in order and merged."""
    old_cuts, new_cuts = _unit_starts(old), _unit_starts(new)
    old_units = [old[a:b] for a, b in itertools.pairwise(old_cuts)]
    new_units = [new[a:b] for a, b in itertools.pairwise(new_cuts)]
    matcher = difflib.SequenceMatcher(None, old_units, new_units, autojunk=False)
    regions: list[tuple[int, int, int]] = []
    for tag, i1, i2, j1, j2 in matcher.get_opcodes():
        old_start, old_end, new_start = old_cuts[i1], old_cuts[i2], new_cuts[j1]
        if tag == "equal":
            regions.append((old_start, old_end, new_start))
        elif i2 - i1 == j2 - j1:  # as many units each side: edited one for one, refine pairwise
            for i, j in zip(range(i1, i2), range(j1, j2), strict=True):
                unit = (old_cuts[i], old_cuts[i + 1], new, new_cuts[j], new_cuts[j + 1])
                regions.extend(_refine(old, *unit))
        else:
            regions.extend(_refine(old, old_start, old_end, new, new_start, new_cuts[j2]))
    merged: list[tuple[int, int, int]] = []
    for region in regions:
        if merged:
            last_start, last_end, last_new = merged[-1]
            if last_end == region[0] and last_new + last_end - last_start == region[2]:
                merged[-1] = (last_start, region[1], last_new)
                continue
        merged.append(region)
    return merged


def _refine(
    old: str, old_start: int, old_end: int, new: str, new_start: int, new_end: int
) -> list[tuple[int, int, int]]:
    """Unchanged token runs inside one changed run of units (an LCS of tokens)."""
    old_tokens = [(m.start(), m.group()) for m in _TOKEN.finditer(old, old_start, old_end)]
    new_tokens = [(m.start(), m.group()) for m in _TOKEN.finditer(new, new_start, new_end)]
    if not old_tokens or not new_tokens or len(old_tokens) * len(new_tokens) > REFINE_BUDGET:
        return []
    ids: dict[str, int] = {}
    old_ids = [ids.setdefault(token, len(ids)) for _, token in old_tokens]
    new_ids = [ids.setdefault(token, len(ids)) for _, token in new_tokens]
    old_tokens.append((old_end, ""))
    new_tokens.append((new_end, ""))
    return [
        (old_tokens[op.src_start][0], old_tokens[op.src_end][0], new_tokens[op.dest_start][0])
        for op in Indel.opcodes(old_ids, new_ids)
        if op.tag == "equal"
    ]
