"""The search box's query language: a hand-written scanner that turns a string into a small AST.

Engine-neutral on purpose: the search module translates a ParsedQuery for Whoosh.
Malformed input is searched as plain words with a notice; only the limits raise QueryError.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from types import MappingProxyType
from typing import TypeAlias, TypeVar

from corpus.errors import CorpusError

FILTER_FIELDS = ("tag", "user", "doc", "type", "kind", "status", "verdict")
TYPES = ("passage", "annotation", "source")
KINDS = ("comment", "highlight", "claim", "question", "reply")
VOCABULARIES: Mapping[str, tuple[str, ...]] = MappingProxyType({"type": TYPES, "kind": KINDS})
MIN_PREFIX = 2

_QUOTES = frozenset('"“”„')
_PARENS = frozenset("()")
# punctuation and these symbol classes are trimmed from the ends of words; emoji (So) are kept
_TRIMMED = frozenset({"Sm", "Sk", "Sc"})
_JOINERS = frozenset("\u200c\u200d")  # needed inside emoji sequences and Indic scripts
_T = TypeVar("_T")


class QueryError(CorpusError, ValueError):
    """A query breaks a limit (too long, too many terms, too broad a wildcard)."""


@dataclass(frozen=True)
class Word:
    """A word that must (or must not) occur."""

    text: str


@dataclass(frozen=True)
class Phrase:
    """Words that must occur together, in order."""

    words: tuple[str, ...]


@dataclass(frozen=True)
class Prefix:
    """A word beginning: `text` is what the user typed before the trailing star."""

    text: str


Clause: TypeAlias = Word | Phrase | Prefix
FilterMap: TypeAlias = Mapping[str, tuple[str, ...]]


def _freeze(filters: FilterMap) -> FilterMap:
    return MappingProxyType({key: tuple(values) for key, values in filters.items()})


@dataclass(frozen=True)
class ParsedQuery:
    """A parsed query; filters are read-only mappings (MappingProxyType) of field -> values.

    Equality ignores `notices`: two queries are equal when they search for the same thing.
    """

    must: tuple[tuple[Clause, ...], ...] = ()  # AND of groups; each group is an OR of clauses
    must_not: tuple[Clause, ...] = ()
    filters: FilterMap = field(default_factory=dict, hash=False)  # values of one field: OR
    exclude_filters: FilterMap = field(default_factory=dict, hash=False)
    notices: tuple[str, ...] = field(default=(), compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "filters", _freeze(self.filters))
        object.__setattr__(self, "exclude_filters", _freeze(self.exclude_filters))

    @property
    def is_empty(self) -> bool:
        """Return True if there is no term and no filter (a lone `-word` is not empty)."""
        return not (self.must or self.must_not or self.filters or self.exclude_filters)

    @property
    def term_count(self) -> int:
        """Count the words, phrases, prefixes and filter values, as max_terms does."""
        filters = [*self.filters.values(), *self.exclude_filters.values()]
        return sum(map(len, self.must)) + len(self.must_not) + sum(map(len, filters))

    def describe(self) -> str:
        """Return the normalised query text: groups, filters, exclusions, excluded filters."""
        parts = [" OR ".join(map(_clause_text, group)) for group in self.must]
        parts += _filter_texts(self.filters, "")
        parts += ["-" + _clause_text(clause) for clause in self.must_not]
        parts += _filter_texts(self.exclude_filters, "-")
        return " ".join(parts)


def _clause_text(clause: Clause) -> str:
    if isinstance(clause, Phrase):
        return '"' + " ".join(clause.words) + '"'
    if isinstance(clause, Prefix):
        return clause.text + "*"
    return clause.text


def _filter_texts(filters: FilterMap, sign: str) -> list[str]:
    texts = []
    for name, values in filters.items():
        for value in values:
            quoted = not value or any(c.isspace() or c in _PARENS for c in value)
            texts.append(f'{sign}{name}:"{value}"' if quoted else f"{sign}{name}:{value}")
    return texts


def with_filter(query: ParsedQuery, field: str, value: str) -> ParsedQuery:
    """Return the query with one more allowed value for a filter (for facet links)."""
    name = field.lower()
    if name not in FILTER_FIELDS:
        raise ValueError(f"unknown filter field {field!r}")
    normal = _normalise_value(name, _clean_input(value))
    if not normal or normal not in VOCABULARIES.get(name, (normal,)):
        raise ValueError(f"invalid value {value!r} for the filter {name}")
    values = query.filters.get(name, ())
    if normal in values:
        return query
    return replace(query, filters={**query.filters, name: (*values, normal)})


def parse_query(raw: str, max_length: int = 500, max_terms: int = 20) -> ParsedQuery:
    """Parse what someone typed in the search box; raise QueryError only for the limits."""
    if not isinstance(raw, str):
        raise QueryError("The query must be text.")
    raw = raw.strip()
    if len(raw) > max_length:
        raise QueryError(f"The query is {len(raw)} characters long; the limit is {max_length}.")
    text, had_stray = _drop_stray_quote(_clean_input(raw))
    scanner = _Scanner(text)
    if had_stray:
        scanner.notices.add('Ignored the unmatched quote (").')
    scanner.run()
    query = _combine(scanner.items, scanner.notices)
    if query.term_count > max_terms:
        raise QueryError(
            f"The query has {query.term_count} search terms; the limit is {max_terms}."
        )
    return query


def _clean_input(raw: str) -> str:
    """Drop controls, surrogates and invisible format characters; NFC the rest."""
    kept = []
    for char in raw:
        category = unicodedata.category(char)
        if category == "Cc" or char == "\u200b":
            kept.append(" " if char.isspace() or char == "\u200b" else "")
        elif category == "Cs" or (category == "Cf" and char not in _JOINERS):
            continue
        else:
            kept.append(char)
    return unicodedata.normalize("NFC", "".join(kept))


def _drop_stray_quote(text: str) -> tuple[str, bool]:
    """Quotes pair up in order, so with an odd count the last one is the stray: drop it."""
    positions = [i for i, char in enumerate(text) if char in _QUOTES]
    if len(positions) % 2 == 0:
        return text, False
    i = positions[-1]
    # after '-' or 'field:' the quote vanishes (`-"word` excludes word); elsewhere it separates
    glue = "" if i > 0 and text[i - 1] in "-:" else " "
    return text[:i] + glue + text[i + 1 :], True


def _is_trimmed(char: str) -> bool:
    category = unicodedata.category(char)
    return category[0] == "P" or category in _TRIMMED


def _trim(text: str) -> str:
    """Strip punctuation from both ends; apostrophes and hyphens inside stay."""
    start, end = 0, len(text)
    while start < end and _is_trimmed(text[start]):
        start += 1
    while end > start and _is_trimmed(text[end - 1]):
        end -= 1
    return text[start:end]


def _shorten(text: str, limit: int = 12) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _is_separator(char: str) -> bool:
    return char.isspace() or char in _PARENS


def _normalise_value(name: str, value: str) -> str:
    """Normalise a filter value; the result reads back the same once described."""
    value = " ".join("".join(c for c in value if c not in _QUOTES).lower().split())
    if name == "tag":
        return value
    if name in VOCABULARIES:
        return _trim(value)
    if name == "user":
        return "".join(c for c in value if c.isalnum() or c in "._-")
    if name == "doc":  # document ids are slugs
        slug = "".join(c if c.isascii() and c.isalnum() else " " for c in value)
        return "-".join(slug.split())
    return "".join(c for c in value.replace(" ", "_") if c.isalnum() or c in "_-")


@dataclass(frozen=True)
class _Term:
    clause: Clause
    negated: bool


@dataclass(frozen=True)
class _Filter:
    name: str
    value: str
    negated: bool


@dataclass(frozen=True)
class _Or:
    pass


_Item: TypeAlias = _Term | _Filter | _Or


class _Notices(list[str]):
    def add(self, notice: str) -> None:
        if notice not in self:
            self.append(notice)


class _Scanner:
    """One pass over the characters; every branch advances, so hostile input stays linear."""

    def __init__(self, text: str) -> None:
        self.text = text
        self.pos = 0
        self.items: list[_Item] = []
        self.notices = _Notices()
        self.dropped: list[str] = []

    def run(self) -> None:
        """Scan the whole text into items and notices."""
        text = self.text
        while self.pos < len(text):
            char = text[self.pos]
            if _is_separator(char):
                self._note_separator(char)
                self.pos += 1
            elif char == "-":
                self.pos += 1
                if self.pos == len(text) or _is_separator(text[self.pos]):
                    self.notices.add("Ignored a '-' with nothing after it.")
                else:
                    self._read_term(negated=True)
            else:
                self._read_term(negated=False)
        if self.dropped:
            shown = [_shorten(token) for token in dict.fromkeys(self.dropped)]
            self.notices.add("Ignored punctuation: " + " ".join(shown[:5]) + ".")

    def _note_separator(self, char: str) -> None:
        if char in _PARENS:
            self.notices.add("Ignored the parentheses: grouping is not supported.")

    def _read_term(self, negated: bool) -> None:
        if self.text[self.pos] in _QUOTES:
            words = tuple(w for w in map(_trim, self._read_quoted().split()) if w)
            if words:
                self.items.append(_Term(Phrase(words), negated))
            else:
                self.notices.add("Ignored an empty phrase.")
            return
        start = self.pos
        while self.pos < len(self.text) and not self._ends_bare(self.text[self.pos]):
            self.pos += 1
        self._take_token(self.text[start : self.pos], negated)

    def _ends_bare(self, char: str) -> bool:
        return _is_separator(char) or char in _QUOTES

    def _read_quoted(self) -> str:
        """Return the text up to the closing quote (there is one: strays were removed)."""
        start = self.pos + 1
        end = start
        while end < len(self.text) and self.text[end] not in _QUOTES:
            end += 1
        self.pos = end + 1
        return self.text[start:end]

    def _take_token(self, token: str, negated: bool) -> None:
        if token == "OR" and not negated:
            self.items.append(_Or())
            return
        head, colon, value = token.partition(":")
        if colon and head.lower() in FILTER_FIELDS:
            if not value and self.pos < len(self.text) and self.text[self.pos] in _QUOTES:
                value = self._read_quoted()
            self._add_filter(head.lower(), value, negated)
            return
        if colon and head.isalpha():
            self.notices.add(
                f"'{head}' is not a filter (use {', '.join(FILTER_FIELDS)}); "
                "searched its parts as words."
            )
        parts = token.split(":")
        if not any(parts):
            self.dropped.append(token)
        for part in parts:
            self._add_word(part, negated)

    def _add_word(self, part: str, negated: bool) -> None:
        if "*" in part:
            stem = part.rstrip("*")
            if "*" in stem or len(_trim(stem)) < MIN_PREFIX:
                raise QueryError(
                    f"The wildcard '{part}' would scan the whole index: only a trailing * "
                    f"after at least {MIN_PREFIX} characters is allowed (e.g. 'ru*')."
                )
            self.items.append(_Term(Prefix(_trim(stem)), negated))
            return
        word = _trim(part)
        if word:  # 'OR,' or 'foo:OR' is a plain word; lowercased so it never reads as OR
            self.items.append(_Term(Word("or" if word == "OR" else word), negated))
        elif part:
            self.dropped.append(part)

    def _add_filter(self, name: str, raw: str, negated: bool) -> None:
        value = _normalise_value(name, raw)
        shown = f"{'-' if negated else ''}{name}:{raw}"
        if not value:
            self.notices.add(f"Ignored the empty filter {shown}.")
        elif value not in VOCABULARIES.get(name, (value,)):
            allowed = ", ".join(VOCABULARIES[name])
            self.notices.add(f"Ignored {shown}: {name} must be one of {allowed}.")
        else:
            if "*" in value:
                self.notices.add(f"Filters match whole values: the * in {shown} is not a wildcard.")
            self.items.append(_Filter(name, value, negated))


def _can_join(left: _Item | None, right: _Item) -> bool:
    """OR joins two positive terms, or two values of one positive filter (already an OR)."""
    if isinstance(left, _Term) and isinstance(right, _Term):
        return not (left.negated or right.negated)
    if isinstance(left, _Filter) and isinstance(right, _Filter):
        return left.name == right.name and not (left.negated or right.negated)
    return False


def _combine(items: list[_Item], notices: _Notices) -> ParsedQuery:
    """Fold the items into groups, exclusions and filters, resolving each OR."""
    groups: list[list[Clause]] = []
    must_not: list[Clause] = []
    filters: dict[bool, dict[str, list[str]]] = {False: {}, True: {}}
    prev: _Item | None = None
    pending = False
    for item in items:
        if isinstance(item, _Or):
            if prev is None:
                notices.add("Ignored OR at the start of the query.")
            elif pending:
                notices.add("Ignored a repeated OR.")
            pending = prev is not None
            continue
        joined = pending and _can_join(prev, item)
        if pending and not joined:
            notices.add("Ignored an OR: it joins only two words, phrases or prefixes.")
        pending, prev = False, item
        if isinstance(item, _Filter):
            filters[item.negated].setdefault(item.name, []).append(item.value)
        elif item.negated:
            must_not.append(item.clause)
        elif joined:
            groups[-1].append(item.clause)
        else:
            groups.append([item.clause])
    if pending:
        notices.add("Ignored OR at the end of the query.")
    return ParsedQuery(
        must=_unique(tuple(_unique(group)) for group in groups),
        must_not=_unique(must_not),
        filters={name: _unique(values) for name, values in filters[False].items()},
        exclude_filters={name: _unique(values) for name, values in filters[True].items()},
        notices=tuple(notices),
    )


def _unique(items: Iterable[_T]) -> tuple[_T, ...]:
    return tuple(dict.fromkeys(items))
