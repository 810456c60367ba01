"""The rebuild's segment writer against Whoosh's own: the same segment, posting by posting."""

from __future__ import annotations

import random
import re
from pathlib import Path
from typing import Any

import pytest
from whoosh.filedb.filestore import FileStorage
from whoosh.index import FileIndex

from corpus.search import IndexDoc, SearchIndex, bulk
from corpus.search.analysis import _WORDS, PARTS_ANALYZER, part_terms
from corpus.search.codec import CODEC, INLINE_BELOW
from corpus.search.documents import TEXT_FIELD, build_schema
from corpus.search.postings import raw_blocks

# Common words (long posting lists, several blocks), rare ones (inline), stop words, accents,
# numbers and dotted words the tokenizer keeps whole.
COMMON = ["treaty", "border", "missile", "summit", "nuclear", "talks", "sanctions"]
RARE = [f"rare{n}word" for n in range(400)]
TAGS = ["History", "check, me", "économie", "x"]
ODD = ["the", "of", "a", "Pyongyang", "Ünïcode", "café", "U.S.", "3.14", "e.g", "x", "ölçü"]


def _text(rng: random.Random, low: int, high: int) -> str:
    words = []
    for _ in range(rng.randint(low, high)):
        pool = rng.choices([COMMON, RARE, ODD], weights=[6, 2, 2])[0]
        words.append(rng.choice(pool))
    return " ".join(words)


def _docs(count: int, seed: int = 3) -> list[IndexDoc]:
    rng = random.Random(seed)
    docs = []
    for n in range(count):
        kind = rng.choice(["passage", "annotation", "annotation", "source"])
        docs.append(
            IndexDoc(
                key=f"{kind}:{n}",
                type=kind,
                stamp=str(rng.randint(1, 9)),
                audience=tuple(rng.sample(["public", "u1", "u2", "g7"], rng.randint(1, 2))),
                doc=f"doc{n % 5}" if kind != "source" else "",
                block=f"p{n % 40}" if kind == "passage" else "",
                section=f"Section {n % 3}" if kind == "passage" else "",
                title=_text(rng, 0, 4) if kind == "source" else "",
                content=_text(rng, 0, 60) if rng.random() > 0.05 else "",
                quote=_text(rng, 0, 8) if kind == "annotation" else "",
                sourcetext=_text(rng, 0, 5) if rng.random() < 0.2 else "",
                tags=tuple(rng.sample(TAGS, rng.randint(0, 2))),
                user=f"User{n % 7}" if kind != "passage" else "",
                kind=rng.choice(["comment", "highlight", "claim"]) if kind == "annotation" else "",
                status=rng.choice(["", "flagged", "published"]),
                verdict=rng.choice(["", "false", "mostly-true"]),
                created=1_700_000_000 + n,
            )
        )
    return docs


def _all_text(doc: IndexDoc) -> str:
    return f"{doc.content} {doc.title} {doc.quote} {doc.sourcetext}"


def _whoosh_built(folder: Path, docs: list[IndexDoc]) -> FileIndex:
    folder.mkdir()
    ix = FileStorage(str(folder)).create_index(build_schema())
    writer = ix.writer(codec=CODEC, compound=False)
    for doc in docs:
        writer.add_document(**doc.fields())
    writer.commit()
    return ix


def _bulk_built(folder: Path, docs: list[IndexDoc], workers: int) -> FileIndex:
    folder.mkdir()
    storage = FileStorage(str(folder))
    storage.create_index(build_schema())
    assert bulk.build(storage, docs, workers) == len(docs)
    return storage.open_index()


def _postings(reader: Any) -> dict[tuple[str, bytes], list[tuple[int, float, bytes]]]:
    found = {}
    for fieldname, tbytes in reader.all_terms():
        matcher = reader.postings(fieldname, tbytes)
        items = []
        while matcher.is_active():
            value = matcher.value() if matcher.supports("positions") else b""
            items.append((matcher.id(), matcher.weight(), value))
            matcher.next()
        found[(fieldname, tbytes)] = items
    return found


def _by_key(reader: Any) -> dict[int, str]:
    return {n: fields["key"] for n, fields in enumerate(reader.all_stored_fields())}


