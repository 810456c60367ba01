"""Plain text: units from lines, the title at the top, and section headings."""

from __future__ import annotations

from collections.abc import Sequence

from corpus.chrome import is_chrome_line
from corpus.units import (
    CHROME,
    HEADING,
    PARAGRAPH,
    TITLE,
    Unit,
    collapse_space,
    count_words,
    ends_sentence,
)

WRAP_MIN, WRAP_MAX = 40, 120  # line lengths of hard-wrapped prose
LONG_WORDS = 25  # the first unit this long is the first body paragraph
TITLE_WORDS, TITLE_CHARS = 20, 200
HEADING_WORDS, HEADING_CHARS = 12, 100
NO_LONG_SCAN = 10  # where no paragraph is long, look for a title among this many units


def _groups(text: str) -> list[list[str]]:
    """Split text into runs of non-blank lines; whitespace-only lines (NBSP too) separate runs."""
    groups: list[list[str]] = [[]]
    for line in text.split("\n"):
        if line.strip():
            groups[-1].append(line.strip())
        elif groups[-1]:
            groups.append([])
    return [group for group in groups if group]


def _is_wrapped(lines: Sequence[str]) -> bool:
    """Return True if a run of lines is one hard-wrapped paragraph of prose."""
    if len(lines) < 2 or any(len(line) > WRAP_MAX for line in lines):
        return False
    if any(is_chrome_line(line) for line in lines):
        return False
    return all(len(line) >= WRAP_MIN for line in lines[:-1])


def split_lines(text: str) -> list[Unit]:
    """Turn plain text into units: one per line, or one per run of hard-wrapped lines."""
    units: list[Unit] = []
    for lines in _groups(text):
        if _is_wrapped(lines):
            units.append(Unit(" ".join(lines)))
        else:
            units.extend(Unit(line) for line in lines)
    return units


def _is_title_like(text: str) -> bool:
    short = count_words(text) <= TITLE_WORDS and len(text) <= TITLE_CHARS
    return short and count_words(text) > 0 and not is_chrome_line(text)


def _find_title(units: Sequence[Unit]) -> tuple[int, list[int]] | None:
    """Return the title's index and the indexes of its repeats, or None."""
    first_long = next(
        (i for i, unit in enumerate(units) if count_words(unit.text) >= LONG_WORDS), None
    )
    top = range(first_long if first_long is not None else min(len(units), NO_LONG_SCAN))
    keys = [collapse_space(units[i].text).casefold() for i in top]
    for i in top:
        if not _is_title_like(units[i].text):
            continue
        repeats = [j for j in top if j > i and keys[j] == keys[i]]
        if repeats:
            return i, repeats
    for i in top:
        if _is_title_like(units[i].text) and not ends_sentence(units[i].text):
            return i, []
    return None


def mark_title(units: Sequence[Unit]) -> None:
    """Mark the title, its repeats and everything above it (the masthead)."""
    found = _find_title(units)
    if found is None:
        return
    index, repeats = found
    for unit in units[:index]:
        unit.kind = CHROME
    units[index].kind = TITLE
    for repeat in repeats:
        units[repeat].kind = CHROME


def is_heading_shaped(text: str) -> bool:
    """Return True if text is short and does not close like a sentence or a clause."""
    if count_words(text) == 0 or count_words(text) > HEADING_WORDS or len(text) > HEADING_CHARS:
        return False
    return text.rstrip()[-1] not in ".,:;…"


def mark_headings(units: Sequence[Unit]) -> None:
    """Mark short standalone paragraphs that are followed by a paragraph as headings."""
    flow = [i for i, unit in enumerate(units) if unit.kind in (PARAGRAPH, HEADING)]
    shaped = [is_heading_shaped(units[i].text) for i in flow]
    for position, index in enumerate(flow[:-1]):
        if units[index].kind == PARAGRAPH and shaped[position] and not shaped[position + 1]:
            units[index].kind = HEADING
