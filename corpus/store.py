"""Reading and writing documents through a SQLAlchemy session."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session, selectinload

from corpus.blocks import Segmentation
from corpus.errors import DocumentNotFound
from corpus.models import BlockRecord, Document, DocumentVersion, IndexJob


@dataclass(frozen=True)
class NewVersion:
    """A validated, segmented document ready to be stored."""

    document_id: str
    title: str
    filename: str
    fmt: str
    media_type: str
    original: bytes
    sha256: str
    segmentation: Segmentation
    imported_by: str | None = None


class DocumentStore:
    """Documents and versions in the database; the caller owns the transaction."""

    def __init__(self, session: Session) -> None:
        self.session = session

    def list_documents(self) -> list[DocumentVersion]:
        """Return the newest version of every document, ordered by title."""
        newest = self._newest()
        query = (
            select(DocumentVersion)
            .join(
                newest,
                (DocumentVersion.document_id == newest.c.document_id)
                & (DocumentVersion.number == newest.c.n),
            )
            .order_by(DocumentVersion.title, DocumentVersion.document_id)
        )
        return list(self.session.scalars(query))

    def _newest(self) -> Any:
        return (
            select(DocumentVersion.document_id, func.max(DocumentVersion.number).label("n"))
            .group_by(DocumentVersion.document_id)
            .subquery()
        )

    def titles(self, document_ids: set[str]) -> dict[str, str]:
        """document id -> title of its newest version, for the given documents (no text read)."""
        rows = self.session.execute(
            select(DocumentVersion.document_id, DocumentVersion.title)
            .where(DocumentVersion.document_id.in_(document_ids))
            .order_by(DocumentVersion.number)
        )
        return {row.document_id: row.title for row in rows}  # the newest comes last

    def passage_texts(self, wanted: set[tuple[str, str]]) -> dict[tuple[str, str], str]:
        """(document id, block id) -> the block's text in the newest version, for those given."""
        if not wanted:
            return {}
        newest = self._newest()
        length = BlockRecord.end - BlockRecord.start
        rows = self.session.execute(
            select(
                DocumentVersion.document_id,
                BlockRecord.block_id,
                func.substr(DocumentVersion.text, BlockRecord.start + 1, length),
            )
            .join(BlockRecord, BlockRecord.version_id == DocumentVersion.id)
            .join(
                newest,
                (DocumentVersion.document_id == newest.c.document_id)
                & (DocumentVersion.number == newest.c.n),
            )
            .where(
                DocumentVersion.document_id.in_({doc for doc, _ in wanted}),
                BlockRecord.block_id.in_({block for _, block in wanted}),
            )
        )
        return {(doc, block): text for doc, block, text in rows if (doc, block) in wanted}

    def find_latest(self, document_id: str, blocks: bool = True) -> DocumentVersion | None:
        """Return the newest version of a document, or None.

        blocks=False leaves the blocks to be loaded if and when they are read (anchoring a
        quote needs the version's text only).
        """
        query = (
            select(DocumentVersion)
            .where(DocumentVersion.document_id == document_id)
            .order_by(DocumentVersion.number.desc())
            .limit(1)
        )
        if blocks:
            query = query.options(selectinload(DocumentVersion.blocks))
        return self.session.scalars(query).first()

    def get_version(
        self, document_id: str, number: int | None = None, blocks: bool = True
    ) -> DocumentVersion:
        """Return a version (the newest when number is None) or raise DocumentNotFound."""
        if number is None:
            version = self.find_latest(document_id, blocks)
        else:
            version = self.session.scalars(
                select(DocumentVersion)
                .where(DocumentVersion.document_id == document_id, DocumentVersion.number == number)
                .options(selectinload(DocumentVersion.blocks))
            ).first()
        if version is None:
            what = f"document {document_id!r}"
            raise DocumentNotFound(
                f"no {what}" if number is None else f"{what} has no version {number}"
            )
        return version

    def count_versions(self, document_id: str) -> int:
        """Return how many versions a document has."""
        query = select(func.count()).where(DocumentVersion.document_id == document_id)
        return int(self.session.scalar(query) or 0)

    def add_version(self, new: NewVersion) -> DocumentVersion:
        """Append a version (creating the document if needed) and flush it."""
        document = self.session.get(Document, new.document_id)
        if document is None:
            document = Document(id=new.document_id)
            self.session.add(document)
        number = self.count_versions(new.document_id) + 1
        seg = new.segmentation
        version = DocumentVersion(
            document=document,
            number=number,
            title=new.title,
            filename=new.filename,
            fmt=new.fmt,
            media_type=new.media_type,
            original=new.original,
            sha256=new.sha256,
            text=seg.text,
            imported_by=new.imported_by,
        )
        version.blocks = [
            BlockRecord(
                ordinal=i,
                block_id=b.id,
                kind=b.kind,
                start=b.start,
                end=b.end,
                source=b.source,
            )
            for i, b in enumerate(seg.blocks)
        ]
        self.session.add(version)
        self.session.add(IndexJob(key=f"document:{new.document_id}"))
        self.session.flush()
        return version
