"""Anchoring: prove that an annotation's selectors point at exactly the words it quotes.

Offsets are Unicode code points of the document's canonical text (a Python ``str``), as in
the W3C TextPositionSelector; browsers count UTF-16 code units and convert before sending.
The quote with its context is authoritative; a position is only a hint that disambiguates.
"""

from __future__ import annotations

from dataclasses import dataclass

import regex

from annotations.errors import ValidationError

QUOTE = "TextQuoteSelector"
POSITION = "TextPositionSelector"
CONTEXT_WIDTH = 32
MAX_CONTEXT = 1000  # browsers send 32; a longer prefix/suffix is refused rather than searched
MAX_OCCURRENCES = 1000  # stop counting duplicates past this: the answer is "ambiguous" anyway
_GRAPHEME = regex.compile(r"\X")
_SPLIT_HINT = "(e.g. an emoji sequence or a letter with an accent)"


class AnchoringError(ValidationError):
    """A target's selectors are malformed or do not point at the quoted words."""

    def __init__(self, message: str) -> None:
        super().__init__("target", message)


class AmbiguousQuote(AnchoringError):
    """The quote occurs more than once with the context given; count says how often."""

    def __init__(self, message: str, count: str) -> None:
        super().__init__(message)
        self.count = count


@dataclass(frozen=True)
class QuoteSelector:
    """A validated TextQuoteSelector: the exact words with optional context on each side."""

    exact: str
    prefix: str = ""
    suffix: str = ""

    def __post_init__(self) -> None:
        if not self.exact:
            raise AnchoringError(f"{QUOTE}.exact must not be empty")
        for name in ("exact", "prefix", "suffix"):
            _check_string(f"{QUOTE}.{name}", getattr(self, name))
        for name in ("prefix", "suffix"):
            if len(getattr(self, name)) > MAX_CONTEXT:
                raise AnchoringError(
                    f"{QUOTE}.{name} is longer than the limit of {MAX_CONTEXT} characters"
                )


@dataclass(frozen=True)
class PositionSelector:
    """A validated TextPositionSelector: [start, end) in code points, start < end."""

    start: int
    end: int

    def __post_init__(self) -> None:
        for name in ("start", "end"):
            if getattr(self, name) < 0:
                raise AnchoringError(f"{POSITION}.{name} must not be negative")
        if self.start > self.end:
            raise AnchoringError(
                f"{POSITION}.start ({self.start}) must be less than end ({self.end})"
            )
        if self.start == self.end:
            raise AnchoringError(f"{POSITION} selects nothing: start equals end ({self.start})")


@dataclass(frozen=True)
class Anchor:
    """Where a quote sits in the canonical text, with server-computed context."""

    start: int
    end: int
    exact: str
    prefix: str
    suffix: str
    corrected: bool  # the given position was wrong or missing and the quote located it


def _check_string(label: str, value: str) -> None:
    if "\x00" in value:
        raise AnchoringError(f"{label} must not contain NUL characters")
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        raise AnchoringError(
            f"{label} is not valid Unicode (it contains a lone surrogate)"
        ) from None


def parse_selectors(raw: object) -> tuple[QuoteSelector, PositionSelector | None]:
    """Validate the `selector` member of a target (one object or a list) from untrusted JSON."""
    if isinstance(raw, dict):
        items: list[tuple[str, object]] = [("selector", raw)]
    elif isinstance(raw, list):
        items = [(f"selector[{index}]", item) for index, item in enumerate(raw)]
    else:
        raise AnchoringError("selector must be an object or a list of objects")
    quotes: list[dict[str, object]] = []
    positions: list[dict[str, object]] = []
    for label, item in items:
        if not isinstance(item, dict):
            raise AnchoringError(f"{label} must be an object")
        kind = item.get("type")
        if not isinstance(kind, str):
            raise AnchoringError(f"{label}.type must be a string")
        if kind == QUOTE:
            quotes.append(item)
        elif kind == POSITION:
            positions.append(item)
    if not quotes:
        raise AnchoringError(f"a {QUOTE} is required")
    if len(quotes) > 1:
        raise AnchoringError(f"only one {QUOTE} is allowed, got {len(quotes)}")
    if len(positions) > 1:
        raise AnchoringError(f"at most one {POSITION} is allowed, got {len(positions)}")
    position = _parse_position(positions[0]) if positions else None
    return _parse_quote(quotes[0]), position


