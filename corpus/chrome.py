"""Page chrome: mastheads, credits, menus and footers that are not part of the article."""

from __future__ import annotations

import re
from collections.abc import Sequence

from corpus.units import CHROME, TITLE, Unit, count_words, ends_sentence

# Lines that open with a masthead, membership or sharing word; only short units qualify.
_LEADING = re.compile(
    r"^\W*(?:founder|founding editor|editor(?:s|ial)?\b|editor[- ]in[- ]chief|contact(?: us|"
    r" editorial|\s*:|$)|patrons?\b|subscribe|subscription|donate|donations?\b|support us|"
    r"share(?: this| on| via|\s*:|$)|follow us|sign (?:up|in)\b|log ?in\b|newsletter|"
    r"advertis(?:e|ement|ing)\b|sponsored by|privacy policy|terms (?:of|and)\b)",
    re.IGNORECASE,
)
_ANYWHERE = re.compile(r"\bISSN\b|all rights reserved|©|\bcopyright\b", re.IGNORECASE)
_CREDIT = re.compile(
    r"^\W*(?:(?:photo(?:graph)?s?|images?|pictures?|illustrations?|graphics?|video|cover|"
    r"(?:header|featured|top) image)(?: credits?| by| source| courtesy)?\s*[:：©]|"
    r"photo(?:graph)? by\b|(?:credits?|source|via)\s*:)",
    re.IGNORECASE,
)
_AGENCY = re.compile(
    r"\b(?:getty images|shutterstock|reuters|associated press|ap photo|afp|alamy|istock|"
    r"unsplash|wikimedia commons|epa)\b",
    re.IGNORECASE,
)
_COOKIE = re.compile(r"\bcookies?\b", re.IGNORECASE)
_COOKIE_CONTEXT = re.compile(r"\b(?:we use|accept|consent|privacy|this (?:web)?site)\b", re.I)
_MENU_BAR = re.compile(r"\s[|•·]\s|^\s*[|•·]|[|•·]\s*$")
_ALNUM = re.compile(r"\w")

SHORT_WORDS = 15  # chrome patterns only fire on units this short (cookie banners excepted)
PROSE_WORDS = 25  # a unit this long is body prose whatever its punctuation


def is_chrome_line(text: str) -> bool:
    """Return True if a unit looks like page chrome by its own wording."""
    if not _ALNUM.search(text):
        return True
    words = count_words(text)
    if _COOKIE.search(text) and _COOKIE_CONTEXT.search(text) and words <= 60:
        return True
    if words > SHORT_WORDS:
        return bool(_ANYWHERE.search(text)) and words <= 2 * SHORT_WORDS
    if _ANYWHERE.search(text) or _CREDIT.search(text) or _MENU_BAR.search(text):
        return True
    if _AGENCY.search(text) and not ends_sentence(text):
        return True
    return bool(_LEADING.search(text)) and not ends_sentence(text)


def is_prose(text: str) -> bool:
    """Return True if a unit reads like article prose rather than a menu or list entry."""
    words = count_words(text)
    return words >= PROSE_WORDS or (words >= 4 and ends_sentence(text))


def mark_pattern_chrome(units: Sequence[Unit]) -> None:
    """Mark every non-title unit whose wording is chrome."""
    for unit in units:
        if unit.kind not in (TITLE, CHROME) and is_chrome_line(unit.text):
            unit.kind = CHROME


def mark_footer(units: Sequence[Unit]) -> None:
    """Mark the run of short non-prose units after the last prose unit as chrome."""
    body = [i for i, unit in enumerate(units) if unit.kind not in (TITLE, CHROME)]
    tail: list[int] = []
    for index in reversed(body):
        if is_prose(units[index].text):
            break
        tail.append(index)
    if len(tail) == len(body):
        return  # nothing reads as prose: better keep everything than drop the article
    for index in tail:
        units[index].kind = CHROME
