"""Sentence splitting: sentence spans of a text, not cut at abbreviations or initials."""

from __future__ import annotations

import regex

from annotations.lexicon import ALWAYS_ABBREV, BEFORE_NUMBER, OPENERS

_OPEN = "\"'“‘([«"
# A candidate end: terminal punctuation and any closing quotes or brackets, then whitespace.
_BOUNDARY = regex.compile(r"[.!?…]+[\"'”’)\]»]*(?=\s)")
_NEXT = regex.compile(r"\s+[\"'“‘(\[«]*(\p{Lu}|\p{N})")
_NEXT_WORD = regex.compile(r"\s*[\"'“‘(\[«]*(\w+)")
_LAST_TOKEN = regex.compile(r"(\S+)$")


def split_sentences(text: str, start: int, end: int) -> list[tuple[int, int]]:
    """Split text[start:end] into sentence spans (code points), stripped of outer whitespace."""
    spans: list[tuple[int, int]] = []
    begin = start
    for match in _BOUNDARY.finditer(text, start, end):
        following = _NEXT.match(text, match.end(), end)
        if following is None or not _is_boundary(text, begin, match, following.group(1)):
            continue
        spans.append((begin, match.end()))
        begin = match.end()
    spans.append((begin, end))
    return [span for span in (_strip(text, s, e) for s, e in spans) if span[0] < span[1]]


def _is_boundary(text: str, begin: int, match: regex.Match[str], following: str) -> bool:
    if not match.group().startswith(".") or match.group().startswith("..."):
        return True
    found = _LAST_TOKEN.search(text, begin, match.start())
    token = found.group(1).lstrip(_OPEN) if found else ""
    word = token.lower()
    if word in ALWAYS_ABBREV or (word in BEFORE_NUMBER and following.isdigit()):
        return False
    if regex.fullmatch(r"\p{Lu}", token):
        return False  # an initial, as in "William J. Donovan"
    if regex.fullmatch(r"(?:\p{L}\.)+\p{L}", word):  # "U.S.", "e.g." spelled oddly
        nxt = _NEXT_WORD.match(text, match.end())
        return nxt is not None and nxt.group(1).lower() in OPENERS
    return True


def _strip(text: str, start: int, end: int) -> tuple[int, int]:
    while start < end and text[start].isspace():
        start += 1
    while end > start and text[end - 1].isspace():
        end -= 1
    return start, end
