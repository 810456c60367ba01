"""Interchange without Flask: parsing W3C and Hypothesis files, planning and applying imports."""

from __future__ import annotations

import json
from typing import Any

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from annotations.accounts import AccountService, User
from annotations.errors import NotFound, ValidationError
from annotations.groups import GroupService
from annotations.interchange import InterchangeService
from annotations.interchange_parsing import (
    ImportItem,
    ItemOutcome,
    parse_import,
    parse_import_bytes,
)
from annotations.models import Annotation
from annotations.service import AnnotationService
from corpus.store import DocumentStore
from tests.factories import FAST_HASHER, SAMPLE_TEXT, import_text, make_user

PHRASE = "says something else entirely"
OTHER = "The first paragraph of a short article"
DOC = "http://reader.example/documents/sample"


def w3c(exact: str = PHRASE, body: str = "A note.", **extra: Any) -> dict[str, Any]:
    data: dict[str, Any] = {
        "@context": "http://www.w3.org/ns/anno.jsonld",
        "id": f"http://elsewhere.example/anno/{abs(hash((exact, body)))}",
        "type": "Annotation",
        "motivation": "commenting",
        "body": [{"type": "TextualBody", "value": body, "purpose": "commenting"}],
        "target": {"source": DOC, "selector": [{"type": "TextQuoteSelector", "exact": exact}]},
        "visibility": "public",
    }
    data.update(extra)
    return data


def hypothesis(rid: str, text: str, exact: str | None, **extra: Any) -> dict[str, Any]:
    row: dict[str, Any] = {
        "id": rid,
        "user": "acct:someone@hypothes.is",
        "uri": "https://www.example.com/a-sample-article",
        "text": text,
        "tags": ["t1"],
        "group": "__world__",
        "permissions": {"read": ["group:__world__"]},
        "target": [{"source": "https://www.example.com/a-sample-article"}],
        "references": [],
    }
    if exact is not None:
        row["target"][0]["selector"] = [
            {"type": "RangeSelector", "startContainer": "/p[1]", "startOffset": 0},
            {"type": "TextPositionSelector", "start": 5000, "end": 5000 + len(exact)},
            {"type": "TextQuoteSelector", "exact": exact},
        ]
    row.update(extra)
    return row


@pytest.fixture
def svc(session: Session) -> InterchangeService:
    import_text(session, SAMPLE_TEXT, doc_id="sample")
    return InterchangeService(AnnotationService(session, DocumentStore(session)))


@pytest.fixture
def alice(session: Session) -> User:
    return make_user(session, "alice")


def _count(session: Session) -> int:
    return int(session.scalar(select(func.count()).select_from(Annotation)) or 0)


# --- parsing -------------------------------------------------------------------------


def test_every_w3c_container_shape_parses() -> None:
    one = w3c()
    page = {"type": "AnnotationPage", "id": "http://x/p", "items": [one]}
    collection = {
        "type": "AnnotationCollection",
        "id": "http://x/c",
        "total": 2,
        "first": {**page, "next": {**page, "items": [w3c(OTHER)]}},
    }
    for data, count in ((one, 1), ([one, w3c(OTHER)], 2), (page, 1), (collection, 2)):
        parsed = parse_import(data)
        assert parsed.format == "w3c"
        assert len(parsed.entries) == count
        item = parsed.entries[0]
        assert isinstance(item, ImportItem)
        assert item.new.target is not None
        assert item.new.target.document_id == "sample"
        assert item.key == one["id"]


def test_file_level_problems_raise() -> None:
    with pytest.raises(ValidationError, match="not valid JSON"):
        parse_import_bytes(b"{oops")
    with pytest.raises(ValidationError, match="not UTF-8"):
        parse_import_bytes(b'["\xff"]')
    with pytest.raises(ValidationError, match="Hypothesis export"):
        parse_import({"hello": "world"})
    with pytest.raises(ValidationError, match="does not embed"):
        parse_import({"type": "AnnotationCollection", "total": 3, "first": "http://x/?page=0"})
    assert parse_import_bytes(json.dumps([w3c()]).encode("utf-8-sig")).format == "w3c"


def test_item_problems_are_reported_per_item() -> None:
    parsed = parse_import(
        [
            w3c(),
            "http://x/annotations/1",
            w3c(deleted="2024-01-01T00:00:00Z"),
            w3c(target={"source": "https://news.example/story", "selector": []}),
            w3c(motivation="shouting"),
        ]
    )
    outcomes = [e for e in parsed.entries if isinstance(e, ItemOutcome)]
    assert [(o.index, o.status) for o in outcomes] == [
        (2, "rejected"),
        (3, "skipped"),
        (4, "rejected"),
        (5, "rejected"),
    ]
    assert "tombstone" in outcomes[1].reason
    assert "--document" in outcomes[2].reason
    assert "motivation" in outcomes[3].reason


def test_foreign_targets_resolve_with_a_document_override() -> None:
    data = w3c(target={"source": "https://news.example/story", "selector": [
        {"type": "TextQuoteSelector", "exact": PHRASE}
    ]})  # fmt: skip
    item = parse_import([data], document_id="sample").entries[0]
    assert isinstance(item, ImportItem)
    assert item.new.target is not None
    assert item.new.target.document_id == "sample"


def test_w3c_defaults_and_replies() -> None:
    root = w3c()
    del root["visibility"]
    reply = {
        "type": "Annotation",
        "motivation": "commenting",  # a reply by its target, whatever it says
        "body": [{"type": "TextualBody", "value": "Yes.", "purpose": "replying"}],
        "target": root["id"],
    }
    first, second = parse_import([root, reply]).entries
    assert isinstance(first, ImportItem)
    assert isinstance(second, ImportItem)
    assert first.new.visibility == "private"  # imports without an audience stay private
    assert second.parent_key == root["id"]
    assert second.new.motivation == "replying"
    assert second.key == "#2"


