"""The search query language: syntax, malformed input, limits, describe() and fuzzing."""

from __future__ import annotations

import dataclasses
import random

import pytest

from corpus.errors import CorpusError
from corpus.querylang import (
    FILTER_FIELDS,
    KINDS,
    TYPES,
    ParsedQuery,
    Phrase,
    Prefix,
    QueryError,
    Word,
    parse_query,
    with_filter,
)

W, P, X = Word, Prefix, Phrase


def q(
    *must: object,
    must_not: tuple[object, ...] = (),
    filters: dict[str, tuple[str, ...]] | None = None,
    exclude: dict[str, tuple[str, ...]] | None = None,
) -> ParsedQuery:
    """Build the expected query; a tuple in `must` is an OR group, anything else a lone clause."""
    groups = tuple(item if isinstance(item, tuple) else (item,) for item in must)
    return ParsedQuery(groups, must_not, filters or {}, exclude or {})  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("russia", q(W("russia"))),
        ("russia china", q(W("russia"), W("china"))),
        ("  russia \t\n china  ", q(W("russia"), W("china"))),
        ('"north korea"', q(X(("north", "korea")))),
        ('"north   korea"', q(X(("north", "korea")))),
        ('"russia"', q(X(("russia",)))),
        ("“north korea”", q(X(("north", "korea")))),
        ('russia "north korea" china', q(W("russia"), X(("north", "korea")), W("china"))),
        ('a"b c"d', q(W("a"), X(("b", "c")), W("d"))),
        ("-china", q(must_not=(W("china"),))),
        ('-"north korea"', q(must_not=(X(("north", "korea")),))),
        ("sov*", q(P("sov"))),
        ("sov**", q(P("sov"))),
        ("-sov*", q(must_not=(P("sov"),))),
        ("ab*", q(P("ab"))),
        ('"sov* union"', q(X(("sov", "union")))),
        ("nato OR un", q((W("nato"), W("un")))),
        ('nato OR "north atlantic"', q((W("nato"), X(("north", "atlantic"))))),
        ("a OR b OR cc*", q((W("a"), W("b"), P("cc")))),
        ("a b OR c d", q(W("a"), (W("b"), W("c")), W("d"))),
        ("a OR b c OR d", q((W("a"), W("b")), (W("c"), W("d")))),
        ("nato or un", q(W("nato"), W("or"), W("un"))),
        ('"this OR that"', q(X(("this", "OR", "that")))),
        ("-OR", q(must_not=(W("or"),))),
        ("tag:history", q(filters={"tag": ("history",)})),
        ('tag:"cold war"', q(filters={"tag": ("cold war",)})),
        ("tag:a tag:b", q(filters={"tag": ("a", "b")})),
        ("tag:a user:bob", q(filters={"tag": ("a",), "user": ("bob",)})),
        ("-tag:a", q(exclude={"tag": ("a",)})),
        ('-tag:"cold war"', q(exclude={"tag": ("cold war",)})),
        ("type:passage kind:claim", q(filters={"type": ("passage",), "kind": ("claim",)})),
        ("status:open verdict:false", q(filters={"status": ("open",), "verdict": ("false",)})),
        ("doc:my-article", q(filters={"doc": ("my-article",)})),
        ("tag:a:b", q(filters={"tag": ("a:b",)})),
        ("russia russia", q(W("russia"))),
        ("tag:a tag:a", q(filters={"tag": ("a",)})),
        ("a OR a", q(W("a"))),
        ("", q()),
        ("   ", q()),
    ],
)
def test_well_formed_syntax(raw: str, expected: ParsedQuery) -> None:
    parsed = parse_query(raw)
    assert parsed == expected
    assert parsed.notices == ()


