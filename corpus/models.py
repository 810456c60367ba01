"""SQLAlchemy tables for documents, their versions and their blocks."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import (
    DateTime,
    ForeignKey,
    Integer,
    LargeBinary,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship


def utcnow() -> datetime:
    """Return the current time as an aware UTC datetime."""
    return datetime.now(UTC)


class Base(DeclarativeBase):
    """Declarative base shared by every table of the product."""


class Document(Base):
    """A corpus document: a stable id and its versions, newest last."""

    __tablename__ = "documents"

    id: Mapped[str] = mapped_column(String(100), primary_key=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    versions: Mapped[list[DocumentVersion]] = relationship(
        back_populates="document", order_by="DocumentVersion.number", cascade="all, delete-orphan"
    )

    @property
    def current(self) -> DocumentVersion:
        """Return the newest version."""
        return self.versions[-1]


class DocumentVersion(Base):
    """One imported revision: the original bytes and the canonical reading text."""

    __tablename__ = "document_versions"
    __table_args__ = (UniqueConstraint("document_id", "number"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    document_id: Mapped[str] = mapped_column(ForeignKey("documents.id", ondelete="CASCADE"))
    number: Mapped[int] = mapped_column(Integer)
    title: Mapped[str] = mapped_column(String(500))
    filename: Mapped[str] = mapped_column(String(255))
    fmt: Mapped[str] = mapped_column(String(10))
    media_type: Mapped[str] = mapped_column(String(100))
    original: Mapped[bytes] = mapped_column(LargeBinary)
    sha256: Mapped[str] = mapped_column(String(64))
    text: Mapped[str] = mapped_column(Text)
    imported_by: Mapped[str | None] = mapped_column(String(100), nullable=True)
    imported_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    document: Mapped[Document] = relationship(back_populates="versions")
    blocks: Mapped[list[BlockRecord]] = relationship(
        back_populates="version", order_by="BlockRecord.ordinal", cascade="all, delete-orphan"
    )


class BlockRecord(Base):
    """A typed block of a version's canonical text, in reading order."""

    __tablename__ = "blocks"
    __table_args__ = (UniqueConstraint("version_id", "block_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    version_id: Mapped[int] = mapped_column(ForeignKey("document_versions.id", ondelete="CASCADE"))
    ordinal: Mapped[int] = mapped_column(Integer)
    block_id: Mapped[str] = mapped_column(String(40))
    kind: Mapped[str] = mapped_column(String(20))
    start: Mapped[int] = mapped_column(Integer)
    end: Mapped[int] = mapped_column(Integer)
    source: Mapped[str | None] = mapped_column(String(40), nullable=True)
    version: Mapped[DocumentVersion] = relationship(back_populates="blocks")

    def text_in(self, text: str) -> str:
        """Return this block's words from the version's canonical text."""
        return text[self.start : self.end]


class IndexJob(Base):
    """A pending search-index update, written in the same transaction as the change.

    key is "document:<id>", "annotation:<id>" or "source:<id>"; the job re-reads the current
    database state when it runs, so running a job twice (or late) is harmless.
    """

    __tablename__ = "index_jobs"
    # Never reuse an id: a worker deletes the jobs it ran by id, after releasing the index lock,
    # and SQLite would otherwise hand a freed id to a newer job that the worker never saw.
    __table_args__ = {"sqlite_autoincrement": True}  # noqa: RUF012  (SQLAlchemy's hook)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    # "document:" and a document id of up to 100 characters (PostgreSQL enforces the length).
    key: Mapped[str] = mapped_column(String(120), index=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    last_error: Mapped[str | None] = mapped_column(Text, nullable=True)
