"""Citations: sources are validated records, deduped by normalized URL, exported safely."""

from __future__ import annotations

import json
from typing import Any

import jsonschema
import pytest

from annotations.citations import (
    STANCES,
    CitedSource,
    SourceInput,
    citation_key,
    cite_source,
    normalize_url,
    parse_source,
    parse_sources,
    to_bibtex,
    to_csl_json,
)
from annotations.errors import ValidationError

# The constraints of CSL-JSON (csl-data.json, CSL 1.0.2) that matter for what we export.
CSL_TYPES = [
    "article",
    "article-journal",
    "article-magazine",
    "article-newspaper",
    "bill",
    "book",
    "broadcast",
    "chapter",
    "classic",
    "collection",
    "dataset",
    "document",
    "entry",
    "entry-dictionary",
    "entry-encyclopedia",
    "event",
    "figure",
    "graphic",
    "hearing",
    "interview",
    "legal_case",
    "legislation",
    "manuscript",
    "map",
    "motion_picture",
    "musical_score",
    "pamphlet",
    "paper-conference",
    "patent",
    "performance",
    "periodical",
    "personal_communication",
    "post",
    "post-weblog",
    "regulation",
    "report",
    "review",
    "review-book",
    "software",
    "song",
    "speech",
    "standard",
    "thesis",
    "treaty",
    "webpage",
]
_FLAG = {"type": ["string", "number", "boolean"]}
NAME = {
    "type": "object",
    "properties": {
        "family": {"type": "string"},
        "given": {"type": "string"},
        "dropping-particle": {"type": "string"},
        "non-dropping-particle": {"type": "string"},
        "suffix": {"type": "string"},
        "comma-suffix": _FLAG,
        "static-ordering": _FLAG,
        "literal": {"type": "string"},
        "parse-names": _FLAG,
    },
    "additionalProperties": False,
    "minProperties": 1,
}
DATE = {
    "type": "object",
    "properties": {
        "date-parts": {
            "type": "array",
            "minItems": 1,
            "maxItems": 2,  # a date, or the two ends of a range
            "items": {
                "type": "array",
                "minItems": 1,
                "maxItems": 3,  # year, month, day
                "items": {"type": ["string", "integer"]},
            },
        },
        "season": {"type": ["string", "number"]},
        "circa": _FLAG,
        "literal": {"type": "string"},
        "raw": {"type": "string"},
    },
    "additionalProperties": False,
    "anyOf": [{"required": ["date-parts"]}, {"required": ["literal"]}, {"required": ["raw"]}],
}
CSL_SCHEMA: dict[str, Any] = {
    "$schema": "https://json-schema.org/draft/2020-12/schema",
    "type": "array",
    "items": {
        "type": "object",
        "required": ["id", "type"],
        "properties": {
            "id": {"type": ["string", "number"]},
            "type": {"enum": CSL_TYPES},
            "title": {"type": "string"},
            "URL": {"type": "string"},
            "container-title": {"type": "string"},
            "publisher": {"type": "string"},
            "author": {"type": "array", "items": {"$ref": "#/$defs/name"}},
            "issued": {"$ref": "#/$defs/date"},
            "accessed": {"$ref": "#/$defs/date"},
        },
        "additionalProperties": False,
    },
    "$defs": {"name": NAME, "date": DATE},
}


def raw_source(**overrides: object) -> dict[str, object]:
    source: dict[str, object] = {
        "url": "https://example.org/report",
        "title": "The annual report",
        "authors": ["Ada Lovelace"],
        "publisher": "Example Press",
        "published": "2021-03-04",
        "accessed": "2024-05-01",
        "excerpt": "Numbers went up.",
        "locator": "p. 4",
        "stance": "supports",
    }
    source.update(overrides)
    return {name: value for name, value in source.items() if value is not ...}


def cited(**overrides: object) -> CitedSource:
    return cite_source(parse_source(raw_source(**overrides)))


def error_of(raw: object, *, many: bool = False) -> str:
    with pytest.raises(ValidationError) as caught:
        parse_sources(raw) if many else parse_source(raw, index=2)
    assert caught.value.field == "sources"
    return caught.value.message


# --- URL normalization -------------------------------------------------------------------


