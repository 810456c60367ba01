"""Named entities without a model: people, places and organisations by capitalisation."""

from __future__ import annotations

from collections.abc import Sequence

import regex

from annotations.lexicon import (
    FUNCTION_WORDS,
    NOT_NAMES,
    OF_HEADS,
    ORG_ACRONYMS,
    ORG_NAMES,
    ORG_WORDS,
    PLACES,
    TITLES,
)

# Capitalised word runs (not the sentence's first word unless it is a known name) classified
# by small gazetteers. Multi-word names use "_" for the space.

_CAPITAL = regex.compile(r"^(?:(?:al|el|bin|ibn|van|von|de|da|di)-)?\p{Lu}")
_TOKEN = regex.compile(r"[\p{L}\p{M}]+(?:[-.'’][\p{L}\p{M}]+)*\.?")
_POSSESSIVE = regex.compile(r"['’]s?$")
_Run = list[tuple[str, int, int]]  # (word without possessive, start, end) in the sentence


def _capitalised_runs(sentence: str, known: frozenset[str]) -> list[_Run]:
    """Runs of capitalised words joined by spaces or a heading "of (the)"; possessives end one."""
    runs: list[_Run] = []
    current: _Run = []
    tokens = list(_TOKEN.finditer(sentence))
    for index, match in enumerate(tokens):
        word = match.group() if match.group() in PLACES else match.group().rstrip(".")
        gap = sentence[current[-1][2] : match.start()] if current else ""
        if _CAPITAL.match(word) and (index > 0 or _opens_name(word, tokens, known)):
            if gap != " " and not (gap in {" of ", " of the "} and _heads(current[-1][0])):
                current = []
                runs.append(current)
            bare = _POSSESSIVE.sub("", word)
            if bare == "People":  # "Democratic People’s Republic of Korea" is one name
                current.append((bare, match.start(), match.start() + len(word)))
                continue
            current.append((bare, match.start(), match.start() + len(bare)))
            if bare != word:  # "Trump’s North Korean initiative": the name ends here
                current = []
        elif not (current and word in {"of", "the"} and gap in {" ", " of "}):
            current = []
    return [run for run in runs if run]


def _opens_name(word: str, tokens: Sequence[regex.Match[str]], known: frozenset[str]) -> bool:
    """A sentence's capitalised first word is a name if known, or if a name follows it."""
    if _is_known(word, known):
        return True
    if word.lower() in FUNCTION_WORDS or len(tokens) < 2:
        return False
    second = tokens[1]
    return tokens[0].end() + 1 == second.start() and bool(_CAPITAL.match(second.group()))


def _heads(word: str) -> bool:
    return word in ORG_WORDS or word in TITLES or word in OF_HEADS


def _is_known(word: str, known: frozenset[str]) -> bool:
    bare = _POSSESSIVE.sub("", word)
    return bare in PLACES or bare in ORG_ACRONYMS or bare in TITLES or bare in known


def _is_org(word: str) -> bool:
    return word in ORG_ACRONYMS or word in ORG_WORDS or word.removesuffix("s") in ORG_WORDS


def _classify(run: Sequence[str], known: frozenset[str]) -> str | None:
    """Return "person", "place" or "organisation" for a run of capitalised words, or None."""
    parts = [piece for word in run for piece in word.split("-")]
    names = [word for word in run if word not in TITLES and word not in NOT_NAMES]
    spans = [" ".join(parts[i : i + n]) for n in (1, 2, 3) for i in range(len(parts))]
    titled = any(word in TITLES for word in run) and names and run[-1] in names
    if titled and " ".join(names) not in PLACES and not any(map(_is_org, names)):
        return "person"
    if " ".join(run) in PLACES:
        return "place"
    if " ".join(run) in ORG_NAMES or any(map(_is_org, parts)):
        return "organisation"
    if any(span in PLACES for span in spans):
        return "place"
    if len(names) >= 2 or (len(names) == 1 and names[0] in known):
        return "person"
    if len(run) == 1 and regex.fullmatch(r"\p{Lu}{2,6}", run[0]):
        return "organisation"  # an unlisted acronym is most often a body or agency
    return None


def find_entities(sentence: str, known: frozenset[str] = frozenset()) -> list[tuple[str, str]]:
    """Return (kind, words as written) for each named person, place or organisation."""
    found: list[tuple[str, str]] = []
    for run in _capitalised_runs(sentence, known):
        kind = _classify([word for word, _, _ in run], known)
        if kind is not None:
            found.append((kind, sentence[run[0][1] : run[-1][2]]))
    return found


def person_names(sentence: str, known: frozenset[str] = frozenset()) -> set[str]:
    """Return the name words of people in a sentence, so later mentions ("Putin") resolve."""
    return {
        word
        for kind, words in find_entities(sentence, known)
        if kind == "person"
        for word in regex.split(r"[\s’']+", words)
        if word not in TITLES and word not in NOT_NAMES and len(word) > 2
    }