@pytest.mark.parametrize(
    ("raw", "expected", "notice"),
    [
        ('"north atlantic', q(W("north"), W("atlantic")), "unmatched quote"),
        ('nato "north atlantic', q(W("nato"), W("north"), W("atlantic")), "unmatched quote"),
        ('"a b" "c', q(X(("a", "b")), W("c")), "unmatched quote"),
        ('nato"', q(W("nato")), "unmatched quote"),
        ('x"y', q(W("x"), W("y")), "unmatched quote"),
        ('-"north korea', q(W("korea"), must_not=(W("north"),)), "unmatched quote"),
        ('tag:"cold war', q(W("war"), filters={"tag": ("cold",)}), "unmatched quote"),
        ('"', q(), "unmatched quote"),
        ("-", q(), "'-' with nothing after it"),
        ("china -", q(W("china")), "'-' with nothing after it"),
        ("- china", q(W("china")), "'-' with nothing after it"),
        ("-(china)", q(W("china")), "'-' with nothing after it"),
        ("OR nato", q(W("nato")), "OR at the start"),
        ("nato OR", q(W("nato")), "OR at the end"),
        ("OR", q(), "OR at the start"),
        ("nato OR OR un", q((W("nato"), W("un"))), "repeated OR"),
        ("a OR -b", q(W("a"), must_not=(W("b"),)), "joins only"),
        ("-a OR b", q(W("b"), must_not=(W("a"),)), "joins only"),
        ("a OR tag:x", q(W("a"), filters={"tag": ("x",)}), "joins only"),
        ("tag:x OR user:y", q(filters={"tag": ("x",), "user": ("y",)}), "joins only"),
        ("-tag:x OR -tag:y", q(exclude={"tag": ("x", "y")}), "joins only"),
        ("foo:bar", q(W("foo"), W("bar")), "'foo' is not a filter"),
        ("-foo:bar", q(must_not=(W("foo"), W("bar"))), "'foo' is not a filter"),
        ('foo:"bar baz"', q(W("foo"), X(("bar", "baz"))), "'foo' is not a filter"),
        ("http://example.org", q(W("http"), W("example.org")), "'http' is not a filter"),
        ("tag:", q(), "empty filter tag:"),
        ('tag:""', q(), "empty filter tag:"),
        ("nato -user:", q(W("nato")), "empty filter -user:"),
        ("user:@@", q(), "empty filter user:@@"),
        ("(nato OR un)", q((W("nato"), W("un"))), "parentheses"),
        ("(nato", q(W("nato")), "parentheses"),
        ("nato)", q(W("nato")), "parentheses"),
        ("a (b OR c) d", q(W("a"), (W("b"), W("c")), W("d")), "parentheses"),
        ("russia & china", q(W("russia"), W("china")), "punctuation: &"),
        ("russia || china", q(W("russia"), W("china")), "punctuation: ||"),
        ("--", q(), "punctuation: -"),
        ("!!! ... ???", q(), "punctuation: !!! ... ???"),
        (":::", q(), "punctuation: :::"),
        ('""', q(), "empty phrase"),
        ('"..." nato', q(W("nato")), "empty phrase"),
        ("type:foo", q(), "type must be one of passage, annotation, source"),
        ("kind:bar nato", q(W("nato")), "kind must be one of comment, highlight"),
        ("-type:foo", q(), "Ignored -type:foo"),
        ("tag:hist*", q(filters={"tag": ("hist*",)}), "not a wildcard"),
    ],
)
def test_malformed_input_is_searched_as_words_with_a_notice(
    raw: str, expected: ParsedQuery, notice: str
) -> None:
    parsed = parse_query(raw)
    assert parsed == expected
    assert any(notice in text for text in parsed.notices), parsed.notices


def test_the_unmatched_quote_notice_names_the_quote() -> None:
    assert parse_query('"abc').notices == ('Ignored the unmatched quote (").',)


def test_only_punctuation_is_an_empty_query() -> None:
    parsed = parse_query("(( -- !! ))")
    assert parsed.is_empty
    assert parsed.describe() == ""
    assert parsed.notices