@pytest.mark.parametrize(
    "variant",
    [
        "https://example.org/a/b",
        "HTTPS://EXAMPLE.ORG/a/b",
        "https://Example.org:443/a/b",
        "https://example.org/a/b/",
        "https://example.org/a/b#section-2",
        "https://example.org/a/b?utm_source=news&utm_medium=email",
        "https://example.org/a/b?fbclid=abc",
        "https://example.org/a/b?gclid=xyz&UTM_Campaign=x",
        "https://example.org./a/b",
        "  https://example.org/a/b  ",
        "https://example.org/%61/b",
    ],
)
def test_equivalent_urls_normalize_to_one_string(variant: str) -> None:
    assert normalize_url(variant) == "https://example.org/a/b"


def test_query_parameters_are_sorted_and_kept() -> None:
    assert normalize_url("https://example.org/s?b=2&a=1&utm_term=x") == (
        "https://example.org/s?a=1&b=2"
    )
    # repeated names keep their relative order
    assert normalize_url("https://example.org/s?q=2&a=1&q=1") == "https://example.org/s?a=1&q=2&q=1"


def test_root_path_and_default_ports() -> None:
    for url in ("http://example.org", "http://example.org/", "http://EXAMPLE.org:80/"):
        assert normalize_url(url) == "http://example.org/"
    assert normalize_url("http://example.org:8080/") == "http://example.org:8080/"
    assert normalize_url("https://example.org:80/") == "https://example.org:80/"


def test_international_hosts_use_idna_and_paths_percent_encoding() -> None:
    assert normalize_url("https://bücher.example/straße") == normalize_url(
        "https://xn--bcher-kva.example/stra%c3%9fe"
    )
    assert normalize_url("https://bücher.example/") == "https://xn--bcher-kva.example/"
    assert normalize_url("https://ＥＸＡＭＰＬＥ。org/") == "https://example.org/"


def test_ipv6_hosts_keep_their_brackets() -> None:
    assert normalize_url("http://[2001:DB8::1]:8080/x/") == "http://[2001:db8::1]:8080/x"


@pytest.mark.parametrize(
    ("one", "other"),
    [
        ("https://example.org/a", "https://example.org/b"),
        ("https://example.org/a?id=1", "https://example.org/a?id=2"),
        ("http://example.org/a", "https://example.org/a"),  # not merged: different origins
        ("https://www.example.org/a", "https://example.org/a"),
        ("https://example.org/A", "https://example.org/a"),
        ("https://example.org/a?q=a%2Bb", "https://example.org/a?q=a+b"),
        ("https://example.org:8443/a", "https://example.org/a"),
    ],
)
def test_different_pages_stay_different(one: str, other: str) -> None:
    assert normalize_url(one) != normalize_url(other)


# --- parsing -----------------------------------------------------------------------------


def test_a_full_source_is_parsed() -> None:
    source = parse_source(raw_source(url="https://Example.org/report/?utm_source=x"))
    assert source == SourceInput(
        url="https://Example.org/report/?utm_source=x",
        normalized_url="https://example.org/report",
        title="The annual report",
        authors=("Ada Lovelace",),
        publisher="Example Press",
        published="2021-03-04",
        accessed="2024-05-01",
        excerpt="Numbers went up.",
        locator="p. 4",
        stance="supports",
    )


def test_optional_fields_may_be_absent_and_stance_defaults_to_context() -> None:
    source = parse_source({"url": "https://example.org/", "title": "  Home   page "})
    assert (source.title, source.authors, source.publisher, source.stance) == (
        "Home page",
        (),
        None,
        "context",
    )
    assert (source.published, source.accessed, source.excerpt, source.locator) == (None,) * 4


def test_authors_as_one_string_are_split_on_semicolons() -> None:
    source = parse_source(raw_source(authors=" Ada  Lovelace ; ; Charles Babbage;"))
    assert source.authors == ("Ada Lovelace", "Charles Babbage")


def test_partial_dates_and_multiline_excerpts() -> None:
    source = parse_source(raw_source(published="2021", accessed="2024-02", excerpt=" a\r\nb\n"))
    assert (source.published, source.accessed, source.excerpt) == ("2021", "2024-02", "a\nb")
    assert parse_source(raw_source(published="2024-02-29")).published == "2024-02-29"


