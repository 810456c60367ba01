"""Pull quotes: short units that repeat words of a longer body paragraph."""

from __future__ import annotations

import re
from collections.abc import Sequence

from corpus.units import PARAGRAPH, PULLQUOTE, Unit, count_words, ends_sentence

_QUOTES = str.maketrans({"‘": "'", "’": "'", "‚": "'", "‛": "'", "“": '"', "”": '"', "„": '"'})
_FINAL = ".,;:!?…"
_WRAPPING = "\"'«»"
MIN_WORDS = 8  # shorter units must also end like a sentence (keeps headings out)
MAX_SHARE = 0.8  # a pull quote is at most this share of the paragraph it repeats
KEY_WORDS = 3  # only paragraphs holding a quote's first three words are searched
_WORDS = re.compile(r"\w+")


def normalise(text: str) -> tuple[str, list[int]]:
    """Fold whitespace runs, curly quotes and case; return the folded text and its index map."""
    chars: list[str] = []
    origin: list[int] = []
    pending_space = False
    for index, char in enumerate(text):
        if char.isspace():
            pending_space = bool(chars)
            continue
        if pending_space:
            chars.append(" ")
            origin.append(index - 1)
            pending_space = False
        folded = char.translate(_QUOTES)
        lowered = folded.lower()
        chars.append(lowered if len(lowered) == 1 else folded)
        origin.append(index)
    return "".join(chars), origin


def find_folded(folded_quote: str, folded_body: str) -> tuple[int, int] | None:
    """Find a folded quote in a folded body; return the folded span or None."""
    core = folded_quote.rstrip(_FINAL + " ")
    for candidate in (core, core.strip(_WRAPPING + " ").rstrip(_FINAL + " ")):
        at = folded_body.find(candidate) if candidate else -1
        if at < 0:
            continue
        end = at + len(candidate)
        suffix = folded_quote[len(core) :] if candidate == core else ""
        if suffix and folded_body.startswith(suffix, end):
            end += len(suffix)
        return at, end
    return None


def locate(quote: str, body: str) -> tuple[int, int] | None:
    """Find quote's words in body, tolerating whitespace, quotes, case and final punctuation."""
    folded_body, origin = normalise(body)
    span = find_folded(normalise(quote)[0], folded_body)
    if span is None:
        return None
    return origin[span[0]], origin[span[1] - 1] + 1


def _is_candidate(unit: Unit) -> bool:
    words = count_words(unit.text)
    return unit.kind == PARAGRAPH and (
        words >= MIN_WORDS or (words >= 4 and ends_sentence(unit.text))
    )


def _first_words(folded: str) -> str:
    return " ".join(_WORDS.findall(folded)[:KEY_WORDS])


def _word_runs(folded: str) -> set[str]:
    words = _WORDS.findall(folded)
    return {" ".join(words[i : i + KEY_WORDS]) for i in range(len(words) - KEY_WORDS + 1)}


def mark_pullquotes(units: Sequence[Unit]) -> None:
    """Mark paragraph units repeated inside a clearly longer paragraph as pull quotes."""
    paragraphs = [i for i, unit in enumerate(units) if unit.kind == PARAGRAPH]
    folded = {i: normalise(units[i].text)[0] for i in paragraphs}
    holders: dict[str, list[int]] = {}  # word run -> paragraphs holding it, longest first
    for i in sorted(paragraphs, key=lambda i: (-len(folded[i]), i)):
        for run in _word_runs(folded[i]):
            holders.setdefault(run, []).append(i)
    for index in paragraphs:
        if not _is_candidate(units[index]):
            continue
        for container in holders.get(_first_words(folded[index]), []):
            if len(folded[index]) > MAX_SHARE * len(folded[container]):
                break
            if units[container].kind != PARAGRAPH:
                continue
            if find_folded(folded[index], folded[container]) is not None:
                units[index].kind = PULLQUOTE
                units[index].source = container
                break