def test_long_junk_is_shortened_in_notices() -> None:
    (notice,) = parse_query("+" * 300).notices
    assert len(notice) < 60


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("TAG:History", q(filters={"tag": ("history",)})),
        ('Tag:"  Cold   War "', q(filters={"tag": ("cold war",)})),
        ("tag:c++", q(filters={"tag": ("c++",)})),
        ("USER:@Alice", q(filters={"user": ("alice",)})),
        ("user:j.doe_2-x", q(filters={"user": ("j.doe_2-x",)})),
        ('doc:"My Article!"', q(filters={"doc": ("my-article",)})),
        ("Type:Passage", q(filters={"type": ("passage",)})),
        ("kind:Claim,", q(filters={"kind": ("claim",)})),
        ('status:"Needs Review"', q(filters={"status": ("needs_review",)})),
        ("status:In-Progress", q(filters={"status": ("in-progress",)})),
        ("verdict:Mostly_True!", q(filters={"verdict": ("mostly_true",)})),
        ("verdict:faux", q(filters={"verdict": ("faux",)})),
        ("tag:a OR tag:b", q(filters={"tag": ("a", "b")})),
        ("tag:a -tag:b", q(filters={"tag": ("a",)}, exclude={"tag": ("b",)})),
    ],
)
def test_filter_values_are_normalised(raw: str, expected: ParsedQuery) -> None:
    assert parse_query(raw) == expected


@pytest.mark.parametrize("value", TYPES)
def test_every_type_is_accepted(value: str) -> None:
    assert parse_query(f"type:{value}").filters == {"type": (value,)}


@pytest.mark.parametrize("value", KINDS)
def test_every_kind_is_accepted(value: str) -> None:
    assert parse_query(f"-kind:{value.upper()}").exclude_filters == {"kind": (value,)}


@pytest.mark.parametrize("name", FILTER_FIELDS)
def test_every_filter_field_parses(name: str) -> None:
    value = "passage" if name == "type" else "claim" if name == "kind" else "x-1"
    assert parse_query(f"{name.upper()}:{value}").filters == {name: (value,)}


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("Russia’s", q(W("Russia’s"))),
        ("Russia's", q(W("Russia's"))),
        ("'Russia'", q(W("Russia"))),
        ("US-Russian", q(W("US-Russian"))),
        ("Éire café naïve", q(W("Éire"), W("café"), W("naïve"))),
        ("cafe\u0301", q(W("café"))),  # NFC
        ("Москва 北京 القاهرة", q(W("Москва"), W("北京"), W("القاهرة"))),
        ("Мос*", q(P("Мос"))),
        ("russia,", q(W("russia"))),
        ("(u.s.)", q(W("u.s"))),
        ("👩‍🔬", q(W("👩‍🔬"))),
        ("a\u00a0b", q(W("a"), W("b"))),
        ("a\u200bb", q(W("a"), W("b"))),
        ("re\u00adsearch", q(W("research"))),
    ],
)
def test_unicode_words(raw: str, expected: ParsedQuery) -> None:
    assert parse_query(raw) == expected


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("rus\x00sia", q(W("russia"))),
        ("rus\x07sia", q(W("russia"))),
        ("russia\x1bchina", q(W("russiachina"))),
        ("russia\tchina\r\n", q(W("russia"), W("china"))),
        ("rus\ud800sia", q(W("russia"))),
        ("\udfff\ud83d", q()),
        ("a\u202eb", q(W("ab"))),
    ],
)
def test_control_characters_and_lone_surrogates_are_removed(
    raw: str, expected: ParsedQuery
) -> None:
    parsed = parse_query(raw)
    assert parsed == expected
    parsed.describe().encode("utf-8")  # never a UnicodeError downstream


