"""AnnotationService: anchoring on create, replies, edits, tombstones and visibility."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from annotations.accounts import AccountService, User
from annotations.anchoring import AnchoringError, PositionSelector, QuoteSelector
from annotations.bodies import parse_body
from annotations.citations import parse_source
from annotations.errors import Conflict, NotFound, PermissionDenied, ValidationError
from annotations.groups import GroupService
from annotations.inputs import AnnotationEdit, NewAnnotation, TargetInput
from annotations.models import Annotation, Revision, Source
from annotations.service import AnnotationService
from corpus.store import DocumentStore
from tests.factories import FAST_HASHER, SAMPLE_TEXT, import_text, make_user

PHRASE = "says something else entirely"


@pytest.fixture
def svc(session: Session) -> AnnotationService:
    import_text(session, SAMPLE_TEXT, doc_id="sample")
    return AnnotationService(session, DocumentStore(session))


@pytest.fixture
def alice(session: Session) -> User:
    return make_user(session, "alice")


@pytest.fixture
def bob(session: Session) -> User:
    return make_user(session, "bob")


def new(
    exact: str = PHRASE,
    motivation: str = "commenting",
    body: str = "A *note*.",
    visibility: str | None = "public",
    **extra: object,
) -> NewAnnotation:
    target = TargetInput("sample", QuoteSelector(exact), None)
    return NewAnnotation(
        motivation=motivation,
        body=parse_body(body),
        target=target,
        visibility=visibility,
        **extra,  # type: ignore[arg-type]
    )


def reply_to(parent: Annotation, text: str = "I agree.") -> NewAnnotation:
    return NewAnnotation(motivation="replying", body=parse_body(text), parent_id=parent.id)


def test_create_anchors_and_renders(svc: AnnotationService, alice: User, session: Session) -> None:
    annotation = svc.create(new(tags=("Cold War", "check")), alice)
    text = DocumentStore(session).get_version("sample").text
    assert text[annotation.start : annotation.end] == PHRASE
    assert annotation.body_html.strip() == "<p>A <em>note</em>.</p>"
    assert [t.name for t in annotation.tags] == ["Cold War", "check"]
    assert annotation.version_id == DocumentStore(session).get_version("sample").id
    assert text.endswith(annotation.suffix) or annotation.suffix in text
    assert len(annotation.id) == 16


def test_wrong_position_is_corrected(svc: AnnotationService, alice: User, session: Session) -> None:
    target = TargetInput("sample", QuoteSelector(PHRASE), PositionSelector(0, len(PHRASE)))
    annotation = svc.create(
        NewAnnotation(motivation="highlighting", body=parse_body(""), target=target), alice
    )
    text = DocumentStore(session).get_version("sample").text
    assert annotation.start == text.index(PHRASE)


def test_missing_quote_stores_nothing(
    svc: AnnotationService, alice: User, session: Session
) -> None:
    with pytest.raises(AnchoringError, match="does not occur"):
        svc.create(new("words that are not there"), alice)
    session.rollback()
    assert session.scalar(select(func.count()).select_from(Annotation)) == 0


def test_comment_needs_body_but_highlight_does_not(svc: AnnotationService, alice: User) -> None:
    with pytest.raises(ValidationError, match="needs some text"):
        svc.create(new(body="   "), alice)
    highlight = svc.create(new(motivation="highlighting", body="", visibility=None), alice)
    assert highlight.visibility == "private"


def test_visibility_defaults_to_last_used_except_highlights(
    svc: AnnotationService, alice: User
) -> None:
    assert svc.create(new(visibility=None), alice).visibility == "private"
    svc.create(new(visibility="public"), alice)
    assert svc.create(new(visibility=None), alice).visibility == "public"
    highlight = svc.create(new(motivation="highlighting", body="", visibility=None), alice)
    assert highlight.visibility == "private"
    assert svc.default_audience(alice, "commenting") == ("public", None)


def test_private_and_group_visibility(
    svc: AnnotationService, alice: User, bob: User, session: Session
) -> None:
    carol = make_user(session, "carol")
    groups = GroupService(session, AccountService(session, FAST_HASHER))
    club = groups.create("Reading club", alice)
    groups.add_member(club.id, "bob", alice)
    private = svc.create(new(visibility="private"), alice)
    shared = svc.create(new(visibility="group", group_id=club.id), alice)
    public = svc.create(new(visibility="public"), alice)

    def ids(user: User | None) -> set[str]:
        svc._groups.clear()
        return {t.root.id for t in svc.threads_for_document("sample", user)}

    assert ids(alice) == {private.id, shared.id, public.id}
    assert ids(bob) == {shared.id, public.id}
    assert ids(carol) == {public.id}
    assert ids(None) == {public.id}
    assert svc.count_for_document("sample", None) == 1
    for hidden, viewer in [(private, bob), (shared, carol), (shared, None)]:
        with pytest.raises(NotFound, match="no annotation"):
            svc.get(hidden.id, viewer)


def test_group_visibility_needs_membership(
    svc: AnnotationService, alice: User, bob: User, session: Session
) -> None:
    club = GroupService(session, AccountService(session, FAST_HASHER)).create("Club", alice)
    with pytest.raises(ValidationError, match="not a member"):
        svc.create(new(visibility="group", group_id=club.id), bob)
    with pytest.raises(ValidationError, match="choose the group"):
        svc.create(new(visibility="group"), alice)


def test_replies_thread_and_inherit_audience(
    svc: AnnotationService, alice: User, bob: User
) -> None:
    root = svc.create(new(visibility="public"), alice)
    first = svc.create(reply_to(root), bob)
    nested = svc.create(reply_to(first, "Me too."), alice)
    assert (first.root_id, nested.root_id, nested.parent_id) == (root.id, root.id, first.id)
    assert nested.visibility == "public"
    [thread] = svc.threads_for_document("sample", bob)
    assert [(d, a.id) for d, a in thread.replies] == [(1, first.id), (2, nested.id)]


def test_cannot_reply_to_what_you_cannot_see(
    svc: AnnotationService, alice: User, bob: User
) -> None:
    secret = svc.create(new(visibility="private"), alice)
    with pytest.raises(NotFound):
        svc.create(reply_to(secret), bob)


def test_edit_keeps_revisions_and_only_author_edits(
    svc: AnnotationService, alice: User, bob: User, session: Session
) -> None:
    annotation = svc.create(new(visibility="public"), alice)
    edit = AnnotationEdit(body=parse_body("Better **text**."), tags=("fixed",))
    with pytest.raises(PermissionDenied, match="only the author or an admin"):
        svc.update(annotation.id, edit, bob)
    svc.update(annotation.id, edit, alice)
    assert annotation.revision == 2
    assert annotation.body_html.strip() == "<p>Better <strong>text</strong>.</p>"
    [old] = svc.revisions(annotation.id, alice)
    assert old.body_markdown == "A *note*."
    assert old.replaced_by is alice


def test_admin_moderation_needs_a_reason(
    svc: AnnotationService, alice: User, session: Session
) -> None:
    admin = make_user(session, "root", role="admin")
    annotation = svc.create(new(visibility="public"), alice)
    with pytest.raises(ValidationError, match="say why"):
        svc.delete(annotation.id, admin)
    svc.delete(annotation.id, admin, "spam")
    assert annotation.is_deleted
    assert annotation.delete_reason == "spam"
    assert annotation.deleted_by is admin


def test_admins_cannot_see_private_notes(
    svc: AnnotationService, alice: User, session: Session
) -> None:
    admin = make_user(session, "root", role="admin")
    secret = svc.create(new(visibility="private"), alice)
    with pytest.raises(NotFound):
        svc.delete(secret.id, admin, "looking")


def test_delete_leaves_tombstone_and_replies_keep_place(
    svc: AnnotationService, alice: User, bob: User, session: Session
) -> None:
    root = svc.create(new(visibility="public", tags=("t",)), alice)
    svc.update(root.id, AnnotationEdit(body=parse_body("v2")), alice)
    reply = svc.create(reply_to(root), bob)
    svc.delete(root.id, alice)
    [thread] = svc.threads_for_document("sample", bob)
    assert thread.root.id == root.id
    assert thread.root.is_deleted
    assert thread.root.body_markdown == ""
    assert thread.root.tags == []
    assert [a.id for _, a in thread.replies] == [reply.id]
    assert session.scalar(select(func.count()).select_from(Revision)) == 0
    assert svc.count_for_document("sample", bob) == 1
    with pytest.raises(Conflict, match="deleted"):
        svc.update(root.id, AnnotationEdit(body=parse_body("again")), alice)
    with pytest.raises(Conflict, match="cannot reply"):
        svc.create(reply_to(root), bob)


def test_sources_deduplicate_by_normalised_url(
    svc: AnnotationService, alice: User, bob: User, session: Session
) -> None:
    first = parse_source(
        {
            "url": "https://Example.org/report/?utm_source=x#top",
            "title": "Report",
            "stance": "supports",
        }
    )
    second = parse_source(
        {"url": "https://example.org/report", "title": "Same report", "stance": "refutes"}
    )
    a = svc.create(new(sources=(first,)), alice)
    b = svc.create(
        new(sources=(second, parse_source({"url": "https://other.example/", "title": "Other"}))),
        bob,
    )
    assert session.scalar(select(func.count()).select_from(Source)) == 2
    assert a.citations[0].source_id == b.citations[0].source_id
    assert [c.number for c in b.citations] == [1, 2]
    assert [c.stance for c in b.citations] == ["refutes", "context"]


def test_visibility_change_moves_the_thread(svc: AnnotationService, alice: User, bob: User) -> None:
    root = svc.create(new(visibility="public"), alice)
    reply = svc.create(reply_to(root), bob)
    svc.update(root.id, AnnotationEdit(body=parse_body("x"), visibility="private"), alice)
    assert reply.visibility == "private"
    svc._groups.clear()
    assert svc.threads_for_document("sample", bob) == []