def test_hypothesis_rows_parse_into_items() -> None:
    rows = [
        hypothesis("a1", "Text.", PHRASE),
        hypothesis("a2", "", OTHER, permissions={"read": ["acct:someone@hypothes.is"]}),
        hypothesis("a3", "", OTHER, group="g1", permissions={"read": ["group:g1"]}),
        hypothesis("a4", "Reply.", None, references=["a1"]),
        hypothesis("a5", "Page note.", None),
    ]
    parsed = parse_import({"total": 5, "rows": rows}, document_id="sample")
    assert parsed.format == "hypothesis"
    a1, a2, a3, a4, a5 = parsed.entries
    assert isinstance(a1, ImportItem)
    assert (a1.new.motivation, a1.new.visibility, a1.new.tags) == ("commenting", "public", ("t1",))
    assert isinstance(a2, ImportItem)
    assert (a2.new.motivation, a2.new.visibility) == ("highlighting", "private")
    assert isinstance(a3, ImportItem)
    assert "Hypothesis group 'g1'" in a3.notes[0]
    assert isinstance(a4, ImportItem)
    assert a4.parent_key == "a1"
    assert isinstance(a5, ItemOutcome)
    assert "page note" in a5.reason


# --- planning and applying -------------------------------------------------------------


def test_import_anchors_dedupes_and_reports(
    svc: InterchangeService, alice: User, session: Session
) -> None:
    rows = [
        hypothesis("a1", "Text.", PHRASE),
        hypothesis("a2", "Text.", PHRASE),  # the same author, quote and body: a duplicate
        hypothesis("a3", "Lost.", "words that are not in the sample"),
        hypothesis("a4", "Reply.", None, references=["a1"]),
        hypothesis("a5", "Reply to a lost one.", None, references=["a3"]),
    ]
    parsed = parse_import(rows, document_id="sample")
    report = svc.import_file(parsed, alice)
    assert [o.status for o in report.outcomes] == [
        "imported",
        "skipped",
        "rejected",
        "imported",
        "rejected",
    ]
    assert report.outcomes[1].annotation_id == report.outcomes[0].annotation_id
    assert "cannot anchor" in report.outcomes[2].reason
    assert "parent was not imported" in report.outcomes[4].reason
    assert report.summary() == "hypothesis: 5 items, 2 imported, 1 skipped, 2 rejected"
    reply = session.get(Annotation, report.outcomes[3].annotation_id)
    assert reply is not None
    assert reply.parent_id == report.outcomes[0].annotation_id
    root = session.get(Annotation, report.outcomes[0].annotation_id)
    assert root is not None
    assert root.exact == PHRASE  # anchored by its quote: the out-of-range position was dropped
    again = svc.import_file(parse_import(rows, document_id="sample"), alice)
    assert again.count("imported") == 0
    assert again.count("skipped") == 3
    assert _count(session) == 2


def test_replies_wait_for_parents_later_in_the_file(svc: InterchangeService, alice: User) -> None:
    rows = [
        hypothesis("r1", "Reply first.", None, references=["p1"]),
        hypothesis("p1", "Parent second.", PHRASE),
        hypothesis("c1", "Cycle.", None, references=["c2"]),
        hypothesis("c2", "Cycle.", None, references=["c1"]),
    ]
    report = svc.import_file(parse_import(rows, document_id="sample"), alice)
    assert [o.status for o in report.outcomes] == ["imported", "imported", "rejected", "rejected"]


def test_group_audience_needs_membership(
    svc: InterchangeService, alice: User, session: Session
) -> None:
    groups = GroupService(session, AccountService(session, FAST_HASHER))
    mine = groups.create("Readers", alice)
    theirs = groups.create("Others", make_user(session, "bob"))
    rows = [
        w3c(visibility="group", group=f"http://x/groups/{mine.id}"),
        w3c(OTHER, visibility="group", group=f"http://x/groups/{theirs.id}"),
    ]
    report = svc.import_file(parse_import(rows), alice)
    assert [o.status for o in report.outcomes] == ["imported", "imported"]
    assert report.outcomes[0].reason == ""
    assert f"not a member of group {theirs.id}" in report.outcomes[1].reason
    second = session.get(Annotation, report.outcomes[1].annotation_id)
    assert second is not None
    assert (second.visibility, second.group_id) == ("private", None)


def test_exports_and_pages_respect_visibility(
    svc: InterchangeService, alice: User, session: Session
) -> None:
    bob = make_user(session, "bob")
    svc.import_file(parse_import([w3c(), w3c(OTHER, visibility="private")]), alice)
    assert len(svc.for_document("sample", bob)) == 1
    assert len(svc.for_document("sample", alice)) == 2
    assert svc.by_author(bob) == []
    assert len(svc.by_author(alice)) == 2
    rows, total = svc.page(None, "sample", 0, 1)
    assert (len(rows), total) == (1, 1)
    rows, total = svc.page(alice, None, 1, 1)
    assert (len(rows), total) == (1, 2)


def test_importer_account(svc: InterchangeService, alice: User, session: Session) -> None:
    assert svc.importer(None) is alice
    assert svc.importer("alice") is alice
    with pytest.raises(NotFound):
        svc.importer("nobody")
    make_user(session, "bob")
    with pytest.raises(ValidationError, match="--user"):
        svc.importer(None)