def test_a_bulk_segment_equals_whoosh_s_own_posting_by_posting(tmp_path: Path) -> None:
    docs = _docs(700)
    with (
        _whoosh_built(tmp_path / "whoosh", docs).reader() as expected,
        _bulk_built(tmp_path / "bulk", docs, 1).reader() as actual,
    ):
        want, got = _postings(expected), _postings(actual)
        assert got == want
        assert any(len(v) > 3 * 128 for v in got.values())  # lists of several blocks
        assert any(len(v) < INLINE_BELOW for v in got.values())  # and inline ones
        assert list(actual.all_stored_fields()) == list(expected.all_stored_fields())
        for docnum in range(len(docs)):
            length = actual.doc_field_length(docnum, TEXT_FIELD)
            assert length == expected.doc_field_length(docnum, TEXT_FIELD)
        assert actual.field_length(TEXT_FIELD) == expected.field_length(TEXT_FIELD)
        assert actual.doc_count() == len(docs)
        # the block reader of the search core reads both the same way
        for fieldname, tbytes in [("text", b"treati"), ("audience", b"public"), ("key", b"x")]:
            assert list(raw_blocks(actual, fieldname, tbytes)) == list(
                raw_blocks(expected, fieldname, tbytes)
            )


def test_two_workers_build_the_same_index_in_two_segments(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(bulk, "CHUNK", 60)  # chunks go to the workers in turn
    docs = _docs(500, seed=5)
    with (
        _whoosh_built(tmp_path / "whoosh", docs).reader() as expected,
        _bulk_built(tmp_path / "bulk", docs, 2).reader() as actual,
    ):
        assert len(list(actual.leaf_readers())) == 2
        want_keys, got_keys = _by_key(expected), _by_key(actual)

        def keyed(reader: Any, keys: dict[int, str]) -> dict[Any, set[Any]]:
            return {
                term: {(keys[d], w, v) for d, w, v in items}
                for term, items in _postings(reader).items()
            }

        assert keyed(actual, got_keys) == keyed(expected, want_keys)
        stored = {f["key"]: f for f in actual.all_stored_fields()}
        assert stored == {f["key"]: f for f in expected.all_stored_fields()}


def test_a_rebuilt_index_answers_searches_and_takes_later_writes(tmp_path: Path) -> None:
    from corpus.querylang import parse_query

    index = SearchIndex(tmp_path / "index")
    docs = _docs(300, seed=9)
    assert index.rebuild(iter(docs)) == 300
    assert not (tmp_path / "index" / "MAIN.tmp").exists()
    treaty = {d.key for d in docs if "treaty" in _all_text(d)}
    visible = {d.key for d in docs if "public" in d.audience} & treaty
    page = index.search(parse_query("treaty"), ["public"], 0, 1000)
    assert {hit.key for hit in page.hits} == visible
    changed = IndexDoc(docs[0].key, docs[0].type, "new", ("public",), content="wombat")
    index.apply([changed])
    assert [h.key for h in index.search(parse_query("wombat"), ["public"]).hits] == [changed.key]
    assert index.doc_count() == 300
    index.close()


def test_an_empty_rebuild_leaves_an_empty_index(tmp_path: Path) -> None:
    index = SearchIndex(tmp_path / "index")
    assert index.rebuild([]) == 0
    assert index.doc_count() == 0
    index.close()


def test_a_failing_worker_fails_the_rebuild(tmp_path: Path) -> None:
    storage = FileStorage(str(tmp_path))
    storage.create_index(build_schema())
    broken = IndexDoc("annotation:1", "annotation", "1", ("public",), content="x")
    object.__setattr__(broken, "key", 12)  # an ID field takes text only: the worker raises
    with pytest.raises(RuntimeError, match="worker failed"):
        bulk.build(storage, [broken] * 10, 2)


def test_part_terms_give_the_parts_analyzer_s_tokens() -> None:
    rng = random.Random(1)
    for _ in range(200):
        parts = {"content": _text(rng, 0, 30), "quote": _text(rng, 0, 5), "tagtext": "a b"}
        value = "\x1e".join(f"{k}\x1f{v}" for k, v in parts.items() if v)
        tokens = [
            (t.text, t.pos, t.boost) for t in PARTS_ANALYZER(value, positions=True, boosts=True)
        ]
        mine, start = [], 0
        for boost, terms in part_terms(value):
            mine += [(term, start + n, boost) for n, term in enumerate(terms)]
            start += len(terms) + 100
        assert mine == tokens


@pytest.mark.parametrize(
    "text",
    ["U.S. and e.g. 3.14.15 a..b .x x. __init__ naïve ß café's", "a.b.c...d", "..", "x.y.", ""],
)
def test_the_word_pattern_finds_the_words_of_the_earlier_one(text: str) -> None:
    # the pattern, with its capturing group, that the index was built with before
    reference = re.compile(r"\w+(\.?\w+)*")
    assert _WORDS(text) == [m.group() for m in reference.finditer(text)]


def test_segments_with_inline_terms_merge(tmp_path: Path) -> None:
    from corpus.querylang import parse_query

    index = SearchIndex(tmp_path / "index")
    docs = _docs(120, seed=4)
    index.rebuild(docs[:20])
    for at in range(20, 120, 10):  # ten one-batch segments: past the merge threshold
        index.apply(docs[at : at + 10])
    assert len(index.searcher().leaf_searchers()) == 11
    assert index.merge_small()
    assert len(index.searcher().leaf_searchers()) < 11
    assert index.doc_count() == 120
    index.apply([], deletes=[docs[50].key])  # keys are still found after the merge
    assert index.doc_count() == 119
    live = docs[:50] + docs[51:]
    expected = {d.key for d in live if "public" in d.audience and "treaty" in _all_text(d)}
    got = {h.key for h in index.search(parse_query("treaty"), ["public"], 0, 500).hits}
    assert got == expected
    index.close()


def test_a_batch_that_fails_leaves_the_index_as_it_was(tmp_path: Path) -> None:
    from corpus.querylang import parse_query

    index = SearchIndex(tmp_path / "index")
    docs = _docs(30, seed=2)
    index.rebuild(docs)
    before = index.stamps()

    def failing_batch() -> None:
        with index.writing() as batch:
            batch.delete(docs[0].key)
            batch.add(IndexDoc("annotation:new", "annotation", "1", ("public",), content="wombat"))
            raise RuntimeError("midway")

    with pytest.raises(RuntimeError, match="midway"):
        failing_batch()
    assert index.stamps() == before
    assert index.search(parse_query("wombat"), ["public"]).total == 0
    index.apply([IndexDoc("annotation:new", "annotation", "1", ("public",), content="wombat")])
    assert index.search(parse_query("wombat"), ["public"]).total == 1
    leftovers = [p.name for p in (tmp_path / "index").iterdir() if p.name.endswith(".col")]
    assert len(leftovers) == 2 * len(index.searcher().leaf_searchers())  # stored + lengths
    index.close()


def test_a_write_waits_for_the_lock_then_gives_up(tmp_path: Path) -> None:
    from corpus.search import IndexUnavailable
    from corpus.search.writer import write_lock

    index = SearchIndex(tmp_path / "index", writer_timeout=0.2)
    index.rebuild(_docs(5))
    with (
        write_lock(index.open().storage, 1.0),  # as another process's writer would hold it
        pytest.raises(IndexUnavailable, match="busy"),
        index.writing(),
    ):
        pass
    with index.writing() as batch:  # free again
        batch.delete("annotation:nothing")
    index.close()


def test_a_rebuild_falls_back_to_one_process_when_workers_cannot_start(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    import multiprocessing

    class NoProcesses:
        def Queue(self, *args: Any) -> Any:  # noqa: N802 (multiprocessing's name)
            raise OSError("no semaphores")

    monkeypatch.setattr(multiprocessing, "get_context", lambda method: NoProcesses())
    storage = FileStorage(str(tmp_path))
    storage.create_index(build_schema())
    assert bulk.build(storage, _docs(40), 2) == 40
    assert "cannot start workers" in caplog.text
    with storage.open_index().reader() as reader:
        assert reader.doc_count() == 40