@pytest.mark.parametrize("stance", STANCES)
def test_every_stance_is_accepted(stance: str) -> None:
    assert parse_source(raw_source(stance=stance)).stance == stance


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"url": ...}, ".url is required"),
        ({"url": 5}, ".url must be a string"),
        ({"url": "   "}, ".url must not be empty"),
        ({"url": "https://e.org/" + "a" * 2000}, ".url is 2014 characters long; the limit is 2000"),
        ({"url": "javascript:alert(1)"}, ".url: only http and https links are allowed"),
        ({"url": "ftp://example.org/x"}, ".url: only http and https links are allowed"),
        ({"url": "/relative/path"}, ".url: only http and https links are allowed"),
        ({"url": "example.org/x"}, ".url: only http and https links are allowed"),
        ({"url": "https:///path-only"}, ".url: the link has no host"),
        (
            {"url": "https://user:pass@example.org/"},
            ".url: links must not contain a user name or password",
        ),
        (
            {"url": "https://user@example.org/"},
            ".url: links must not contain a user name or password",
        ),
        (
            {"url": "https://exa mple.org/"},
            ".url: links must not contain spaces or control characters",
        ),
        (
            {"url": "https://example.org/a\tb"},
            ".url: links must not contain spaces or control characters",
        ),
        ({"url": "https://example.org/\x07"}, ".url must not contain control characters"),
        ({"url": "https://example.org:99999/"}, ".url: this is not a valid link"),
        ({"url": "https://[::1/"}, ".url: this is not a valid link"),
        ({"url": "https://exa<mple>.org/"}, ".url: the host name is not valid"),
        ({"url": "https://exa{mple}.org/"}, ".url: the host name is not valid"),
        ({"url": "https://example.org/\ud800"}, ".url is not valid Unicode"),
        ({"title": ...}, ".title is required"),
        ({"title": ""}, ".title must not be empty"),
        ({"title": ["x"]}, ".title must be a string"),
        ({"title": "x" * 501}, ".title is 501 characters long; the limit is 500"),
        ({"title": "a\x00b"}, ".title must not contain control characters"),
        ({"authors": 3}, ".authors must be a list of names or one string"),
        ({"authors": ["Ada", 3]}, ".authors[1] must be a string"),
        ({"authors": ["x" * 201]}, ".authors[0] is 201 characters long; the limit is 200"),
        (
            {"authors": [f"Author {n}" for n in range(21)]},
            ".authors: at most 20 authors are allowed, got 21",
        ),
        ({"publisher": "p" * 301}, ".publisher is 301 characters long; the limit is 300"),
        ({"publisher": 1}, ".publisher must be a string"),
        ({"excerpt": "e" * 2001}, ".excerpt is 2001 characters long; the limit is 2000"),
        ({"excerpt": "a\x1bb"}, ".excerpt must not contain control characters"),
        ({"locator": "l" * 101}, ".locator is 101 characters long; the limit is 100"),
        (
            {"published": "March 2021"},
            ".published must be a date written YYYY, YYYY-MM or YYYY-MM-DD",
        ),
        (
            {"published": "2021-3-4"},
            ".published must be a date written YYYY, YYYY-MM or YYYY-MM-DD",
        ),
        (
            {"published": "２０２１"},
            ".published must be a date written YYYY, YYYY-MM or YYYY-MM-DD",
        ),
        ({"published": 2021}, ".published must be a string"),
        ({"published": "2023-02-29"}, ".published: 2023-02-29 is not a real date"),
        ({"accessed": "2024-13"}, ".accessed: 2024-13 is not a real date"),
        ({"accessed": "0000"}, ".accessed: 0000 is not a real date"),
        ({"stance": "agrees"}, ".stance must be one of supports, refutes, context"),
        ({"stance": 1}, ".stance must be one of supports, refutes, context"),
        ({"auhtors": ["Ada"]}, ": unknown field 'auhtors'"),
    ],
)
def test_every_invalid_field_is_named_in_the_message(
    overrides: dict[str, object], message: str
) -> None:
    assert error_of(raw_source(**overrides)) == "sources[2]" + message


@pytest.mark.parametrize("host", ["\u0301host.example", "a\u0600b.example", "xn--zzé.example"])
def test_invalid_international_host_names_are_refused(host: str) -> None:
    message = error_of(raw_source(url=f"https://{host}/"))
    assert message.startswith("sources[2].url: the host name is not a valid domain name (")


def test_a_source_must_be_an_object() -> None:
    assert error_of(["https://example.org"]) == "sources[2] must be an object"
    with pytest.raises(ValidationError, match="source must be an object"):
        parse_source("https://example.org")