def _parse_quote(raw: dict[str, object]) -> QuoteSelector:
    exact = raw.get("exact")
    if not isinstance(exact, str):
        raise AnchoringError(f"{QUOTE}.exact must be a string")
    context: dict[str, str] = {}
    for name in ("prefix", "suffix"):
        value = raw.get(name)
        if value is None:
            value = ""
        if not isinstance(value, str):
            raise AnchoringError(f"{QUOTE}.{name} must be a string")
        context[name] = value
    return QuoteSelector(exact, context["prefix"], context["suffix"])


def _parse_position(raw: dict[str, object]) -> PositionSelector:
    values: dict[str, int] = {}
    for name in ("start", "end"):
        value = raw.get(name)
        # bool is an int subclass and 3.0 is a float: neither is an offset
        if type(value) is not int:
            raise AnchoringError(f"{POSITION}.{name} must be an integer")
        values[name] = value
    return PositionSelector(values["start"], values["end"])


def quote_context(text: str, start: int, end: int, width: int = CONTEXT_WIDTH) -> tuple[str, str]:
    """Return (prefix, suffix): up to `width` code points of text each side of [start, end)."""
    return text[max(0, start - width) : start], text[end : end + width]


def anchor_quote(
    text: str, quote: QuoteSelector, position: PositionSelector | None, max_quote: int = 5000
) -> Anchor:
    """Locate the quote in text: the quote with its context decides, the position is a hint."""
    if len(quote.exact) > max_quote:
        raise AnchoringError(
            f"the quote is {len(quote.exact)} characters long; the limit is {max_quote}"
        )
    if position is not None and position.end > len(text):
        raise AnchoringError(
            f"{POSITION}.end ({position.end}) is beyond the end of the text "
            f"({len(text)} characters)"
        )
    if position is not None and _matches_at(text, quote, position):
        start, corrected = position.start, False
    else:
        start, corrected = _locate(text, quote), True
    end = start + len(quote.exact)
    if not is_grapheme_boundary(text, start):
        raise AnchoringError(f"the selection starts inside a combined character {_SPLIT_HINT}")
    if not is_grapheme_boundary(text, end):
        raise AnchoringError(f"the selection ends inside a combined character {_SPLIT_HINT}")
    prefix, suffix = quote_context(text, start, end)
    return Anchor(start, end, quote.exact, prefix, suffix, corrected)


def _matches_at(text: str, quote: QuoteSelector, position: PositionSelector) -> bool:
    start, end = position.start, position.end
    return (
        end - start == len(quote.exact)
        and text.startswith(quote.exact, start)
        and text.endswith(quote.prefix, 0, start)
        and text.startswith(quote.suffix, end)
    )


def _locate(text: str, quote: QuoteSelector) -> int:
    """Find the one start where prefix + exact + suffix occurs, or say why there is none.

    A position hint equal to one of several occurrences never gets here: the caller has
    already accepted it, since "equal to an occurrence with this context" is its own test.
    """
    needle = quote.prefix + quote.exact + quote.suffix
    starts: list[int] = []
    found = text.find(needle)
    while found != -1 and len(starts) < MAX_OCCURRENCES:
        starts.append(found + len(quote.prefix))
        found = text.find(needle, found + 1)
    if len(starts) == 1:
        return starts[0]
    if starts:
        count = f"{len(starts)}" if found == -1 else f"at least {len(starts)}"
        raise AmbiguousQuote(
            f"ambiguous: the quote occurs {count} times with this context; "
            "send a longer prefix/suffix or a position",
            count,
        )
    if text.find(quote.exact) != -1:
        raise AnchoringError(
            "the quoted text was found, but its prefix/suffix do not match the text around it"
        )
    raise AnchoringError("the quoted text does not occur in this version of the document")


def is_grapheme_boundary(text: str, index: int) -> bool:
    """Tell whether index falls between two user-perceived characters (grapheme clusters)."""
    if index <= 0 or index >= len(text):
        return True
    if text[index - 1] == "\r" and text[index] == "\n":
        return False
    # A line feed always breaks a cluster, so clustering the surrounding line is enough.
    line_start = text.rfind("\n", 0, index) + 1
    line_end = text.find("\n", index)
    if line_end == -1:
        line_end = len(text)
    if index in (line_start, line_end):
        return True
    for match in _GRAPHEME.finditer(text, line_start, line_end):
        if match.end() >= index:
            return match.end() == index
    return False