@pytest.mark.parametrize(
    "raw", ["*", "a*", "*ism", "ab*cd", "**", "-*", "a-*", "*ab*", "'a*", "foo:b*", "ok ab*cd*"]
)
def test_broad_wildcards_are_refused(raw: str) -> None:
    with pytest.raises(
        QueryError, match=r"only a trailing \* after at least 2 characters"
    ) as caught:
        parse_query(raw)
    assert "e.g. 'ru*'" in str(caught.value)


def test_a_query_too_long_is_refused_with_the_limit() -> None:
    parse_query("a" * 500)
    parse_query("  " + "a" * 500 + "  ")  # surrounding space does not count
    with pytest.raises(QueryError, match=r"501 characters long; the limit is 500\."):
        parse_query("a" * 501)
    with pytest.raises(QueryError, match=r"the limit is 10\."):
        parse_query("abcdefghijk", max_length=10)


@pytest.mark.parametrize(
    "raw",
    [
        " ".join(f"w{i}" for i in range(21)),
        " ".join(f"tag:t{i}" for i in range(21)),
        " ".join(f'"a{i} b{i}"' for i in range(11)) + " " + " ".join(f"-x{i}" for i in range(10)),
        " OR ".join(f"p{i}*" for i in range(21)),
    ],
)
def test_too_many_terms_is_refused_with_the_limit(raw: str) -> None:
    with pytest.raises(QueryError, match=r"has 21 search terms; the limit is 20\."):
        parse_query(raw)


def test_terms_are_counted_after_duplicates_and_ignored_parts_go() -> None:
    assert parse_query(" ".join(f"w{i}" for i in range(20))).term_count == 20
    assert parse_query("w " * 30).term_count == 1
    assert parse_query("a b c", max_terms=3).term_count == 3
    with pytest.raises(QueryError, match="the limit is 2"):
        parse_query("a b c", max_terms=2)


def test_query_error_belongs_to_the_corpus_hierarchy_and_is_a_value_error() -> None:
    assert issubclass(QueryError, CorpusError)
    assert issubclass(QueryError, ValueError)


def test_a_non_string_is_refused() -> None:
    with pytest.raises(QueryError, match="must be text"):
        parse_query(None)  # type: ignore[arg-type]


def test_is_empty() -> None:
    assert parse_query("").is_empty
    assert not parse_query("a").is_empty
    assert not parse_query("-a").is_empty  # everything except a
    assert not parse_query("tag:x").is_empty
    assert not parse_query("-tag:x").is_empty


def test_parsed_query_is_immutable_and_hashable() -> None:
    parsed = parse_query("a tag:x -tag:y")
    with pytest.raises(dataclasses.FrozenInstanceError):
        parsed.must = ()  # type: ignore[misc]
    with pytest.raises(TypeError):
        parsed.filters["tag"] = ("z",)  # type: ignore[index]
    assert hash(parsed) == hash(parse_query("a tag:x -tag:y"))


def test_filters_are_copied_from_the_caller_dict() -> None:
    filters = {"tag": ("x",)}
    built = ParsedQuery(filters=filters)
    filters["tag"] = ("y",)
    assert built.filters == {"tag": ("x",)}


def test_equality_ignores_notices() -> None:
    assert parse_query("a OR") == parse_query("a")
    assert parse_query("a OR").notices != parse_query("a").notices


@pytest.mark.parametrize(
    ("raw", "described"),
    [
        ("russia", "russia"),
        ('-china russia tag:History "north korea"', 'russia "north korea" tag:history -china'),
        ("“north korea”", '"north korea"'),
        ("nato OR un -tag:x kind:claim", "nato OR un kind:claim -tag:x"),
        ('tag:"Cold War" sov*', 'sov* tag:"cold war"'),
        ('tag:"a(b"', 'tag:"a(b"'),
        ("OR a OR", "a"),
    ],
)
def test_describe_normalises(raw: str, described: str) -> None:
    assert parse_query(raw).describe() == described


