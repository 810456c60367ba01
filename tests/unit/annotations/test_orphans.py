"""Orphans after a new version: re-attaching them, keeping them on their version, and back."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from annotations.accounts import User
from annotations.anchoring import AnchoringError, PositionSelector, QuoteSelector
from annotations.anchors import AnchorRecord
from annotations.bodies import parse_body
from annotations.errors import Conflict, PermissionDenied, ValidationError
from annotations.inputs import NewAnnotation, Reattachment, TargetInput, parse_reattachment
from annotations.models import Annotation
from annotations.revisions import RevisionService, placement
from annotations.service import AnnotationService
from corpus.models import IndexJob
from corpus.store import DocumentStore
from tests.factories import SAMPLE_TEXT, import_text, make_user

GONE = "says something else entirely"
REWRITTEN = SAMPLE_TEXT.replace(
    "The second paragraph follows the heading and says something else entirely, at some length "
    "too.",
    "An editor rewrote this paragraph from scratch; a short article it remains, a short one.",
)
NOON = datetime(2026, 12, 1, 12, 0, tzinfo=UTC)


@pytest.fixture
def people(session: Session) -> dict[str, User]:
    return {
        "author": make_user(session, "author"),
        "other": make_user(session, "other"),
        "admin": make_user(session, "admin", role="admin"),
    }


@pytest.fixture
def revisions(session: Session) -> RevisionService:
    return RevisionService(session, DocumentStore(session), clock=lambda: NOON)


def annotate(session: Session, user: User, exact: str, visibility: str = "public") -> Annotation:
    """An annotation on the first occurrence of exact in the newest version of "sample"."""
    target = TargetInput("sample", QuoteSelector(exact), None)
    new = NewAnnotation("commenting", parse_body("A note."), visibility=visibility, target=target)
    return AnnotationService(session, DocumentStore(session)).create(new, user)


def new_version(session: Session, revisions: RevisionService, text: str = REWRITTEN) -> None:
    import_text(session, text, doc_id="sample")
    revisions.reanchor_document("sample")


@pytest.fixture
def orphan(session: Session, people: dict[str, User], revisions: RevisionService) -> Annotation:
    import_text(session, SAMPLE_TEXT, doc_id="sample")
    note = annotate(session, people["author"], GONE)
    new_version(session, revisions)
    assert note.anchor_state == "orphaned"
    return note


def typed(words: str) -> Reattachment:
    return Reattachment(QuoteSelector(words))


def test_reattach_anchors_exactly_on_the_newest_version(
    session: Session, orphan: Annotation, people: dict[str, User], revisions: RevisionService
) -> None:
    revisions.reattach(orphan, typed("An editor rewrote this paragraph"), people["author"])
    newest = DocumentStore(session).get_version("sample")
    assert orphan.anchor_version_id == newest.id
    assert (orphan.anchor_state, orphan.anchor_score) == ("exact", 1.0)
    assert newest.text[orphan.start or 0 : orphan.end or 0] == "An editor rewrote this paragraph"
    record = session.scalars(
        select(AnchorRecord).where(
            AnchorRecord.annotation_id == orphan.id, AnchorRecord.version_id == newest.id
        )
    ).one()  # the orphaned record of the import is updated, not duplicated
    assert (record.state, record.exact) == ("exact", "An editor rewrote this paragraph")
    jobs = session.scalars(select(IndexJob.key).where(IndexJob.key == f"annotation:{orphan.id}"))
    assert list(jobs)


def test_reattach_takes_a_selector_whose_position_picks_one_of_two(
    session: Session, orphan: Annotation, people: dict[str, User], revisions: RevisionService
) -> None:
    text = DocumentStore(session).get_version("sample").text
    second = text.index("a short one")
    selection = Reattachment(
        QuoteSelector("a short", text[second - 5 : second], text[second + 7 : second + 12]),
        PositionSelector(second, second + 7),
    )
    revisions.reattach(orphan, selection, people["author"])
    assert (orphan.start, orphan.end) == (second, second + 7)


def test_typed_words_that_occur_twice_are_refused_with_advice(
    orphan: Annotation, people: dict[str, User], revisions: RevisionService
) -> None:
    with pytest.raises(ValidationError) as refused:
        revisions.reattach(orphan, typed("short article"), people["author"])
    assert refused.value.field == "exact"
    assert "occur 2 times in version 2" in refused.value.message
    assert "type more of the passage" in refused.value.message
    assert orphan.anchor_state == "orphaned"


def test_words_not_in_the_newest_version_are_refused(
    orphan: Annotation, people: dict[str, User], revisions: RevisionService
) -> None:
    with pytest.raises(AnchoringError, match="does not occur in this version"):
        revisions.reattach(orphan, typed(GONE), people["author"])


def test_only_the_author_or_an_admin_may_act_on_an_orphan(
    orphan: Annotation, people: dict[str, User], revisions: RevisionService
) -> None:
    with pytest.raises(PermissionDenied):
        revisions.reattach(orphan, typed("An editor rewrote"), people["other"])
    with pytest.raises(PermissionDenied):
        revisions.keep(orphan, people["other"])
    assert revisions.keep(orphan, people["admin"]) == 1
    with pytest.raises(PermissionDenied):
        revisions.retry(orphan, people["other"])


def test_an_annotation_in_place_is_not_reattached(
    session: Session, people: dict[str, User], revisions: RevisionService
) -> None:
    import_text(session, SAMPLE_TEXT, doc_id="sample")
    placed = annotate(session, people["author"], "The first paragraph")
    with pytest.raises(Conflict, match="only an orphaned or changed one"):
        revisions.reattach(placed, typed("A Section Heading"), people["author"])
    with pytest.raises(Conflict, match="only an orphaned annotation can be kept"):
        revisions.keep(placed, people["author"])


def test_keep_marks_the_orphan_and_the_next_import_leaves_it_alone(
    session: Session, orphan: Annotation, people: dict[str, User], revisions: RevisionService
) -> None:
    home = orphan.anchor_version_id
    assert revisions.keep(orphan, people["author"]) == 1
    assert orphan.anchor_kept_at == NOON
    assert revisions.keep(orphan, people["author"]) == 1  # twice is harmless
    # Version 3 has the words again; a kept orphan is not moved onto it.
    new_version(session, revisions, SAMPLE_TEXT)
    third = DocumentStore(session).get_version("sample")
    assert third.number == 3
    assert (orphan.anchor_state, orphan.anchor_version_id) == ("orphaned", home)
    assert revisions.anchored_versions([orphan.id]) == {orphan.id: 1}
    records = session.scalars(
        select(AnchorRecord.version_id).where(AnchorRecord.annotation_id == orphan.id)
    )
    assert third.id not in set(records)


def test_retry_re_anchors_onto_a_version_imported_while_kept(
    session: Session, orphan: Annotation, people: dict[str, User], revisions: RevisionService
) -> None:
    revisions.keep(orphan, people["author"])
    new_version(session, revisions, SAMPLE_TEXT)  # the words are back in version 3
    assert revisions.retry(orphan, people["author"]) in ("exact", "moved")
    third = DocumentStore(session).get_version("sample")
    assert orphan.anchor_kept_at is None
    assert orphan.anchor_version_id == third.id
    assert third.text[orphan.start or 0 : orphan.end or 0] == GONE


def test_retry_on_the_same_version_puts_it_back_among_orphans(
    orphan: Annotation, people: dict[str, User], revisions: RevisionService
) -> None:
    revisions.keep(orphan, people["author"])
    assert revisions.retry(orphan, people["author"]) == "orphaned"
    assert orphan.anchor_kept_at is None
    with pytest.raises(Conflict, match="not kept"):
        revisions.retry(orphan, people["author"])


def test_reattaching_a_kept_orphan_clears_the_mark(
    orphan: Annotation, people: dict[str, User], revisions: RevisionService
) -> None:
    revisions.keep(orphan, people["author"])
    revisions.reattach(orphan, typed("An editor rewrote"), people["author"])
    assert orphan.anchor_kept_at is None
    assert placement(orphan, None)["kept"] is False


def test_placement_says_where_an_item_sits(
    session: Session, orphan: Annotation, people: dict[str, User], revisions: RevisionService
) -> None:
    revisions.keep(orphan, people["author"])
    shown = placement(orphan, revisions.home_version(orphan))
    assert shown == {
        "state": "orphaned",
        "kept": True,
        "document_version": 1,
        "start": orphan.start,
        "end": orphan.end,
        "exact": GONE,
    }


def test_parse_reattachment_from_a_selector_typed_words_or_form_fields() -> None:
    chosen = parse_reattachment(
        {
            "selector": [
                {"type": "TextQuoteSelector", "exact": "b", "prefix": "a", "suffix": "c"},
                {"type": "TextPositionSelector", "start": 1, "end": 2},
            ]
        }
    )
    assert chosen == Reattachment(QuoteSelector("b", "a", "c"), PositionSelector(1, 2))
    assert not chosen.is_typed
    words = parse_reattachment({"exact": "  some words \n", "csrf_token": "x"})
    assert words == typed("some words")
    assert words.is_typed
    form = parse_reattachment({"exact": " b", "prefix": "a", "start": "1", "end": "3"})
    assert form == Reattachment(QuoteSelector(" b", "a"), PositionSelector(1, 3))
    for bad, field in (
        ({"exact": "   "}, "exact"),
        ({}, "exact"),
        ({"exact": 3}, "exact"),
        ({"exact": "b", "start": "x", "end": "2"}, "start"),
        ({"exact": "b", "start": True, "end": 2}, "start"),
        ({"selector": {"type": "TextPositionSelector", "start": 0, "end": 1}}, "target"),
    ):
        with pytest.raises(ValidationError) as refused:
            parse_reattachment(bad)
        assert refused.value.field == field, bad
