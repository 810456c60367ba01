"""The search core: weighted parts, posting sets, set evaluation against Whoosh's own matching."""

from __future__ import annotations

import random
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import pytest

from corpus.querylang import Phrase, Prefix, Word, parse_query
from corpus.search import IndexDoc, IndexUnavailable, SearchIndex
from corpus.search.analysis import ANALYZER, PARTS_ANALYZER, POSITION_GAP, analysed, join_parts
from corpus.search.postings import PostingCache, Postings, posting_ids
from corpus.search.segments import SegmentQuery, SegmentTables

WORDS = [
    *("treaty", "border", "missile", "summit", "nuclear", "pyongyang", "moscow", "trade"),
    *("railway", "energy", "talks", "envoy", "sanctions", "harbour", "visit", "minister"),
]
TAGS = ["history", "check-me", "economy", "military"]


def _doc(rng: random.Random, n: int) -> IndexDoc:
    kind = rng.choice(["passage", "annotation", "source"])
    body = " ".join(rng.choice(WORDS) for _ in range(rng.randint(3, 25)))
    return IndexDoc(
        key=f"{kind}:{n}",
        type=kind,
        stamp="1",
        audience=(rng.choice(["public", "public", "u1", "u2", "g1"]),),
        doc=f"doc{n % 3}",
        content=body,
        quote=" ".join(rng.choice(WORDS) for _ in range(rng.randint(0, 4))),
        tags=tuple(rng.sample(TAGS, rng.randint(0, 2))) if kind == "annotation" else (),
        user=f"user{n % 4}" if kind != "passage" else "",
        kind=rng.choice(["comment", "highlight"]) if kind == "annotation" else "",
    )


