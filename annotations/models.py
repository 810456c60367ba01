"""SQLAlchemy tables for groups, annotations, tags, sources, citations and revisions."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import (
    JSON,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from annotations.accounts import User
from corpus.models import Base, utcnow

VISIBILITIES = ("private", "group", "public")
MOTIVATIONS = ("commenting", "highlighting", "assessing", "questioning", "replying")
KIND_OF_MOTIVATION = {
    "commenting": "comment",
    "highlighting": "highlight",
    "assessing": "claim",
    "questioning": "question",
    "replying": "reply",
}


class Group(Base):
    """A named set of members; its owner adds and removes them."""

    __tablename__ = "groups"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(80))
    owner_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    owner: Mapped[User] = relationship()
    memberships: Mapped[list[Membership]] = relationship(
        back_populates="group", cascade="all, delete-orphan"
    )


class Membership(Base):
    """A user's membership of a group."""

    __tablename__ = "memberships"
    __table_args__ = (UniqueConstraint("group_id", "user_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    group_id: Mapped[int] = mapped_column(ForeignKey("groups.id", ondelete="CASCADE"))
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    added_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    group: Mapped[Group] = relationship(back_populates="memberships")
    user: Mapped[User] = relationship()


class Source(Base):
    """A cited source, one record per normalised URL across the corpus."""

    __tablename__ = "sources"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    # sha256 of normalized_url: a unique index on the URL itself can outgrow index entry limits.
    url_key: Mapped[str] = mapped_column(String(64), unique=True)
    normalized_url: Mapped[str] = mapped_column(String(2000))
    url: Mapped[str] = mapped_column(String(2000))
    title: Mapped[str] = mapped_column(String(500))
    authors: Mapped[list[str]] = mapped_column(JSON, default=list)
    publisher: Mapped[str | None] = mapped_column(String(300), nullable=True)
    published: Mapped[str | None] = mapped_column(String(10), nullable=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class Annotation(Base):
    """An annotation on a passage, or a reply to another annotation."""

    __tablename__ = "annotations"
    __table_args__ = (
        Index("ix_annotations_document_start", "document_id", "start"),
        Index("ix_annotations_root", "root_id"),
    )

    id: Mapped[str] = mapped_column(String(24), primary_key=True)
    document_id: Mapped[str] = mapped_column(ForeignKey("documents.id", ondelete="CASCADE"))
    version_id: Mapped[int] = mapped_column(ForeignKey("document_versions.id"))
    author_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    motivation: Mapped[str] = mapped_column(String(20))
    visibility: Mapped[str] = mapped_column(String(10))
    group_id: Mapped[int | None] = mapped_column(ForeignKey("groups.id"), nullable=True)
    parent_id: Mapped[str | None] = mapped_column(ForeignKey("annotations.id"), nullable=True)
    root_id: Mapped[str | None] = mapped_column(String(24), nullable=True)
    body_markdown: Mapped[str] = mapped_column(Text, default="")
    body_html: Mapped[str] = mapped_column(Text, default="")
    exact: Mapped[str | None] = mapped_column(Text, nullable=True)
    prefix: Mapped[str | None] = mapped_column(Text, nullable=True)
    suffix: Mapped[str | None] = mapped_column(Text, nullable=True)
    start: Mapped[int | None] = mapped_column(Integer, nullable=True)
    end: Mapped[int | None] = mapped_column(Integer, nullable=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    modified_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    revision: Mapped[int] = mapped_column(Integer, default=1)
    # Where start/end/exact above apply now: the newest version it was re-anchored onto.
    anchor_version_id: Mapped[int | None] = mapped_column(
        ForeignKey("document_versions.id"), nullable=True
    )
    anchor_state: Mapped[str] = mapped_column(String(10), default="exact")
    anchor_score: Mapped[float] = mapped_column(Float, default=1.0)
    # Set when its author chose to leave an orphan on the version it was last anchored on:
    # later imports do not move it and the newest version's panel lists it apart.
    anchor_kept_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    deleted_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    deleted_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), nullable=True)
    delete_reason: Mapped[str | None] = mapped_column(String(500), nullable=True)

    author: Mapped[User] = relationship(foreign_keys=[author_id])
    deleted_by: Mapped[User | None] = relationship(foreign_keys=[deleted_by_id])
    group: Mapped[Group | None] = relationship()
    tags: Mapped[list[Tag]] = relationship(
        order_by="Tag.position", cascade="all, delete-orphan", lazy="selectin"
    )
    citations: Mapped[list[Citation]] = relationship(
        order_by="Citation.number", cascade="all, delete-orphan", lazy="selectin"
    )

    @property
    def kind(self) -> str:
        """comment, highlight, claim, question or reply."""
        return KIND_OF_MOTIVATION[self.motivation]

    @property
    def is_deleted(self) -> bool:
        """True once deleted (a tombstone keeps the thread's shape)."""
        return self.deleted_at is not None

    @property
    def is_edited(self) -> bool:
        """True when the annotation has more than one revision."""
        return self.revision > 1


class Tag(Base):
    """A tag on an annotation, in the order given."""

    __tablename__ = "tags"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    annotation_id: Mapped[str] = mapped_column(
        ForeignKey("annotations.id", ondelete="CASCADE"), index=True
    )
    position: Mapped[int] = mapped_column(Integer)
    name: Mapped[str] = mapped_column(String(50), index=True)


class Citation(Base):
    """An annotation's numbered citation of a source, with what it says about the passage."""

    __tablename__ = "citations"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    annotation_id: Mapped[str] = mapped_column(
        ForeignKey("annotations.id", ondelete="CASCADE"), index=True
    )
    source_id: Mapped[int] = mapped_column(ForeignKey("sources.id"), index=True)
    number: Mapped[int] = mapped_column(Integer)
    stance: Mapped[str] = mapped_column(String(10))
    excerpt: Mapped[str | None] = mapped_column(Text, nullable=True)
    locator: Mapped[str | None] = mapped_column(String(100), nullable=True)
    accessed: Mapped[str | None] = mapped_column(String(10), nullable=True)
    source: Mapped[Source] = relationship(lazy="joined")


class Revision(Base):
    """An earlier state of an annotation, kept when it is edited."""

    __tablename__ = "revisions"
    __table_args__ = (UniqueConstraint("annotation_id", "number"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    annotation_id: Mapped[str] = mapped_column(
        ForeignKey("annotations.id", ondelete="CASCADE"), index=True
    )
    number: Mapped[int] = mapped_column(Integer)
    body_markdown: Mapped[str] = mapped_column(Text)
    body_html: Mapped[str] = mapped_column(Text)
    tags: Mapped[list[str]] = mapped_column(JSON, default=list)
    sources: Mapped[list[dict[str, object]]] = mapped_column(JSON, default=list)
    visibility: Mapped[str] = mapped_column(String(10))
    saved_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    replaced_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    replaced_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    reason: Mapped[str | None] = mapped_column(String(500), nullable=True)
    replaced_by: Mapped[User] = relationship()