def test_sources_must_be_a_bounded_list() -> None:
    assert parse_sources(None) == ()
    assert error_of({"url": "x"}, many=True) == "sources must be a list of objects"
    many = [raw_source(url=f"https://example.org/{n}") for n in range(21)]
    assert error_of(many, many=True) == "at most 20 sources are allowed, got 21"
    assert len(parse_sources(many[:3], max_sources=3)) == 3


def test_the_same_link_and_locator_may_appear_once() -> None:
    first = raw_source(url="https://example.org/a")
    again = raw_source(url="HTTPS://example.org/a/?utm_source=x")
    assert error_of([first, again], many=True) == (
        "sources[1]: the same link and locator as sources[0]"
    )
    elsewhere = raw_source(url="https://example.org/a", locator="p. 9")
    assert len(parse_sources([first, elsewhere])) == 2


def test_errors_inside_a_list_name_their_position() -> None:
    bad = [raw_source(), raw_source(url="https://example.org/2"), raw_source(url="ftp://x/")]
    assert error_of(bad, many=True) == "sources[2].url: only http and https links are allowed"


# --- keys --------------------------------------------------------------------------------


def test_keys_are_stable_and_follow_the_normalized_link() -> None:
    key = cited().key
    assert key == citation_key(("Ada Lovelace",), "2021-03-04", "https://example.org/report")
    assert key.startswith("lovelace2021-")
    assert len(key.rsplit("-", 1)[1]) == 6
    assert cited(url="https://EXAMPLE.org/report/#top").key == key
    assert cited(url="https://example.org/other").key != key


def test_keys_fold_accents_and_fall_back() -> None:
    assert citation_key(["Zoë Müller-Lüdenscheidt"], "2020", "u").startswith(
        "mullerludenscheidt2020-"
    )
    assert citation_key([], None, "u").startswith("anonnd-")
    assert citation_key(["World Health Organization"], "1999-01", "u").startswith("world1999-")
    assert citation_key(["Лев Толстой"], None, "u").startswith("anonnd-")
    assert citation_key(["Lovelace, Ada"], "1843", "u").startswith("lovelace1843-")


# --- BibTeX ------------------------------------------------------------------------------


def bibtex_fields(entry: str) -> dict[str, str]:
    """Split an entry the way BibTeX does: braces count even after a backslash."""
    fields: dict[str, str] = {}
    body = entry[entry.index(",") + 1 : entry.rstrip().rindex("}")]
    position = 0
    while "=" in body[position:]:
        equals = body.index("=", position)
        name = body[position:equals].strip(" ,\n")
        start = body.index("{", equals)
        depth, index = 0, start
        while True:
            depth += {"{": 1, "}": -1}.get(body[index], 0)
            assert depth >= 0
            if depth == 0:
                break
            index += 1
        fields[name] = body[start + 1 : index]
        position = index + 1
    assert body[position:].strip(" ,\n") == ""
    return fields


def test_bibtex_entry_shape() -> None:
    output = to_bibtex([cited(authors=["Ada Lovelace", "World Health Organization"])])
    assert output.startswith("@online{lovelace2021-")
    assert bibtex_fields(output) == {
        "title": "The annual report",
        "author": "Lovelace, Ada and {World Health Organization}",
        "url": "https://example.org/report",
        "urldate": "2024-05-01",
        "date": "2021-03-04",
        "organization": "Example Press",
    }


def test_bibtex_escapes_every_special_character() -> None:
    title = "50% of {all} R&D $ #1 under_score ^ ~ back\\slash"
    fields = bibtex_fields(to_bibtex([cited(title=title)]))
    assert fields["title"] == (
        r"50\% of \textbraceleft{}all\textbraceright{} R\&D \$ \#1 under\_score "
        r"\textasciicircum{} \textasciitilde{} back\textbackslash{}slash"
    )


@pytest.mark.parametrize(
    "title",
    [
        "}, author = {Mallory",
        "x}\n@misc{evil, title={pwned",
        "\\}",
        "\\",
        "{{{",
        "}}}",
        "a \\end{document}",
    ],
)
def test_a_title_cannot_break_out_of_its_field(title: str) -> None:
    output = to_bibtex([cited(title=title, authors=["Ada Lovelace"])])
    fields = bibtex_fields(output)
    assert set(fields) == {"title", "author", "url", "urldate", "date", "organization"}
    assert fields["author"] == "Lovelace, Ada"
    assert [line for line in output.splitlines() if line.startswith("@")] == [output.split("\n")[0]]
    assert "\n" not in fields["title"]
    for char in "{}":  # every brace left in the title belongs to an escape command
        assert fields["title"].count(char) == fields["title"].count("{}")