@pytest.fixture(scope="module")
def built(
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[tuple[SearchIndex, list[IndexDoc]]]:
    """An index of several segments (so posting lists span blocks and segments), with deletions."""
    rng = random.Random(11)
    docs = [_doc(rng, n) for n in range(900)]
    index = SearchIndex(Path(tmp_path_factory.mktemp("ix")) / "index")
    index.rebuild(docs[:600])
    index.apply(docs[600:750])
    index.apply(docs[750:], deletes=[d.key for d in docs[100:160]])
    live = [d for d in docs if d.key not in {x.key for x in docs[100:160]}]
    yield index, live
    index.close()


QUERIES = [
    "treaty",
    "treaty missile",
    '"nuclear summit"',
    "mis*",
    "treaty -border",
    "tag:history",
    "tag:history envoy",
    "user:user1 talks",
    "type:passage energy",
    "sanctions OR harbour",
    "-moscow",
    "kind:highlight -tag:economy",
    "doc:doc2 visit minister",
    "absentword",
]


def _parts(doc: IndexDoc) -> list[list[str]]:
    texts = [doc.content, doc.title, doc.quote, doc.sourcetext, " ".join(doc.tags)]
    return [analysed(t) for t in texts if t]


def _has(doc: IndexDoc, clause: Word | Phrase | Prefix) -> bool:
    """A plain-Python oracle for one clause (Whoosh's own AndNot matcher gets some wrong)."""
    parts = _parts(doc)
    if isinstance(clause, Prefix):
        return any(t.startswith(clause.text.lower()) for part in parts for t in part)
    words = clause.words if isinstance(clause, Phrase) else (clause.text,)
    tokens = [t for w in words for t in analysed(w)]
    n = len(tokens)
    return any(part[i : i + n] == tokens for part in parts for i in range(len(part)))


def _passes(doc: IndexDoc, name: str, values: tuple[str, ...]) -> bool:
    held = {t.lower() for t in doc.tags} if name == "tag" else {getattr(doc, name).lower()}
    return bool(held & {v.lower() for v in values})


def _expected(docs: list[IndexDoc], text: str, audience: list[str]) -> set[str]:
    parsed = parse_query(text)
    return {
        d.key
        for d in docs
        if set(d.audience) & set(audience)
        and all(any(_has(d, c) for c in group) for group in parsed.must)
        and all(_passes(d, n, v) for n, v in parsed.filters.items())
        and not any(_has(d, c) for c in parsed.must_not)
        and not any(_passes(d, n, v) for n, v in parsed.exclude_filters.items())
    }


@pytest.mark.parametrize("text", QUERIES)
def test_set_evaluation_finds_exactly_the_visible_matches(
    built: tuple[SearchIndex, list[IndexDoc]], text: str
) -> None:
    index, live = built
    for audience in (["public"], ["public", "u1"], ["public", "u2", "g1"]):
        expected = _expected(live, text, audience)
        page = index.search(parse_query(text), audience, 0, 1000)
        assert page.total == len(expected), (text, audience)
        assert {h.key for h in page.hits} == expected, (text, audience)
        scores = [h.score for h in page.hits]
        assert scores == sorted(scores, reverse=True)


def test_facets_count_only_visible_matches(built: tuple[SearchIndex, list[IndexDoc]]) -> None:
    index, live = built
    page = index.search(parse_query("treaty"), ["public"], 0, 5)
    seen = [
        d
        for d in live
        if "public" in d.audience
        and any("treaty" in t for t in (d.content.split() + d.quote.split()))
    ]
    assert page.total == len(seen)
    assert page.facets["type"] == dict(Counter(d.type for d in seen))
    assert page.facets["user"] == dict(Counter(d.user for d in seen if d.user))
    tags = Counter(t.lower() for d in seen for t in d.tags)
    assert page.facets["tag"] == dict(tags)
    assert len(page.hits) == 5


def test_posting_ids_reads_every_block_of_a_long_list(
    built: tuple[SearchIndex, list[IndexDoc]],
) -> None:
    index, _ = built
    for leaf, _start in index.searcher().leaf_searchers():
        reader = leaf.reader()
        for term in (b"treati", b"missil", b"envoy"):
            if (("text", term)) not in reader:
                continue
            raw = posting_ids(reader, "text", term)
            through_whoosh = set(reader.postings("text", term).all_ids())
            deleted = reader.deleted_docs_set if reader.has_deletions() else frozenset()
            assert raw - deleted == through_whoosh
            assert len(raw) > 128 or reader.doc_count_all() < 400  # lists of several blocks


def test_deleted_documents_are_never_counted(built: tuple[SearchIndex, list[IndexDoc]]) -> None:
    index, _ = built
    searcher = index.searcher()
    for leaf, _start in searcher.leaf_searchers():
        reader = leaf.reader()
        postings = Postings(reader, "segment", PostingCache())
        segment = SegmentQuery(leaf, SegmentTables(reader), postings)
        everything = segment.allowed(set(range(segment.tables.size)), ["public", "u1", "u2", "g1"])
        assert len(everything) == leaf.reader().doc_count()


def test_parts_are_weighted_and_kept_apart() -> None:
    value = join_parts({"content": "Treaty signed", "tagtext": "treaty\x1eborder"})
    tokens = [(t.text, t.boost, t.pos) for t in PARTS_ANALYZER(value, positions=True, boosts=True)]
    assert tokens[0] == ("treati", 3.0, 0)
    assert tokens[1] == ("sign", 3.0, 1)
    assert ("treati", 0.5, 2 + POSITION_GAP) in tokens
    assert tokens[-1][0] == "border"  # the separator inside a tag is only a space


def test_query_text_is_analysed_like_the_plain_analyser() -> None:
    text = "Pyongyang's railways and the Café talks"
    assert [t.text for t in PARTS_ANALYZER(text, mode="query")] == [
        t.text for t in ANALYZER(text, mode="query")
    ]


def test_a_phrase_never_matches_across_two_parts(tmp_path: Path) -> None:
    index = SearchIndex(tmp_path / "index")
    index.create()
    index.apply(
        [
            IndexDoc(
                "annotation:1",
                "annotation",
                "1",
                ("public",),
                content="a border",
                quote="treaty text",
            )
        ]
    )
    assert index.search(parse_query('"border treaty"'), ["public"]).total == 0
    assert index.search(parse_query('"treaty text"'), ["public"]).total == 1
    index.close()


def test_an_index_with_an_older_schema_is_refused(tmp_path: Path) -> None:
    from whoosh.fields import ID, Schema
    from whoosh.filedb.filestore import FileStorage

    (tmp_path / "old").mkdir()
    FileStorage(str(tmp_path / "old")).create_index(Schema(key=ID(stored=True))).close()
    with pytest.raises(IndexUnavailable, match="older version"):
        SearchIndex(tmp_path / "old").open()


def test_an_index_whose_fields_changed_kind_is_refused(tmp_path: Path) -> None:
    from whoosh.fields import NUMERIC
    from whoosh.filedb.filestore import FileStorage

    from corpus.search.documents import build_schema

    schema = build_schema()
    schema.remove("created")
    schema.add("created", NUMERIC(stored=True, bits=64))  # what the index held before
    (tmp_path / "old").mkdir()
    FileStorage(str(tmp_path / "old")).create_index(schema).close()
    with pytest.raises(IndexUnavailable, match="older version"):
        SearchIndex(tmp_path / "old").open()


def test_positions_are_decoded_as_whoosh_decodes_them() -> None:
    from whoosh.formats import Positions

    from corpus.search.ranking import _decode_positions

    encoder = Positions()
    for positions in ([0], [3, 4, 105, 106, 900], list(range(0, 5000, 7))):
        for value in (encoder.encode(positions), encoder.encode(positions)[:-1]):  # STOP or not
            assert list(_decode_positions(value)) == encoder.decode_positions(value) == positions


def test_a_segment_merged_away_mid_read_is_read_again_from_a_fresh_searcher(
    tmp_path: Path,
) -> None:
    index = SearchIndex(tmp_path / "index")
    index.create()
    index.apply([IndexDoc("annotation:1", "annotation", "1", ("public",), content="wombat")])
    first = index.searcher()
    calls = []

    def read(searcher: object) -> int:
        calls.append(searcher)
        if len(calls) == 1:
            raise FileNotFoundError("MAIN_gone.pst")  # what another process's merge leaves
        return index.search(parse_query("wombat"), ["public"]).total

    assert index._reading(read) == 1
    assert calls[0] is first
    assert calls[1] is not first  # the second read had a fresh searcher
    index.close()


def test_a_query_of_stop_words_only_finds_nothing(
    built: tuple[SearchIndex, list[IndexDoc]],
) -> None:
    index, live = built
    assert index.search(parse_query("the of"), ["public"]).total == 0
    # stop words restrict nothing beside a word that does
    expected = _expected(live, "the -border", ["public"])
    assert index.search(parse_query("the -border"), ["public"], 0, 1000).total == len(expected)
    assert len(expected) > 0