ROUND_TRIP = [
    "russia",
    "russia china",
    '"north korea"',
    'russia "north korea" tag:history -china',
    "-china",
    '-"north korea"',
    "sov*",
    "-sov*",
    "nato OR un",
    'nato OR "north atlantic" OR pact*',
    "a b OR c d",
    "a OR b c OR d",
    "nato or un",
    "-OR",
    "tag:history",
    'tag:"cold war"',
    "tag:a tag:b -tag:c -tag:d",
    "user:Alice doc:My-Article",
    "type:passage type:source kind:claim",
    "-type:annotation -kind:reply",
    'status:"Needs Review" verdict:mostly_true',
    "tag:a:b",
    'tag:"a(b)"',
    '"north atlantic',
    'tag:"cold war',
    "-",
    "OR a OR OR b OR",
    "a OR -b",
    "foo:bar",
    "http://example.org/x?y=1",
    "tag:",
    "(nato OR un) AND (pact)",
    "russia & china",
    "type:foo kind:bar",
    "Russia’s US-Russian",
    "Москва 北京 👩‍🔬",
    "café naïve Éire",
    "a OR, b",
    "foo:OR",
    '"a*b" "x:y" "(p)"',
    "rus\x00sia \ud800",
    "",
]


@pytest.mark.parametrize("raw", ROUND_TRIP)
def test_describe_round_trips(raw: str) -> None:
    parsed = parse_query(raw)
    again = parse_query(parsed.describe())
    assert again == parsed
    assert again.describe() == parsed.describe()
    assert again.notices == ()


def test_with_filter_adds_a_value() -> None:
    base = parse_query("russia tag:history")
    added = with_filter(base, "Tag", "Cold War")
    assert added.filters == {"tag": ("history", "cold war")}
    assert added.must == base.must
    assert added.describe() == 'russia tag:history tag:"cold war"'
    assert parse_query(added.describe()) == added
    assert base.filters == {"tag": ("history",)}  # the original is untouched


def test_with_filter_adds_a_new_field_and_is_idempotent() -> None:
    base = parse_query("russia")
    added = with_filter(base, "kind", "Claim")
    assert added.filters == {"kind": ("claim",)}
    assert with_filter(added, "kind", "claim") is added


@pytest.mark.parametrize(
    ("name", "value", "message"),
    [
        ("colour", "red", "unknown filter field"),
        ("tag", "   ", "invalid value"),
        ("type", "foo", "invalid value"),
        ("kind", "", "invalid value"),
    ],
)
def test_with_filter_refuses_bad_fields_and_values(name: str, value: str, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        with_filter(parse_query("a"), name, value)


HOSTILE = [*'"-*:()ORtag \u00a0é', "👩‍🔬", "\x00", "\ud800"]


def test_fuzz_returns_a_query_or_raises_query_error() -> None:
    rng = random.Random(20240601)
    outcomes = {"parsed": 0, "refused": 0}
    for _ in range(2000):
        raw = "".join(rng.choice(HOSTILE) for _ in range(rng.randint(0, 60)))
        try:
            parsed = parse_query(raw)
        except QueryError:
            outcomes["refused"] += 1
            continue
        assert isinstance(parsed, ParsedQuery)
        assert parse_query(parsed.describe()) == parsed
        outcomes["parsed"] += 1
    assert outcomes["parsed"] > 100
    assert outcomes["refused"] > 100


@pytest.mark.parametrize(
    "raw",
    ['"' * 500, "-" * 500, "*" * 500, ":" * 500, "(" * 500, '"-*:' * 125, "tag:" * 125, '-"' * 250],
)
def test_hostile_500_character_queries_stay_linear(raw: str) -> None:
    # a backtracking trap would hang here for minutes; the scanner reads each character once
    result = _outcome(raw)
    assert isinstance(result, ParsedQuery) or "wildcard" in str(result)


def _outcome(raw: str) -> ParsedQuery | QueryError:
    try:
        return parse_query(raw)
    except QueryError as error:
        return error
