"""The margin panel's read model: annotation cards built with a few flat queries.

Rendering a thousand annotations through ORM objects costs most of the page's time; the panel
only needs plain values, so this module reads them with three Core queries and precomputes
every label the template shows.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable, Iterable, Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from typing import Any, TypeVar

from sqlalchemy import ColumnElement, func, literal, select
from sqlalchemy.orm import Session, aliased

from annotations.accounts import User
from annotations.anchors import AnchorRecord
from annotations.models import KIND_OF_MOTIVATION, Annotation, Citation, Group, Source, Tag

KIND_LABELS = {
    "comment": "Comment",
    "highlight": "Highlight",
    "claim": "Flagged claim",
    "question": "Question",
    "reply": "Reply",
}
QUOTE_CHARS = 180
T = TypeVar("T")


@dataclass(frozen=True)
class SourceLine:
    """One numbered citation as a card shows it."""

    number: int
    stance: str
    url: str
    title: str
    authors: str
    publisher: str | None
    published: str | None
    excerpt: str | None
    locator: str | None
    accessed: str | None


@dataclass(frozen=True)
class Card:
    """Everything an annotation card shows, as plain values."""

    id: str
    kind: str
    author: str
    author_id: int
    created: datetime  # UTC
    visibility: str
    audience_label: str
    start: int | None
    end: int | None
    parent_id: str | None
    quote: str
    body_html: str
    tags: tuple[str, ...]
    sources: tuple[SourceLine, ...]
    is_edited: bool
    is_deleted: bool
    tombstone: str
    exact: str = ""
    anchor_state: str = "exact"
    is_kept: bool = False  # an orphan its author left on the version it was last anchored on

    @property
    def is_orphaned(self) -> bool:
        """True when the quoted words are gone from the version shown."""
        return self.parent_id is None and (self.anchor_state == "orphaned" or self.start is None)

    @property
    def created_iso(self) -> str:
        """When it was made, as a machine reads it (computed when shown: most cards are not)."""
        return self.created.strftime("%Y-%m-%dT%H:%M:%SZ")

    @property
    def created_label(self) -> str:
        """When it was made, as a person reads it."""
        return self.created.strftime("%-d %b %Y, %H:%M")

    @property
    def kind_label(self) -> str:
        """The kind in words."""
        return KIND_LABELS[self.kind]

    def editable_by(self, viewer: User | None) -> str | None:
        """ "own" for the author, "moderate" for admins, else None."""
        if viewer is None or self.is_deleted:
            return None
        if viewer.id == self.author_id:
            return "own"
        return "moderate" if viewer.is_admin else None


@dataclass
class CardThread:
    """A root card and its replies in reading order, with depths."""

    root: Card
    replies: list[tuple[int, Card]] = field(default_factory=list)


def thread(
    items: Iterable[T],
    key: Callable[[T], Hashable],
    parent: Callable[[T], Hashable | None],
    root_order: Callable[[T], Any],
) -> list[tuple[T, list[tuple[int, T]]]]:
    """Group items (oldest first) into threads: roots sorted by root_order, replies depth-first."""
    rows = list(items)
    children: dict[Hashable, list[T]] = {}
    for row in rows:
        above = parent(row)
        if above is not None:
            children.setdefault(above, []).append(row)
    threads = []
    for root in sorted((r for r in rows if parent(r) is None), key=root_order):
        replies: list[tuple[int, T]] = []
        stack = [(1, child) for child in reversed(children.get(key(root), []))]
        while stack:
            depth, node = stack.pop()
            replies.append((depth, node))
            stack.extend((depth + 1, c) for c in reversed(children.get(key(node), [])))
        threads.append((root, replies))
    return threads


def _utc(moment: datetime) -> datetime:
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def _audience(visibility: str, group_name: str | None) -> str:
    if visibility == "private":
        return "Only me"
    if visibility == "group":
        return f"Group: {group_name or 'a group'}"
    return "Public"


def _tombstone(author_id: int, deleted_by: int | None, reason: str | None) -> str:
    if deleted_by is not None and deleted_by != author_id:
        return f"Removed by a moderator: {reason}." if reason else "Removed by a moderator."
    return "Deleted by its author."


def _quote(exact: str | None) -> str:
    if not exact or len(exact) <= QUOTE_CHARS:
        return exact or ""
    return exact[:QUOTE_CHARS].rsplit(" ", 1)[0] + "…"


def _card(row: Any, tags: tuple[str, ...], sources: tuple[SourceLine, ...]) -> Card:
    deleted = row.deleted_at is not None
    return Card(
        id=row.id,
        kind=KIND_OF_MOTIVATION[row.motivation],
        author=row.username,
        author_id=row.author_id,
        created=_utc(row.created_at),
        visibility=row.visibility,
        audience_label=_audience(row.visibility, row.group_name),
        start=row.start,
        end=row.end,
        parent_id=row.parent_id,
        quote=_quote(row.exact),
        body_html="" if deleted else row.body_html,
        tags=() if deleted else tags,
        sources=() if deleted else sources,
        is_edited=row.revision > 1,
        is_deleted=deleted,
        tombstone=_tombstone(row.author_id, row.deleted_by_id, row.delete_reason)
        if deleted
        else "",
        exact=row.exact or "",
        anchor_state=row.anchor_state,
        is_kept=row.anchor_kept_at is not None,
    )


def card_threads(
    session: Session,
    condition: ColumnElement[bool],
    version_id: int | None = None,
    outline: bool = False,
) -> list[CardThread]:
    """The threads of the annotations matching condition, as cards, in document order.

    outline: cards without bodies, tags and sources (with_details() reads them for the threads
    a page shows; a busy document's panel shows one window of its threads).
    """
    return [
        CardThread(root, replies)
        for root, replies in thread(
            flat_cards(session, condition, version_id, outline),
            key=lambda c: c.id,
            parent=lambda c: c.parent_id,
            root_order=lambda c: (c.start or 0, -(c.end or 0), c.created),
        )
    ]


def flat_cards(
    session: Session,
    condition: ColumnElement[bool],
    version_id: int | None = None,
    outline: bool = False,
) -> list[Card]:
    """The annotations matching condition as cards, oldest first (outline: see card_threads).

    With version_id, positions and quotes are those of the annotations' anchors on that version
    (an older version shows its annotations where they were then); without, the current ones.
    """
    group = aliased(Group)
    anchor = aliased(AnchorRecord)
    located: tuple[Any, Any, Any, Any]
    if version_id is not None:
        located = (anchor.start, anchor.end, anchor.exact, func.coalesce(anchor.state, "orphaned"))
    else:
        located = (Annotation.start, Annotation.end, Annotation.exact, Annotation.anchor_state)
    query = (
        select(
            Annotation.id,
            Annotation.motivation,
            Annotation.author_id,
            Annotation.visibility,
            located[0].label("start"),
            located[1].label("end"),
            Annotation.parent_id,
            located[2].label("exact"),
            located[3].label("anchor_state"),
            literal("").label("body_html") if outline else Annotation.body_html,
            Annotation.created_at,
            Annotation.revision,
            Annotation.deleted_at,
            Annotation.deleted_by_id,
            Annotation.delete_reason,
            Annotation.anchor_kept_at,
            User.username,
            group.name.label("group_name"),
        )
        .join(User, User.id == Annotation.author_id)
        .outerjoin(group, group.id == Annotation.group_id)
        .where(condition)
        .order_by(Annotation.created_at, Annotation.id)
    )
    if version_id is not None:
        query = query.outerjoin(
            anchor, (anchor.annotation_id == Annotation.id) & (anchor.version_id == version_id)
        )
    rows = session.execute(query).all()
    if outline:
        return [_card(r, (), ()) for r in rows]
    ids = select(Annotation.id).where(condition).scalar_subquery()
    tags = _tags(session, ids)
    sources = _sources(session, ids)
    return [_card(r, tuple(tags.get(r.id, ())), tuple(sources.get(r.id, ()))) for r in rows]


def with_details(session: Session, threads: Sequence[CardThread]) -> list[CardThread]:
    """Outline threads with their cards' bodies, tags and sources read in."""
    ids = [card.id for t in threads for card in (t.root, *(reply for _, reply in t.replies))]
    if not ids:
        return list(threads)
    bodies: dict[str, str] = {}
    for annotation_id, body in session.execute(
        select(Annotation.id, Annotation.body_html).where(Annotation.id.in_(ids))
    ):
        bodies[annotation_id] = body
    tags = _tags(session, ids)
    sources = _sources(session, ids)

    def full(card: Card) -> Card:
        if card.is_deleted:  # a tombstone shows none of them
            return card
        return replace(
            card,
            body_html=bodies.get(card.id, ""),
            tags=tuple(tags.get(card.id, ())),
            sources=tuple(sources.get(card.id, ())),
        )

    return [CardThread(full(t.root), [(d, full(r)) for d, r in t.replies]) for t in threads]


def _tags(session: Session, ids: Any) -> dict[str, list[str]]:
    tags: dict[str, list[str]] = {}
    for annotation_id, name in session.execute(
        select(Tag.annotation_id, Tag.name).where(Tag.annotation_id.in_(ids)).order_by(Tag.position)
    ):
        tags.setdefault(annotation_id, []).append(name)
    return tags


def _sources(session: Session, ids: Any) -> dict[str, list[SourceLine]]:
    found: dict[str, list[SourceLine]] = {}
    query = (
        select(
            Citation.annotation_id,
            Citation.number,
            Citation.stance,
            Citation.excerpt,
            Citation.locator,
            Citation.accessed,
            Source.url,
            Source.title,
            Source.authors,
            Source.publisher,
            Source.published,
        )
        .join(Source, Source.id == Citation.source_id)
        .where(Citation.annotation_id.in_(ids))
        .order_by(Citation.number)
    )
    for row in session.execute(query):
        found.setdefault(row.annotation_id, []).append(
            SourceLine(
                number=row.number,
                stance=row.stance,
                url=row.url,
                title=row.title,
                authors=", ".join(row.authors or []),
                publisher=row.publisher,
                published=row.published,
                excerpt=row.excerpt,
                locator=row.locator,
                accessed=row.accessed,
            )
        )
    return found
