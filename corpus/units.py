"""Units: the format-neutral pieces a document is split into before blocks are made."""

from __future__ import annotations

import re
from dataclasses import dataclass

# Unit kinds while segmenting; "chrome" and "pullquote" never reach the canonical text.
TITLE = "title"
HEADING = "heading"
PARAGRAPH = "paragraph"
PULLQUOTE = "pullquote"
CHROME = "chrome"

_WORD = re.compile(r"\w+(?:['’.-]\w+)*")
_TERMINAL = re.compile(r"[.!?…][\"'”’)\]»]*$")


@dataclass
class Unit:
    """One candidate block: stripped text, current kind and, for a pull quote, its source."""

    text: str
    kind: str = PARAGRAPH
    structural: bool = False  # True when the format's markup fixed the kind (md/html headings)
    source: int | None = None  # index of the body unit a pull quote repeats


def count_words(text: str) -> int:
    """Count the words in text."""
    return len(_WORD.findall(text))


def ends_sentence(text: str) -> bool:
    """Return True if text ends like a sentence (full stop, ! ? or ellipsis, maybe quoted)."""
    return bool(_TERMINAL.search(text))


def collapse_space(text: str) -> str:
    """Collapse every run of whitespace (NBSP included) to one space and strip the ends."""
    return " ".join(text.split())