def test_bibtex_names_with_braces_or_and_cannot_split_the_author_list() -> None:
    fields = bibtex_fields(to_bibtex([cited(authors=["Johnson and Johnson", "Evil} and {Eve"])]))
    assert fields["author"] == (
        "{Johnson and Johnson} and {Evil\\textbraceright{} and \\textbraceleft{}Eve}"
    )


def test_bibtex_url_braces_and_backslashes_are_percent_encoded() -> None:
    fields = bibtex_fields(to_bibtex([cited(url="https://example.org/a{b}\\c?x=%41")]))
    assert fields["url"] == "https://example.org/a%7Bb%7D%5Cc?x=%41"


def test_bibtex_omits_missing_fields_and_dedupes_keys() -> None:
    bare = cite_source(parse_source({"url": "https://example.org/", "title": "Home"}))
    output = to_bibtex([bare, bare])
    assert output.count("@online") == 1
    assert set(bibtex_fields(output)) == {"title", "url"}
    assert to_bibtex([]) == ""


# --- CSL-JSON ----------------------------------------------------------------------------


def test_schema_itself_is_valid_and_rejects_bad_items() -> None:
    jsonschema.Draft202012Validator.check_schema(CSL_SCHEMA)
    validator = jsonschema.Draft202012Validator(CSL_SCHEMA)
    for bad in (
        {"id": "x", "type": "web-page"},
        {"type": "webpage"},
        {"id": "x", "type": "webpage", "author": [{"name": "Ada"}]},
        {"id": "x", "type": "webpage", "issued": {"date-parts": [[2021, 1, 2, 3]]}},
        {"id": "x", "type": "webpage", "issued": {"date-parts": [[2021], [2022], [2023]]}},
        {"id": "x", "type": "webpage", "issued": {"year": 2021}},
    ):
        assert not validator.is_valid([bad]), bad


def test_csl_json_is_valid_and_complete() -> None:
    entries = [
        cited(authors=["Ada Lovelace", "World Health Organization", "Plato"]),
        cited(url="https://example.org/2", published="2020", accessed="2024-05"),
        cite_source(parse_source({"url": "https://example.org/3", "title": "Bare"})),
    ]
    items = to_csl_json(entries)
    jsonschema.validate(items, CSL_SCHEMA, cls=jsonschema.Draft202012Validator)
    assert json.loads(json.dumps(items)) == items
    assert items[0] == {
        "id": entries[0].key,
        "type": "webpage",
        "title": "The annual report",
        "URL": "https://example.org/report",
        "author": [
            {"family": "Lovelace", "given": "Ada"},
            {"literal": "World Health Organization"},
            {"literal": "Plato"},
        ],
        "container-title": "Example Press",
        "issued": {"date-parts": [[2021, 3, 4]]},
        "accessed": {"date-parts": [[2024, 5, 1]]},
    }
    assert items[1]["issued"] == {"date-parts": [[2020]]}
    assert items[1]["accessed"] == {"date-parts": [[2024, 5]]}
    assert items[2] == {
        "id": entries[2].key,
        "type": "webpage",
        "title": "Bare",
        "URL": "https://example.org/3",
    }


def test_csl_names_split_on_the_last_space_or_a_comma() -> None:
    names = ["Ludwig van Beethoven", "Lovelace, Ada", "Acme Inc.", "3M", "Simon & Schuster"]
    item = to_csl_json([cited(authors=names)])[0]
    assert item["author"] == [
        {"family": "Beethoven", "given": "Ludwig van"},
        {"family": "Lovelace", "given": "Ada"},
        {"literal": "Acme Inc."},
        {"literal": "3M"},
        {"literal": "Simon & Schuster"},
    ]
    jsonschema.validate([item], CSL_SCHEMA, cls=jsonschema.Draft202012Validator)


def test_csl_json_keeps_text_as_data_and_dedupes() -> None:
    entry = cited(title='Quote " and } and \\ and <b>')
    items = to_csl_json([entry, entry])
    assert len(items) == 1
    assert items[0]["title"] == 'Quote " and } and \\ and <b>'
